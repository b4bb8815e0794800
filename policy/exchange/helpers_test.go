package exchange

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apiwarden/apiwarden/policy"
	"github.com/apiwarden/apiwarden/policy/session"
	"github.com/stretchr/testify/require"
)

// testConfig is a small API: a header-only read, a transfer whose JSON
// body is validated (limit 64 bytes), an upload whose body streams
// unchecked (limit 16 bytes), a read whose response is redacted, and the
// admin endpoint. Options patch it per test.
func testConfig(opts ...string) string {
	unknown := `"unknown_endpoints": "block",`
	for _, o := range opts {
		if strings.HasPrefix(o, `"unknown_endpoints"`) {
			unknown = ""
		}
	}
	extra := strings.Join(opts, ",")
	if extra != "" {
		extra = "," + extra
	}
	return `{` + unknown + `
  "endpoints": [
    {"id": "get_balance", "method": "GET", "path": "/balance"},
    {"id": "transfer", "method": "POST", "path": "/transfer",
     "request": {"max_body_bytes": 64, "content_types": ["application/json"],
                 "body_schema": {"type": "object", "required": ["amount"], "properties": {"amount": {"type": "number"}}}}},
    {"id": "upload", "method": "PUT", "path": "/upload",
     "request": {"max_body_bytes": 16, "content_types": ["application/octet-stream"]}},
    {"id": "get_owner", "method": "GET", "path": "/owner", "response": {"redact": ["ssn"]}}
  ],
  "admin": {"enabled": true, "token": "0123456789abcdef0123"}` + extra + `
}`
}

// countingStore counts shared-data reads (a policy without sequence rules
// must read no history).
type countingStore struct {
	*session.MemStore
	gets int
}

func (s *countingStore) Get(key string) ([]byte, uint32, bool, error) {
	s.gets++
	return s.MemStore.Get(key)
}

func newRuntime(t testing.TB, config string) (*Runtime, *countingStore) {
	t.Helper()
	pol, err := policy.Compile([]byte(config))
	require.NoError(t, err)
	st := &countingStore{MemStore: session.NewMemStore()}
	now := time.Unix(1_700_000_000, 0)
	var n byte
	rt, _, err := NewRuntime(Config{Policy: pol, Store: st,
		Now: func() time.Time { now = now.Add(time.Millisecond); return now },
		Random: func(b []byte) {
			for i := range b {
				n++
				b[i] = n
			}
		}})
	require.NoError(t, err)
	st.gets = 0 // the salt, read once at start-up
	return rt, st
}

// respHeaders is a HeaderSource over a fixed list.
type respHeaders struct {
	h   Headers
	err error
	// all counts reads of the whole map.
	all *int
}

func (r respHeaders) Header(name string) (string, bool) { return r.h.Get(name) }

func (r respHeaders) Headers() ([][2]string, error) {
	if r.all != nil {
		*r.all++
	}
	return r.h, r.err
}

// body is a BodyReader over a fixed body.
type body struct {
	b   string
	err error
}

func (b body) ReadBody(max int) ([]byte, error) {
	if b.err != nil {
		return nil, b.err
	}
	s := b.b
	if len(s) > max {
		s = s[:max]
	}
	return []byte(s), nil
}

var errHost = errors.New("host: bad status")

// headersOnly plays a request without a body, headers to Done, and
// returns the request headers' step (the upstream's answer is not
// needed).
func headersOnly(rt *Runtime, x *Exchange, h Headers, src AddressSource) Step {
	rt.Begin(x)
	st := x.RequestHeaders(h, true, src)
	x.Done()
	return st
}

func req(method, path string, extra ...[2]string) Headers {
	return append(Headers{{":method", method}, {":path", path}, {":authority", "bank.example"}}, extra...)
}

func status(code int, extra ...[2]string) respHeaders {
	return respHeaders{h: append(Headers{{":status", fmt.Sprint(code)}}, extra...)}
}

// metricValue is what the metric named name would show: the step's
// histogram records plus the counter increments the runtime has batched
// since its last tick.
func metricValue(rt *Runtime, st Step, name string) uint64 {
	var n uint64
	for _, in := range st.Metrics {
		if rt.Metrics()[in.ID].Name == name {
			n += in.N
		}
	}
	for id, d := range rt.Metrics() {
		if d.Name == name {
			n += rt.metrics.pending[id]
		}
	}
	return n
}

func logsText(st Step) string {
	var b strings.Builder
	for _, l := range st.Logs {
		b.Write(l.Text)
		b.WriteByte('\n')
	}
	return b.String()
}

func edits(st Step) []string {
	var out []string
	for _, e := range st.Edits {
		if e.Remove {
			out = append(out, "-"+e.Name)
		} else if e.Name == "traceparent" || e.Name == "tracestate" {
			out = append(out, e.Name)
		} else {
			out = append(out, e.Name+"="+e.Value)
		}
	}
	return out
}
