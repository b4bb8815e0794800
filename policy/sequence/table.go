package sequence

import (
	"encoding/binary"
	"sort"

	"github.com/apiwarden/apiwarden/policy/session"
)

// Counter kinds in the shared count table.
const (
	kindGram uint8 = 0 // an n-gram of operations, n = 1..MaxLength
	kindPrec uint8 = 1 // precedence: ops = [A, B, window index], n = 3
)

// ckey identifies one counter: an n-gram (ops[:n]) or a precedence triple.
type ckey struct {
	kind, n uint8
	ops     [MaxLength]uint16
}

type centry struct {
	key   ckey
	count uint64
}

const shardVersion = 2

// maxShardEntries bounds what a decoded shard may hold.
const maxShardEntries = 1 << 20

// appendShard encodes a count table shard:
//
//	version byte (2), then per entry: uvarint length, then
//	kind byte, n byte, n x uvarint op, uvarint count
//
// Entries are framed by their length so a bad one is dropped alone.
func appendShard(b []byte, entries []centry) []byte {
	b = append(b, shardVersion)
	var body []byte
	for _, e := range entries {
		body = append(body[:0], e.key.kind, e.key.n)
		for _, op := range e.key.ops[:e.key.n] {
			body = binary.AppendUvarint(body, uint64(op))
		}
		body = binary.AppendUvarint(body, e.count)
		b = binary.AppendUvarint(b, uint64(len(body)))
		b = append(b, body...)
	}
	return b
}

// decodeShard decodes a shard entry by entry; any input yields entries,
// never a panic. An entry that does not decode is dropped and counted, the
// others kept; once a frame length is impossible the rest counts as one
// dropped entry, and a value of another version as one. Duplicate keys are
// summed.
func decodeShard(b []byte, dst []centry) ([]centry, int) {
	dst = dst[:0]
	if len(b) < 1 || b[0] != shardVersion {
		return dst, 1
	}
	b = b[1:]
	dropped := 0
	var seen map[ckey]int
	for len(b) > 0 {
		l, m := binary.Uvarint(b)
		if m <= 0 || l > uint64(len(b)-m) || len(dst) >= maxShardEntries {
			return dst, dropped + 1
		}
		k, c, ok := decodeEntry(b[m : m+int(l)])
		b = b[m+int(l):]
		if !ok {
			dropped++
			continue
		}
		if seen == nil {
			seen = make(map[ckey]int)
		}
		if at, dup := seen[k]; dup {
			dst[at].count += c
			continue
		}
		seen[k] = len(dst)
		dst = append(dst, centry{key: k, count: c})
	}
	return dst, dropped
}

func decodeEntry(b []byte) (k ckey, count uint64, ok bool) {
	if len(b) < 2 {
		return k, 0, false
	}
	k.kind, k.n = b[0], b[1]
	b = b[2:]
	if k.kind > kindPrec || k.n < 1 || k.n > MaxLength || (k.kind == kindPrec && k.n != 3) {
		return k, 0, false
	}
	for j := 0; j < int(k.n); j++ {
		v, m := binary.Uvarint(b)
		if m <= 0 || v > session.MaxOp {
			return k, 0, false
		}
		k.ops[j] = uint16(v)
		b = b[m:]
	}
	if k.kind == kindPrec && int(k.ops[2]) >= len(precWindows) {
		return k, 0, false
	}
	c, m := binary.Uvarint(b)
	if m <= 0 || c == 0 || c > 1<<62 || m != len(b) {
		return k, 0, false
	}
	return k, c, true
}

// mergeSpaceSaving adds deltas to a table of at most capacity entries with
// the space-saving algorithm: a delta for a counted key is added; a new key
// takes a free slot, or else replaces the entry with the smallest count and
// starts at that count plus its delta (so a count can be overestimated by
// at most the count it replaced, and the heavy hitters are always kept).
// deltas must be sorted deterministically; the result is sorted by key.
func mergeSpaceSaving(table []centry, deltas []centry, capacity int) []centry {
	pos := make(map[ckey]int, len(table)+len(deltas))
	for i, e := range table {
		pos[e.key] = i
	}
	var fresh []centry
	for _, d := range deltas {
		if i, ok := pos[d.key]; ok {
			table[i].count += d.count
		} else {
			fresh = append(fresh, d)
		}
	}
	for len(fresh) > 0 && len(table) < capacity {
		pos[fresh[0].key] = len(table)
		table = append(table, fresh[0])
		fresh = fresh[1:]
	}
	if len(fresh) > 0 && len(table) > 0 {
		h := minHeap(table)
		h.init()
		for _, d := range fresh {
			min := h[0].count
			h[0] = centry{key: d.key, count: min + d.count}
			h.down(0)
		}
	}
	if len(table) > capacity {
		// A table written with a larger capacity: keep the largest.
		sort.Slice(table, func(i, j int) bool { return table[i].count > table[j].count })
		table = table[:capacity]
	}
	sort.Slice(table, func(i, j int) bool { return keyLess(table[i].key, table[j].key) })
	return table
}

func keyLess(a, b ckey) bool {
	if a.kind != b.kind {
		return a.kind < b.kind
	}
	if a.n != b.n {
		return a.n < b.n
	}
	for i := range a.ops {
		if a.ops[i] != b.ops[i] {
			return a.ops[i] < b.ops[i]
		}
	}
	return false
}

// sortDeltas orders deltas by count (largest first), then key.
func sortDeltas(d []centry) {
	sort.Slice(d, func(i, j int) bool {
		if d[i].count != d[j].count {
			return d[i].count > d[j].count
		}
		return keyLess(d[i].key, d[j].key)
	})
}

type minHeap []centry

func (h minHeap) less(i, j int) bool {
	if h[i].count != h[j].count {
		return h[i].count < h[j].count
	}
	return keyLess(h[i].key, h[j].key)
}

func (h minHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

func (h minHeap) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

func shardOf(k ckey, shards int) int {
	h := uint32(2166136261)
	mix := func(b byte) { h ^= uint32(b); h *= 16777619 }
	mix(k.kind)
	mix(k.n)
	for _, op := range k.ops[:k.n] {
		mix(byte(op))
		mix(byte(op >> 8))
	}
	return int(h % uint32(shards))
}
