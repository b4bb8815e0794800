package schema

import (
	"math"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/tidwall/gjson"
)

// Numbers says which value a JSON number is judged by.
type Numbers uint8

const (
	// Exact judges the decimal as written, as JSON Schema does: 1e-400 is
	// above 0 and 1000000.00000000001 above 1000000.
	Exact Numbers = iota
	// Float64 judges what a backend that reads numbers into IEEE 754
	// doubles (Go's encoding/json, JavaScript, most JSON libraries) will
	// hold: bounds compare the float64 value (and, for integer literals
	// within int64, the exact value too, for backends that read integers
	// exactly), multipleOf is checked on the float64's shortest decimal,
	// and Scan refuses numbers whose float64 differs from the decimal in
	// sign or zero-ness (1e-400 becomes 0) or overflows (1e400).
	Float64
)

// Semantics says how an instance is read before its schema judges it.
// The zero value is plain JSON Schema: exact numbers, any JSON text.
type Semantics struct {
	Dir     Direction
	Numbers Numbers
	// StrictText refuses strings and member names that are not I-JSON
	// text (RFC 7493 §2.1): invalid UTF-8 and unpaired surrogate escapes
	// ("\ud800"), which backends turn into U+FFFD, drop or refuse, each in
	// its own way.
	StrictText bool
}

// Scan keywords: a Violation from Scan carries one of these.
const (
	KeywordUTF8      = "utf8"
	KeywordSurrogate = "surrogate"
	KeywordFloat64   = "float64"
)

// Scan checks in one pass what JSON Schema leaves to the parser: with
// StrictText, that every string (member names included) is I-JSON text;
// with Float64 numbers, that every number survives conversion to float64.
// The instance must be valid JSON (gjson.Valid). ok=false comes with one
// violation that locates the first offending token. Scan does not
// allocate unless it finds something.
func Scan(instance []byte, sem Semantics) (v Violation, ok bool) {
	if !sem.StrictText && sem.Numbers != Float64 {
		return Violation{}, true
	}
	raw := unsafe.String(unsafe.SliceData(instance), len(instance))
	off, kw, msg := scanText(raw, sem.StrictText, sem.Numbers == Float64)
	if off < 0 {
		return Violation{}, true
	}
	var path []seg
	locate(trimWS(raw), off-leadingWS(raw), &path)
	st := state{depth: 0}
	for _, p := range path {
		st.push(p.key, p.index)
	}
	return Violation{Pointer: st.pointer(), Keyword: kw, Message: msg}, false
}

// ValidateWith is Validate under the given semantics (Validate is
// ValidateWith(instance, Semantics{Dir: dir}, ...)). It does not Scan.
func (s *Schema) ValidateWith(instance []byte, sem Semantics, max int, out []Violation) []Violation {
	raw := unsafe.String(unsafe.SliceData(instance), len(instance))
	if d := maxDepth(raw, s.maxDepth); d > s.maxDepth {
		return append(out, depthViolation(s.maxDepth))
	}
	if !gjson.Valid(raw) {
		return append(out, Violation{Keyword: "json", Message: "not valid JSON"})
	}
	if max < 1 {
		max = 1
	}
	st := state{dir: sem.Dir, numbers: sem.Numbers, out: out, limit: len(out) + max}
	st.validate(s.root, trimWS(raw))
	return st.out
}

func leadingWS(s string) int {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
		i++
	}
	return i
}

// scanText returns the offset of the first string or number that fails,
// with the keyword and message, or -1.
func scanText(s string, strict, float bool) (int, string, string) {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			end, kw, msg := scanString(s, i, strict)
			if kw != "" {
				return i, kw, msg
			}
			i = end
		case c == '-' || '0' <= c && c <= '9':
			j := i + 1
			for j < len(s) && numberByte(s[j]) {
				j++
			}
			if float {
				if msg := float64Problem(s[i:j]); msg != "" {
					return i, KeywordFloat64, msg
				}
			}
			i = j
		default:
			i++
		}
	}
	return -1, "", ""
}

func numberByte(c byte) bool {
	return '0' <= c && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'
}

// scanString checks the string starting at s[i] (a quote) and returns the
// offset after its closing quote.
func scanString(s string, i int, strict bool) (int, string, string) {
	j := i + 1
	for j < len(s) {
		c := s[j]
		switch {
		case c == '"':
			return j + 1, "", ""
		case c == '\\':
			if j+1 < len(s) && s[j+1] == 'u' && strict && j+6 <= len(s) {
				r := hex4(s[j+2 : j+6])
				switch {
				case 0xD800 <= r && r < 0xDC00:
					if j+12 <= len(s) && s[j+6] == '\\' && s[j+7] == 'u' {
						if lo := hex4(s[j+8 : j+12]); 0xDC00 <= lo && lo < 0xE000 {
							j += 12
							continue
						}
					}
					return j, KeywordSurrogate, "unpaired high surrogate escape in a string"
				case 0xDC00 <= r && r < 0xE000:
					return j, KeywordSurrogate, "unpaired low surrogate escape in a string"
				}
				j += 6
				continue
			}
			j += 2
		case c < utf8.RuneSelf:
			j++
		default:
			r, size := utf8.DecodeRuneInString(s[j:])
			if r == utf8.RuneError && size == 1 && strict {
				return j, KeywordUTF8, "invalid UTF-8 in a string"
			}
			j += size
		}
	}
	return j, "", ""
}

func hex4(h string) rune {
	var r rune
	for i := 0; i < 4; i++ {
		v, ok := unhexByte(h[i])
		if !ok {
			return -1
		}
		r = r<<4 | rune(v)
	}
	return r
}

func unhexByte(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// float64Problem says why a number literal does not survive float64, or
// "" when it does.
func float64Problem(lit string) string {
	f, _ := strconv.ParseFloat(lit, 64)
	if math.IsInf(f, 0) {
		return "number overflows a float64"
	}
	if f == 0 && !decimalZero(lit) {
		return "number becomes 0 as a float64"
	}
	return ""
}

// decimalZero reports whether a number literal is zero (no non-zero digit
// before its exponent).
func decimalZero(lit string) bool {
	for i := 0; i < len(lit); i++ {
		switch c := lit[i]; {
		case c == 'e' || c == 'E':
			return true
		case '1' <= c && c <= '9':
			return false
		}
	}
	return true
}

// locate finds the path to the value or member name containing offset off
// of v (a trimmed value). It only runs once Scan found a problem.
func locate(v string, off int, path *[]seg) {
	k := kindOf(v)
	if k != kObject && k != kArray {
		return
	}
	base := uintptr(unsafe.Pointer(unsafe.StringData(v)))
	it := newIter(v)
	for idx := 0; ; idx++ {
		key, val, ok := it.next(k == kObject)
		if !ok {
			return
		}
		name := ""
		if k == kObject {
			name = unquote(key)
			ks := int(uintptr(unsafe.Pointer(unsafe.StringData(key))) - base)
			if off >= ks && off < ks+len(key) {
				*path = append(*path, seg{key: name, index: -1})
				return
			}
		}
		vs := int(uintptr(unsafe.Pointer(unsafe.StringData(val))) - base)
		if off >= vs && off < vs+len(val) {
			if k == kObject {
				*path = append(*path, seg{key: name, index: -1})
			} else {
				*path = append(*path, seg{index: idx})
			}
			locate(val, off-vs, path)
			return
		}
	}
}
