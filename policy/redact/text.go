package redact

import (
	"bytes"
	"unicode/utf8"
)

// toIJSON makes valid JSON text I-JSON (RFC 7493 §2.1): invalid UTF-8 in
// a string becomes U+FFFD (escaped), and so does an unpaired surrogate
// escape ("\ud800"). It returns in itself when there is nothing to fix,
// else the fixed text appended to dst[:0]. Whatever an upstream sent, a
// rewritten response never carries text that clients decode each in their
// own way.
func toIJSON(dst, in []byte) ([]byte, bool) {
	if utf8.Valid(in) && !mayHaveSurrogateEscape(in) {
		return in, false
	}
	out := dst[:0]
	changed := false
	inString := false
	mark := 0
	for i := 0; i < len(in); {
		c := in[i]
		switch {
		case !inString:
			if c == '"' {
				inString = true
			}
			i++
		case c == '"':
			inString = false
			i++
		case c == '\\':
			if i+1 < len(in) && in[i+1] == 'u' && i+6 <= len(in) {
				r := hex4(in[i+2 : i+6]) // valid JSON: four hex digits
				if 0xD800 <= r && r < 0xDC00 && i+12 <= len(in) && in[i+6] == '\\' && in[i+7] == 'u' {
					if lo := hex4(in[i+8 : i+12]); 0xDC00 <= lo && lo < 0xE000 {
						i += 12
						continue
					}
				}
				if 0xD800 <= r && r < 0xE000 {
					out = append(append(out, in[mark:i]...), `\ufffd`...)
					i += 6
					mark, changed = i, true
					continue
				}
				i += 6
				continue
			}
			i += 2
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(in[i:])
			if r == utf8.RuneError && size == 1 {
				out = append(append(out, in[mark:i]...), `\ufffd`...)
				i++
				mark, changed = i, true
				continue
			}
			i += size
		}
	}
	if !changed {
		return in, false
	}
	return append(out, in[mark:]...), true
}

func mayHaveSurrogateEscape(b []byte) bool {
	for {
		i := bytes.Index(b, []byte(`\u`))
		if i < 0 || i+3 >= len(b) {
			return false
		}
		if (b[i+2] == 'd' || b[i+2] == 'D') && bytes.IndexByte([]byte("89abcdefABCDEF"), b[i+3]) >= 0 {
			return true
		}
		b = b[i+2:]
	}
}
