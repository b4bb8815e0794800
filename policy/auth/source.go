package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/url"
	"strings"

	"github.com/apiwarden/apiwarden/policy/session"
)

// Headers reads request headers by lower-case name; a missing header is
// "". A header sent several times must be given joined with ", " (as
// Envoy does): a second credential then shows.
type Headers interface {
	Get(name string) string
}

// Request is what authentication reads from a request's headers phase.
type Request struct {
	Headers Headers
	// RawQuery is the query string without '?'.
	RawQuery string
}

// read returns the credential of one source and how many were found
// there (a header with a comma, a cookie or a parameter given twice: 2).
func (s Source) read(r *Request) (string, int) {
	switch s.Kind {
	case FromHeader:
		if r.Headers == nil {
			return "", 0
		}
		v := strings.TrimSpace(r.Headers.Get(s.Name))
		if v == "" {
			return "", 0
		}
		if s.Prefix != "" {
			p := strings.TrimSpace(s.Prefix)
			if len(v) < len(p) || !strings.EqualFold(v[:len(p)], p) {
				return "", 0
			}
			v = v[len(p):]
			if p != s.Prefix {
				// "Bearer ": at least one space after the scheme.
				if v == "" || (v[0] != ' ' && v[0] != '\t') {
					return "", 0
				}
				v = strings.TrimLeft(v, " \t")
			}
		}
		if strings.IndexByte(v, ',') >= 0 {
			return v, 2
		}
		if v == "" {
			return "", 0
		}
		return v, 1
	case FromCookie:
		if r.Headers == nil {
			return "", 0
		}
		return cookieValue(r.Headers.Get("cookie"), s.Name)
	case FromQuery:
		return queryValue(r.RawQuery, s.Name)
	}
	return "", 0
}

// cookieValue returns the last non-empty value of cookie name and how
// many non-empty values are set.
func cookieValue(header, name string) (string, int) {
	var val string
	n := 0
	for v := range session.Cookies(header, name) {
		if v != "" {
			val = v
			n++
		}
	}
	return val, n
}

// queryValue returns the decoded value of query parameter name and how
// often it occurs. An undecodable value counts as present, empty.
func queryValue(raw, name string) (string, int) {
	var val string
	n := 0
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(part, "=")
		if k != name {
			if dk, err := url.QueryUnescape(k); err != nil || dk != name {
				continue
			}
		}
		dv, err := url.QueryUnescape(v)
		if err != nil {
			dv = ""
		}
		n++
		val = dv
	}
	return val, n
}

// lookup returns the client id of an API key, comparing its digest with
// every configured digest in constant time (no early exit).
func (k *APIKeySource) lookup(key string) (string, bool) {
	d := sha256.Sum256([]byte(key))
	found := -1
	for i := range k.digests {
		if subtle.ConstantTimeCompare(d[:], k.digests[i][:]) == 1 && found < 0 {
			found = i
		}
	}
	if found < 0 {
		return "", false
	}
	return k.clients[found], true
}

// Digest is the configured form of an API key: its SHA-256 in lower-case
// hex (what cmd/apikey-digest prints).
func Digest(key string) string {
	d := sha256.Sum256([]byte(key))
	const hexd = "0123456789abcdef"
	out := make([]byte, 64)
	for i, b := range d {
		out[2*i], out[2*i+1] = hexd[b>>4], hexd[b&15]
	}
	return string(out)
}
