package bank

import (
	"net/http"
	"time"

	"github.com/apiwarden/apiwarden/wasmtest"
)

// HostClient plays requests straight through the module in a wasmtest host
// (no sockets), on the host's clock, against the in-process demo upstream.
type HostClient struct {
	Host *wasmtest.Host
	// SourceAddress is the client address the host reports
	// (source.address); default 203.0.113.10:40000.
	SourceAddress string
	// Upstream answers what the module forwards; nil: the demo upstream
	// on the real clock (ServeUpstream).
	Upstream http.Handler
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
		if c.Upstream != nil {
			return Serve(c.Upstream, u.Method, u.Path, u.Headers, u.Body)
		}
		return ServeUpstream(u.Method, u.Path, u.Headers, u.Body)
	})
	if err != nil {
		return 0, nil, err
	}
	return ex.Response.Status, ex.Response.Body, nil
}

// Advance implements Client: it moves the host's manual clock (firing
// ticks).
func (c HostClient) Advance(d time.Duration) error { return c.Host.Advance(d) }
