package policy

import (
	"errors"
	"strings"
)

// ErrInvalidPath is returned for a request target that cannot be
// normalised safely; the filter answers 400.
var ErrInvalidPath = errors.New("invalid request path")

// NormalizePath turns a request's :path into the form endpoints are matched
// against, and returns the raw query separately.
//
// What is normalised, in this order:
//   - the query (from the first '?') is split off and left untouched;
//   - percent-encodings of unreserved characters (A-Z a-z 0-9 - . _ ~) are
//     decoded, so /api/%761 is /api/v1; other percent-encodings are kept
//     but their hex digits upper-cased (%2f becomes %2F), so one resource
//     has one spelling;
//   - runs of '/' collapse to one;
//   - dot segments are removed per RFC 3986 §5.2.4 (after decoding, so
//     %2e%2e is a dot segment too); ".." never climbs above the root;
//   - a trailing '/' is dropped (except for "/").
//
// What is not normalised, and why:
//   - %2F (encoded '/') stays encoded and is never a segment separator:
//     decoding it would let /a%2F..%2Fadmin reach a different route than the
//     upstream sees; upstreams that decode it are expected to be fronted by
//     Envoy's own path_with_escaped_slashes_action;
//   - '\' is an ordinary character (Envoy does not treat it as a separator
//     either); a path containing it matches no template with a literal '/';
//   - case is significant (RFC 3986 paths are case-sensitive);
//   - ';' matrix parameters are part of the segment.
//
// Refused with ErrInvalidPath: an empty path or one not starting with '/',
// malformed percent-encodings (%zz, a truncated %4), and control characters
// (raw or as %00-%1F, %7F), which have no place in a path and are a classic
// way to split what the proxy and the upstream see.
//
// The common case (nothing to change) returns path without allocating.
func NormalizePath(target string) (path, query string, err error) {
	path = target
	if i := strings.IndexByte(target, '?'); i >= 0 {
		path, query = target[:i], target[i+1:]
	}
	if path == "" || path[0] != '/' {
		return "", "", ErrInvalidPath
	}
	if clean, ok := alreadyNormal(path); !ok {
		return "", "", ErrInvalidPath
	} else if clean {
		return path, query, nil
	}
	p, err := normalizeSlow(path)
	return p, query, err
}

// alreadyNormal scans once: ok=false on a control character; clean=true
// when the path needs no rewriting.
func alreadyNormal(p string) (clean, ok bool) {
	clean = true
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c < 0x20 || c == 0x7f:
			return false, false
		case c == '%':
			clean = false
		case c == '/':
			if i+1 < len(p) && p[i+1] == '/' {
				clean = false
			}
			if i+1 < len(p) && p[i+1] == '.' {
				clean = false
			}
		}
	}
	if len(p) > 1 && p[len(p)-1] == '/' {
		clean = false
	}
	return clean, true
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

func unhex(c byte) (byte, bool) {
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

const upperHex = "0123456789ABCDEF"

// percentByte decodes the "%XX" at s[i].
func percentByte(s string, i int) (byte, bool) {
	if i+2 >= len(s) {
		return 0, false
	}
	hi, ok1 := unhex(s[i+1])
	lo, ok2 := unhex(s[i+2])
	return hi<<4 | lo, ok1 && ok2
}

func normalizeSlow(p string) (string, error) {
	// Pass 1: percent-decoding of unreserved characters.
	var b strings.Builder
	b.Grow(len(p))
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		v, ok := percentByte(p, i)
		if !ok || v < 0x20 || v == 0x7f {
			return "", ErrInvalidPath
		}
		if unreserved(v) {
			b.WriteByte(v)
		} else {
			b.WriteByte('%')
			b.WriteByte(upperHex[v>>4])
			b.WriteByte(upperHex[v&0xf])
		}
		i += 2
	}
	// Pass 2: segments, dropping empty ones and resolving dot segments.
	segs := strings.Split(b.String(), "/")
	out := segs[:0]
	for _, s := range segs {
		switch s {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, s)
		}
	}
	return "/" + strings.Join(out, "/"), nil
}
