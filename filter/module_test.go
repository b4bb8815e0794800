package main

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"

	"github.com/apiwarden/apiwarden/wasmtest"
)

// modulePath is the module the end-to-end tests load: built once per test
// binary from this package, so the tests never run a stale .wasm.
const modulePath = "../build/apiwarden.wasm"

var (
	buildOnce sync.Once
	buildErr  error
)

// builtModule builds build/apiwarden.wasm (the Go build cache makes this
// cheap when nothing changed) and fails the test, never skips it, when the
// build fails.
func builtModule(t testing.TB) []byte {
	t.Helper()
	buildOnce.Do(func() { buildErr = wasmtest.BuildModule(".", modulePath) })
	require.NoError(t, buildErr)
	b, err := os.ReadFile(modulePath)
	require.NoError(t, err)
	return b
}

// TestModuleImportsStayInsideEnvoyAllowList reads the import section of the
// built module: anything outside the list fails to link in Envoy 1.33-1.38
// (a dependency that pulls in file-system calls, for example).
func TestModuleImportsStayInsideEnvoyAllowList(t *testing.T) {
	code := builtModule(t)
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	cm, err := rt.CompileModule(ctx, code)
	require.NoError(t, err)
	// The allow-list is wasmtest's (one copy, the Envoy 1.33-1.38 WASI set
	// and the proxy-wasm 0.2.1 host functions, wasmtest/ABI.md §3, §11):
	// what Envoy links the module against.
	require.NoError(t, wasmtest.CheckModule(ctx, code, wasmtest.WASIEnvoy133))
	seen := len(cm.ImportedFunctions())
	require.Greater(t, seen, 10)
	exports := cm.ExportedFunctions()
	for _, name := range []string{
		"proxy_abi_version_0_2_1", "proxy_on_memory_allocate", "proxy_on_context_create", "proxy_on_vm_start",
		"proxy_on_configure", "proxy_on_request_headers", "proxy_on_request_body", "proxy_on_request_trailers",
		"proxy_on_response_headers", "proxy_on_response_body", "proxy_on_response_trailers", "proxy_on_log",
		"proxy_on_done", "proxy_on_delete", "proxy_on_tick", "proxy_on_http_call_response", "_initialize",
	} {
		require.Contains(t, exports, name)
	}
	// The binding keeps only what the filter uses: callouts (the remote
	// key set), no queues.
	require.NotContains(t, exports, "proxy_on_queue_ready")
}
