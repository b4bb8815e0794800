package jsonptr

import (
	"strings"

	"github.com/apiwarden/apiwarden/policy/kernel"
	"github.com/tidwall/gjson"
)

// Lookups scan the text themselves rather than through gjson's ForEach,
// which builds every member's value on the way (and unescapes every
// string: GitHub's descriptions made that 9 MB per configure). Here a
// value is skipped by its bounds and built only when it is the one asked
// for. The text is known to be valid JSON.

// span is a value's bounds in its parent's text.
type span struct{ start, end int32 }

// eachMember calls fn for each member of the object text raw (starting
// at '{'): the key's text between its quotes (escapes kept), whether it
// has escapes, and the value's bounds. fn returns false to stop.
func eachMember(t *Tape, raw string, fn func(key string, escaped bool, val span) bool) {
	i := kernel.SkipWS(raw, 1)
	for i < len(raw) && raw[i] == '"' {
		end := skipString(raw, i)
		key := raw[i+1 : end-1]
		i = kernel.SkipWS(raw, end)
		if i >= len(raw) || raw[i] != ':' {
			return
		}
		start := kernel.SkipWS(raw, i+1)
		stop := t.skip(raw, start)
		if stop <= start || !fn(key, strings.IndexByte(key, '\\') >= 0, span{int32(start), int32(stop)}) {
			return
		}
		i = nextItem(raw, stop)
	}
}

// eachElement calls fn with the bounds of each element of the array text
// raw (starting at '['). fn returns false to stop.
func eachElement(t *Tape, raw string, fn func(val span) bool) {
	i := kernel.SkipWS(raw, 1)
	for i < len(raw) && raw[i] != ']' {
		stop := t.skip(raw, i)
		if stop <= i || !fn(span{int32(i), int32(stop)}) {
			return
		}
		i = nextItem(raw, stop)
	}
}

// nextItem moves past the whitespace and the comma after a value.
func nextItem(raw string, i int) int {
	i = kernel.SkipWS(raw, i)
	if i < len(raw) && raw[i] == ',' {
		i = kernel.SkipWS(raw, i+1)
	}
	return i
}

// structural marks the bytes a container skip stops at.
var structural = [256]bool{'"': true, '{': true, '[': true, '}': true, ']': true}

// skipValue returns the end of the value starting at i.
func skipValue(raw string, i int) int {
	if i >= len(raw) {
		return i
	}
	switch raw[i] {
	case '"':
		return skipString(raw, i)
	case '{', '[':
		depth := 0
		for i < len(raw) {
			for i < len(raw) && !structural[raw[i]] {
				i++
			}
			if i == len(raw) {
				break
			}
			switch raw[i] {
			case '"':
				i = skipString(raw, i)
				continue
			case '{', '[':
				depth++
			default:
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for ; i < len(raw); i++ {
		switch raw[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
	}
	return i
}

// skipString returns the end of the string starting at i (after its
// closing quote): the first quote not escaped by an odd run of
// backslashes.
func skipString(raw string, i int) int {
	for j := i + 1; ; {
		q := strings.IndexByte(raw[j:], '"')
		if q < 0 {
			return len(raw)
		}
		j += q
		k := j
		for k > i+1 && raw[k-1] == '\\' {
			k--
		}
		if (j-k)%2 == 0 {
			return j + 1
		}
		j++
	}
}

// keyText is a key's value: its text, unescaped when it has escapes.
func keyText(key string, escaped bool) string {
	if !escaped {
		return key
	}
	return gjson.Parse(`"` + key + `"`).Str
}

// valueAt builds the value of a member or element of v from its bounds,
// without scanning it again where the bounds say enough (containers,
// literals, strings without escapes: most of a document).
func valueAt(v gjson.Result, s span) gjson.Result {
	raw := v.Raw[s.start:s.end]
	r := gjson.Result{Raw: raw}
	switch c := raw[0]; {
	case c == '{' || c == '[':
		r.Type = gjson.JSON
	case c == 't':
		r.Type = gjson.True
	case c == 'f':
		r.Type = gjson.False
	case c == 'n':
		r.Type = gjson.Null
	case c == '"' && strings.IndexByte(raw, '\\') < 0:
		r.Type, r.Str = gjson.String, raw[1:len(raw)-1]
	default:
		r = gjson.Parse(raw) // numbers, and strings to unescape
	}
	r.Index = v.Index + int(s.start)
	return r
}

// EachKey calls fn with each key of an object in document order (a view
// of the text when it has no escapes: clone it to keep it), without
// building the values. fn returns false to stop.
func (t *Tape) EachKey(v gjson.Result, fn func(key string) bool) {
	if !v.IsObject() {
		return
	}
	eachMember(t, v.Raw, func(key string, escaped bool, _ span) bool { return fn(keyText(key, escaped)) })
}
