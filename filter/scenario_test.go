package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apiwarden/apiwarden/wasmtest"
)

// Every scenario runs twice: natively under proxytest (fast, race detector)
// and through the built module in wasmtest (the binding where it runs).

type scenario struct {
	method, path string
	headers      [][2]string
	body         string
	chunk        int
}

type outcome struct {
	status  int
	local   bool
	body    []byte
	headers [][2]string
}

type runner func(t *testing.T, ex scenario) outcome

func nativeRunner(t *testing.T, config []byte) runner {
	host, reset := newHost(t, config)
	t.Cleanup(reset)
	return func(t *testing.T, ex scenario) outcome {
		id := host.InitializeHttpContext()
		defer host.CompleteHttpContext(id)
		hasBody := ex.body != ""
		host.CallOnRequestHeaders(id, reqHeaders(ex.method, ex.path, ex.headers...), !hasBody)
		if r := host.GetSentLocalResponse(id); r != nil {
			return outcome{status: int(r.StatusCode), local: true, body: r.Data, headers: r.Headers}
		}
		if hasBody {
			chunk := ex.chunk
			if chunk <= 0 {
				chunk = len(ex.body)
			}
			for off := 0; off < len(ex.body); off += chunk {
				end := min(off+chunk, len(ex.body))
				host.CallOnRequestBody(id, []byte(ex.body[off:end]), end == len(ex.body))
				if r := host.GetSentLocalResponse(id); r != nil {
					return outcome{status: int(r.StatusCode), local: true, body: r.Data, headers: r.Headers}
				}
			}
		}
		return outcome{status: 200}
	}
}

func wasmRunner(t *testing.T, config []byte, profile wasmtest.WASIProfile) runner {
	code := builtModule(t)
	host, err := wasmtest.New(context.Background(), wasmtest.Options{
		Module: code, PluginConfig: config, Workers: 2, WASI: profile,
		PluginName: "apiwarden", RootID: "apiwarden", VMID: "apiwarden",
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = host.Close(context.Background()) })
	return func(t *testing.T, ex scenario) outcome {
		req := &wasmtest.Request{Method: ex.method, Path: ex.path, Authority: "bank.example", Headers: ex.headers,
			Body: []byte(ex.body), ChunkSize: ex.chunk, SourceAddress: "192.0.2.7:51234"}
		res, err := host.RoundTrip(req, func(*wasmtest.UpstreamRequest) *wasmtest.Response {
			return &wasmtest.Response{Status: 200, Headers: [][2]string{{"content-type", "application/json"}}, Body: []byte(`{"ok":true}`)}
		})
		require.NoError(t, err)
		require.NoError(t, res.Trapped)
		return outcome{status: res.Response.Status, local: res.LocalReply, body: res.Response.Body, headers: res.Response.Headers}
	}
}

func runners(t *testing.T, config []byte) map[string]runner {
	return map[string]runner{
		"native":          nativeRunner(t, config),
		"wasm-envoy-1.33": wasmRunner(t, config, wasmtest.WASIEnvoy133),
		"wasm-april-2026": wasmRunner(t, config, wasmtest.WASIApril2026),
	}
}

func TestBankScenarios(t *testing.T) {
	ctJSON := [2]string{"content-type", "application/json"}
	cases := []struct {
		name     string
		ex       scenario
		status   int
		rule     string
		pointer  string
		allowHdr string
	}{
		{"balance passes", scenario{method: "GET", path: "/api/v1/accounts/ACC-1/balance"}, 200, "", "", ""},
		{"normalised path passes", scenario{method: "GET", path: "/api//v1/./accounts/ACC-1/balance/"}, 200, "", "", ""},
		{"unknown endpoint", scenario{method: "GET", path: "/api/v1/admin"}, 403, "unknown-endpoint", "", ""},
		{"encoded traversal", scenario{method: "GET", path: "/api/v1/accounts/x/%2e%2e/%2e%2e/internal"}, 403, "unknown-endpoint", "", ""},
		{"malformed path", scenario{method: "GET", path: "/api/v1/%zz"}, 400, "invalid-path", "", ""},
		{"wrong method", scenario{method: "DELETE", path: "/api/v1/transferFunds"}, 405, "method-not-allowed", "", "POST"},
		{"path parameter type", scenario{method: "GET", path: "/api/v1/users/abc/accounts"}, 400, "invalid-parameter", "", ""},
		{"valid transfer", scenario{method: "POST", path: "/api/v1/transferFunds", headers: [][2]string{ctJSON},
			body: `{"from":"ACC-1","to":"ACC-2","amount":25.5,"currency":"EUR"}`, chunk: 7}, 200, "", "", ""},
		{"amount as string", scenario{method: "POST", path: "/api/v1/transferFunds", headers: [][2]string{ctJSON},
			body: `{"from":"ACC-1","to":"ACC-2","amount":"25.5"}`, chunk: 5}, 400, "schema-violation", "/amount", ""},
		{"not JSON", scenario{method: "POST", path: "/api/v1/transferFunds", headers: [][2]string{ctJSON},
			body: `{"from":"ACC-1",`}, 400, "invalid-json", "", ""},
		{"oversized body", scenario{method: "POST", path: "/api/v1/transferFunds", headers: [][2]string{ctJSON},
			body: `{"memo":"` + strings.Repeat("x", 5000) + `"}`, chunk: 1024}, 413, "body-too-large", "", ""},
		{"text/plain", scenario{method: "POST", path: "/api/v1/transferFunds", headers: [][2]string{{"content-type", "text/plain"}},
			body: "hello"}, 415, "unsupported-media-type", "", ""},
		{"deeply nested body", scenario{method: "POST", path: "/api/v1/transferFunds", headers: [][2]string{ctJSON},
			body: strings.Repeat("[", 2000) + strings.Repeat("]", 2000)}, 400, "schema-violation", "", ""},
	}
	for name, run := range runners(t, validationConfig(t)) {
		t.Run(name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					out := run(t, c.ex)
					require.Equal(t, c.status, out.status, string(out.body))
					if c.rule == "" {
						assert.False(t, out.local)
						return
					}
					assert.True(t, out.local)
					assert.Contains(t, out.headers, [2]string{"content-type", "application/problem+json"})
					var p problem
					require.NoError(t, json.Unmarshal(out.body, &p), string(out.body))
					assert.Equal(t, c.rule, p.Rule)
					assert.Equal(t, c.status, p.Status)
					assert.Regexp(t, "^[0-9a-f]{32}$", p.TraceID)
					if c.pointer != "" {
						require.NotEmpty(t, p.Violations)
						assert.Equal(t, c.pointer, p.Violations[0].Pointer)
					}
					if c.allowHdr != "" {
						assert.Contains(t, out.headers, [2]string{"allow", c.allowHdr})
					}
				})
			}
		})
	}
}

func TestBrokenConfigRefusedByTheModule(t *testing.T) {
	code := builtModule(t)
	_, err := wasmtest.New(context.Background(), wasmtest.Options{
		Module: code, PluginConfig: []byte(`{"mode":"strict","endpoints":[{"id":"a","method":"GET","path":"/a/{x"}]}`),
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `mode: want one of "monitor", "enforce", got "strict"`)
	assert.Contains(t, err.Error(), `endpoints[0].path`)
}
