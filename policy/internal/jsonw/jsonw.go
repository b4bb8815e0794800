// Package jsonw writes JSON strings for event lines and admin reports:
// always valid JSON whatever the input bytes (invalid UTF-8 becomes
// U+FFFD), and safe to show in a log viewer that renders HTML.
package jsonw

import "unicode/utf8"

const hex = "0123456789ABCDEF"

// AppendString appends s as a JSON string.
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
