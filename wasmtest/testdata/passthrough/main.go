//go:build wasip1

// Command passthrough is the smallest correct proxy-wasm ABI 0.2.1 module
// built with stock Go: every HTTP callback returns Continue. It is the
// baseline the project's benchmarks compare apiwarden against, so it does
// the same fixed work per callback as a real plugin (context bookkeeping,
// an allocator) and nothing else.
//
// The allocator serves host allocations from a static arena that is reset
// when the host enters the module again, so the common case never touches
// the Go heap (Envoy forbids most host calls inside the allocator, and a
// garbage collection started there could reach one). Requests larger than
// the arena fall back to the heap; those blocks stay referenced until the
// next callback.
package main

import "unsafe"

func main() {}

//go:wasmexport proxy_abi_version_0_2_1
func abiVersion() {}

const arenaSize = 64 << 10

var (
	arena    [arenaSize]byte
	arenaOff uint32
	overflow [][]byte
)

// reset forgets every block handed out during the previous callback.
func reset() {
	arenaOff = 0
	if overflow != nil {
		clear(overflow)
		overflow = overflow[:0]
	}
}

//go:wasmexport proxy_on_memory_allocate
func onMemoryAllocate(size uint32) uint32 {
	n := (size + 7) &^ 7
	if n >= size && arenaOff+n <= arenaSize && arenaOff+n >= arenaOff {
		p := uint32(uintptr(unsafe.Pointer(&arena[arenaOff])))
		arenaOff += n
		return p
	}
	b := make([]byte, size+1)
	overflow = append(overflow, b)
	return uint32(uintptr(unsafe.Pointer(&b[0])))
}

//go:wasmexport proxy_on_context_create
func onContextCreate(contextID, parentID uint32) { reset() }

//go:wasmexport proxy_on_vm_start
func onVMStart(rootID, size uint32) uint32 { reset(); return 1 }

//go:wasmexport proxy_on_configure
func onConfigure(rootID, size uint32) uint32 { reset(); return 1 }

//go:wasmexport proxy_on_request_headers
func onRequestHeaders(id, n, eos uint32) uint32 { reset(); return 0 }

//go:wasmexport proxy_on_request_body
func onRequestBody(id, size, eos uint32) uint32 { reset(); return 0 }

//go:wasmexport proxy_on_request_trailers
func onRequestTrailers(id, n uint32) uint32 { reset(); return 0 }

//go:wasmexport proxy_on_response_headers
func onResponseHeaders(id, n, eos uint32) uint32 { reset(); return 0 }

//go:wasmexport proxy_on_response_body
func onResponseBody(id, size, eos uint32) uint32 { reset(); return 0 }

//go:wasmexport proxy_on_response_trailers
func onResponseTrailers(id, n uint32) uint32 { reset(); return 0 }

//go:wasmexport proxy_on_log
func onLog(id uint32) { reset() }

//go:wasmexport proxy_on_done
func onDone(id uint32) uint32 { reset(); return 1 }

//go:wasmexport proxy_on_delete
func onDelete(id uint32) { reset() }
