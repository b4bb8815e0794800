package kernel

// The JSON scanner the hand-written walkers share (the schema validator's
// member iterator, the response redactor's rewriting walk): the two loops
// every JSON walk spends its time in, written once. Bodies that need a
// path go through gjson instead.

// SkipWS returns the index of the first byte of s at or after i that is
// not JSON whitespace (len(s) if none).
func SkipWS[T ~string | ~[]byte](s T, i int) int {
	for i < len(s) {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// ScanString reads the JSON string whose opening quote is s[i], strictly
// (RFC 8259: no raw control character, only the defined escapes, \u with
// four hex digits). end is the index after the closing quote, escaped
// reports a backslash inside (the text needs unescaping); ok is false for
// a malformed or unterminated string.
func ScanString[T ~string | ~[]byte](s T, i int) (end int, escaped, ok bool) {
	i++
	for {
		for i < len(s) && !stringStop[s[i]] {
			i++
		}
		if i >= len(s) {
			return 0, false, false
		}
		switch c := s[i]; {
		case c == '"':
			return i + 1, escaped, true
		case c == '\\':
			escaped = true
			if i+1 >= len(s) {
				return 0, false, false
			}
			switch s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(s) || !isHex(s[i+2]) || !isHex(s[i+3]) || !isHex(s[i+4]) || !isHex(s[i+5]) {
					return 0, false, false
				}
				i += 6
			default:
				return 0, false, false
			}
		default:
			return 0, false, false // a raw control character
		}
	}
}

// stringStop marks the bytes that end the fast loop inside a string.
var stringStop = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
