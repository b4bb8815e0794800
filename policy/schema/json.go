package schema

import (
	"hash/maphash"
	"strings"

	"github.com/apiwarden/apiwarden/policy/kernel"
	"github.com/tidwall/gjson"
)

// kind is the JSON type of a raw value, read from its first byte.
type kind uint8

const (
	kNull kind = iota
	kBool
	kObject
	kArray
	kNumber
	kString
	kInvalid
)

var kindNames = [...]string{"null", "boolean", "object", "array", "number", "string", "invalid JSON"}

func (k kind) String() string { return kindNames[k] }

func kindOf(raw string) kind {
	if raw == "" {
		return kInvalid
	}
	switch raw[0] {
	case 'n':
		return kNull
	case 't', 'f':
		return kBool
	case '{':
		return kObject
	case '[':
		return kArray
	case '"':
		return kString
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return kNumber
	}
	return kInvalid
}

// iter walks the members of a raw JSON object or array without allocating.
// The input is expected to be valid JSON (checked by gjson.Valid first); on
// malformed input it stops early rather than panicking.
type iter struct {
	s string
	i int
}

func newIter(raw string) iter { return iter{s: raw, i: 1} }

func (it *iter) ws() { it.i = kernel.SkipWS(it.s, it.i) }

// next returns the next member. For objects key is the raw quoted key.
func (it *iter) next(obj bool) (key, val string, ok bool) {
	it.ws()
	if it.i < len(it.s) && it.s[it.i] == ',' {
		it.i++
		it.ws()
	}
	if it.i >= len(it.s) || it.s[it.i] == '}' || it.s[it.i] == ']' {
		it.i = len(it.s)
		return "", "", false
	}
	if obj {
		start := it.i
		if it.s[it.i] != '"' || !it.skipString() {
			it.i = len(it.s)
			return "", "", false
		}
		key = it.s[start:it.i]
		it.ws()
		if it.i >= len(it.s) || it.s[it.i] != ':' {
			it.i = len(it.s)
			return "", "", false
		}
		it.i++
		it.ws()
	}
	start := it.i
	if !it.skipValue() {
		it.i = len(it.s)
		return "", "", false
	}
	return key, it.s[start:it.i], true
}

// skipString advances past a string starting at it.i (a quote).
func (it *iter) skipString() bool {
	end, _, ok := kernel.ScanString(it.s, it.i)
	if ok {
		it.i = end
	}
	return ok
}

func (it *iter) skipValue() bool {
	if it.i >= len(it.s) {
		return false
	}
	switch it.s[it.i] {
	case '"':
		return it.skipString()
	case '{', '[':
		depth := 0
		for it.i < len(it.s) {
			switch it.s[it.i] {
			case '"':
				if !it.skipString() {
					return false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					it.i++
					return true
				}
			}
			it.i++
		}
		return false
	}
	start := it.i
	for it.i < len(it.s) {
		switch it.s[it.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return it.i > start
		}
		it.i++
	}
	return it.i > start
}

// trimWS removes JSON whitespace around a raw value.
func trimWS(s string) string {
	return strings.Trim(s, " \t\r\n")
}

// unquote returns the string value of a raw JSON string. It allocates only
// when the string contains escapes.
func unquote(raw string) string {
	if len(raw) < 2 {
		return ""
	}
	if strings.IndexByte(raw, '\\') < 0 {
		return raw[1 : len(raw)-1]
	}
	return gjson.Parse(raw).Str
}

// runeCount counts the code points of a raw JSON string without
// unescaping it: an escape counts as one, a surrogate pair as one.
func runeCount(raw string) int {
	if len(raw) < 2 {
		return 0
	}
	s := raw[1 : len(raw)-1]
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 < len(s) && s[i+1] == 'u' {
				// A high surrogate followed by an escaped low surrogate
				// is one code point.
				if i+12 <= len(s) && isHighSurrogate(s[i+2:i+6]) && s[i+6] == '\\' && s[i+7] == 'u' && isLowSurrogate(s[i+8:i+12]) {
					i += 12
				} else {
					i += 6
				}
			} else {
				i += 2
			}
		case c < 0x80:
			i++
		case c < 0xE0:
			i += 2
		case c < 0xF0:
			i += 3
		default:
			i += 4
		}
		n++
	}
	return n
}

func isHighSurrogate(h string) bool {
	return len(h) == 4 && (h[0] == 'd' || h[0] == 'D') && strings.IndexByte("89abAB", h[1]) >= 0
}

func isLowSurrogate(h string) bool {
	return len(h) == 4 && (h[0] == 'd' || h[0] == 'D') && strings.IndexByte("cdefCDEF", h[1]) >= 0
}

// equalJSON reports JSON equality of two raw values: numbers by value
// (1 == 1.0), strings by content, arrays element-wise, objects regardless of
// member order.
func equalJSON(a, b string) bool {
	a, b = trimWS(a), trimWS(b)
	ka, kb := kindOf(a), kindOf(b)
	if ka != kb {
		return false
	}
	switch ka {
	case kNull:
		return true
	case kBool:
		return a[0] == b[0]
	case kNumber:
		da, db := parseDecimal(a), parseDecimal(b)
		return cmpDecimal(&da, &db) == 0
	case kString:
		if a == b {
			return true
		}
		return unquote(a) == unquote(b)
	case kArray:
		ia, ib := newIter(a), newIter(b)
		for {
			_, va, oka := ia.next(false)
			_, vb, okb := ib.next(false)
			if oka != okb {
				return false
			}
			if !oka {
				return true
			}
			if !equalJSON(va, vb) {
				return false
			}
		}
	case kObject:
		na, nb := 0, 0
		ib := newIter(b)
		for {
			if _, _, ok := ib.next(true); !ok {
				break
			}
			nb++
		}
		ia := newIter(a)
		for {
			ka, va, ok := ia.next(true)
			if !ok {
				break
			}
			na++
			vb, found := lookupRaw(b, unquote(ka))
			if !found || !equalJSON(va, vb) {
				return false
			}
		}
		return na == nb
	}
	return false
}

// lookupRaw finds a member of a raw object by its (unescaped) name.
func lookupRaw(obj, name string) (string, bool) {
	it := newIter(obj)
	for {
		k, v, ok := it.next(true)
		if !ok {
			return "", false
		}
		if unquote(k) == name {
			return v, true
		}
	}
}

var hashSeed = maphash.MakeSeed()

// hashJSON hashes a raw value consistently with equalJSON.
func hashJSON(raw string) uint64 {
	raw = trimWS(raw)
	var h maphash.Hash
	h.SetSeed(hashSeed)
	k := kindOf(raw)
	h.WriteByte(byte(k))
	switch k {
	case kBool:
		h.WriteByte(raw[0])
	case kNumber:
		d := parseDecimal(raw)
		if d.neg {
			h.WriteByte('-')
		}
		for i := 0; i < d.ndigits(); i++ {
			h.WriteByte(d.sig(i))
		}
		var e [8]byte
		for i := range e {
			e[i] = byte(d.exp >> (8 * i))
		}
		h.Write(e[:])
	case kString:
		h.WriteString(unquote(raw))
	case kArray:
		it := newIter(raw)
		for {
			_, v, ok := it.next(false)
			if !ok {
				break
			}
			x := hashJSON(v)
			var b [8]byte
			for i := range b {
				b[i] = byte(x >> (8 * i))
			}
			h.Write(b[:])
		}
	case kObject:
		// Order-independent: sum of member hashes.
		var sum uint64
		it := newIter(raw)
		for {
			kr, v, ok := it.next(true)
			if !ok {
				break
			}
			var m maphash.Hash
			m.SetSeed(hashSeed)
			m.WriteString(unquote(kr))
			sum += m.Sum64()*0x9E3779B97F4A7C15 ^ hashJSON(v)
		}
		var b [8]byte
		for i := range b {
			b[i] = byte(sum >> (8 * i))
		}
		h.Write(b[:])
	}
	return h.Sum64()
}

// maxDepth returns the nesting depth of raw JSON (a scalar is 0, [] is 1),
// stopping as soon as it exceeds limit. It does not recurse.
func maxDepth(s string, limit int) int {
	depth, max := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' {
					i++
				}
			}
		case '{', '[':
			depth++
			if depth > max {
				max = depth
				if max > limit {
					return max
				}
			}
		case '}', ']':
			depth--
		}
	}
	return max
}
