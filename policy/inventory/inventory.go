package inventory

import (
	"github.com/apiwarden/apiwarden/policy/kernel"

	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apiwarden/apiwarden/policy/session"
)

// Defaults and bounds of Config.
const (
	DefaultMaxShadow = 500
	MaxMaxShadow     = 10000
	// MaxOps bounds the operations kept in the shared counters (ids of the
	// current configuration first, then ids left by an older one).
	MaxOps = 8192
	// casRetries is how often Flush retries a compare-and-swap per key.
	casRetries = 8
)

// Status classes: index 0 counts what has no HTTP status class (a stream
// that ended without a response, or a status outside 100-599), 1..5 the
// 1xx..5xx responses.
const numClasses = 6

// Classes are the status classes by index, as AppendJSON names them.
var Classes = [numClasses]string{"other", "1xx", "2xx", "3xx", "4xx", "5xx"}

// ClassOf returns the index of an HTTP status in the status classes.
func ClassOf(status int) int {
	if status >= 100 && status <= 599 {
		return status / 100
	}
	return 0
}

// Config configures an Inventory.
type Config struct {
	// Prefix starts every shared-data key ("apiwarden/"): the keys are
	// Prefix+"inv/ops" and Prefix+"inv/shadow".
	Prefix string
	// Ops lists the known operation ids in endpoint order: the op index
	// given to Count is an index into it.
	Ops []string
	// MaxShadow bounds the shadow endpoints kept in shared data, and the
	// distinct ones a VM tracks between two flushes (DefaultMaxShadow when
	// 0, at most MaxMaxShadow).
	MaxShadow int
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Inventory counts the requests of one VM per known operation and per
// shadow endpoint, and merges them into shared data on Flush, so that all
// VMs aggregate. It is safe for concurrent use.
type Inventory struct {
	store session.Store
	// droppedEntries counts shared-data entries that did not decode.
	droppedEntries *atomic.Uint64
	opsKey         string
	shadowKey      string
	ids            []string
	idIndex        map[string]int
	max            int
	now            func() time.Time

	mu      sync.Mutex
	ops     [][numClasses]uint64 // per-VM deltas since the last flush
	shadow  map[string]*shadowLocal
	dropped uint64 // hits of new shadow endpoints beyond max since the last flush
	idle    int    // local entries without activity since the last flush
	buf     []byte
}

// shadowLocal is one shadow endpoint's deltas in this VM.
type shadowLocal struct {
	key      string // method + " " + template
	method   string
	template string
	hits     uint64
	classes  [numClasses]uint64
	first    int64 // unix seconds of the first hit since the last flush
	last     int64
	sketch   uint64
	active   bool // counted something since the last flush
}

// New returns an Inventory that flushes into store.
func New(store session.Store, cfg Config) *Inventory {
	max := cfg.MaxShadow
	if max <= 0 {
		max = DefaultMaxShadow
	}
	if max > MaxMaxShadow {
		max = MaxMaxShadow
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	inv := &Inventory{
		store:     store,
		opsKey:    cfg.Prefix + "inv/ops",
		shadowKey: cfg.Prefix + "inv/shadow",
		ids:       append([]string(nil), cfg.Ops...),
		idIndex:   make(map[string]int, len(cfg.Ops)),
		max:       max,
		now:       now,
		ops:       make([][numClasses]uint64, len(cfg.Ops)),
		shadow:    make(map[string]*shadowLocal),
	}
	inv.droppedEntries = new(atomic.Uint64)
	for i, id := range cfg.Ops {
		inv.idIndex[id] = i
	}
	return inv
}

// Count records one response (or local reply) of the known operation op
// (an index into Config.Ops) with its HTTP status; status 0 counts a
// stream that ended without one. Unknown indexes are ignored.
func (inv *Inventory) Count(op int, status int) {
	if op < 0 || op >= len(inv.ops) {
		return
	}
	c := ClassOf(status)
	inv.mu.Lock()
	inv.ops[op][c]++
	inv.mu.Unlock()
}

// Learn derives the template of a request that matched no operation
// (method upper-case, path normalised, without query), counts a hit for
// that shadow endpoint and returns the template. Only the template is
// kept, never the path. A repeated template costs no allocation.
func (inv *Inventory) Learn(method, path string) string {
	return inv.LearnAt(method, path, inv.now().Unix())
}

// LearnAt is Learn at now (Unix seconds): the caller's clock reading, so
// one request reads the clock once (in wasm every reading is two host
// calls).
func (inv *Inventory) LearnAt(method, path string, now int64) string {
	method = Method(method)
	inv.mu.Lock()
	defer inv.mu.Unlock()
	e := inv.entry(method, path, true)
	if e == nil {
		inv.dropped++
		// Beyond the per-flush bound: the template is still derived for
		// the caller (log lines), but not kept.
		return string(inv.buf[len(method)+1:])
	}
	e.hits++
	if e.first == 0 || now < e.first {
		e.first = now
	}
	if now > e.last {
		e.last = now
	}
	e.sketch |= 1 << (fnv64(path) & 63)
	return e.template
}

// CountShadow records the response status of a shadow endpoint (method
// and the template Learn returned).
func (inv *Inventory) CountShadow(method, template string, status int) {
	method = Method(method)
	inv.mu.Lock()
	defer inv.mu.Unlock()
	e := inv.entry(method, template, false)
	if e != nil {
		e.classes[ClassOf(status)]++
	}
}

// entry finds or adds the local entry of method and a path (derive=true)
// or a template (derive=false), leaving method+" "+template in inv.buf. It
// returns nil when the local table is full.
func (inv *Inventory) entry(method, path string, derive bool) *shadowLocal {
	b := append(inv.buf[:0], method...)
	b = append(b, ' ')
	if derive {
		b = AppendTemplate(b, path)
	} else {
		b = append(b, path...)
	}
	inv.buf = b
	if e, ok := inv.shadow[string(b)]; ok {
		if !e.active {
			e.active = true
			inv.idle--
		}
		return e
	}
	if len(inv.shadow) >= inv.max {
		if inv.idle == 0 {
			return nil
		}
		// Make room: forget an entry idle since the last flush (its
		// counts are in shared data already).
		for k, e := range inv.shadow {
			if !e.active {
				delete(inv.shadow, k)
				inv.idle--
				break
			}
		}
	}
	key := string(b)
	e := &shadowLocal{key: key, method: key[:len(method)], template: key[len(method)+1:], active: true}
	inv.shadow[key] = e
	return e
}

// FlushStats describes one Flush.
type FlushStats struct {
	// Written counts the keys written, Contended the keys whose
	// compare-and-swap kept failing (their counts wait for the next
	// flush), Corrupt the keys rewritten without entries that did not
	// decode, Dropped those entries (a foreign value counts as one).
	Written, Contended, Corrupt, Dropped int
	// Evicted counts the shadow endpoints this flush evicted.
	Evicted int
}

// ErrContention is returned by Flush when a key kept changing under it;
// the counts stay in the VM for the next Flush.
var ErrContention = errors.New("inventory: shared data contention: compare-and-swap retries exhausted")

// Flush merges this VM's counts into shared data with compare-and-swap
// (up to 8 attempts per key) and resets them. Call it from a tick.
func (inv *Inventory) Flush() (FlushStats, error) {
	inv.mu.Lock()
	ops := inv.ops
	inv.ops = make([][numClasses]uint64, len(inv.ids))
	deltas := inv.takeShadow()
	dropped := inv.dropped
	inv.dropped = 0
	inv.mu.Unlock()

	var stats FlushStats
	var firstErr error
	if hasCounts(ops) {
		ok, err := inv.casLoop(inv.opsKey, &stats, func(old []byte) ([]byte, int) {
			t, dropped := decodeOps(old)
			t = mergeOps(t, inv.ids, inv.idIndex, ops)
			return appendOps(nil, t), dropped
		})
		if err != nil {
			firstErr = err
		}
		if !ok {
			inv.mu.Lock()
			for i := range ops {
				for c := range ops[i] {
					inv.ops[i][c] += ops[i][c]
				}
			}
			inv.mu.Unlock()
		}
	}
	if len(deltas) > 0 || dropped > 0 {
		evicted := 0
		ok, err := inv.casLoop(inv.shadowKey, &stats, func(old []byte) ([]byte, int) {
			t, bad := decodeShadow(old)
			evicted = t.merge(deltas, dropped, inv.max)
			return appendShadow(nil, t), bad
		})
		if err != nil && firstErr == nil {
			firstErr = err
		}
		if ok {
			stats.Evicted = evicted
		} else {
			inv.mu.Lock()
			inv.restoreShadow(deltas)
			inv.dropped += dropped
			inv.mu.Unlock()
		}
	}
	return stats, firstErr
}

// casLoop reads key, lets update build the new value from the old one
// (reporting how many of its entries did not decode) and writes it back
// with compare-and-swap, retrying on a mismatch.
func (inv *Inventory) casLoop(key string, stats *FlushStats, update func(old []byte) ([]byte, int)) (bool, error) {
	var dropped int
	err := kernel.Update(inv.store, key, casRetries, func(old []byte, _ bool) ([]byte, bool, error) {
		var val []byte
		val, dropped = update(old)
		return val, true, nil
	})
	switch {
	case err == nil:
		stats.Written++
		if dropped > 0 {
			stats.Corrupt++
			stats.Dropped += dropped
			inv.droppedEntries.Add(uint64(dropped))
		}
		return true, nil
	case errors.Is(err, kernel.ErrContention):
		stats.Contended++
		return false, ErrContention
	}
	return false, fmt.Errorf("inventory: %w", err)
}

func hasCounts(ops [][numClasses]uint64) bool {
	for i := range ops {
		for _, c := range ops[i] {
			if c != 0 {
				return true
			}
		}
	}
	return false
}

// takeShadow returns the local shadow deltas and resets them. Entries
// without activity since the previous flush are dropped from the local
// table; the others stay (zeroed), so their templates are reused.
func (inv *Inventory) takeShadow() []shadowEntry {
	var out []shadowEntry
	for k, e := range inv.shadow {
		if !e.active {
			delete(inv.shadow, k)
			continue
		}
		if e.hits != 0 || e.classes != ([numClasses]uint64{}) {
			out = append(out, shadowEntry{method: e.method, template: e.template, hits: e.hits,
				classes: e.classes, first: e.first, last: e.last, sketch: e.sketch})
		}
		e.hits, e.classes, e.first, e.last, e.sketch = 0, [numClasses]uint64{}, 0, 0, 0
		e.active = false
	}
	inv.idle = len(inv.shadow)
	return out
}

func (inv *Inventory) restoreShadow(deltas []shadowEntry) {
	for _, d := range deltas {
		e := inv.entry(d.method, d.template, false)
		if e == nil {
			inv.dropped += d.hits
			continue
		}
		e.add(d)
	}
}

func (e *shadowLocal) add(d shadowEntry) {
	e.hits += d.hits
	for c := range e.classes {
		e.classes[c] += d.classes[c]
	}
	if e.first == 0 || d.first != 0 && d.first < e.first {
		e.first = d.first
	}
	if d.last > e.last {
		e.last = d.last
	}
	e.sketch |= d.sketch
}

// fnv64 is FNV-1a: the same on every VM, so distinct-path sketches of
// several VMs can be merged.
func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// Method is a request method as the inventory (and events) record it: a
// method longer than 32 bytes or that is not an HTTP token becomes
// LongMethod, so attacker-chosen bytes are bounded before they are stored.
func Method(m string) string {
	if len(m) > maxMethodLn || m == "" {
		return LongMethod
	}
	for i := 0; i < len(m); i++ {
		if !isTokenChar(m[i]) {
			return LongMethod
		}
	}
	return m
}

// LongMethod stands for a method Method does not keep.
const LongMethod = "_LONG"

// isTokenChar reports an RFC 9110 tchar.
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return c != 0 && strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// DroppedEntries counts the shared-data entries this VM's flushes dropped
// because they did not decode.
func (inv *Inventory) DroppedEntries() uint64 { return inv.droppedEntries.Load() }
