// Package wasmtest is an Envoy-faithful proxy-wasm host for tests,
// benchmarks and local runs. It loads any module built for proxy-wasm ABI
// 0.2.1 (or 0.2.0) with wazero and behaves like Envoy's host (V8 +
// proxy-wasm-cpp-host) as recorded in ABI.md, in this directory, which
// names for each area of the ABI the files that implement it.
//
// # Contract
//
//   - Start-up: the module is compiled once per process (keyed by
//     sha256, wazero compilation cache) and instantiated Options.Workers
//     times. Each VM runs _initialize (then main(0,0) / __main_void if
//     exported, or _start) under Envoy's restricted allow-list, then
//     proxy_on_context_create(1, 0), proxy_on_vm_start(1, len(VMConfig)),
//     proxy_on_configure(1, len(PluginConfig)). A false return or a trap
//     makes New fail with the VM's log lines in the error. The ABI marker
//     export, export signatures, the allocator (malloc before
//     proxy_on_memory_allocate) and every import are checked first; an
//     import the profile does not provide fails with Envoy's "missing
//     import" message.
//   - Restricted phases: during _initialize only logging and the WASI
//     calls of the profile's allow-list work; inside the allocator only
//     proxy_log, fd_write, clock_time_get (and poll_oneoff in the April
//     2026 profile). Anything else traps, so the load fails or the VM is
//     failed.
//   - VMs share one shared-data store (cpp-host CAS rules), the shared
//     queues and the metrics, and nothing else. Calls into one VM are
//     serialized; different VMs run in parallel, so Host and VM methods
//     are safe for concurrent use.
//   - Streams (VM.RoundTrip, Host.RoundTrip) follow Envoy's filter
//     manager: callback order, header maps readable only while their
//     phase is running or paused (request/response headers and response
//     trailers read-only in proxy_on_log), body chunks with Pause =
//     stop-and-buffer and accumulated sizes, buffer limit (413 / 500),
//     Pause on headers stopping everything unless
//     AllowOnHeadersStopIteration, deferred proxy_continue_stream,
//     proxy_close_stream and proxy_send_local_response (local replies run
//     the plugin's response callbacks when no response headers exist yet,
//     go straight out when they exist, reset the stream once sent).
//   - HTTP callouts are answered by Options.HTTPCallHandler after the VM
//     call that made them returns; shared-queue notifications are posted
//     to the last registrant and delivered after the current call, by
//     Advance or by DeliverQueues.
//   - Traps (Go panics end in "unreachable") fail the VM; later calls are
//     skipped and streams get FailurePolicy: FailClosed ⇒ 503
//     "wasm_fail_stream", FailOpen ⇒ untouched.
//   - Time: Options.Clock drives proxy_get_current_time_nanoseconds,
//     clock_time_get and ticks; with a manual clock Host.Advance fires due
//     ticks in order on every VM.
//
// # Limits
//
// A stream is played synchronously: the whole client request exists
// before the first callback, the upstream is a Go function called once
// with the complete request, and a stream left paused with nothing
// pending to continue it (no callout response, no deferred continue) is
// answered as Envoy's stream idle timeout would (408, or a reset in the
// response phase) and flagged Exchange.Stalled. Ticks and queue
// notifications never resume a paused stream. gRPC calls, L4 (network
// filter) callbacks, metadata callbacks, the canary VM, FAIL_RELOAD and
// capability restrictions are not emulated; protobuf-valued properties
// (node, metadata, xds.*) are NotFound. The gateway reads bodies whole.
// ABI 0.1.0 modules are refused.
//
// # Gateway and Envoy
//
// The gateway does, before the module, what Envoy's HTTP/1 codec and
// connection manager do (envoyfront.go): methods outside the codec's list
// and request targets with spaces, non-ASCII bytes or no leading '/' are
// 400, more than 100 headers or 60 KiB of them 431, a '#' or an encoded NUL
// is a bodiless 400; with GatewayOptions (NewGatewayWith;
// ExampleGatewayOptionsFor gives the example bootstrap's per Envoy
// release) the path is normalised and slashes merged as Envoy does. The
// real-Envoy tests in internal/realenvoy hold this against Envoy 1.36.4 and
// 1.40.0: TestPathsAndCodecAgainstRealEnvoy (53 request targets, 11
// methods, header counts and sizes) and TestTranscriptsWasmtestAgainstRealEnvoy (40 bank
// exchanges: answer status, problem body, module headers, and what the
// upstream received). The differences that remain, on purpose:
//
//   - An invalid escape in the request target (/a/%zz, a lone %) is refused
//     by Go's net/http before the gateway runs (400 text/plain); Envoy
//     passes it on and apiwarden answers 400 problem+json. Same status.
//   - Envoy 1.40 accepts the QUERY method in its codec and then answers 400
//     without a body; the gateway refuses it as 1.36's codec does (400
//     text/plain). Same status.
//   - Without allow_on_headers_stop_iteration, Envoy sends the request
//     headers upstream as soon as the headers phase continues; when the
//     module then refuses the body, the upstream sees a request reset
//     mid-body. The gateway sends nothing. Either way the upstream never
//     receives a complete request.
//   - The shadow inventory's counts depend on when each worker flushes its
//     batch; the transcripts compare its shape, not its numbers.
package wasmtest
