package main

import (
	"strings"
	"testing"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// FuzzExchange plays arbitrary requests and upstream answers through the
// whole filter (bank policy with sessions, sequences, redaction) under
// proxytest. Callbacks recover from panics, so a panic would not crash
// the test: it would show as a "recovered panic" error log, which fails.
func FuzzExchange(f *testing.F) {
	f.Add("GET", "/api/v1/users/42/accounts?limit=5", "application/json", "", `{"owner":{"email":"a@b.co"},"accounts":[]}`, uint8(3))
	f.Add("POST", "/api/v1/transferFunds", "application/json", `{"from":"ACC-1","to":"ACC-2","amount":1}`, `{"transfer_id":"T"}`, uint8(1))
	f.Add("GET", "/%2e%2e/%zz?%", "text/plain", "\xff\xfe", "not json", uint8(0))
	f.Add("PUT", "/api/v1/accounts/ACC-1/balance", "", "[[[[[[[[", `[1,2,{"a":"4111 1111 1111 1111"}]`, uint8(7))
	cfg := bankConfig(f)
	f.Fuzz(func(t *testing.T, method, path, contentType, reqBody, respBody string, chunks uint8) {
		opt := proxytest.NewEmulatorOption().WithVMContext(&vmContext{}).WithPluginConfiguration(cfg).
			WithProperty([]string{"source", "address"}, []byte("192.0.2.7:51234"))
		host, reset := proxytest.NewHostEmulator(opt)
		defer reset()
		if host.StartPlugin() != types.OnPluginStartStatusOK {
			t.Fatal("bank configuration refused")
		}
		id := host.InitializeHttpContext()
		hdrs := reqHeaders(method, path, [2]string{"content-type", contentType}, [2]string{"x-session-id", "fuzz"},
			[2]string{"cookie", reqBody}, [2]string{"traceparent", respBody})
		host.CallOnRequestHeaders(id, hdrs, reqBody == "")
		n := int(chunks%4) + 1
		for i := 0; i < n && reqBody != ""; i++ {
			part := reqBody[i*len(reqBody)/n : (i+1)*len(reqBody)/n]
			host.CallOnRequestBody(id, []byte(part), i == n-1)
		}
		if host.GetSentLocalResponse(id) == nil {
			host.CallOnResponseHeaders(id, [][2]string{{":status", "200"}, {"content-type", "application/json"}, {"server", "x"}}, false)
			host.CallOnResponseBody(id, []byte(respBody), true)
		}
		host.CompleteHttpContext(id)
		for _, l := range append(host.GetErrorLogs(), host.GetCriticalLogs()...) {
			if strings.Contains(l, "recovered panic") {
				t.Fatalf("panic in the filter: %s", l)
			}
		}
	})
}
