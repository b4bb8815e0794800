package wasmtest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestProfileCountsTheABI: a Profile sees each host call, each export
// entered (the allocator included) and the bytes copied both ways.
func TestProfileCountsTheABI(t *testing.T) {
	var p Profile
	h := newProbe(t, Options{Profile: &p})
	before := p.Counts()
	_, err := h.RoundTrip(&Request{Method: "GET", Path: "/x", Headers: [][2]string{{"a", "b"}}}, func(*UpstreamRequest) *Response {
		return &Response{Status: 200}
	})
	assert.NoError(t, err)
	d := p.Counts().Sub(before)
	assert.Positive(t, d.Exports["proxy_on_request_headers"])
	assert.Positive(t, d.Exports["proxy_on_response_headers"])
	assert.Positive(t, Total(d.HostCalls))
	assert.Positive(t, d.Exports["proxy_on_memory_allocate"], "the probe reads headers: the host allocates in the guest")
	assert.Positive(t, d.BytesToGuest, "what the allocator got was filled")
	names := Names(d.Exports)
	for i := 1; i < len(names); i++ {
		assert.GreaterOrEqual(t, d.Exports[names[i-1]], d.Exports[names[i]], "largest first")
	}
}
