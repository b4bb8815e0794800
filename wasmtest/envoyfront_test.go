package wasmtest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestEnvoyFront pins what the gateway does before the module to what
// Envoy 1.36.4 and 1.40.0 were seen doing with the example bootstrap's
// connection manager (internal/realenvoy's TestPathsAndCodecAgainstRealEnvoy
// is the live comparison).
func TestEnvoyFront(t *testing.T) {
	type want struct {
		path   string
		status int
	}
	paths := map[string]want{
		"/a/b": {"/a/b", 0}, `/a\b`: {"/a/b", 0}, "/a/%2e%2e/b": {"/b", 0}, "/a/%2E/b": {"/a/b", 0},
		"/a/.%2e/b": {"/b", 0}, "/a/%2e./b": {"/b", 0}, "/%61b": {"/ab", 0}, "/a%2Fb": {"/a%2Fb", 0},
		"/a%2fb": {"/a%2fb", 0}, "/a%5Cb": {"/a%5Cb", 0}, "/a b": {"", 400}, "/a%20b": {"/a%20b", 0},
		"/a/%zz": {"/a/%zz", 0}, "/a/%": {"/a/%", 0}, "/ä": {"", 400}, `/a"b`: {"/a%22b", 0},
		"/a<b>": {"/a%3Cb%3E", 0}, "/a{b}": {"/a%7Bb%7D", 0}, "/a|b": {"/a%7Cb", 0}, "/a^b": {"/a%5Eb", 0},
		"/a`b": {"/a%60b", 0}, "/a;b": {"/a;b", 0}, "/a/./b/../c": {"/a/c", 0}, "/..": {"/", 0},
		"/../a": {"/a", 0}, "//a//b/": {"/a/b/", 0}, "/a/%c3%a9": {"/a/%c3%a9", 0}, "/a/b?x=../y": {"/a/b?x=../y", 0},
		"/a/b?x=%2e": {"/a/b?x=%2e", 0}, "/a?b#c": {"", 400}, "/a#c": {"", 400}, "/a/%7Eb": {"/a/~b", 0},
		"/A/%41": {"/A/A", 0}, "/a/..;/b": {"/a/..;/b", 0}, "/a/%252e%252e/b": {"/a/%252e%252e/b", 0},
		"/a//../b": {"/a/b", 0}, "*": {"", 400}, "/a%00b": {"", 400}, "/a%3fb": {"/a%3fb", 0},
		"/a%23b": {"/a%23b", 0}, "/a/b/..": {"/a/", 0}, "/a/b/.": {"/a/b/", 0},
	}
	for in, w := range paths {
		got, refused := envoyFront(ExampleGatewayOptions, "GET", in, nil)
		if w.status != 0 {
			if assert.NotNil(t, refused, "%q", in) {
				assert.Equal(t, w.status, refused.status, "%q", in)
			}
			continue
		}
		assert.Nil(t, refused, "%q", in)
		assert.Equal(t, w.path, got, "%q", in)
	}

	// Envoy 1.40 also drops the parameters of literal dot segments.
	v140 := ExampleGatewayOptionsFor("1.40.0")
	for in, out := range map[string]string{"/a/..;/b": "/b", "/a/..;x/b": "/b", "/a/.;/b": "/a/b", "/a/..;": "/",
		"/a/%2e%2e;/b": "/a/..;/b", "/a;/b": "/a;/b"} {
		got, refused := envoyFront(v140, "GET", in, nil)
		assert.Nil(t, refused)
		assert.Equal(t, out, got, "%q on 1.40", in)
	}
	assert.False(t, ExampleGatewayOptionsFor("1.36.4").DotSegmentParams)

	// Without the options (Envoy's defaults) the path goes on as sent.
	got, refused := envoyFront(GatewayOptions{}, "GET", "/a/%2e%2e//b", nil)
	assert.Nil(t, refused)
	assert.Equal(t, "/a/%2e%2e//b", got)

	for m, ok := range map[string]bool{"GET": true, "PROPFIND": true, "PATCH": true, "MSEARCH": true, "PURGE": true,
		"get": false, "FOO": false, "M-SEARCH": false, strings.Repeat("G", 20): false} {
		_, refused := envoyFront(GatewayOptions{}, m, "/a", nil)
		assert.Equal(t, ok, refused == nil, "method %q", m)
	}

	headers := func(n, size int) [][2]string {
		h := make([][2]string, n)
		for i := range h {
			h[i] = [2]string{fmt.Sprintf("x-h%d", i), "v"}
		}
		h[0][1] = strings.Repeat("b", size)
		return h
	}
	for _, c := range []struct {
		n, size, status int
	}{{100, 1, 0}, {101, 1, 431}, {1, 59 << 10, 0}, {1, 61 << 10, 431}} {
		_, refused := envoyFront(GatewayOptions{}, "GET", "/a", headers(c.n, c.size))
		if c.status == 0 {
			assert.Nil(t, refused, "%d headers, %d bytes", c.n, c.size)
		} else if assert.NotNil(t, refused, "%d headers, %d bytes", c.n, c.size) {
			assert.Equal(t, c.status, refused.status)
		}
	}
}
