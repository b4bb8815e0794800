package schema

import (
	"strings"

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

// index resolves JSON pointers in one document, each pointer once: the
// result of every prefix is cached, and the members of large objects are
// indexed the first time one of them is looked up.
type index struct {
	root    gjson.Result
	ptrs    map[string]located
	members map[string]map[string]gjson.Result // canonical pointer -> members
}

func newIndex(root gjson.Result) *index {
	return &index{root: root, ptrs: map[string]located{}, members: map[string]map[string]gjson.Result{}}
}

// resolve walks a JSON pointer ("" for the root). It returns the value and
// the canonical pointer.
func (x *index) resolve(ptr string) (gjson.Result, string, bool) {
	if ptr == "" {
		return x.root, "", true
	}
	if l, ok := x.ptrs[ptr]; ok {
		return l.v, l.canon, l.ok
	}
	var l located
	if cut := strings.LastIndexByte(ptr, '/'); cut >= 0 {
		if parent, pcanon, ok := x.resolve(ptr[:cut]); ok {
			tok := unescapeToken(ptr[cut+1:])
			if v, ok := x.child(parent, pcanon, tok); ok {
				l = located{v: v, canon: pcanon + "/" + escapeToken(tok), ok: true}
			}
		}
	}
	x.ptrs[ptr] = l
	return l.v, l.canon, l.ok
}

// child returns the member tok of an object (through the member index of
// a large object) or the element at index tok of an array.
func (x *index) child(v gjson.Result, canon, tok string) (gjson.Result, bool) {
	if !v.IsObject() || len(v.Raw) < bigObject {
		return child(v, tok)
	}
	m, ok := x.members[canon]
	if !ok {
		m = map[string]gjson.Result{}
		v.ForEach(func(k, val gjson.Result) bool {
			if _, dup := m[k.String()]; !dup {
				m[k.String()] = val // the first of duplicated keys, like child
			}
			return true
		})
		x.members[canon] = m
	}
	out, ok := m[tok]
	return out, ok
}

// child returns the member named tok of an object, or the element at
// index tok of an array, by scanning it.
func child(v gjson.Result, tok string) (gjson.Result, bool) {
	var out gjson.Result
	found := false
	switch {
	case v.IsObject():
		v.ForEach(func(k, val gjson.Result) bool {
			if k.String() == tok {
				out, found = val, true
				return false
			}
			return true
		})
	case v.IsArray():
		idx := 0
		if tok == "" || (len(tok) > 1 && tok[0] == '0') {
			return out, false
		}
		for i := 0; i < len(tok); i++ {
			if tok[i] < '0' || tok[i] > '9' || idx > 1<<24 {
				return out, false
			}
			idx = idx*10 + int(tok[i]-'0')
		}
		i := 0
		v.ForEach(func(_, val gjson.Result) bool {
			if i == idx {
				out, found = val, true
				return false
			}
			i++
			return true
		})
	}
	return out, found
}

// underID reports whether a location lies inside a schema that sets an
// embedded id keyword kw (changing the base URI), by looking at its
// ancestors.
func (x *index) underID(ptr, kw string) bool {
	if kw == "" || ptr == "" {
		return false
	}
	for cut := strings.IndexByte(ptr[1:], '/'); cut >= 0; {
		anc, canon, ok := x.resolve(ptr[:cut+1])
		if !ok {
			return false
		}
		if anc.IsObject() {
			if id, ok := x.child(anc, canon, kw); ok && id.Type == gjson.String {
				return true
			}
		}
		next := strings.IndexByte(ptr[cut+2:], '/')
		if next < 0 {
			break
		}
		cut += next + 1
	}
	return false
}
