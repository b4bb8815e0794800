package jsonptr

import (
	"unsafe"

	"github.com/tidwall/gjson"
)

// smallObject is the size (bytes of text) below which a member lookup
// simply scans the object.
const smallObject = 512

// Lookup remembers the member bounds of the last few large objects it was
// asked about, so that reading several members of one object (an
// operation's parameters, requestBody, responses, security...; the
// configuration's top-level keys beside a 13 MB inline document) scans it
// once instead of once per member. It is not safe for concurrent use.
type Lookup struct {
	slots [16]lookupSlot
	next  int
	tape  *Tape
}

// NewLookup is a Lookup over a document with the Tape t (nil for none).
func NewLookup(t *Tape) *Lookup { return &Lookup{tape: t} }

// Tape is the document's Tape (nil when it has none, or for a nil Lookup).
func (l *Lookup) Tape() *Tape {
	if l == nil {
		return nil
	}
	return l.tape
}

type lookupSlot struct {
	raw     string // the object's text: the same value is the same view
	members []memberAt
}

type memberAt struct {
	key string // unescaped
	val span
}

// Child is the member key of the object v (the first, when the key is
// duplicated).
func (l *Lookup) Child(v gjson.Result, key string) (gjson.Result, bool) {
	if l == nil || !v.IsObject() || len(v.Raw) < smallObject {
		return l.Tape().Child(v, key)
	}
	slot := l.slotFor(v.Raw)
	for _, m := range slot.members {
		if m.key == key {
			return valueAt(v, m.val), true
		}
	}
	return gjson.Result{}, false
}

func (l *Lookup) slotFor(raw string) *lookupSlot {
	for i := range l.slots {
		s := &l.slots[i]
		if len(s.raw) == len(raw) && unsafe.StringData(s.raw) == unsafe.StringData(raw) {
			return s
		}
	}
	s := &l.slots[l.next]
	l.next = (l.next + 1) % len(l.slots)
	s.raw, s.members = raw, s.members[:0]
	// In document order: a search finds the first of duplicated keys.
	eachMember(l.tape, raw, func(key string, escaped bool, val span) bool {
		s.members = append(s.members, memberAt{key: keyText(key, escaped), val: val})
		return true
	})
	return s
}
