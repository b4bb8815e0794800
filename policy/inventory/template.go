package inventory

// Limits on derived templates, so that a shadow endpoint's key stays short
// whatever the request path is.
const (
	// MaxTemplateSegments is how many segments a template keeps; the
	// rest of a longer path becomes one "{...}" segment.
	MaxTemplateSegments = 16
	// maxLiteralSegment is the longest segment kept as literal text; a
	// longer one is taken for an id.
	maxLiteralSegment = 64
)

// IDSegment replaces a path segment that looks like an identifier, and
// RestSegment the segments beyond MaxTemplateSegments.
const (
	IDSegment   = "{id}"
	RestSegment = "{...}"
)

// AppendTemplate appends the template of a normalised path to dst: each
// segment that looks like an identifier (see IsID) becomes "{id}", and a
// path deeper than MaxTemplateSegments ends in "/{...}". The template never
// contains a segment IsID accepts, so no identifier, token or e-mail of
// the path is kept. It does not allocate beyond growing dst.
func AppendTemplate(dst []byte, path string) []byte {
	if path == "" || path == "/" {
		return append(dst, '/')
	}
	if path[0] == '/' {
		path = path[1:]
	}
	segs := 0
	for {
		seg := path
		i := indexByte(path, '/')
		if i >= 0 {
			seg = path[:i]
		}
		dst = append(dst, '/')
		if segs == MaxTemplateSegments {
			return append(dst, RestSegment...)
		}
		if IsID(seg) {
			dst = append(dst, IDSegment...)
		} else {
			dst = append(dst, seg...)
		}
		segs++
		if i < 0 {
			return dst
		}
		path = path[i+1:]
	}
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// IsID reports whether a path segment looks like an identifier rather
// than a resource name. Identifiers are:
//
//   - numbers and number-like values: digits with only '-', '_', '.', ':'
//     between them ("42", "2024-05-01", "10.0.0.1");
//   - UUIDs, and hex strings of at least 8 characters with a digit
//     ("9f86d081");
//   - mixed letters and digits of at least 8 characters with at least two
//     digits ("cus_9s6XKzkNRiz8i3", "a1b2c3d4"), so "oauth2" or
//     "2fa-settings" stay names;
//   - base64url-like tokens of at least 16 characters with many upper-
//     and lower-case letters (at least a fifth of each), so camelCase
//     names such as "getAccountBalanceHistory" stay names;
//   - e-mail addresses ('@', raw or as "%40", followed by a '.');
//   - segments longer than 64 bytes, and segments with '{' or '}' (which
//     would be ambiguous in a template).
//
// An empty segment is not an identifier.
func IsID(seg string) bool {
	n := len(seg)
	if n == 0 {
		return false
	}
	if n > maxLiteralSegment {
		return true
	}
	var digits, upper, lower, hex, seps, other, at int
	for i := 0; i < n; i++ {
		c := seg[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
			hex++
		case c >= 'a' && c <= 'z':
			lower++
			if c <= 'f' {
				hex++
			}
		case c >= 'A' && c <= 'Z':
			upper++
			if c <= 'F' {
				hex++
			}
		case c == '-' || c == '_' || c == '.' || c == ':':
			seps++
		case c == '{' || c == '}':
			return true
		case c == '@':
			at = i + 1
		case c == '%' && i+2 < n && seg[i+1] == '4' && seg[i+2] == '0':
			at = i + 3
			other++
		default:
			other++
		}
	}
	if at > 0 && indexByte(seg[at:], '.') > 0 {
		return true // e-mail address
	}
	letters := upper + lower
	switch {
	case digits > 0 && letters == 0 && other == 0:
		return true // 42, 2024-05-01, 10.0.0.1, 12:30
	case other > 0:
		return false
	case isUUID(seg):
		return true
	case n >= 8 && digits > 0 && hex == n-seps && seps == 0:
		return true // hex string
	case n >= 8 && digits >= 2 && letters > 0:
		return true // mixed letters and digits
	case n >= 16 && upper*5 >= n && lower*5 >= n:
		return true // base64url-like token
	}
	return false
}

// isUUID accepts the 8-4-4-4-12 hex form.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
			continue
		}
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
