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

// envoyWASI is the wasi_snapshot_preview1 set Envoy >= 1.33 provides
// (design.md, "Envoy compatibility floor").
var envoyWASI = map[string]bool{
	"fd_write": true, "fd_read": true, "fd_seek": true, "fd_close": true, "fd_fdstat_get": true,
	"fd_fdstat_set_flags": true, "environ_get": true, "environ_sizes_get": true, "args_get": true,
	"args_sizes_get": true, "clock_time_get": true, "random_get": true, "sched_yield": true,
	"poll_oneoff": true, "proc_exit": true, "path_open": true, "fd_prestat_get": true, "fd_prestat_dir_name": true,
}

// abi021 is the proxy-wasm ABI 0.2.1 host function set (wasmtest/ABI.md §3),
// without the 0.1.0-only functions Envoy does not register for 0.2.x.
var abi021 = map[string]bool{
	"proxy_log": true, "proxy_get_log_level": true, "proxy_get_current_time_nanoseconds": true,
	"proxy_set_tick_period_milliseconds": true, "proxy_get_buffer_bytes": true, "proxy_get_buffer_status": true,
	"proxy_set_buffer_bytes": true, "proxy_get_header_map_pairs": true, "proxy_set_header_map_pairs": true,
	"proxy_get_header_map_size": true, "proxy_get_header_map_value": true, "proxy_add_header_map_value": true,
	"proxy_replace_header_map_value": true, "proxy_remove_header_map_value": true, "proxy_get_property": true,
	"proxy_set_property": true, "proxy_continue_stream": true, "proxy_close_stream": true,
	"proxy_send_local_response": true, "proxy_get_shared_data": true, "proxy_set_shared_data": true,
	"proxy_register_shared_queue": true, "proxy_resolve_shared_queue": true, "proxy_enqueue_shared_queue": true,
	"proxy_dequeue_shared_queue": true, "proxy_define_metric": true, "proxy_increment_metric": true,
	"proxy_record_metric": true, "proxy_get_metric": true, "proxy_http_call": true, "proxy_grpc_call": true,
	"proxy_grpc_stream": true, "proxy_grpc_send": true, "proxy_grpc_cancel": true, "proxy_grpc_close": true,
	"proxy_get_status": true, "proxy_set_effective_context": true, "proxy_done": true, "proxy_call_foreign_function": true,
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
	seen := 0
	for _, f := range cm.ImportedFunctions() {
		mod, name, _ := f.Import()
		seen++
		switch mod {
		case "env":
			require.True(t, abi021[name], "env.%s is not a proxy-wasm 0.2.1 host function", name)
		case "wasi_snapshot_preview1":
			require.True(t, envoyWASI[name], "wasi_snapshot_preview1.%s is not provided by Envoy 1.33-1.38", name)
		default:
			t.Fatalf("import from unexpected module %s.%s", mod, name)
		}
	}
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
