package session

import (
	"encoding/base64"
	"fmt"
	"iter"
	"net/netip"
	"strings"

	"github.com/apiwarden/apiwarden/policy/internal/cfg"
	"github.com/tidwall/gjson"
)

// SourceKind names where a session key is read from.
type SourceKind uint8

// Key source kinds.
const (
	SourceHeader SourceKind = iota + 1
	SourceCookie
	SourceJWT
	SourceIP
)

// KeySource is one entry of session.from: "header:<name>",
// "cookie:<name>", "jwt:<claim>" or "ip".
type KeySource struct {
	Kind SourceKind
	// Name is the lower-case header name, the cookie name or the claim.
	Name string
	// path is the escaped gjson path of a JWT claim.
	path string
}

// String returns the source as written in the configuration.
func (k KeySource) String() string {
	switch k.Kind {
	case SourceHeader:
		return "header:" + k.Name
	case SourceCookie:
		return "cookie:" + k.Name
	case SourceJWT:
		return "jwt:" + k.Name
	case SourceIP:
		return "ip"
	}
	return "unknown"
}

// ParseKeySource parses one session.from entry.
func ParseKeySource(s string) (KeySource, error) {
	if s == "ip" {
		return KeySource{Kind: SourceIP}, nil
	}
	kind, name, ok := strings.Cut(s, ":")
	if !ok || name == "" {
		return KeySource{}, fmt.Errorf(`want "header:<name>", "cookie:<name>", "jwt:<claim>" or "ip", got %q`, cfg.Clip(s))
	}
	switch kind {
	case "header":
		if !cfg.IsToken(name) {
			return KeySource{}, fmt.Errorf("invalid header name %q", cfg.Clip(name))
		}
		return KeySource{Kind: SourceHeader, Name: strings.ToLower(name)}, nil
	case "cookie":
		if !cfg.IsToken(name) {
			return KeySource{}, fmt.Errorf("invalid cookie name %q", cfg.Clip(name))
		}
		return KeySource{Kind: SourceCookie, Name: name}, nil
	case "jwt":
		if len(name) > 128 {
			return KeySource{}, fmt.Errorf("claim name longer than 128 bytes")
		}
		return KeySource{Kind: SourceJWT, Name: name, path: gjson.Escape(name)}, nil
	}
	return KeySource{}, fmt.Errorf(`unknown key source kind %q (want header, cookie, jwt or ip)`, cfg.Clip(kind))
}

// Headers reads request headers by lower-case name; a missing header is "".
type Headers interface {
	Get(name string) string
}

// MaxTokenBytes bounds the bearer token read for a jwt: source.
const MaxTokenBytes = 8192

// Address gives the downstream address ("ip:port") on demand.
type Address interface{ SourceAddress() string }

// knownAddress is an Address known in advance.
type knownAddress string

func (a knownAddress) SourceAddress() string { return string(a) }

// rawKey returns the raw session key of one source, or "". address is
// asked only for the client-address source.
func (k KeySource) rawKey(h Headers, address Address, trustedHops int) string {
	switch k.Kind {
	case SourceHeader:
		return strings.TrimSpace(h.Get(k.Name))
	case SourceCookie:
		return CookieValue(h.Get("cookie"), k.Name)
	case SourceJWT:
		return JWTClaim(h.Get("authorization"), k.path)
	case SourceIP:
		return ClientIP(h.Get("x-forwarded-for"), address.SourceAddress(), trustedHops)
	}
	return ""
}

// CookieValue returns the value of cookie name in a Cookie header value
// ("a=1; b=2"), without surrounding quotes, or "": the first one set.
func CookieValue(header, name string) string {
	for v := range Cookies(header, name) {
		return v
	}
	return ""
}

// Cookies yields each value of cookie name in a Cookie header value, in
// order, without surrounding quotes (empty values included).
func Cookies(header, name string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for header != "" {
			var part string
			part, header, _ = strings.Cut(header, ";")
			k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok || strings.TrimSpace(k) != name {
				continue
			}
			v = strings.TrimSpace(v)
			if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			if !yield(v) {
				return
			}
		}
	}
}

// JWTClaim reads the claim at the escaped gjson path from the payload of
// the JWT in an "Authorization: Bearer <jwt>" value, WITHOUT verifying the
// signature: the result only groups requests into sessions. Garbage (wrong
// scheme, not three parts, bad base64, invalid JSON, a claim that is not a
// string or number) yields "".
func JWTClaim(authorization, path string) string {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(authorization), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") || path == "" {
		return ""
	}
	tok = strings.TrimSpace(tok)
	if len(tok) > MaxTokenBytes {
		return ""
	}
	_, rest, ok := strings.Cut(tok, ".")
	if !ok {
		return ""
	}
	payload, sig, ok := strings.Cut(rest, ".")
	if !ok || strings.IndexByte(sig, '.') >= 0 || payload == "" {
		return ""
	}
	payload = strings.TrimRight(payload, "=")
	js := make([]byte, base64.RawURLEncoding.DecodedLen(len(payload)))
	n, err := base64.RawURLEncoding.Decode(js, []byte(payload))
	if err != nil {
		return ""
	}
	js = js[:n]
	if !gjson.ValidBytes(js) {
		return ""
	}
	r := gjson.GetBytes(js, path)
	switch r.Type {
	case gjson.String:
		return r.Str
	case gjson.Number:
		return r.Raw
	}
	return ""
}

// ClientIP is ClientAddr as canonical text, or "".
func ClientIP(xff, sourceAddress string, trustedHops int) string {
	if a, ok := ClientAddr(xff, sourceAddress, trustedHops); ok {
		return a.String()
	}
	return ""
}

// ClientAddr returns the client address the way Envoy's
// xff_num_trusted_hops reads X-Forwarded-For: with trustedHops > 0 the
// element trustedHops places from the right (1 = the last one, appended by
// the nearest trusted proxy); otherwise, or when the header is shorter or
// that element is not an address, the host part of sourceAddress
// ("10.0.0.1:5000", "[::1]:123" or a bare address). IPv4-mapped IPv6
// addresses are unmapped and zones dropped, so one client has one
// identity; ok=false when neither yields an address. Sessions and abuse
// limits both read the client through it.
func ClientAddr(xff, sourceAddress string, trustedHops int) (netip.Addr, bool) {
	if trustedHops > 0 && xff != "" {
		end := len(xff)
		for k := 1; ; k++ {
			start := strings.LastIndexByte(xff[:end], ',') + 1
			if k == trustedHops {
				if a, ok := parseAddr(xff[start:end]); ok {
					return a, true
				}
				break
			}
			if start == 0 {
				break // fewer elements than trusted hops
			}
			end = start - 1
		}
	}
	return parseAddr(sourceAddress)
}

// parseAddr reads "1.2.3.4", "1.2.3.4:80", "::1", "[::1]" or "[::1]:80";
// a bracket must have its pair.
func parseAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return netip.Addr{}, false
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	if len(s) >= 2 && s[0] == '[' && s[len(s)-1] == ']' {
		s = s[1 : len(s)-1]
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone(""), true
	}
	return netip.Addr{}, false
}
