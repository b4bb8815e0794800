package main

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/apiwarden/apiwarden/examples/bank"
)

// fullBankConfig is the example policy as shipped: authentication with a
// remote key set, object bindings and abuse controls included.
func fullBankConfig(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("../examples/bank/apiwarden.json")
	require.NoError(t, err)
	return b
}

func headerValue(h [][2]string, name string) string {
	for _, kv := range h {
		if kv[0] == name {
			return kv[1]
		}
	}
	return ""
}

// TestRemoteKeySetThroughTheFilter: the tick fetches the key set with
// proxy_http_call to the configured cluster; until it arrives a request
// needing it follows failure_mode (open: through, logged); once it did,
// tokens are verified, claim headers set and object bindings enforced.
func TestRemoteKeySetThroughTheFilter(t *testing.T) {
	up := bank.Upstream()
	host, reset := newHost(t, fullBankConfig(t))
	defer reset()
	tok, err := bank.Login(up, 1)
	require.NoError(t, err)
	foreign := reqHeaders("GET", "/api/v1/users/2/accounts", [2]string{"authorization", "Bearer " + tok})

	id := host.InitializeHttpContext()
	assert.Equal(t, types.ActionContinue, host.CallOnRequestHeaders(id, foreign, true), "no keys yet: failure_mode open")

	host.Tick()
	calls := host.GetCalloutAttributesFromContext(proxytest.PluginContextID)
	require.Len(t, calls, 1, "one fetch")
	c := calls[0]
	assert.Equal(t, "upstream", c.Upstream)
	assert.Equal(t, "/.well-known/jwks.json", headerValue(c.Headers, ":path"))
	assert.Equal(t, "bank.example", headerValue(c.Headers, ":authority"))
	res := bank.Serve(up, "GET", "/.well-known/jwks.json", nil, nil)
	host.CallOnHttpCallResponse(c.CalloutID, append([][2]string{{":status", "200"}}, res.Headers...), nil, res.Body)

	id = host.InitializeHttpContext()
	host.CallOnRequestHeaders(id, foreign, true)
	_, p := localReply(t, host, id)
	assert.Equal(t, 403, p.Status)
	assert.Equal(t, "object-not-owned", p.Rule)

	id = host.InitializeHttpContext()
	own := reqHeaders("GET", "/api/v1/users/1/accounts", [2]string{"authorization", "Bearer " + tok}, [2]string{"x-bank-user", "2"})
	require.Equal(t, types.ActionContinue, host.CallOnRequestHeaders(id, own, true))
	assert.Nil(t, host.GetSentLocalResponse(id))
	assert.Equal(t, "1", headerValue(host.GetCurrentRequestHeaders(id), "x-bank-user"), "the verified subject, not the client's copy")

	id = host.InitializeHttpContext()
	host.CallOnRequestHeaders(id, reqHeaders("GET", "/api/v1/users/1/accounts"), true)
	r, p := localReply(t, host, id)
	assert.Equal(t, uint32(401), r.StatusCode)
	assert.Equal(t, "missing-credentials", p.Rule)
	assert.Equal(t, `Bearer realm="bank"`, headerValue(r.Headers, "www-authenticate"))
}
