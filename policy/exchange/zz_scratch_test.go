package exchange

import (
	"testing"
)

func BenchmarkScratchNative(b *testing.B) {
	rt, _ := newRuntime(b, `{}`)
	var x Exchange
	h := Headers{{":method", "GET"}, {":path", "/api/v1/accounts/1/balance"}, {":authority", "bank"}, {"user-agent", "wrk"}, {"cookie", "sid=abc"}}
	resp := status(200)
	respP := &resp
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		rt.Begin(&x)
		x.RequestHeaders(h, true, Addr("192.0.2.1:1"))
		x.ResponseHeaders(respP, true)
		x.Done()
	}
}
