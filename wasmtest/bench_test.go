package wasmtest

import (
	"context"
	"testing"
)

// BenchmarkPassthrough measures one exchange through the minimal module:
// the host's own cost per request, the baseline for the project's module.
func BenchmarkPassthrough(b *testing.B) {
	h, err := New(context.Background(), Options{Module: testModule(b, "passthrough"), DisableTrace: true})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close(context.Background())
	body := make([]byte, 1024)
	cases := []struct {
		name string
		req  Request
	}{
		{"headers-only", Request{Method: "GET", Path: "/api/v1/accounts/1/balance",
			Headers: [][2]string{{"x-request-id", "r"}, {"user-agent", "bench"}, {"accept", "application/json"}}}},
		{"post-1KB", Request{Method: "POST", Path: "/api/v1/transferFunds", Body: body,
			Headers: [][2]string{{"x-request-id", "r"}, {"content-type", "application/json"}, {"content-length", "1024"}}}},
	}
	resp := &Response{Status: 200, Headers: [][2]string{{"content-type", "application/json"}}, Body: []byte(`{"ok":true}`)}
	up := func(*UpstreamRequest) *Response { return resp }
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			req := c.req
			b.SetBytes(int64(len(req.Body)))
			b.ReportAllocs()
			for b.Loop() {
				ex, err := h.RoundTrip(&req, up)
				if err != nil || ex.Response == nil || ex.Response.Status != 200 {
					b.Fatalf("exchange failed: %v %+v", err, ex)
				}
			}
		})
	}
}
