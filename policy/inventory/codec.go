package inventory

import (
	"encoding/binary"
	"math"
	"math/bits"
	"sort"
)

// Shared-data value formats. Both start with a kind byte and a version,
// then (shadow only) two counters, then entries, each framed by its
// length (uvarint), so an entry that does not decode is dropped and
// counted on its own and the others survive. A value of another kind or
// version is foreign: it counts as one dropped entry and is replaced on
// the next flush.
const (
	opsKind     = 'o'
	shadowKind  = 's'
	codecVer    = 2
	maxIDLen    = 256
	maxTplLen   = MaxTemplateSegments*(maxLiteralSegment+1) + 8
	maxMethodLn = 32
)

// opEntry is one operation's counters in shared data.
type opEntry struct {
	id      string
	classes [numClasses]uint64
}

// shadowEntry is one shadow endpoint in shared data.
type shadowEntry struct {
	method, template string
	hits             uint64
	classes          [numClasses]uint64
	first, last      int64 // unix seconds
	sketch           uint64
}

// shadowTable is the shared shadow endpoint table.
type shadowTable struct {
	// evictedEndpoints and evictedHits count what eviction removed, and
	// hits of new endpoints a VM could not track (its local bound).
	evictedEndpoints, evictedHits uint64
	entries                       []shadowEntry
}

// Examples estimates how many distinct paths a shadow endpoint has seen
// from its 64-bit sketch (linear counting: each path sets one bit chosen
// by its hash). It is exact for a few paths and saturates near 250.
func (e *shadowEntry) Examples() uint64 {
	set := bits.OnesCount64(e.sketch)
	if set == 0 {
		return 0
	}
	if set == 64 {
		set = 63 // saturated: report the estimate of 63 bits
	}
	return uint64(math.Round(-64 * math.Log(float64(64-set)/64)))
}

func appendOps(dst []byte, t []opEntry) []byte {
	dst = append(dst, opsKind, codecVer)
	var body []byte
	for _, e := range t {
		if len(e.id) > maxIDLen {
			continue // never write what the decoder refuses
		}
		body = binary.AppendUvarint(body[:0], uint64(len(e.id)))
		body = append(body, e.id...)
		for _, c := range e.classes {
			body = binary.AppendUvarint(body, c)
		}
		dst = appendFrame(dst, body)
	}
	return dst
}

// appendFrame appends one length-framed entry.
func appendFrame(dst, body []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(body)))
	return append(dst, body...)
}

// frames walks the framed entries of b, calling entry on each body; it
// returns how many entries were dropped: those entry refuses, and the
// rest of the value once a frame length is impossible (counted as one).
func frames(b []byte, max int, entry func(body []byte) bool) (dropped int) {
	for n := 0; len(b) > 0; n++ {
		l, m := binary.Uvarint(b)
		if m <= 0 || l > uint64(len(b)-m) || n >= max {
			return dropped + 1
		}
		if !entry(b[m : m+int(l)]) {
			dropped++
		}
		b = b[m+int(l):]
	}
	return dropped
}

// decoder reads the formats defensively: any problem makes ok false.
type decoder struct {
	b  []byte
	ok bool
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.ok = false
		d.b = nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

// varint is uvarint with binary.Varint's zig-zag sign encoding.
func (d *decoder) varint() int64 {
	u := d.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

func (d *decoder) str(max int) string {
	n := d.uvarint()
	if !d.ok || n > uint64(max) || n > uint64(len(d.b)) {
		d.ok = false
		d.b = nil
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) u64() uint64 {
	if len(d.b) < 8 {
		d.ok = false
		d.b = nil
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *decoder) header(kind byte) {
	if len(d.b) < 2 || d.b[0] != kind || d.b[1] != codecVer {
		d.ok = false
		d.b = nil
		return
	}
	d.b = d.b[2:]
}

// decodeOps decodes an ops value entry by entry; a missing value is an
// empty table. dropped counts the entries that did not decode (a foreign
// value counts as one): they are left out, the others kept.
func decodeOps(b []byte) (t []opEntry, dropped int) {
	if b == nil {
		return nil, 0
	}
	d := decoder{b: b, ok: true}
	d.header(opsKind)
	if !d.ok {
		return nil, 1
	}
	seen := map[string]int{}
	dropped = frames(d.b, MaxOps, func(body []byte) bool {
		e := decoder{b: body, ok: true}
		var op opEntry
		op.id = e.str(maxIDLen)
		for c := range op.classes {
			op.classes[c] = e.uvarint()
		}
		if !e.ok || len(e.b) != 0 || op.id == "" {
			return false
		}
		if at, dup := seen[op.id]; dup {
			// Another writer's copy of the same id: one entry, summed.
			for c := range op.classes {
				t[at].classes[c] += op.classes[c]
			}
			return true
		}
		seen[op.id] = len(t)
		t = append(t, op)
		return true
	})
	return t, dropped
}

// mergeOps adds per-VM deltas (indexed like ids) to the shared table,
// keeping it sorted by id and bounded by MaxOps (ids that the current
// configuration does not know are dropped first).
func mergeOps(t []opEntry, ids []string, idIndex map[string]int, deltas [][numClasses]uint64) []opEntry {
	pos := make(map[string]int, len(t))
	for i, e := range t {
		pos[e.id] = i
	}
	for i, d := range deltas {
		if d == ([numClasses]uint64{}) {
			continue
		}
		j, ok := pos[ids[i]]
		if !ok {
			j = len(t)
			pos[ids[i]] = j
			t = append(t, opEntry{id: ids[i]})
		}
		for c := range d {
			t[j].classes[c] += d[c]
		}
	}
	if len(t) > MaxOps {
		kept := t[:0]
		extra := len(t) - MaxOps
		for _, e := range t {
			if _, known := idIndex[e.id]; !known && extra > 0 {
				extra--
				continue
			}
			kept = append(kept, e)
		}
		t = kept
		if len(t) > MaxOps {
			t = t[:MaxOps]
		}
	}
	sort.Slice(t, func(i, j int) bool { return t[i].id < t[j].id })
	return t
}

func appendShadow(dst []byte, t shadowTable) []byte {
	dst = append(dst, shadowKind, codecVer)
	dst = binary.AppendUvarint(dst, t.evictedEndpoints)
	dst = binary.AppendUvarint(dst, t.evictedHits)
	var body []byte
	for _, e := range t.entries {
		if len(e.method) > maxMethodLn || len(e.template) > maxTplLen {
			continue // never write what the decoder refuses
		}
		body = binary.AppendUvarint(body[:0], uint64(len(e.method)))
		body = append(body, e.method...)
		body = binary.AppendUvarint(body, uint64(len(e.template)))
		body = append(body, e.template...)
		body = binary.AppendUvarint(body, e.hits)
		for _, c := range e.classes {
			body = binary.AppendUvarint(body, c)
		}
		body = binary.AppendVarint(body, e.first)
		body = binary.AppendVarint(body, e.last)
		body = binary.LittleEndian.AppendUint64(body, e.sketch)
		dst = appendFrame(dst, body)
	}
	return dst
}

// decodeShadow is decodeOps for the shadow table.
func decodeShadow(b []byte) (t shadowTable, dropped int) {
	if b == nil {
		return t, 0
	}
	d := decoder{b: b, ok: true}
	d.header(shadowKind)
	t.evictedEndpoints = d.uvarint()
	t.evictedHits = d.uvarint()
	if !d.ok {
		return shadowTable{}, 1
	}
	seen := map[string]int{}
	dropped = frames(d.b, MaxMaxShadow, func(body []byte) bool {
		x := decoder{b: body, ok: true}
		var e shadowEntry
		e.method = x.str(maxMethodLn)
		e.template = x.str(maxTplLen)
		e.hits = x.uvarint()
		for c := range e.classes {
			e.classes[c] = x.uvarint()
		}
		e.first = x.varint()
		e.last = x.varint()
		e.sketch = x.u64()
		if !x.ok || len(x.b) != 0 || e.method == "" || e.template == "" || e.template[0] != '/' {
			return false
		}
		k := e.method + " " + e.template
		if at, dup := seen[k]; dup {
			t.entries[at].add(&e)
			return true
		}
		seen[k] = len(t.entries)
		t.entries = append(t.entries, e)
		return true
	})
	return t, dropped
}

// merge adds deltas and dropped hits, then evicts down to max entries:
// fewest hits first, then least recently seen, then by method and
// template. It keeps the table sorted by method and template and returns
// how many entries it evicted.
func (t *shadowTable) merge(deltas []shadowEntry, dropped uint64, max int) int {
	pos := make(map[string]int, len(t.entries)+len(deltas))
	for i := range t.entries {
		pos[t.entries[i].method+" "+t.entries[i].template] = i
	}
	for _, d := range deltas {
		k := d.method + " " + d.template
		j, ok := pos[k]
		if !ok {
			pos[k] = len(t.entries)
			t.entries = append(t.entries, d)
			continue
		}
		t.entries[j].add(&d)
	}
	t.evictedHits += dropped
	evicted := 0
	if len(t.entries) > max {
		sort.Slice(t.entries, func(i, j int) bool {
			a, b := &t.entries[i], &t.entries[j]
			if a.hits != b.hits {
				return a.hits > b.hits
			}
			if a.last != b.last {
				return a.last > b.last
			}
			return less(a, b)
		})
		for _, e := range t.entries[max:] {
			t.evictedEndpoints++
			t.evictedHits += e.hits
			evicted++
		}
		t.entries = t.entries[:max]
	}
	sort.Slice(t.entries, func(i, j int) bool { return less(&t.entries[i], &t.entries[j]) })
	return evicted
}

// add merges d's counts into e.
func (e *shadowEntry) add(d *shadowEntry) {
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

func less(a, b *shadowEntry) bool {
	if a.template != b.template {
		return a.template < b.template
	}
	return a.method < b.method
}
