package session

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Limits of the history codec.
const (
	// HistoryVersion is the first byte of every encoded history.
	HistoryVersion = 1
	// MaxHistory is the largest number of entries a history can hold.
	MaxHistory = 64
	// DefaultHistory is the number of entries kept when not configured.
	DefaultHistory = 16
	// MaxOp is the largest operation index an entry can hold.
	MaxOp = 0xFFFF
)

// Entry is one request of a session: the operation index and when it was
// seen, in Unix milliseconds.
type Entry struct {
	Op uint16
	At int64
}

// History is the recent past of one session, oldest entry first. LastSeen
// is the Unix millisecond time of the newest request (equal to the At of the
// last entry when there is one). Times never decrease: Append clamps a time
// older than LastSeen to LastSeen (clocks of different workers may differ
// by a little).
type History struct {
	LastSeen int64
	Entries  []Entry
}

// Millis converts t to the Unix millisecond time the history uses.
func Millis(t time.Time) int64 { return t.UnixMilli() }

// Reset empties h, keeping its storage.
func (h *History) Reset() {
	h.LastSeen = 0
	h.Entries = h.Entries[:0]
}

// Expired reports whether h was last seen more than idle before now (Unix
// ms). An empty history is not expired. idle <= 0 never expires.
func (h *History) Expired(now int64, idle time.Duration) bool {
	if idle <= 0 || (h.LastSeen == 0 && len(h.Entries) == 0) {
		return false
	}
	return now-h.LastSeen > idle.Milliseconds()
}

// Append adds op at time at (Unix ms), keeping at most max entries (the
// oldest are dropped; max is clamped to 1..MaxHistory).
func (h *History) Append(op uint16, at int64, max int) {
	if max < 1 {
		max = 1
	}
	if max > MaxHistory {
		max = MaxHistory
	}
	if at < h.LastSeen {
		at = h.LastSeen
	}
	if at < 0 {
		at = 0
	}
	if len(h.Entries) >= max {
		drop := len(h.Entries) - max + 1
		n := copy(h.Entries, h.Entries[drop:])
		h.Entries = h.Entries[:n]
	}
	h.Entries = append(h.Entries, Entry{Op: op, At: at})
	h.LastSeen = at
}

// Errors of the history codec.
var (
	ErrVersion   = errors.New("session: unknown encoding version")
	ErrTruncated = errors.New("session: truncated encoding")
	ErrCorrupt   = errors.New("session: corrupt encoding")
)

// AppendBinary appends the encoding of h to dst:
//
//	version byte (1)
//	uvarint LastSeen (Unix ms)
//	uvarint number of entries (<= MaxHistory)
//	per entry, newest first: uvarint op, uvarint delta ms
//
// where the delta of the newest entry is LastSeen - At and of every other
// entry the time since the next newer one. A history with more than
// MaxHistory entries, negative or decreasing times is refused.
func (h History) AppendBinary(dst []byte) ([]byte, error) {
	n := len(h.Entries)
	if n > MaxHistory {
		return dst, fmt.Errorf("session: history has %d entries, limit %d", n, MaxHistory)
	}
	if h.LastSeen < 0 {
		return dst, fmt.Errorf("session: negative last-seen time")
	}
	dst = append(dst, HistoryVersion)
	dst = binary.AppendUvarint(dst, uint64(h.LastSeen))
	dst = binary.AppendUvarint(dst, uint64(n))
	next := h.LastSeen
	for i := n - 1; i >= 0; i-- {
		e := h.Entries[i]
		if e.At > next || e.At < 0 {
			return dst, fmt.Errorf("session: history times must not decrease")
		}
		dst = binary.AppendUvarint(dst, uint64(e.Op))
		dst = binary.AppendUvarint(dst, uint64(next-e.At))
		next = e.At
	}
	return dst, nil
}

// UnmarshalBinary decodes b into h, reusing h's storage. Any input either
// decodes into a valid history (times not decreasing, at most MaxHistory
// entries) or returns an error; it never panics.
func (h *History) UnmarshalBinary(b []byte) error {
	h.Reset()
	rest, err := h.decode(b)
	if err == nil && len(rest) != 0 {
		err = fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(rest))
	}
	if err != nil {
		h.Reset()
	}
	return err
}

func (h *History) decode(b []byte) ([]byte, error) {
	if len(b) == 0 {
		return b, ErrTruncated
	}
	if b[0] != HistoryVersion {
		return b, fmt.Errorf("%w %d", ErrVersion, b[0])
	}
	b = b[1:]
	last, b, err := uvarint(b)
	if err != nil {
		return b, err
	}
	if last > 1<<62 {
		return b, fmt.Errorf("%w: last-seen time out of range", ErrCorrupt)
	}
	n, b, err := uvarint(b)
	if err != nil {
		return b, err
	}
	if n > MaxHistory {
		return b, fmt.Errorf("%w: %d entries, limit %d", ErrCorrupt, n, MaxHistory)
	}
	if cap(h.Entries) < int(n) {
		h.Entries = make([]Entry, n)
	}
	h.Entries = h.Entries[:n]
	at := int64(last)
	for i := int(n) - 1; i >= 0; i-- {
		var op, d uint64
		if op, b, err = uvarint(b); err != nil {
			return b, err
		}
		if op > MaxOp {
			return b, fmt.Errorf("%w: operation %d out of range", ErrCorrupt, op)
		}
		if d, b, err = uvarint(b); err != nil {
			return b, err
		}
		if d > uint64(at) {
			return b, fmt.Errorf("%w: time before the epoch", ErrCorrupt)
		}
		at -= int64(d)
		h.Entries[i] = Entry{Op: uint16(op), At: at}
	}
	h.LastSeen = int64(last)
	return b, nil
}

func uvarint(b []byte) (uint64, []byte, error) {
	v, n := binary.Uvarint(b)
	if n == 0 {
		return 0, b, ErrTruncated
	}
	if n < 0 {
		return 0, b, fmt.Errorf("%w: varint overflow", ErrCorrupt)
	}
	return v, b[n:], nil
}

// Encode returns the encoding of h (see AppendBinary).
func Encode(h History) ([]byte, error) { return h.AppendBinary(nil) }

// Decode decodes one history (see UnmarshalBinary).
func Decode(b []byte) (History, error) {
	var h History
	err := h.UnmarshalBinary(b)
	return h, err
}
