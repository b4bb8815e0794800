// Package jsonptr resolves RFC 6901 JSON pointers in one JSON text without
// building a tree: values are gjson results that alias the text. The
// configuration reader, the OpenAPI reader and the schema compiler share
// it, so a document of megabytes is scanned, not copied, at start-up.
package jsonptr

import (
	"strings"

	"github.com/apiwarden/apiwarden/policy/kernel"
	"github.com/tidwall/gjson"
)

// bigObject is the size (bytes of JSON text) from which the members of an
// object are indexed in a map on first lookup, instead of being scanned
// at every lookup: components.schemas of a large document is megabytes of
// text, and every $ref into it would otherwise rescan it.
const bigObject = 2048

// located is a resolved JSON pointer: the value and the canonical form of
// the pointer (every token escaped the one RFC 6901 way).
type located struct {
	v     gjson.Result
	canon string
	ok    bool
}

// Index resolves JSON pointers in one document, each pointer once: the
// result of every prefix is cached, and the members of large objects are
// indexed the first time one of them is looked up. It is not safe for
// concurrent use.
type Index struct {
	root    gjson.Result
	tape    *Tape
	ptrs    map[string]located
	members map[string]map[string]span // canonical pointer -> members
}

// New indexes the document whose root value is root; t, when not nil, is
// the document's Tape.
func New(root gjson.Result, t *Tape) *Index {
	return &Index{root: root, tape: t, ptrs: map[string]located{}, members: map[string]map[string]span{}}
}

// Tape is the document's Tape (nil when it has none).
func (x *Index) Tape() *Tape { return x.tape }

// Seed records that v is the value at the canonical pointer ptr, found by
// a walk of the same text, so that resolving ptr later costs a map lookup.
func (x *Index) Seed(ptr string, v gjson.Result) {
	if _, ok := x.ptrs[ptr]; !ok {
		x.ptrs[ptr] = located{v: v, canon: ptr, ok: true}
	}
}

// Resolve walks a JSON pointer ("" for the root). It returns the value and
// the canonical pointer.
func (x *Index) Resolve(ptr string) (gjson.Result, string, bool) {
	if ptr == "" {
		return x.root, "", true
	}
	if l, ok := x.ptrs[ptr]; ok {
		return l.v, l.canon, l.ok
	}
	var l located
	if cut := strings.LastIndexByte(ptr, '/'); cut >= 0 {
		if parent, pcanon, ok := x.Resolve(ptr[:cut]); ok {
			tok := kernel.UnescapeToken(ptr[cut+1:])
			if v, ok := x.Child(parent, pcanon, tok); ok {
				l = located{v: v, canon: pcanon + "/" + kernel.EscapeToken(tok), ok: true}
			}
		}
	}
	x.ptrs[ptr] = l
	return l.v, l.canon, l.ok
}

// Child returns the member tok of an object found at the canonical pointer
// canon (through the member index of a large object looked into before),
// or the element at index tok of an array.
func (x *Index) Child(v gjson.Result, canon, tok string) (gjson.Result, bool) {
	if !v.IsObject() || len(v.Raw) < bigObject {
		return x.tape.Child(v, tok)
	}
	m, ok := x.members[canon]
	if !ok || m == nil {
		if !ok {
			// Most objects on a path are looked into once (an operation
			// on the way to its schema): only the second lookup into
			// the same object pays for its map.
			x.members[canon] = nil
			return x.tape.Child(v, tok)
		}
		m = map[string]span{}
		eachMember(x.tape, v.Raw, func(key string, escaped bool, val span) bool {
			key = keyText(key, escaped)
			if _, dup := m[key]; !dup {
				m[key] = val // the first of duplicated keys, like Child
			}
			return true
		})
		x.members[canon] = m
	}
	s, ok := m[tok]
	if !ok {
		return gjson.Result{}, false
	}
	return valueAt(v, s), true
}

// Child returns the member named tok of an object (the first, when the key
// is duplicated), or the element at index tok of an array, by scanning it.
func Child(v gjson.Result, tok string) (gjson.Result, bool) { return (*Tape)(nil).Child(v, tok) }

// Child is the package's Child, skipping long values through the tape.
func (t *Tape) Child(v gjson.Result, tok string) (gjson.Result, bool) {
	var at span
	found := false
	switch {
	case v.IsObject():
		eachMember(t, v.Raw, func(key string, escaped bool, val span) bool {
			if keyText(key, escaped) == tok {
				at, found = val, true
				return false
			}
			return true
		})
	case v.IsArray():
		idx, ok := arrayIndex(tok)
		if !ok {
			return gjson.Result{}, false
		}
		i := 0
		eachElement(t, v.Raw, func(val span) bool {
			if i == idx {
				at, found = val, true
				return false
			}
			i++
			return true
		})
	}
	if !found {
		return gjson.Result{}, false
	}
	return valueAt(v, at), true
}

// arrayIndex reads an array index token: decimal digits without a leading
// zero (RFC 6901).
func arrayIndex(tok string) (int, bool) {
	if tok == "" || (len(tok) > 1 && tok[0] == '0') {
		return 0, false
	}
	idx := 0
	for i := 0; i < len(tok); i++ {
		if tok[i] < '0' || tok[i] > '9' || idx > 1<<24 {
			return 0, false
		}
		idx = idx*10 + int(tok[i]-'0')
	}
	return idx, true
}

// Member is an object's member named key (not Exists when v is not an
// object or has no such member).
func Member(v gjson.Result, key string) gjson.Result {
	if !v.IsObject() {
		return gjson.Result{}
	}
	m, _ := Child(v, key)
	return m
}

// Len is the number of members of an object or elements of an array.
func Len(v gjson.Result) int {
	n := 0
	switch {
	case v.IsObject():
		eachMember(nil, v.Raw, func(string, bool, span) bool { n++; return true })
	case v.IsArray():
		eachElement(nil, v.Raw, func(span) bool { n++; return true })
	}
	return n
}
