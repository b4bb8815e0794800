package abuse

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"github.com/apiwarden/apiwarden/policy/session"
)

// ErrContention is returned when every compare-and-swap attempt of one
// update lost against other writers: the caller applies failure_mode.
var ErrContention = errors.New("abuse: shared data contention: compare-and-swap retries exhausted")

// tableVersion is the first byte of every bucket value.
const tableVersion = 1

// MaxPayload bounds one record's payload (the largest, a distinct-count
// sketch, is 1+4*32 = 129 bytes; a captured-id list 2+4*max_ids).
const MaxPayload = 2 + 4*MaxCaptureIDs

// table is a bounded associative table in shared data: `buckets` keys
// "<prefix><i>", each holding up to `ways` records
//
//	byte version (1), byte count,
//	count x { id uint64 LE, expires int64 LE (Unix ns), uvarint len, payload }
//
// A record whose expires is <= now is dead: it reads as absent, is dropped
// on the next write of its bucket, and is swept by Sweep. When a write
// finds its bucket full of live records, the one that expires first is
// evicted (it has the least life left; for a GCRA record, the key closest
// to a full budget). Shared data has no delete, so the number of keys is
// fixed (buckets) and each value is bounded (ways records of bounded
// payload): the footprint plateaus whatever the number of ids ever seen.
type table struct {
	prefix  string
	buckets int
	ways    int
	retries int
}

func newTable(prefix string, maxKeys, ways, retries int) table {
	if ways < 1 {
		ways = 1
	}
	if maxKeys < ways {
		maxKeys = ways
	}
	return table{prefix: prefix, buckets: (maxKeys + ways - 1) / ways, ways: ways, retries: retries}
}

func (t *table) key(i int) string { return t.prefix + strconv.Itoa(i) }

type record struct {
	id      uint64
	expires int64
	payload []byte
}

// bucket is scratch for one read-modify-write.
type bucket struct {
	recs  []record
	buf   []byte
	cas   uint32
	found bool
}

// decode reads a bucket value; it returns how many records did not decode
// (a damaged or foreign value costs only what cannot be framed).
func (b *bucket) decode(v []byte, ways int) (dropped int) {
	b.recs = b.recs[:0]
	if len(v) < 2 || v[0] != tableVersion {
		if len(v) > 0 {
			return 1
		}
		return 0
	}
	n := int(v[1])
	v = v[2:]
	for i := 0; i < n; i++ {
		if len(v) < 16 {
			return dropped + 1
		}
		id := binary.LittleEndian.Uint64(v)
		exp := int64(binary.LittleEndian.Uint64(v[8:]))
		l, m := binary.Uvarint(v[16:])
		if m <= 0 || l > MaxPayload || l > uint64(len(v)-16-m) {
			return dropped + 1
		}
		p := v[16+m : 16+m+int(l)]
		v = v[16+m+int(l):]
		if len(b.recs) == ways || b.index(id) >= 0 {
			dropped++
			continue
		}
		b.recs = append(b.recs, record{id: id, expires: exp, payload: p})
	}
	if len(v) != 0 {
		dropped++
	}
	return dropped
}

func (b *bucket) index(id uint64) int {
	for i := range b.recs {
		if b.recs[i].id == id {
			return i
		}
	}
	return -1
}

// encode writes the bucket with rec (the updated record, placed first)
// and the live neighbours; it reports whether a live neighbour had to be
// evicted.
func (b *bucket) encode(rec record, now int64, ways int) (evicted bool) {
	out := append(b.buf[:0], tableVersion, 0)
	out = appendRecord(out, rec)
	n := 1
	// Live neighbours; if more than ways-1, drop those expiring first.
	live := 0
	for i := range b.recs {
		if b.recs[i].id != rec.id && b.recs[i].expires > now {
			live++
		}
	}
	skip := live - (ways - 1)
	for skip > 0 {
		min := -1
		for i := range b.recs {
			r := &b.recs[i]
			if r.id == rec.id || r.expires <= now {
				continue
			}
			if min < 0 || r.expires < b.recs[min].expires {
				min = i
			}
		}
		b.recs[min].expires = now // mark dead
		evicted = true
		skip--
	}
	for i := range b.recs {
		r := b.recs[i]
		if r.id == rec.id || r.expires <= now {
			continue
		}
		out = appendRecord(out, r)
		n++
	}
	out[1] = byte(n)
	b.buf = out
	return evicted
}

func appendRecord(b []byte, r record) []byte {
	b = binary.LittleEndian.AppendUint64(b, r.id)
	b = binary.LittleEndian.AppendUint64(b, uint64(r.expires))
	b = binary.AppendUvarint(b, uint64(len(r.payload)))
	return append(b, r.payload...)
}

// read loads the bucket of id and returns its live record (ok=false when
// absent or expired). The payload aliases scratch: valid until the next use
// of b.
func (t *table) read(st session.Store, id uint64, now int64, b *bucket) (record, bool, error) {
	v, cas, found, err := st.Get(t.key(int(id % uint64(t.buckets))))
	if err != nil {
		return record{}, false, fmt.Errorf("abuse: read shared data: %w", err)
	}
	b.cas, b.found = cas, found
	b.decode(v, t.ways)
	if i := b.index(id); i >= 0 && b.recs[i].expires > now {
		return b.recs[i], true, nil
	}
	return record{}, false, nil
}

// updater computes the new record from the current one (ok=false when
// absent or expired). It returns write=false to leave the bucket as is. It
// is called once per compare-and-swap attempt, so it must recompute
// everything it reports from cur (no accumulation across calls), and the
// payload it returns must not alias the bucket's scratch.
type updater interface {
	apply(cur record, ok bool) (next record, write bool)
}

// updateStats reports what one update did.
type updateStats struct {
	attempts int
	evicted  bool
	wrote    bool
}

// update runs fn on the record of id with compare-and-swap, up to
// t.retries attempts; ErrContention when all of them lost.
func (t *table) update(st session.Store, id uint64, now int64, b *bucket, fn updater) (record, updateStats, error) {
	key := t.key(int(id % uint64(t.buckets)))
	var us updateStats
	for us.attempts = 1; us.attempts <= t.retries; us.attempts++ {
		v, cas, found, err := st.Get(key)
		if err != nil {
			return record{}, us, fmt.Errorf("abuse: read shared data: %w", err)
		}
		b.decode(v, t.ways)
		cur, ok := record{}, false
		if i := b.index(id); i >= 0 && b.recs[i].expires > now {
			cur, ok = b.recs[i], true
		}
		next, write := fn.apply(cur, ok)
		if !write {
			return next, us, nil
		}
		next.id = id
		us.evicted = b.encode(next, now, t.ways)
		err = st.Set(key, b.buf, session.CASFor(cas, found))
		if err == nil {
			us.wrote = true
			return next, us, nil
		}
		if !errors.Is(err, session.ErrCASMismatch) {
			return record{}, us, fmt.Errorf("abuse: write shared data: %w", err)
		}
	}
	us.attempts = t.retries
	return record{}, us, ErrContention
}

// sweep rewrites up to n buckets from `from` without their dead records
// (an all-dead bucket becomes a 2-byte tombstone). A bucket changed
// concurrently is skipped. It returns the next bucket and the records
// dropped.
func (t *table) sweep(st session.Store, now int64, from, n int, b *bucket) (next, dropped int, err error) {
	if from < 0 || from >= t.buckets {
		from = 0
	}
	if n > t.buckets {
		n = t.buckets
	}
	i := from
	for k := 0; k < n; k++ {
		key := t.key(i)
		if i++; i == t.buckets {
			i = 0
		}
		v, cas, found, gerr := st.Get(key)
		if gerr != nil {
			return i, dropped, fmt.Errorf("abuse: sweep: %w", gerr)
		}
		if !found || len(v) <= 2 {
			continue
		}
		bad := b.decode(v, t.ways)
		out := append(b.buf[:0], tableVersion, 0)
		kept := 0
		for _, r := range b.recs {
			if r.expires > now {
				out = appendRecord(out, r)
				kept++
			}
		}
		b.buf = out
		if bad == 0 && kept == len(b.recs) {
			continue
		}
		out[1] = byte(kept)
		if serr := st.Set(key, out, cas); serr == nil {
			dropped += len(b.recs) - kept + bad
		} else if !errors.Is(serr, session.ErrCASMismatch) {
			return i, dropped, fmt.Errorf("abuse: sweep: %w", serr)
		}
	}
	return i, dropped, nil
}
