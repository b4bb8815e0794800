package wasmtest

import "github.com/tetratelabs/wazero/api"

func sig(n int) []api.ValueType {
	t := make([]api.ValueType, n)
	for i := range t {
		t[i] = api.ValueTypeI32
	}
	return t
}

var one = sig(1)

// envFuncs is module "env": the proxy-wasm ABI 0.2.x host functions
// cpp-host registers (plus pthread_equal and
// emscripten_notify_memory_growth). The 0.1.0-only functions
// (proxy_get_configuration, proxy_continue_request,
// proxy_continue_response, proxy_clear_route_cache) are absent, so
// importing them fails the load like Envoy.
var envFuncs = []hostFunc{
	{name: "proxy_log", params: sig(3), results: one, fn: hostLog},
	{name: "proxy_get_log_level", params: sig(1), results: one, fn: hostGetLogLevel},
	{name: "proxy_get_current_time_nanoseconds", params: sig(1), results: one, fn: hostGetCurrentTime},
	{name: "proxy_set_tick_period_milliseconds", params: sig(1), results: one, fn: hostSetTickPeriod},
	{name: "proxy_get_buffer_bytes", params: sig(5), results: one, fn: hostGetBufferBytes},
	{name: "proxy_get_buffer_status", params: sig(3), results: one, fn: hostGetBufferStatus},
	{name: "proxy_set_buffer_bytes", params: sig(5), results: one, fn: hostSetBufferBytes},
	{name: "proxy_get_header_map_pairs", params: sig(3), results: one, fn: hostGetHeaderPairs},
	{name: "proxy_set_header_map_pairs", params: sig(3), results: one, fn: hostSetHeaderPairs},
	{name: "proxy_get_header_map_size", params: sig(2), results: one, fn: hostGetHeaderSize},
	{name: "proxy_get_header_map_value", params: sig(5), results: one, fn: hostGetHeaderValue},
	{name: "proxy_add_header_map_value", params: sig(5), results: one, fn: hostAddHeader},
	{name: "proxy_replace_header_map_value", params: sig(5), results: one, fn: hostReplaceHeader},
	{name: "proxy_remove_header_map_value", params: sig(3), results: one, fn: hostRemoveHeader},
	{name: "proxy_get_property", params: sig(4), results: one, fn: hostGetProperty},
	{name: "proxy_set_property", params: sig(4), results: one, fn: hostSetProperty},
	{name: "proxy_continue_stream", params: sig(1), results: one, fn: hostContinueStream},
	{name: "proxy_close_stream", params: sig(1), results: one, fn: hostCloseStream},
	{name: "proxy_send_local_response", params: sig(8), results: one, fn: hostSendLocalResponse},
	{name: "proxy_get_shared_data", params: sig(5), results: one, fn: hostGetSharedData},
	{name: "proxy_set_shared_data", params: sig(5), results: one, fn: hostSetSharedData},
	{name: "proxy_register_shared_queue", params: sig(3), results: one, fn: hostRegisterQueue},
	{name: "proxy_resolve_shared_queue", params: sig(5), results: one, fn: hostResolveQueue},
	{name: "proxy_enqueue_shared_queue", params: sig(3), results: one, fn: hostEnqueue},
	{name: "proxy_dequeue_shared_queue", params: sig(3), results: one, fn: hostDequeue},
	{name: "proxy_define_metric", params: sig(4), results: one, fn: hostDefineMetric},
	{name: "proxy_increment_metric", params: []api.ValueType{api.ValueTypeI32, api.ValueTypeI64}, results: one, fn: hostIncrementMetric},
	{name: "proxy_record_metric", params: []api.ValueType{api.ValueTypeI32, api.ValueTypeI64}, results: one, fn: hostRecordMetric},
	{name: "proxy_get_metric", params: sig(2), results: one, fn: hostGetMetric},
	{name: "proxy_http_call", params: sig(10), results: one, fn: hostHTTPCall},
	{name: "proxy_grpc_call", params: sig(12), results: one, fn: hostGrpcCall},
	{name: "proxy_grpc_stream", params: sig(9), results: one, fn: hostGrpcCall},
	{name: "proxy_grpc_send", params: sig(4), results: one, fn: hostGrpcToken},
	{name: "proxy_grpc_cancel", params: sig(1), results: one, fn: hostGrpcToken},
	{name: "proxy_grpc_close", params: sig(1), results: one, fn: hostGrpcToken},
	{name: "proxy_get_status", params: sig(3), results: one, fn: hostGetStatus},
	{name: "proxy_set_effective_context", params: sig(1), results: one, fn: hostSetEffectiveContext},
	{name: "proxy_done", params: nil, results: one, fn: hostDone},
	{name: "proxy_call_foreign_function", params: sig(6), results: one, fn: hostCallForeign},
	{name: "pthread_equal", params: sig(2), results: one, fn: func(vm *VM, s []uint64) {
		s[0] = uint64(b2u(u32(s, 0) == u32(s, 1)))
	}},
	{name: "emscripten_notify_memory_growth", params: sig(1), results: nil, fn: func(*VM, []uint64) {}},
}
