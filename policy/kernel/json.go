package kernel

// The JSON toolkit every engine writes with: AppendString for what reaches
// a log line or a report (events, rule ids, evidence, admin documents),
// AppendEscaped for JSON text the filter rewrites or generates (redacted
// bodies, converted documents), Object for "key":value members, and the
// JSON-pointer token escapes.

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

const hex = "0123456789ABCDEF"

// AppendString appends s as a JSON string for event lines and admin
// reports: always valid JSON whatever the input bytes (invalid UTF-8
// becomes U+FFFD), and safe to show in a log viewer that renders HTML.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '&':
				// '<', '>' and '&' are escaped so a viewer that renders
				// HTML cannot be fed markup through a value.
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, `\ufffd`...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

// AppendEscaped appends s as JSON string content (no quotes) with only the
// escapes JSON requires: '"', '\\' and control characters. Other bytes are
// kept as they are, for text already checked to be UTF-8 (a document,
// a body being rewritten) whose bytes must not change.
func AppendEscaped[T string | []byte](dst []byte, s T) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\r':
			dst = append(dst, '\\', 'r')
		default:
			dst = append(dst, '\\', 'u', '0', '0', lowerHex[c>>4], lowerHex[c&0xf])
		}
		start = i + 1
	}
	return append(dst, s[start:]...)
}

const lowerHex = "0123456789abcdef"

// Object appends "key":value members with the commas right. Keys and
// string values go through AppendString.
type Object struct {
	Buf   []byte
	empty bool
}

// OpenObject starts an object at the end of dst.
func OpenObject(dst []byte) Object { return Object{Buf: append(dst, '{'), empty: true} }

// Key writes a member name (and the comma before it).
func (o *Object) Key(k string) {
	if !o.empty {
		o.Buf = append(o.Buf, ',')
	}
	o.empty = false
	o.Buf = AppendString(o.Buf, k)
	o.Buf = append(o.Buf, ':')
}

// Str writes a string member.
func (o *Object) Str(k, v string) {
	o.Key(k)
	o.Buf = AppendString(o.Buf, v)
}

// StrOpt writes the member only when v is not empty.
func (o *Object) StrOpt(k, v string) {
	if v != "" {
		o.Str(k, v)
	}
}

// Int writes an integer member.
func (o *Object) Int(k string, v int64) {
	o.Key(k)
	o.Buf = strconv.AppendInt(o.Buf, v, 10)
}

// Float writes a number member (6 significant digits).
func (o *Object) Float(k string, v float64) {
	o.Key(k)
	o.Buf = strconv.AppendFloat(o.Buf, v, 'g', 6, 64)
}

// Bool writes a boolean member.
func (o *Object) Bool(k string, v bool) {
	o.Key(k)
	o.Buf = strconv.AppendBool(o.Buf, v)
}

// Raw writes an already valid JSON value.
func (o *Object) Raw(k string, v []byte) {
	o.Key(k)
	o.Buf = append(o.Buf, v...)
}

// Close ends the object and returns the buffer.
func (o *Object) Close() []byte { return append(o.Buf, '}') }

// EscapeToken escapes a JSON pointer reference token (RFC 6901 §3: '~'
// becomes "~0", '/' becomes "~1").
func EscapeToken(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// UnescapeToken reverses EscapeToken ("~1" first, so "~01" is "~1").
func UnescapeToken(s string) string {
	if !strings.Contains(s, "~") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}
