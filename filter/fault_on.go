//go:build apiwarden_faults

package main

import (
	"runtime"

	"github.com/apiwarden/apiwarden/filter/internal/abi"
	"github.com/apiwarden/apiwarden/policy"
)

// injectFault, in the test-only apiwarden_faults build, fails a request on
// demand with the header x-apiwarden-fault: "panic" panics inside the
// callback (recovered: failure_mode decides), "trap" panics on another
// goroutine, which nothing recovers: the Go runtime aborts and the VM
// traps, as a real bug in the runtime would; "gc-in-alloc" runs a
// collection inside every later proxy_on_memory_allocate.
func injectFault(h policy.Headers) {
	switch h.Value("x-apiwarden-fault") {
	case "panic":
		panic("apiwarden_faults: injected panic")
	case "gc-in-alloc":
		abi.CollectInAllocs = true
	case "trap":
		go func() { panic("apiwarden_faults: injected trap") }()
		runtime.Gosched()
	}
}
