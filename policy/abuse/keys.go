package abuse

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/apiwarden/apiwarden/policy/internal/cfg"
	"github.com/tidwall/gjson"
)

// PartKind names where one part of a rule's key is read from.
type PartKind uint8

// Key part kinds.
const (
	PartSession  PartKind = iota + 1 // "session": the hashed session key
	PartClient                       // "client": the client address (trusted hops applied)
	PartClaim                        // "claim:<name>": a verified claim of the principal
	PartClientID                     // "client_id": the verified API-key client id
	PartHeader                       // "header:<name>": a request header
	PartParam                        // "param:<name>": a path parameter
	PartQuery                        // "query:<name>": a query parameter
	PartBody                         // "body:<json pointer>": a string, number or boolean of the JSON body
	PartEndpoint                     // (internal) the endpoint id, for per_endpoint rules
)

// Part is one element of a key ("session", "header:x-api-key",
// "body:/username", ...).
type Part struct {
	Kind PartKind
	// Name is the header (lower case), parameter or claim name, or the
	// JSON pointer of a body part.
	Name string
	// path is the gjson path of a body part.
	path string
}

// String returns the part as written in the configuration.
func (p Part) String() string {
	switch p.Kind {
	case PartSession:
		return "session"
	case PartClient:
		return "client"
	case PartClientID:
		return "client_id"
	case PartClaim:
		return "claim:" + p.Name
	case PartHeader:
		return "header:" + p.Name
	case PartParam:
		return "param:" + p.Name
	case PartQuery:
		return "query:" + p.Name
	case PartBody:
		return "body:" + p.Name
	case PartEndpoint:
		return "endpoint"
	}
	return "unknown"
}

// ParsePart reads one key part.
func ParsePart(s string) (Part, error) {
	switch s {
	case "session":
		return Part{Kind: PartSession}, nil
	case "client":
		return Part{Kind: PartClient}, nil
	case "client_id":
		return Part{Kind: PartClientID}, nil
	}
	kind, name, ok := strings.Cut(s, ":")
	if !ok || name == "" {
		return Part{}, fmt.Errorf(`want "session", "client", "client_id", "claim:<name>", "header:<name>", "param:<name>", "query:<name>" or "body:<json pointer>", got %q`, cfg.Clip(s))
	}
	if len(name) > 256 {
		return Part{}, fmt.Errorf("name longer than 256 bytes")
	}
	switch kind {
	case "claim":
		return Part{Kind: PartClaim, Name: name}, nil
	case "header":
		if !cfg.IsToken(name) {
			return Part{}, fmt.Errorf("invalid header name %q", cfg.Clip(name))
		}
		return Part{Kind: PartHeader, Name: strings.ToLower(name)}, nil
	case "param":
		return Part{Kind: PartParam, Name: name}, nil
	case "query":
		return Part{Kind: PartQuery, Name: name}, nil
	case "body":
		path, err := PointerPath(name)
		if err != nil {
			return Part{}, err
		}
		return Part{Kind: PartBody, Name: name, path: path}, nil
	}
	return Part{}, fmt.Errorf("unknown key part kind %q (want session, client, client_id, claim, header, param, query or body)", cfg.Clip(kind))
}

// PointerPath compiles an RFC 6901 JSON pointer ("/user/name", "/a~1b",
// "/items/0") to the gjson path that reads the same member (every segment
// escaped, so no gjson syntax or modifier can be injected).
func PointerPath(ptr string) (string, error) {
	if ptr == "" || ptr[0] != '/' {
		return "", fmt.Errorf("want a JSON pointer starting with \"/\", got %q", cfg.Clip(ptr))
	}
	var b strings.Builder
	for i, seg := range strings.Split(ptr[1:], "/") {
		if strings.Contains(strings.ReplaceAll(strings.ReplaceAll(seg, "~0", ""), "~1", ""), "~") {
			return "", fmt.Errorf("invalid escape in JSON pointer %q (want ~0 or ~1)", cfg.Clip(ptr))
		}
		seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
		if seg == "" {
			return "", fmt.Errorf("empty segment in JSON pointer %q", cfg.Clip(ptr))
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(gjson.Escape(seg))
	}
	return b.String(), nil
}

// scalar returns the text of a string, number or boolean JSON value.
func scalar(r gjson.Result) (string, bool) {
	switch r.Type {
	case gjson.String:
		return r.Str, true
	case gjson.Number, gjson.True, gjson.False:
		return r.Raw, true
	}
	return "", false
}

// value reads one part of the request; ok=false when absent or empty.
// client is the request's client address text (computed once).
func (p *Part) value(req *Request, client string) (string, bool) {
	var v string
	switch p.Kind {
	case PartSession:
		v = req.Session
	case PartClient:
		v = client
	case PartClientID:
		v = req.ClientID
	case PartEndpoint:
		v = req.Endpoint
	case PartClaim:
		if req.Claims != nil {
			v, _ = req.Claims.Claim(p.Name)
		}
	case PartHeader:
		if req.Headers != nil {
			v = strings.TrimSpace(req.Headers.Get(p.Name))
		}
	case PartParam:
		if req.PathParams != nil {
			v, _ = req.PathParams.Get(p.Name)
		}
	case PartQuery:
		if req.Query != nil {
			v, _ = req.Query.Get(p.Name)
		}
	case PartBody:
		if req.Body != nil {
			v, _ = scalar(req.Body.Get(p.path))
		}
	}
	return v, v != ""
}

// hasher derives 64-bit ids from the salt, a domain (rule) and key parts:
// the first 8 bytes of SHA-256(salt 0x00 domain 0x00 part1 0x1f part2 ...).
// The raw key never leaves it; events print the id as 16 hex digits.
type hasher struct {
	buf [512]byte
	b   []byte
}

func (h *hasher) start(salt, domain string) {
	h.b = append(append(append(append(h.buf[:0], salt...), 0), domain...), 0)
}

func (h *hasher) add(part string) { h.b = append(append(h.b, part...), 0x1f) }

func (h *hasher) sum() uint64 {
	s := sha256.Sum256(h.b)
	return binary.LittleEndian.Uint64(s[:8])
}

// key builds the id of parts for the rule domain; ok=false when a part is
// absent (the rule does not apply to this request).
func (h *hasher) key(salt, domain string, parts []Part, req *Request, client string) (uint64, bool) {
	h.start(salt, domain)
	for i := range parts {
		v, ok := parts[i].value(req, client)
		if !ok {
			return 0, false
		}
		h.add(v)
	}
	return h.sum(), true
}

// hash32 is the 32-bit value hash of distinct counting and captured ids.
func (h *hasher) hash32(salt, domain, value string) uint32 {
	h.start(salt, domain)
	h.add(value)
	s := sha256.Sum256(h.b)
	return binary.LittleEndian.Uint32(s[:4])
}

const hexDigits = "0123456789abcdef"

// idHex prints an id for events.
func idHex(id uint64) string {
	var b [16]byte
	for i := 15; i >= 0; i-- {
		b[i] = hexDigits[id&0xf]
		id >>= 4
	}
	return string(b[:])
}
