package trace

import (
	"errors"
)

// Errors returned by the parsers. They never carry the header value.
var (
	ErrTraceparent = errors.New("trace: invalid traceparent")
	ErrB3          = errors.New("trace: invalid b3 header")
)

// FlagSampled is the sampled bit of the trace flags.
const FlagSampled = 0x01

// Context is one W3C trace context: what arrived in traceparent and
// tracestate, or a new trace this proxy started.
type Context struct {
	TraceID  [16]byte
	ParentID [8]byte // the span id of the sender (after Child: this proxy's span)
	Flags    byte
	// Version is the traceparent version that was received; String always
	// writes 00, the only version this package writes.
	Version byte
	// State is the tracestate header, kept as received when valid, "" when
	// absent or dropped as invalid.
	State string
}

// Sampled reports the sampled flag.
func (c Context) Sampled() bool { return c.Flags&FlagSampled != 0 }

// IsValid reports whether c has a trace id and a parent id (not all zero).
func (c Context) IsValid() bool { return !zero(c.TraceID[:]) && !zero(c.ParentID[:]) }

func zero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

const hexDigits = "0123456789abcdef"

// unhex decodes a lower-case hex digit; ok is false for anything else
// (upper case included, as the specification requires).
func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// decodeHex fills dst from exactly 2*len(dst) lower-case hex digits.
func decodeHex(dst []byte, s string) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	for i := range dst {
		h, ok1 := unhex(s[2*i])
		l, ok2 := unhex(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = h<<4 | l
	}
	return true
}

func appendHex(dst, b []byte) []byte {
	for _, c := range b {
		dst = append(dst, hexDigits[c>>4], hexDigits[c&15])
	}
	return dst
}

// TraceparentLen is the length of a version 00 traceparent.
const TraceparentLen = 55

// ParseTraceparent parses a traceparent header value:
//
//	version "-" trace-id "-" parent-id "-" trace-flags
//	00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
//
// All fields are lower-case hex. Version ff is invalid; version 00 must be
// exactly 55 characters; a higher version may carry more fields after a
// '-' at position 55 (they are ignored, the known ones are read as 00).
// Trace id and parent id must not be all zeros. It does not allocate.
func ParseTraceparent(s string) (Context, error) {
	var c Context
	if len(s) < TraceparentLen {
		return c, ErrTraceparent
	}
	var v [1]byte
	if !decodeHex(v[:], s[0:2]) || v[0] == 0xff {
		return c, ErrTraceparent
	}
	c.Version = v[0]
	if c.Version == 0 && len(s) != TraceparentLen || len(s) > TraceparentLen && s[TraceparentLen] != '-' {
		return c, ErrTraceparent
	}
	if s[2] != '-' || s[35] != '-' || s[52] != '-' {
		return c, ErrTraceparent
	}
	var f [1]byte
	if !decodeHex(c.TraceID[:], s[3:35]) || !decodeHex(c.ParentID[:], s[36:52]) || !decodeHex(f[:], s[53:55]) {
		return c, ErrTraceparent
	}
	c.Flags = f[0]
	if !c.IsValid() {
		return Context{}, ErrTraceparent
	}
	return c, nil
}

// Parse reads traceparent and tracestate together: tracestate is kept
// only when traceparent is valid and tracestate itself is valid (see
// ValidTracestate); an invalid tracestate is dropped, not an error.
func Parse(traceparent, tracestate string) (Context, error) {
	c, err := ParseTraceparent(traceparent)
	if err != nil {
		return Context{}, err
	}
	if ValidTracestate(tracestate) {
		c.State = tracestate
	}
	return c, nil
}

// Limits of tracestate from the W3C specification.
const (
	MaxTracestateLen     = 512
	MaxTracestateMembers = 32
)

// ValidTracestate reports whether s is a tracestate this proxy forwards:
// at most 512 characters and 32 list members, each a well-formed
// key=value (keys "vendor" or "tenant@system" of lower-case letters,
// digits and _-*/; values of printable ASCII without ',' and '=', not
// ending in a space), no key twice. Empty members (",,") are allowed as
// the specification says. It does not allocate.
func ValidTracestate(s string) bool {
	if s == "" || len(s) > MaxTracestateLen {
		return false
	}
	var keys [MaxTracestateMembers]string
	n := 0
	for len(s) > 0 {
		m := s
		if i := indexByte(s, ','); i >= 0 {
			m, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		m = trimOWS(m)
		if m == "" {
			continue
		}
		eq := indexByte(m, '=')
		if eq <= 0 || !validKey(m[:eq]) || !validValue(m[eq+1:]) {
			return false
		}
		if n == MaxTracestateMembers {
			return false
		}
		for _, k := range keys[:n] {
			if k == m[:eq] {
				return false
			}
		}
		keys[n] = m[:eq]
		n++
	}
	return n > 0
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

func keyChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '*' || c == '/'
}

func validKey(k string) bool {
	at := indexByte(k, '@')
	if at < 0 {
		if len(k) > 256 || k[0] < 'a' || k[0] > 'z' {
			return false
		}
		for i := 1; i < len(k); i++ {
			if !keyChar(k[i]) {
				return false
			}
		}
		return true
	}
	tenant, system := k[:at], k[at+1:]
	if len(tenant) == 0 || len(tenant) > 241 || len(system) == 0 || len(system) > 14 {
		return false
	}
	if !(tenant[0] >= 'a' && tenant[0] <= 'z' || tenant[0] >= '0' && tenant[0] <= '9') || system[0] < 'a' || system[0] > 'z' {
		return false
	}
	for i := 1; i < len(tenant); i++ {
		if !keyChar(tenant[i]) {
			return false
		}
	}
	for i := 1; i < len(system); i++ {
		if !keyChar(system[i]) {
			return false
		}
	}
	return true
}

func validValue(v string) bool {
	if len(v) == 0 || len(v) > 256 || v[len(v)-1] == ' ' {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < 0x20 || c > 0x7e || c == ',' || c == '=' {
			return false
		}
	}
	return true
}

// New starts a trace from 24 random bytes supplied by the caller (the
// filter reads them from the host): 16 for the trace id, 8 for the parent
// id. An all-zero id (which a broken random source could produce) gets
// its last bit set so the result is always valid.
func New(random [24]byte, sampled bool) Context {
	var c Context
	copy(c.TraceID[:], random[:16])
	copy(c.ParentID[:], random[16:])
	if zero(c.TraceID[:]) {
		c.TraceID[15] = 1
	}
	if zero(c.ParentID[:]) {
		c.ParentID[7] = 1
	}
	if sampled {
		c.Flags = FlagSampled
	}
	return c
}

// Child returns the context this proxy propagates upstream: the same
// trace id, flags and tracestate, a new parent id from random (this
// proxy's span), version 00.
func (c Context) Child(random [8]byte) Context {
	c.ParentID = random
	if zero(c.ParentID[:]) {
		c.ParentID[7] = 1
	}
	c.Version = 0
	return c
}

// AppendTraceparent appends the version 00 traceparent of c to dst.
func (c Context) AppendTraceparent(dst []byte) []byte {
	dst = append(dst, '0', '0', '-')
	dst = appendHex(dst, c.TraceID[:])
	dst = append(dst, '-')
	dst = appendHex(dst, c.ParentID[:])
	dst = append(dst, '-', hexDigits[c.Flags>>4], hexDigits[c.Flags&15])
	return dst
}

// String formats c as a version 00 traceparent header value.
func (c Context) String() string {
	var buf [TraceparentLen]byte
	return string(c.AppendTraceparent(buf[:0]))
}

// TraceIDString is the 32 hex digit trace id, as logs and events carry it.
func (c Context) TraceIDString() string {
	var buf [32]byte
	return string(appendHex(buf[:0], c.TraceID[:]))
}

// SpanIDString is the 16 hex digit parent id (after Child: this proxy's
// span id), as events carry it.
func (c Context) SpanIDString() string {
	var buf [16]byte
	return string(appendHex(buf[:0], c.ParentID[:]))
}

// ParseB3 reads the B3 single header:
//
//	{traceid}-{spanid}[-{sampling}[-{parentspanid}]]
//
// trace id of 16 or 32 lower-case hex digits (a 64-bit id is left-padded
// with zeros), span ids of 16; sampling "1" or "d" (debug) set the sampled
// flag, "0" or none leave it clear. The span id becomes ParentID. A header
// with only a sampling decision ("0", "1", "d") carries no trace and is an
// error here. It does not allocate.
func ParseB3(s string) (Context, error) {
	var c Context
	i := indexByte(s, '-')
	if i < 0 {
		return c, ErrB3
	}
	tid, rest := s[:i], s[i+1:]
	switch len(tid) {
	case 32:
		if !decodeHex(c.TraceID[:], tid) {
			return c, ErrB3
		}
	case 16:
		if !decodeHex(c.TraceID[8:], tid) {
			return c, ErrB3
		}
	default:
		return c, ErrB3
	}
	span := rest
	rest = ""
	if j := indexByte(span, '-'); j >= 0 {
		span, rest = span[:j], span[j+1:]
	}
	if !decodeHex(c.ParentID[:], span) {
		return Context{}, ErrB3
	}
	if rest != "" || len(span) != len(s)-i-1 {
		sampling := rest
		parent := ""
		if j := indexByte(rest, '-'); j >= 0 {
			sampling, parent = rest[:j], rest[j+1:]
			var p [8]byte
			if !decodeHex(p[:], parent) || zero(p[:]) {
				return Context{}, ErrB3
			}
		}
		switch sampling {
		case "1", "d":
			c.Flags = FlagSampled
		case "0":
		default:
			return Context{}, ErrB3
		}
	}
	if !c.IsValid() {
		return Context{}, ErrB3
	}
	return c, nil
}
