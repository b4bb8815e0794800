package bank

import (
	"os"
	"testing"
	"time"

	"github.com/apiwarden/apiwarden/policy"
	"github.com/apiwarden/apiwarden/policy/exchange"
	"github.com/apiwarden/apiwarden/policy/session"
	"github.com/stretchr/testify/require"
)

// answer is a recorded upstream answer as the exchange reads it.
type answer struct {
	headers [][2]string
	body    []byte
}

func (a *answer) Header(name string) (string, bool) { return policy.Headers(a.headers).Get(name) }

func (a *answer) Headers() ([][2]string, error) { return a.headers, nil }

func (a *answer) ReadBody(int) ([]byte, error) { return a.body, nil }

// BenchmarkBankExchange is the bank positive model's header-only GET
// balance natively (one session reading in a loop, the upstream's real
// answer redacted): the guest's own work, which the module multiplies
// (filter/bench and bench-envoy measure it through the module).
func BenchmarkBankExchange(b *testing.B) {
	raw, err := os.ReadFile("apiwarden.json")
	require.NoError(b, err)
	raw, err = PositiveModel(raw)
	require.NoError(b, err)
	pol, err := policy.Compile(raw)
	require.NoError(b, err)
	// The clock moves 125 µs a request: events past the per-VM budget
	// are dropped, as under load.
	now := time.Unix(1_700_000_000, 0)
	rt, _, err := exchange.NewRuntime(exchange.Config{Policy: pol, Store: session.NewMemStore(),
		Now: func() time.Time { return now }, Random: func(p []byte) { clear(p); p[0] = 1 }})
	require.NoError(b, err)
	path := "/api/v1/accounts/ACC-1001/balance"
	h := exchange.Headers{{":authority", "bank.example"}, {":path", path}, {":method", "GET"}, {":scheme", "http"},
		{"user-agent", "wrk"}, {"x-session-id", "bench"}}
	up := ServeUpstream("GET", path, h, nil)
	require.Equal(b, 200, up.Status)
	resp := &answer{headers: append([][2]string{{":status", "200"}}, up.Headers...), body: up.Body}
	var x exchange.Exchange
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(125 * time.Microsecond)
		rt.Begin(&x)
		x.RequestHeaders(h, true, exchange.Addr("192.0.2.1:41000"))
		x.ResponseHeaders(resp, false)
		x.ResponseBody(len(resp.body), true, resp)
		x.Done()
	}
}
