package redact

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

// fixture builds a realistic banking API response of about size bytes:
// an object with metadata and a list of customers, each with accounts,
// transactions and free-text notes, a few of which carry sensitive data.
// The generator is seeded, so the fixture is the same on every run.
func fixture(size int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"transfer", "rent", "groceries", "salary", "refund", "fee", "coffee", "invoice", "travel", "gift"}
	b := []byte(`{"page":{"number":1,"size":50,"total":1234},"generated_at":"2024-05-01T12:00:00Z","customers":[`)
	for i := 0; len(b) < size-200; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		note := words[rng.IntN(len(words))] + " for " + words[rng.IntN(len(words))]
		switch i % 17 {
		case 3:
			note += " contact jane.doe" + fmt.Sprint(i) + "@example.com"
		case 11:
			note += " card 4111 1111 1111 1111"
		}
		b = fmt.Appendf(b, `{"id":"cus_%08d","name":"Customer %d","email":"c%d@example.org","ssn":"123-45-%04d","created":%d,"vip":%t,`,
			i, i, i, 1000+i%9000, 1700000000000+rng.IntN(1e9), i%5 == 0)
		b = append(b, `"accounts":[`...)
		for a := 0; a < 2; a++ {
			if a > 0 {
				b = append(b, ',')
			}
			b = fmt.Appendf(b, `{"number":"%010d","iban":"DE89 3704 0044 0532 0130 00","balance":%d.%02d,"currency":"EUR","transactions":[`,
				rng.IntN(1e9), rng.IntN(1e6), rng.IntN(100))
			for t := 0; t < 3; t++ {
				if t > 0 {
					b = append(b, ',')
				}
				b = fmt.Appendf(b, `{"id":%d,"amount":%d.%02d,"label":%q,"booked":true}`, rng.IntN(1e9), rng.IntN(5000), rng.IntN(100), words[rng.IntN(len(words))])
			}
			b = append(b, "]}"...)
		}
		b = fmt.Appendf(b, `],"notes":%q}`, note)
	}
	b = append(b, "]}"...)
	return b
}

func TestFixtureIsValid(t *testing.T) {
	for _, n := range []int{1 << 10, 64 << 10} {
		f := fixture(n)
		require.True(t, gjson.ValidBytes(f))
		require.InDelta(t, n, len(f), float64(n)/4+600)
	}
}

var benchPaths = rules("customers.#.ssn", "customers.#.accounts.#.number", "-customers.#.accounts.#.iban")

func benchApply(b *testing.B, size int, c Config) {
	body := fixture(size)
	r := mustCompile(b, c)
	dst := make([]byte, 0, len(body)+len(body)/4)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		out, _, err := r.Apply(dst, body)
		if err != nil {
			b.Fatal(err)
		}
		dst = out[:0]
	}
}

func BenchmarkApply(b *testing.B) {
	sizes := []struct {
		name string
		n    int
	}{{"1KB", 1 << 10}, {"64KB", 64 << 10}, {"1MB", 1 << 20}}
	configs := []struct {
		name string
		c    Config
	}{
		{"validate", Config{Fields: nil}},
		{"paths", Config{Paths: benchPaths}},
		{"detectors", Config{Detectors: allDetectors()}},
		{"paths+detectors", Config{Paths: benchPaths, Detectors: allDetectors()}},
	}
	for _, c := range configs {
		for _, s := range sizes {
			b.Run(c.name+"/"+s.name, func(b *testing.B) { benchApply(b, s.n, c.c) })
		}
	}
}

func BenchmarkScanText(b *testing.B) {
	body := fixture(64 << 10)
	r := mustCompile(b, Config{Detectors: allDetectors()})
	dst := make([]byte, 0, len(body)+len(body)/4)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		out, _ := r.ScanText(dst, body)
		dst = out[:0]
	}
}
