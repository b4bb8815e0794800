package wasmtest

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGateway(t *testing.T) {
	var seen *http.Request
	var seenBody string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r
		b, _ := io.ReadAll(r.Body)
		seenBody = string(b)
		w.Header().Set("X-Up", "1")
		w.WriteHeader(202)
		_, _ = w.Write([]byte("from upstream"))
	}))
	defer up.Close()
	h := newProbe(t, Options{})
	u, _ := url.Parse(up.URL + "/base")
	gw := httptest.NewServer(NewGateway(h, u))
	defer gw.Close()

	req, _ := http.NewRequest("POST", gw.URL+"/x?a=1", strings.NewReader("payload"))
	req.Header.Set("X-Probe", "mutate,props")
	req.Header.Set("X-Remove", "gone")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 202, resp.StatusCode)
	assert.Equal(t, "from upstream", string(b))
	assert.Equal(t, "1", resp.Header.Get("X-Resp-Added"))
	require.NotNil(t, seen)
	assert.Equal(t, "/base/rewritten", seen.URL.Path)
	assert.Equal(t, "1", seen.Header.Get("X-Added"))
	assert.Empty(t, seen.Header.Get("X-Remove"))
	assert.Equal(t, "payload", seenBody)
	assert.NotEmpty(t, seen.Header.Get("X-Request-Id"))
	var src string
	for _, l := range events(h.VM(0), "prop") {
		if strings.HasPrefix(l, "prop source.address ") {
			src = field(l, "hex")
		}
	}
	assert.Equal(t, hexString("127.0.0.1:"), src[:len(hexString("127.0.0.1:"))], "source.address from RemoteAddr")

	// A local reply never reaches the upstream.
	seen = nil
	req, _ = http.NewRequest("GET", gw.URL+"/y", nil)
	req.Header.Set("X-Probe", "local-reply-headers")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 403, resp.StatusCode)
	assert.Equal(t, "nope", string(b))
	assert.Nil(t, seen)
}

func hexString(s string) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(s))
	for i := 0; i < len(s); i++ {
		out = append(out, digits[s[i]>>4], digits[s[i]&15])
	}
	return string(out)
}

// TestGatewayForwardsThePathByteForByte: the upstream receives :path as the
// stream left it, like Envoy's router (no re-escaping, no decoding).
func TestGatewayForwardsThePathByteForByte(t *testing.T) {
	var got []string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.RequestURI)
	}))
	defer up.Close()
	h := newProbe(t, Options{})
	u, _ := url.Parse(up.URL)
	gw := httptest.NewServer(NewGateway(h, u))
	defer gw.Close()
	paths := []string{"/api/v1/accounts/ACC-1/balance", "/a/%2e%2e/b", "/a%2Fb?x=%41&y", "/caf%C3%A9/~x!$&'()*+,;=:@", "/q?", "/a?b=c%20d+e"}
	for _, p := range paths {
		c, err := net.Dial("tcp", strings.TrimPrefix(gw.URL, "http://"))
		require.NoError(t, err)
		_, err = io.WriteString(c, "GET "+p+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		require.NoError(t, err)
		_, _ = io.ReadAll(c)
		_ = c.Close()
	}
	assert.Equal(t, paths, got)
}
