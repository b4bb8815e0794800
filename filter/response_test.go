package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apiwarden/apiwarden/examples/bank"
	"github.com/apiwarden/apiwarden/wasmtest"
)

// withHost returns the bank configuration with a "host" section.
func bankWithHold(t *testing.T, hold bool) []byte {
	var c map[string]any
	require.NoError(t, json.Unmarshal(validationConfig(t), &c))
	c["host"] = map[string]any{"allow_on_headers_stop_iteration": hold}
	b, err := json.Marshal(c)
	require.NoError(t, err)
	return b
}

func newWasmHost(t *testing.T, cfg []byte, hold bool) *wasmtest.Host {
	host, err := wasmtest.New(context.Background(), wasmtest.Options{Module: builtModule(t), PluginConfig: cfg,
		PluginName: "apiwarden", RootID: "apiwarden", VMID: "apiwarden", AllowOnHeadersStopIteration: hold})
	require.NoError(t, err)
	t.Cleanup(func() { _ = host.Close(context.Background()) })
	return host
}

func TestResponseProtection(t *testing.T) {
	for _, hold := range []bool{false, true} {
		name := map[bool]string{false: "envoy-1.33", true: "held-headers"}[hold]
		t.Run(name, func(t *testing.T) {
			host := newWasmHost(t, bankWithHold(t, hold), hold)
			var sawEncoding string
			ex, err := host.RoundTrip(&wasmtest.Request{Method: "GET", Path: "/api/v1/users/42/accounts",
				Headers: [][2]string{{"accept-encoding", "gzip"}}}, func(u *wasmtest.UpstreamRequest) *wasmtest.Response {
				sawEncoding = u.Header("accept-encoding")
				return serve(t, u, false)
			})
			require.NoError(t, err)
			require.NoError(t, ex.Trapped)
			assert.Empty(t, sawEncoding, "accept-encoding is stripped on protected endpoints")
			res := ex.Response
			require.Equal(t, 200, res.Status)
			var raw map[string]any
			require.NoError(t, json.Unmarshal(res.Body, &raw), string(res.Body))
			owner := raw["owner"].(map[string]any)
			assert.Equal(t, "[REDACTED]", owner["national_id"])
			assert.Equal(t, "[REDACTED]", owner["email"], "e-mail detector")
			assert.NotEqual(t, "[REDACTED]", owner["name"])
			for _, a := range raw["accounts"].([]any) {
				acc := a.(map[string]any)
				assert.Equal(t, "[REDACTED]", acc["number"])
				assert.True(t, strings.HasPrefix(acc["id"].(string), "ACC-"))
			}
			assert.NotContains(t, string(res.Body), "DE89370400440532013000")
			assert.Empty(t, res.Header("server"))
			assert.Empty(t, res.Header("x-powered-by"))
			if hold {
				assert.Equal(t, strconv.Itoa(len(res.Body)), res.Header("content-length"), "content-length corrected")
			} else {
				assert.Empty(t, res.Header("content-length"), "headers left before the body: length dropped")
			}
			var events []string
			for _, l := range host.Logs() {
				if strings.Contains(l.Message, `"apiwarden.rule":"sensitive-data"`) {
					events = append(events, l.Message)
				}
			}
			require.Len(t, events, 1)
			assert.Contains(t, events[0], `"detectors":{"email":1}`)
			assert.NotContains(t, events[0], "example.com", "events never carry the values")
			undeclared := ""
			for _, l := range host.Logs() {
				if strings.Contains(l.Message, `"apiwarden.rule":"undeclared-response-fields"`) {
					undeclared = l.Message
				}
			}
			assert.Contains(t, undeclared, `"undeclared":["/owner/risk_score"]`, "excessive data exposure is reported by pointer")
			require.NoError(t, host.Tick(), "counters are published by the tick")
			n, ok := host.Metric("wasmcustom.apiwarden.redacted.list_accounts")
			assert.True(t, ok)
			assert.EqualValues(t, 1, n)
			n, ok = host.Metric("wasmcustom.apiwarden.detector_endpoint.email.list_accounts")
			assert.True(t, ok)
			assert.EqualValues(t, 1, n, "detector hits per endpoint")
		})
	}
}

// serve answers an upstream request with the bank demo upstream.
func serve(t *testing.T, u *wasmtest.UpstreamRequest, forceGzip bool) *wasmtest.Response {
	h := append([][2]string(nil), u.Headers...)
	if forceGzip {
		h = append(h, [2]string{"accept-encoding", "gzip"})
	}
	return bank.ServeUpstream(u.Method, u.Path, h, u.Body)
}

func TestCompressedResponseIsRedactedNotBypassed(t *testing.T) {
	host := newWasmHost(t, bankWithHold(t, false), false)
	ex, err := host.RoundTrip(&wasmtest.Request{Method: "GET", Path: "/api/v1/users/42/accounts"},
		func(u *wasmtest.UpstreamRequest) *wasmtest.Response { return serve(t, u, true) })
	require.NoError(t, err)
	require.Equal(t, "gzip", ex.Response.Header("content-encoding"), "the upstream compressed anyway")
	zr, err := gzip.NewReader(bytes.NewReader(ex.Response.Body))
	require.NoError(t, err)
	plain, err := io.ReadAll(zr)
	require.NoError(t, err)
	assert.Contains(t, string(plain), `"national_id":"[REDACTED]"`)
	assert.NotContains(t, string(plain), "DE89370400440532013000")
}

func TestResponseSizeAnomalyReported(t *testing.T) {
	host := newWasmHost(t, validationConfig(t), false)
	size := 2000
	up := func(u *wasmtest.UpstreamRequest) *wasmtest.Response {
		body := `{"balance":1,"pad":"` + strings.Repeat("x", size) + `"}`
		return &wasmtest.Response{Status: 200, Headers: [][2]string{{"content-type", "application/json"}}, Body: []byte(body)}
	}
	for i := 0; i < 150; i++ {
		_, err := host.RoundTrip(&wasmtest.Request{Method: "GET", Path: "/api/v1/accounts/ACC-1/balance"}, up)
		require.NoError(t, err)
	}
	for _, l := range host.Logs() {
		require.NotContains(t, l.Message, "response-size-anomaly", "steady sizes are normal")
	}
	size = 200000
	_, err := host.RoundTrip(&wasmtest.Request{Method: "GET", Path: "/api/v1/accounts/ACC-1/balance"}, up)
	require.NoError(t, err)
	found := false
	for _, l := range host.Logs() {
		found = found || strings.Contains(l.Message, `"apiwarden.rule":"response-size-anomaly"`)
	}
	assert.True(t, found, "a response 100 times the usual size is reported")
}

// TestHeldRequestHeadersNeverReachTheUpstreamOfARefusedBody: with the
// Envoy >= 1.35 option, the upstream sees nothing of a request whose body
// is refused, and the whole request when the body is valid.
func TestHeldRequestHeadersNeverReachTheUpstreamOfARefusedBody(t *testing.T) {
	for _, hold := range []bool{false, true} {
		host := newWasmHost(t, bankWithHold(t, hold), hold)
		post := func(body string) *wasmtest.Exchange {
			ex, err := host.RoundTrip(&wasmtest.Request{Method: "POST", Path: "/api/v1/transferFunds",
				Headers: [][2]string{{"content-type", "application/json"}}, Body: []byte(body), ChunkSize: 8}, nil)
			require.NoError(t, err)
			require.NoError(t, ex.Trapped)
			return ex
		}
		bad := post(`{"from":"ACC-1","to":"ACC-2","amount":"1"}`)
		assert.Equal(t, 400, bad.Response.Status)
		assert.Equal(t, !hold, bad.HeadersForwarded, "hold=%v: upstream saw the headers of a refused request", hold)
		assert.Nil(t, bad.Upstream, "the refused request never completes upstream")
		good := post(`{"from":"ACC-1","to":"ACC-2","amount":1}`)
		assert.Equal(t, 200, good.Response.Status)
		require.NotNil(t, good.Upstream)
		assert.JSONEq(t, `{"from":"ACC-1","to":"ACC-2","amount":1}`, string(good.Upstream.Body))
	}
}

// TestOversizedResponseRefusedNeverLeaks: a body over redaction's bound
// with over_limit "block" is refused as soon as the bound is crossed; with
// headers already sent (Envoy < 1.35) none of its bytes reach the client,
// with held headers the client gets a 502 problem+json.
func TestOversizedResponseRefusedNeverLeaks(t *testing.T) {
	for _, hold := range []bool{false, true} {
		var c map[string]any
		require.NoError(t, json.Unmarshal(bankWithHold(t, hold), &c))
		red := c["redaction"].(map[string]any)
		red["max_body_bytes"] = 4096
		red["over_limit"] = "block"
		cfg, err := json.Marshal(c)
		require.NoError(t, err)
		host := newWasmHost(t, cfg, hold)
		secret := strings.Repeat(`{"number":"DE89370400440532013000"},`, 400)
		ex, err := host.RoundTrip(&wasmtest.Request{Method: "GET", Path: "/api/v1/users/42/accounts"},
			func(*wasmtest.UpstreamRequest) *wasmtest.Response {
				return &wasmtest.Response{Status: 200, Headers: [][2]string{{"content-type", "application/json"}},
					Body: []byte(`{"accounts":[` + secret + `{}]}`), ChunkSize: 1024}
			})
		require.NoError(t, err)
		require.NoError(t, ex.Trapped)
		assert.NotContains(t, string(ex.Response.Body), "DE89370400440532013000", "hold=%v", hold)
		assert.Contains(t, string(ex.Response.Body), "response-not-inspected")
		if hold {
			assert.Equal(t, 502, ex.Response.Status)
		}
	}
}
