package abi

// arena serves proxy_on_memory_allocate from memory the binding already
// owns. Envoy 1.33-1.38 allow only proxy_log, fd_write and clock_time_get
// inside the allocator; a Go heap allocation there can start a garbage
// collection that reaches poll_oneoff or sched_yield and traps the VM
// (cpp-host issue #497). So the allocator bumps a pointer in a slab, and the
// slab grows only at callback entry (reserve) or after the callback
// (release), outside the allocator.
//
// Memory handed out stays valid, and reachable from Go, until the outermost
// exported callback returns; release then rewinds the slab.
type arena struct {
	slab     []byte
	off      int
	overflow [][]byte // heap fallbacks, kept reachable until release
	want     int      // slab size to grow to at the next release
	// Fallbacks counts allocations the slab could not serve (each one is a
	// heap allocation inside the allocator). Exposed for tests and metrics.
	Fallbacks uint64
}

const (
	arenaMinSlab = 64 << 10
	// arenaMaxKeep bounds what an idle VM keeps: a slab grown for one huge
	// body is dropped at release instead of pinning memory forever.
	arenaMaxKeep = 4 << 20
	arenaAlign   = 8
)

func newArena() *arena { return &arena{slab: make([]byte, arenaMinSlab)} }

// alloc returns n bytes of owned memory, or nil when n is 0.
func (a *arena) alloc(n int) []byte {
	if n <= 0 {
		return nil
	}
	start := (a.off + arenaAlign - 1) &^ (arenaAlign - 1)
	if start+n <= len(a.slab) {
		a.off = start + n
		return a.slab[start : start+n : start+n]
	}
	// Out of slab: the rare path. Remember the size so the next release
	// grows the slab, and serve this one from the heap.
	a.Fallbacks++
	if need := a.off + n + arenaMinSlab; need > a.want {
		a.want = need
	}
	b := make([]byte, n)
	a.overflow = append(a.overflow, b)
	return b
}

// reserve makes room for at least n more bytes before a callback issues the
// host calls that will need them (a body of known size, say).
func (a *arena) reserve(n int) {
	if a.off+n+arenaAlign <= len(a.slab) {
		return
	}
	if a.off == 0 {
		a.slab = make([]byte, roundSlab(n+arenaAlign))
		return
	}
	// Memory already handed out must stay valid: keep the old slab alive
	// through overflow and continue in a fresh one.
	a.overflow = append(a.overflow, a.slab[:a.off])
	a.slab = make([]byte, roundSlab(n+arenaAlign))
	a.off = 0
}

// reserveExact is reserve for one allocation of n bytes the callback will
// take over (own): the slab is sized to it, not rounded up.
func (a *arena) reserveExact(n int) {
	if a.off != 0 || n < arenaMinSlab {
		a.reserve(n)
		return
	}
	a.slab = make([]byte, n+arenaAlign)
}

// own hands b over to the caller when b is the slab's only allocation (the
// plugin configuration, read first in its callback into a slab reserved
// for it), and continues in a fresh slab: the caller keeps b beyond the
// callback without a copy (13 MB, for a large OpenAPI document, of a
// configure's peak). It returns nil when b is anything else.
func (a *arena) own(b []byte) []byte {
	if len(b) == 0 || len(a.slab) == 0 || addrOf(b) != addrOf(a.slab) || a.off != len(b) {
		return nil
	}
	a.slab, a.off = make([]byte, arenaMinSlab), 0
	return b
}

// release rewinds the arena once the outermost callback has returned.
func (a *arena) release() {
	a.off = 0
	for i := range a.overflow {
		a.overflow[i] = nil
	}
	a.overflow = a.overflow[:0]
	switch {
	case a.want > len(a.slab):
		a.slab = make([]byte, roundSlab(a.want))
	case len(a.slab) > arenaMaxKeep:
		a.slab = make([]byte, arenaMinSlab)
	}
	a.want = 0
}

func roundSlab(n int) int {
	size := arenaMinSlab
	for size < n {
		size *= 2
	}
	return size
}

// lookup maps an address the host wrote into a result slot back onto the
// owned memory it was allocated from, so no integer is ever turned back into
// a pointer. Unknown addresses yield nil.
func (a *arena) lookup(addr uintptr, n int) []byte {
	if n <= 0 {
		return nil
	}
	if b := within(a.slab, addr, n); b != nil {
		return b
	}
	for _, o := range a.overflow {
		if b := within(o, addr, n); b != nil {
			return b
		}
	}
	return nil
}

func within(buf []byte, addr uintptr, n int) []byte {
	if len(buf) == 0 {
		return nil
	}
	base := addrOf(buf)
	if addr < base || addr+uintptr(n) > base+uintptr(len(buf)) {
		return nil
	}
	off := int(addr - base)
	return buf[off : off+n : off+n]
}
