//go:build wasip1

package abi

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
	_ "unsafe" // go:linkname
)

// The Go runtime's own garbage-collection pacing is switched off and
// replaced by collections the binding starts itself, between callbacks.
//
// Why: Envoy 1.33-1.38 answer poll_oneoff with NOSYS, and the wasip1 runtime
// throws ("poll_oneoff failed", golang/go#78513) when it polls after the
// network poller was initialised. Nothing in apiwarden opens a pollable
// file; the poller is initialised by the background scavenger, which arms a
// timer after its first release of memory, and every later collection then
// polls while restarting the world: the VM traps on its next GC. With
// GOGC=off the scavenger's goal is disabled, it never releases, never arms
// its timer, and the poller is never initialised. (Scavenging is pointless
// here anyway: wasm linear memory never shrinks.)
//
// Collections keep GOGC=100's pacing: one starts when the bytes allocated
// since the last collection exceed the heap that survived it (at least
// gcMinHeap), checked every gcCheckEvery outermost callbacks, after the
// callback's work is done and outside the allocator.
//
// GOGC=off is not enough on its own: after a collection has swept, the
// runtime wakes the scavenger, which finds the freed pages above its goal,
// releases them and sleeps on a timer; that timer initialises the poller,
// and the next collection's restart of the world polls. No setting
// disables the scavenger, so the binding resets the runtime's "poller
// initialised" flag around its own collections (netpollInited, reached by
// go:linkname; the build passes -ldflags=-checklinkname=0), and releases
// every free page itself right after each collection, so the scavenger
// never has work (and never arms a timer) in the middle of the next one. Nothing in the
// module waits on the poller: it has no files, sockets or sleeping
// goroutines of its own, and the runtime's timers are run by the scheduler
// whether or not the poller is initialised. TestSoakUnderEnvoy133 fails
// when a Go release changes any of this.
const (
	gcMinHeap    = 4 << 20
	gcCheckEvery = 32
)

var gcState struct {
	started   bool
	calls     int
	baseAlloc uint64 // cumulative allocated bytes at the last collection
	live      uint64 // heap that survived the last collection
	samples   [2]metrics.Sample
	// Collections counts the collections the binding started.
	Collections uint64
}

func gcSetup() {
	if gcState.started {
		return
	}
	gcState.started = true
	debug.SetGCPercent(-1)
	gcState.samples[0].Name = "/gc/heap/allocs:bytes"
	gcState.samples[1].Name = "/gc/heap/live:bytes"
	metrics.Read(gcState.samples[:])
	gcState.baseAlloc = gcState.samples[0].Value.Uint64()
}

// gcMaybe runs a collection when the heap has grown enough.
func gcMaybe() {
	gcState.calls++
	if gcState.calls%gcCheckEvery != 0 {
		return
	}
	collectIfGrown()
}

// Checkpoint collects garbage in the middle of a long callback (compiling
// a large configuration) when the heap has grown enough; the caller must
// not be inside the allocator.
func Checkpoint() { collectIfGrown() }

func collectIfGrown() {
	gcSetup()
	metrics.Read(gcState.samples[:1])
	allocated := gcState.samples[0].Value.Uint64() - gcState.baseAlloc
	if allocated < max(gcState.live, gcMinHeap) {
		return
	}
	netpollInited.Store(0)
	// FreeOSMemory is a collection followed by releasing every free page
	// at once: until the next collection's sweep there is then nothing for
	// the scavenger to release, so if its timer wakes it during that
	// collection's mark phase it parks without arming a new timer. Gosched
	// lets it run (and park) now rather than inside the next collection.
	debug.FreeOSMemory()
	runtime.Gosched()
	netpollInited.Store(0)
	gcState.Collections++
	metrics.Read(gcState.samples[:])
	gcState.baseAlloc = gcState.samples[0].Value.Uint64()
	gcState.live = gcState.samples[1].Value.Uint64()
}

//go:linkname netpollInited runtime.netpollInited
var netpollInited atomic.Uint32
