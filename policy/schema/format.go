package schema

import (
	"encoding/base64"
	"net/netip"
	"strings"
)

// format is a compiled "format" value.
type format uint8

const (
	fmtNone format = iota
	fmtDateTime
	fmtDate
	fmtTime
	fmtEmail
	fmtUUID
	fmtIPv4
	fmtIPv6
	fmtURI
	fmtHostname
	fmtInt32
	fmtInt64
	fmtByte
)

var formatNames = map[string]format{
	"date-time": fmtDateTime,
	"date":      fmtDate,
	"time":      fmtTime,
	"email":     fmtEmail,
	"uuid":      fmtUUID,
	"ipv4":      fmtIPv4,
	"ipv6":      fmtIPv6,
	"uri":       fmtURI,
	"hostname":  fmtHostname,
	"int32":     fmtInt32,
	"int64":     fmtInt64,
	"byte":      fmtByte,
}

// checkStringFormat reports whether s satisfies a string format. Formats
// that do not apply to strings accept.
func checkStringFormat(f format, s string) bool {
	switch f {
	case fmtDateTime:
		return isDateTime(s)
	case fmtDate:
		return isDate(s)
	case fmtTime:
		return isTime(s)
	case fmtEmail:
		return isEmail(s)
	case fmtUUID:
		return isUUID(s)
	case fmtIPv4:
		return isIPv4(s)
	case fmtIPv6:
		return isIPv6(s)
	case fmtURI:
		return isURI(s)
	case fmtHostname:
		return isHostname(s)
	case fmtByte:
		_, err := base64.StdEncoding.DecodeString(s)
		return err == nil
	}
	return true
}

func digits(s string, n int) (int, bool) {
	if len(s) < n {
		return 0, false
	}
	v := 0
	for i := 0; i < n; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// isDate checks RFC 3339 full-date: YYYY-MM-DD with a real day of month.
func isDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	y, ok1 := digits(s, 4)
	m, ok2 := digits(s[5:], 2)
	d, ok3 := digits(s[8:], 2)
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 {
		return false
	}
	days := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m-1]
	if m == 2 && y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		days = 29
	}
	return d <= days
}

// isTime checks RFC 3339 full-time: HH:MM:SS[.frac](Z|±HH:MM). A leap
// second (60) is accepted only at 23:59 UTC.
func isTime(s string) bool {
	if len(s) < 9 || s[2] != ':' || s[5] != ':' {
		return false
	}
	h, ok1 := digits(s, 2)
	m, ok2 := digits(s[3:], 2)
	sec, ok3 := digits(s[6:], 2)
	if !ok1 || !ok2 || !ok3 || h > 23 || m > 59 || sec > 60 {
		return false
	}
	s = s[8:]
	if s[0] == '.' {
		i := 1
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 1 {
			return false
		}
		s = s[i:]
	}
	if len(s) == 0 {
		return false
	}
	offMin := 0
	switch s[0] {
	case 'z', 'Z':
		if len(s) != 1 {
			return false
		}
	case '+', '-':
		if len(s) != 6 || s[3] != ':' {
			return false
		}
		oh, ok1 := digits(s[1:], 2)
		om, ok2 := digits(s[4:], 2)
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return false
		}
		offMin = oh*60 + om
		if s[0] == '+' {
			offMin = -offMin
		}
	default:
		return false
	}
	if sec == 60 {
		// Leap seconds happen at 23:59:60 UTC.
		utc := ((h*60+m+offMin)%(24*60) + 24*60) % (24 * 60)
		return utc == 23*60+59
	}
	return true
}

// isDateTime checks RFC 3339 date-time (T or t or space-free separator).
func isDateTime(s string) bool {
	if len(s) < 11 || (s[10] != 'T' && s[10] != 't') {
		return false
	}
	return isDate(s[:10]) && isTime(s[11:])
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// isIPv4 checks dotted-quad notation without leading zeros.
func isIPv4(s string) bool {
	parts := 0
	for len(s) > 0 || parts == 0 {
		i := strings.IndexByte(s, '.')
		p := s
		if i >= 0 {
			p, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		if len(p) == 0 || len(p) > 3 || (len(p) > 1 && p[0] == '0') {
			return false
		}
		v, ok := digits(p, len(p))
		if !ok || v > 255 {
			return false
		}
		parts++
		if i < 0 {
			break
		}
		if s == "" {
			return false
		}
	}
	return parts == 4
}

// isIPv6 checks RFC 4291 text form, no zone, embedded IPv4 allowed.
func isIPv6(s string) bool {
	if strings.IndexByte(s, '%') >= 0 || strings.IndexByte(s, ':') < 0 {
		return false
	}
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is6()
}

// isHostname checks RFC 1123 host names: labels of 1-63 letters, digits
// and hyphens, not starting or ending with a hyphen, 253 bytes in all.
func isHostname(s string) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	for rest := s; ; {
		label := rest
		dot := strings.IndexByte(rest, '.')
		if dot >= 0 {
			label, rest = rest[:dot], rest[dot+1:]
		}
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
		if dot < 0 {
			return true
		}
	}
}

// isEmail checks a pragmatic RFC 5321 subset: dot-atom or quoted local
// part, "@", and a host name or a bracketed IP literal.
func isEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || len(s) > 320 {
		return false
	}
	local, domain := s[:at], s[at+1:]
	if local[0] == '"' {
		if len(local) < 2 || local[len(local)-1] != '"' {
			return false
		}
	} else {
		if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
			return false
		}
		for i := 0; i < len(local); i++ {
			c := local[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-/=?^_`{|}~.", c) >= 0) {
				return false
			}
		}
	}
	if domain[0] == '[' {
		if domain[len(domain)-1] != ']' {
			return false
		}
		lit := domain[1 : len(domain)-1]
		if v6, ok := strings.CutPrefix(lit, "IPv6:"); ok {
			return isIPv6(v6)
		}
		return isIPv4(lit)
	}
	return isHostname(domain)
}

// isURI checks an absolute RFC 3986 URI: a scheme, then only characters
// allowed in URIs, with well-formed percent escapes.
func isURI(s string) bool {
	colon := strings.IndexByte(s, ':')
	if colon <= 0 {
		return false
	}
	for i := 0; i < colon; i++ {
		c := s[i]
		alpha := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !alpha && (i == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	rest := s[colon+1:]
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		switch {
		case c == '%':
			if i+2 >= len(rest) || !isHex(rest[i+1]) || !isHex(rest[i+2]) {
				return false
			}
			i += 2
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9':
		case strings.IndexByte("-._~:/?#[]@!$&'()*+,;=", c) >= 0:
		default:
			return false
		}
	}
	// The authority, when present, must not contain '[' outside an IP
	// literal nor more than one '@'; keep this check small.
	after := rest
	if auth, ok := strings.CutPrefix(rest, "//"); ok {
		after = ""
		if i := strings.IndexAny(auth, "/?#"); i >= 0 {
			auth, after = auth[:i], auth[i:]
		}
		if strings.Count(auth, "@") > 1 {
			return false
		}
		if j := strings.LastIndexByte(auth, '@'); j >= 0 {
			if strings.ContainsAny(auth[:j], "[]") {
				return false
			}
			auth = auth[j+1:]
		}
		if strings.HasPrefix(auth, "[") {
			end := strings.IndexByte(auth, ']')
			if end < 0 || !isIPv6(auth[1:end]) {
				return false
			}
			auth = auth[end+1:]
			if auth != "" && auth[0] != ':' {
				return false
			}
		} else if strings.ContainsAny(auth, "[]") {
			return false
		}
		if p := strings.LastIndexByte(auth, ':'); p >= 0 {
			if _, ok := digits(auth[p+1:], len(auth)-p-1); !ok && p+1 != len(auth) {
				return false
			}
		}
	}
	// Brackets are only allowed around an IP literal host.
	return !strings.ContainsAny(after, "[]")
}
