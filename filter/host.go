package main

import (
	"errors"
	"math/rand/v2"

	"github.com/apiwarden/apiwarden/filter/internal/abi"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// Host attributes and buffers the filter reads, in one place. Property
// paths are segments (abi.PropertyPath); Envoy encodings: strings raw.

// hostAddress reads the downstream address when the exchange asks.
type hostAddress struct{}

func (hostAddress) SourceAddress() string { return sourceAddress() }

// sourceAddress is the downstream address as Envoy gives it ("ip:port").
func sourceAddress() string {
	b, err := abi.GetProperty([]string{"source", "address"})
	if err != nil {
		return ""
	}
	return string(b)
}

// requestBody reads the buffered request body; a missing body is empty.
type requestBody struct{}

func (requestBody) ReadBody(max int) ([]byte, error) {
	b, err := abi.GetHttpRequestBody(0, max)
	if errors.Is(err, types.ErrorStatusNotFound) {
		return nil, nil
	}
	return b, err
}

// responseBody reads the buffered response body.
type responseBody struct{}

func (responseBody) ReadBody(max int) ([]byte, error) { return abi.GetHttpResponseBody(0, max) }

// responseHeaders reads the response headers: one value, or the map.
type responseHeaders struct{}

func (responseHeaders) Header(name string) (string, bool) {
	v, err := abi.GetHttpResponseHeader(name)
	return v, err == nil
}

func (responseHeaders) Headers() ([][2]string, error) { return abi.GetHttpResponseHeaders() }

// randomBytes fills b from the runtime's ChaCha8 generator (seeded from the
// host's random_get at start-up). Not crypto/rand: its first use arms a
// one-minute timer, which initialises the runtime's network poller, and on
// Envoy 1.33-1.38 every later garbage collection then traps in poll_oneoff
// (golang/go#78513). Trace and span ids need uniqueness, not secrecy.
func randomBytes(b []byte) {
	for len(b) > 0 {
		v := rand.Uint64()
		for i := 0; i < 8 && len(b) > 0; i++ {
			b[0] = byte(v)
			v >>= 8
			b = b[1:]
		}
	}
}
