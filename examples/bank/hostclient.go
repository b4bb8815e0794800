package bank

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/apiwarden/apiwarden/wasmtest"
)

// HostClient plays requests straight through the module in a wasmtest host
// (no sockets), on the host's clock, against an in-process upstream.
type HostClient struct {
	Host     *wasmtest.Host
	Upstream http.Handler
	// SourceAddress is the client address the host reports
	// (source.address); default 203.0.113.10:40000.
	SourceAddress string
}

// Do implements Client.
func (c HostClient) Do(method, path string, headers [][2]string, body string) (int, []byte, error) {
	src := c.SourceAddress
	if src == "" {
		src = "203.0.113.10:40000"
	}
	req := &wasmtest.Request{Method: method, Path: path, Authority: "bank.example", Headers: headers,
		Body: []byte(body), SourceAddress: src}
	ex, err := c.Host.RoundTrip(req, func(u *wasmtest.UpstreamRequest) *wasmtest.Response {
		r := httptest.NewRequest(u.Method, u.Path, bytes.NewReader(u.Body))
		for _, h := range u.Headers {
			if !strings.HasPrefix(h[0], ":") {
				r.Header.Add(h[0], h[1])
			}
		}
		w := httptest.NewRecorder()
		c.Upstream.ServeHTTP(w, r)
		res := &wasmtest.Response{Status: w.Code, Body: w.Body.Bytes()}
		for k, vs := range w.Header() {
			for _, v := range vs {
				res.Headers = append(res.Headers, [2]string{strings.ToLower(k), v})
			}
		}
		return res
	})
	if err != nil {
		return 0, nil, err
	}
	return ex.Response.Status, ex.Response.Body, nil
}

// Advance implements Client: it moves the host's manual clock (firing
// ticks).
func (c HostClient) Advance(d time.Duration) error { return c.Host.Advance(d) }
