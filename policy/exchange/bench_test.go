package exchange

import (
	"testing"
	"time"

	"github.com/apiwarden/apiwarden/policy"
	"github.com/apiwarden/apiwarden/policy/session"
	"github.com/stretchr/testify/require"
)

// BenchmarkExchange is one header-only exchange natively, the guest's own
// work before any Wasm cost: the module multiplies it (filter/bench has
// the same cases through the module, ratios to a pass-through).
func BenchmarkExchange(b *testing.B) {
	// The headers Envoy hands a filter for a wrk GET.
	h := func(path string) Headers {
		return Headers{{":authority", "bank.example"}, {":path", path}, {":method", "GET"}, {":scheme", "http"},
			{"user-agent", "wrk"}, {"x-forwarded-proto", "http"}, {"x-request-id", "8a4f2c1e-6b0d-4e3a-9f57-2d8c1b0a7e64"}}
	}
	cases := []struct {
		name, config, path string
	}{
		{"empty-config", `{}`, "/api/v1/accounts/ACC-1/balance"},
		{"known-endpoint", testConfig(), "/balance"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			// The clock moves 125 µs a request (8,000 requests a
			// second): events past the per-VM budget are dropped, as
			// under load.
			pol, err := policy.Compile([]byte(c.config))
			require.NoError(b, err)
			now := time.Unix(1_700_000_000, 0)
			rt, _, err := NewRuntime(Config{Policy: pol, Store: session.NewMemStore(),
				Now: func() time.Time { return now }, Random: func(p []byte) { clear(p); p[0] = 1 }})
			require.NoError(b, err)
			headers, resp := h(c.path), status(200)
			var x Exchange
			b.ReportAllocs()
			for b.Loop() {
				now = now.Add(125 * time.Microsecond)
				rt.Begin(&x)
				x.RequestHeaders(headers, true, Addr("192.0.2.1:41000"))
				x.ResponseHeaders(&resp, true)
				x.Done()
			}
		})
	}
}
