package wasmtest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPassthroughSmoke(t *testing.T) {
	h, err := New(context.Background(), Options{Module: testModule(t, "passthrough"), Workers: 2})
	require.NoError(t, err)
	defer h.Close(context.Background())
	ex, err := h.RoundTrip(&Request{Method: "POST", Path: "/x", Body: []byte("hello"), ChunkSize: 2}, func(r *UpstreamRequest) *Response {
		return &Response{Status: 201, Body: r.Body}
	})
	require.NoError(t, err)
	t.Log(ex.Calls)
	require.Equal(t, 201, ex.Response.Status)
	require.Equal(t, "hello", string(ex.Response.Body))
}
