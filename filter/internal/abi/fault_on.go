//go:build apiwarden_faults

package abi

import "runtime"

// CollectInAllocs, in the test-only apiwarden_faults build, makes every
// later proxy_on_memory_allocate run a garbage collection inside the
// allocator: what the arena exists to prevent (the real-Envoy test
// TestCollectionInsideTheAllocatorTraps shows the host's answer).
var CollectInAllocs bool

func allocFault() {
	if CollectInAllocs {
		runtime.GC()
	}
}
