//go:build apiwarden_faults

package main

import (
	"runtime"
	"strings"

	"github.com/apiwarden/apiwarden/filter/internal/abi"
	"github.com/apiwarden/apiwarden/policy"
)

// armed maps a stream to the callback that must panic (test build only).
var armed = map[uint32]string{}

// armFault, in the test-only apiwarden_faults build, fails a request on
// demand with the header x-apiwarden-fault: "panic" panics inside the
// request headers callback and "panic:<callback>" inside the named one
// (request_headers, request_body, request_trailers, response_headers,
// response_body, response_trailers, stream_done), recovered: failure_mode
// decides. "trap" panics on another goroutine, which nothing recovers:
// the Go runtime aborts and the VM traps, as a real bug in the runtime
// would. "gc-in-alloc" runs a collection inside every later
// proxy_on_memory_allocate.
func armFault(id uint32, h policy.Headers) {
	delete(armed, id)
	switch v := h.Value("x-apiwarden-fault"); {
	case v == "panic":
		panic("apiwarden_faults: injected panic")
	case v == "gc-in-alloc":
		abi.CollectInAllocs = true
	case v == "trap":
		go func() { panic("apiwarden_faults: injected trap") }()
		runtime.Gosched()
	case strings.HasPrefix(v, "panic:"):
		armed[id] = v[len("panic:"):]
	}
}

// fault panics if the stream armed a fault for this callback.
func fault(id uint32, callback string) {
	if cb, ok := armed[id]; ok && cb == callback {
		delete(armed, id)
		panic("apiwarden_faults: injected panic in " + callback)
	}
}
