package abuse

import (
	"testing"
	"time"

	"github.com/apiwarden/apiwarden/policy/session"
	"github.com/stretchr/testify/require"
)

var t0 = time.Unix(1_700_000_000, 0)

func mustParse(t testing.TB, js string) Config {
	t.Helper()
	c, err := Parse([]byte(js), nil)
	require.NoError(t, err)
	return c
}

func engine(t testing.TB, js string, st session.Store) *Engine {
	t.Helper()
	if st == nil {
		st = session.NewMemStore()
	}
	return New(mustParse(t, js), Options{Store: st, Salt: "test-salt", Prefix: "p/"})
}

func req(endpoint, source string) *Request {
	return &Request{Method: "GET", Endpoint: endpoint, Path: "/" + endpoint, Source: source, Headers: HeaderMap{}}
}

func header(r Result, name string) string {
	for _, h := range r.Headers {
		if h.Name == name {
			return h.Value
		}
	}
	return ""
}
