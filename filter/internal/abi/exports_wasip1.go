//go:build wasip1

package abi

import (
	"fmt"
	"unsafe"
)

var (
	mem   = newArena()
	disp  = newDispatcher(func(level uint32, msg string) { logAt(level, msg) })
	depth int
)

// enter marks the start of an exported callback; hint is memory the
// callback is known to need from the host (a body of that size), reserved
// here, outside the allocator.
func enter(hint int) {
	depth++
	if hint > 0 {
		mem.reserve(hint)
	}
}

// leave ends a callback. It is always deferred: it recovers a panic that
// escaped the plugin (a trap would take the whole worker VM down), answers
// fallback, and rewinds the arena once the outermost callback returns.
func leave(where string, ret *uint32, fallback uint32) {
	if r := recover(); r != nil {
		logAt(logCritical, fmt.Sprintf("apiwarden: recovered panic in %s: %v", where, r))
		if ret != nil {
			*ret = fallback
		}
	}
	depth--
	if depth == 0 {
		mem.release()
	}
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

//go:wasmexport proxy_abi_version_0_2_1
func abiVersion() {}

//go:wasmexport proxy_on_memory_allocate
func onMemoryAllocate(size uint32) unsafe.Pointer {
	n := int(size)
	if n == 0 {
		n = 1 // a 0 address means allocation failure to the host
	}
	allocFault()
	b := mem.alloc(n)
	return unsafe.Pointer(unsafe.SliceData(b))
}

//go:wasmexport proxy_on_context_create
func onContextCreate(id, parent uint32) {
	enter(0)
	defer leave("proxy_on_context_create", nil, 0)
	disp.contextCreate(id, parent)
}

//go:wasmexport proxy_on_vm_start
func onVMStart(_, size uint32) (ret uint32) {
	enter(int(size))
	defer leave("proxy_on_vm_start", &ret, 0)
	return b2u(disp.vmStart(int(size)))
}

//go:wasmexport proxy_on_configure
func onConfigure(root, size uint32) (ret uint32) {
	enter(0)
	mem.reserveExact(int(size)) // for the configuration, which the plugin takes over
	defer leave("proxy_on_configure", &ret, 0)
	return b2u(disp.configure(root, int(size)))
}

//go:wasmexport proxy_on_request_headers
func onRequestHeaders(id, n, eos uint32) (ret uint32) {
	enter(int(n) * 128)
	defer leave("proxy_on_request_headers", &ret, 0)
	return disp.requestHeaders(id, int(n), eos != 0)
}

//go:wasmexport proxy_on_request_body
func onRequestBody(id, size, eos uint32) (ret uint32) {
	enter(int(size))
	defer leave("proxy_on_request_body", &ret, 0)
	return disp.requestBody(id, int(size), eos != 0)
}

//go:wasmexport proxy_on_request_trailers
func onRequestTrailers(id, n uint32) (ret uint32) {
	enter(int(n) * 128)
	defer leave("proxy_on_request_trailers", &ret, 0)
	return disp.requestTrailers(id, int(n))
}

//go:wasmexport proxy_on_response_headers
func onResponseHeaders(id, n, eos uint32) (ret uint32) {
	enter(int(n) * 128)
	defer leave("proxy_on_response_headers", &ret, 0)
	return disp.responseHeaders(id, int(n), eos != 0)
}

//go:wasmexport proxy_on_response_body
func onResponseBody(id, size, eos uint32) (ret uint32) {
	enter(int(size))
	defer leave("proxy_on_response_body", &ret, 0)
	return disp.responseBody(id, int(size), eos != 0)
}

//go:wasmexport proxy_on_response_trailers
func onResponseTrailers(id, n uint32) (ret uint32) {
	enter(int(n) * 128)
	defer leave("proxy_on_response_trailers", &ret, 0)
	return disp.responseTrailers(id, int(n))
}

//go:wasmexport proxy_on_log
func onLog(id uint32) {
	enter(0)
	defer leave("proxy_on_log", nil, 0)
	disp.log(id)
}

//go:wasmexport proxy_on_done
func onDone(id uint32) (ret uint32) {
	enter(0)
	defer leave("proxy_on_done", &ret, 1)
	return b2u(disp.done(id))
}

//go:wasmexport proxy_on_delete
func onDelete(id uint32) {
	enter(0)
	defer leave("proxy_on_delete", nil, 0)
	disp.delete(id)
}

//go:wasmexport proxy_on_tick
func onTick(root uint32) {
	enter(0)
	defer leave("proxy_on_tick", nil, 0)
	disp.tick(root)
}

//go:wasmexport proxy_on_http_call_response
func onHttpCallResponse(root, token, nh, body, nt uint32) {
	// The callback reads the answer's headers and body: room for both.
	enter(int(nh)*128 + int(body))
	defer leave("proxy_on_http_call_response", nil, 0)
	disp.calloutResponse(root, token, int(nh), int(body), int(nt))
}
