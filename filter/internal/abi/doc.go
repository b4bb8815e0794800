// Package abi is apiwarden's binding of the proxy-wasm ABI 0.2.1 for the
// stock Go toolchain (GOOS=wasip1, -buildmode=c-shared).
//
// The tetratelabs proxy-wasm Go SDK (v0.24.0) only builds with TinyGo. This
// package keeps the SDK as the project's vocabulary: plugins implement the
// SDK's public types interfaces (types.VMContext, types.PluginContext,
// types.HttpContext) and call host functions with the same names and
// signatures as the SDK's proxywasm package. Two builds exist:
//
//   - wasip1: the callbacks are exported with //go:wasmexport and dispatched
//     to the registered contexts; host functions are //go:wasmimport env
//     proxy_* calls.
//   - every other GOOS: each host function forwards to the SDK's proxywasm
//     package, so the SDK's proxytest emulator runs the plugin natively in
//     unit tests (with the race detector and coverage).
//
// Only the host calls the filter uses are bound; api.go lists them with
// their signatures, so the two builds cannot drift apart unnoticed.
//
// Memory the host asks for through proxy_on_memory_allocate is served from an
// arena the binding owns (see arena.go): Envoy 1.33-1.38 allow almost no host
// call inside the allocator, and a Go garbage collection started there can
// reach one and trap the VM. Arena memory stays valid until the exported
// callback that caused the allocation returns; slices returned by body and
// shared-data getters in the wasip1 build point into it, so callers copy what
// they keep beyond the callback.
//
// HTTP callouts (DispatchHttpCall) report to the root context of the
// plugin that sent them, through the callback given at dispatch, run once
// in proxy_on_http_call_response; a failed callout reports no headers and
// no body. The answer's headers and body are readable only inside that
// callback, and the body slice, like every other, lives in the arena.
//
// Every exported callback recovers from panics as a last resort: it logs one
// critical line and answers Continue (or false for start-up callbacks), so a
// bug in a plugin never traps the VM. Plugins apply their own failure policy
// before that point.
//
// When the stock-Go successor SDK becomes reachable from the module proxy,
// this package is deleted and imports change.
package abi
