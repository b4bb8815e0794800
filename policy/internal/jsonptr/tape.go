package jsonptr

import (
	"unsafe"

	"github.com/tidwall/gjson"
)

// tapeMin is the shortest container a Tape records: shorter ones cost
// less to scan than to look up.
const tapeMin = 64

// Tape is a structural index of one document: where every long container
// ends, found in one pass. Walking a document member by member
// skips each value to reach the next, and a walk that descends skips the
// same text once per level (GitHub's description is nested ten deep: its
// 13 MB were scanned some 100 MB over). With a Tape, a long value is
// skipped by a binary search. A nil *Tape is valid and scans.
type Tape struct {
	doc    string
	starts []int32 // offsets in doc, ascending
	ends   []int32 // the offset just after each value
}

// NewTape indexes doc, which must be valid JSON.
func NewTape(doc string) *Tape {
	t := &Tape{doc: doc}
	var open []int // indexes in starts of the containers being scanned
	for i := 0; i < len(doc); {
		switch doc[i] {
		case '"':
			i = skipString(doc, i)
			continue
		case '{', '[':
			open = append(open, len(t.starts))
			t.starts = append(t.starts, int32(i))
			t.ends = append(t.ends, -1)
		case '}', ']':
			if len(open) > 0 {
				k := open[len(open)-1]
				open = open[:len(open)-1]
				t.ends[k] = int32(i + 1)
			}
		}
		i++
		for i < len(doc) && !structural[doc[i]] {
			i++
		}
	}
	t.compact()
	return t
}

// compact drops the short containers (recorded when they opened, before
// their length was known).
func (t *Tape) compact() {
	w := 0
	for r := range t.starts {
		if t.ends[r]-t.starts[r] >= tapeMin {
			t.starts[w], t.ends[w] = t.starts[r], t.ends[r]
			w++
		}
	}
	// Copied, so that the arrays sized for every container go.
	t.starts = append([]int32(nil), t.starts[:w]...)
	t.ends = append([]int32(nil), t.ends[:w]...)
}

// skip returns the end of the value starting at raw[i], looked up when it
// is a container and raw a view of the tape's document (else scanned).
//
// Strings are scanned (for a quote, which is fast even when long), only
// containers are looked up: most values are short, and a binary search
// costs more than scanning them.
func (t *Tape) skip(raw string, i int) int {
	if t != nil && i < len(raw) && (raw[i] == '{' || raw[i] == '[') {
		base := int(uintptr(unsafe.Pointer(unsafe.StringData(raw))) - uintptr(unsafe.Pointer(unsafe.StringData(t.doc))))
		if base >= 0 && base+len(raw) <= len(t.doc) {
			abs := int32(base + i)
			lo, hi := 0, len(t.starts)
			for lo < hi {
				m := int(uint(lo+hi) >> 1)
				if t.starts[m] < abs {
					lo = m + 1
				} else {
					hi = m
				}
			}
			if lo < len(t.starts) && t.starts[lo] == abs {
				return i + int(t.ends[lo]-abs)
			}
		}
	}
	return skipValue(raw, i)
}

// Members calls fn with each member of an object in document order: the
// key (a view of the text when it has no escapes: clone it to keep it)
// and the value. fn returns false to stop.
func (t *Tape) Members(v gjson.Result, fn func(key string, val gjson.Result) bool) {
	if !v.IsObject() {
		return
	}
	eachMember(t, v.Raw, func(key string, escaped bool, val span) bool {
		return fn(keyText(key, escaped), valueAt(v, val))
	})
}

// Elements calls fn with each element of an array in order. fn returns
// false to stop.
func (t *Tape) Elements(v gjson.Result, fn func(val gjson.Result) bool) {
	if !v.IsArray() {
		return
	}
	eachElement(t, v.Raw, func(val span) bool { return fn(valueAt(v, val)) })
}
