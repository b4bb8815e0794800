package policy

import (
	"strconv"
	"strings"

	"github.com/apiwarden/apiwarden/policy/internal/cfg"
	"github.com/apiwarden/apiwarden/policy/schema"
)

// Integrity is what keeps the upstream acting on exactly what was
// validated: how numbers and JSON text are read, what is forwarded as the
// path, bodies where none is declared, method-override headers, and how
// much of a request is inspected. It is the "request" section's part of
// the configuration reference.
type Integrity struct {
	// Numbers: schema.Float64 (default) judges numbers as a float64
	// backend holds them; schema.Exact as written.
	Numbers schema.Numbers
	// StrictJSON refuses invalid UTF-8 and unpaired surrogate escapes in
	// JSON bodies (I-JSON); request.json_text "strict" (default) or "lax".
	StrictJSON bool
	// PathIntegrity: PathRewrite (default) forwards the normalised path
	// that was validated, PathRefuse refuses paths not in normal form,
	// PathOff forwards the path as the client sent it.
	PathIntegrity PathIntegrity
	// UnexpectedBody applies to a body sent to an endpoint that declares
	// none (default block).
	UnexpectedBody Action
	// MethodOverride applies to X-HTTP-Method-Override, X-HTTP-Method and
	// X-Method-Override (default block).
	MethodOverride OverrideAction
	// Bounds on what is inspected; beyond them the request is refused
	// with a message naming the bound.
	MaxArrayItems  int
	MaxQueryParams int
	MaxHeaders     int
	MaxCookies     int
}

// PathIntegrity says what is forwarded as :path.
type PathIntegrity uint8

const (
	PathRewrite PathIntegrity = iota
	PathRefuse
	PathOff
)

func (p PathIntegrity) String() string {
	return [...]string{"rewrite", "refuse", "off"}[p]
}

// OverrideAction is what happens to a method-override header.
type OverrideAction uint8

const (
	OverrideBlock OverrideAction = iota
	OverrideStrip
	OverrideAllow
)

func (o OverrideAction) String() string {
	return [...]string{"block", "strip", "allow"}[o]
}

// Defaults of the configuration reference.
const (
	DefaultMaxArrayItems  = 100
	DefaultMaxQueryParams = 128
	DefaultMaxHeaders     = 128
	DefaultMaxCookies     = 64
)

// MethodOverrideHeaders are the headers frameworks honour to run another
// method than the request line's (lower case).
var MethodOverrideHeaders = []string{"x-http-method-override", "x-http-method", "x-method-override"}

// DefaultIntegrity is the integrity of an empty configuration.
func DefaultIntegrity() Integrity {
	return Integrity{
		Numbers:        schema.Float64,
		StrictJSON:     true,
		PathIntegrity:  PathRewrite,
		UnexpectedBody: ActionBlock,
		MethodOverride: OverrideBlock,
		MaxArrayItems:  DefaultMaxArrayItems,
		MaxQueryParams: DefaultMaxQueryParams,
		MaxHeaders:     DefaultMaxHeaders,
		MaxCookies:     DefaultMaxCookies,
	}
}

var requestKeys = []string{
	"max_body_bytes", "max_json_depth", "unknown_query",
	"numbers", "json_text", "path_integrity", "unexpected_body", "method_override",
	"max_array_items", "max_query_params", "max_headers", "max_cookies",
}

func (in *Integrity) parse(n cfg.Node) {
	if v, ok := n.Get("numbers"); ok {
		if s, _ := v.Enum("float64", "exact"); s == "exact" {
			in.Numbers = schema.Exact
		}
	}
	if v, ok := n.Get("json_text"); ok {
		if s, _ := v.Enum("strict", "lax"); s == "lax" {
			in.StrictJSON = false
		}
	}
	if v, ok := n.Get("path_integrity"); ok {
		switch s, _ := v.Enum("rewrite", "refuse", "off"); s {
		case "refuse":
			in.PathIntegrity = PathRefuse
		case "off":
			in.PathIntegrity = PathOff
		}
	}
	if v, ok := n.Get("unexpected_body"); ok {
		if s, ok := v.Enum("block", "log", "allow"); ok {
			in.UnexpectedBody = parseAction(s)
		}
	}
	if v, ok := n.Get("method_override"); ok {
		switch s, _ := v.Enum("block", "strip", "allow"); s {
		case "strip":
			in.MethodOverride = OverrideStrip
		case "allow":
			in.MethodOverride = OverrideAllow
		}
	}
	for _, b := range []struct {
		key string
		dst *int
		max int64
	}{
		{"max_array_items", &in.MaxArrayItems, 10000},
		{"max_query_params", &in.MaxQueryParams, 1000},
		{"max_headers", &in.MaxHeaders, 1000},
		{"max_cookies", &in.MaxCookies, 1000},
	} {
		if v, ok := n.Get(b.key); ok {
			if x, ok := v.Int(1, b.max); ok {
				*b.dst = int(x)
			}
		}
	}
}

// semantics is how request bodies and parameters are read.
func (in *Integrity) semantics() schema.Semantics {
	return schema.Semantics{Dir: schema.Request, Numbers: in.Numbers, StrictText: in.StrictJSON}
}

// Edits are the changes the filter makes to a request it forwards, decided
// by CheckHead: the upstream then sees what was validated.
type Edits struct {
	// Path is the :path to forward (the normalised path plus the query as
	// sent), "" to forward :path unchanged.
	Path string
	// Remove lists request headers to remove (method overrides, with
	// method_override "strip").
	Remove []string
}

// checkIntegrity runs the checks on the request line and headers that do
// not depend on the endpoint's definition, and fills r.Edits. mode is the
// mode the findings are reported in.
func (p *Policy) checkIntegrity(r *Request, path string, mode Mode) Decision {
	d := Allowed
	in := &p.Integrity
	if len(r.Headers) > in.MaxHeaders {
		bad := decide(ReasonInvalidParameter, "", ActionBlock, mode, "the request carries more headers than are inspected")
		bad.Violations = []Violation{{In: "header", Keyword: "limit", Message: "more than " + strconv.Itoa(in.MaxHeaders) + " headers (request.max_headers)"}}
		d = r.note(d, bad)
	}
	raw := r.Target
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		raw = raw[:i]
	}
	if raw != path {
		switch in.PathIntegrity {
		case PathRewrite:
			r.Edits.Path = path + r.Target[len(raw):]
		case PathRefuse:
			d = r.note(d, decide(ReasonInvalidPath, "path-not-normal", ActionBlock, mode,
				"the request path is not in normal form"))
		}
	}
	if in.MethodOverride != OverrideAllow {
		for _, kv := range r.Headers {
			if !isMethodOverride(kv[0]) {
				continue
			}
			if in.MethodOverride == OverrideStrip {
				// Once per occurrence: a host may remove one value per call.
				r.Edits.Remove = append(r.Edits.Remove, kv[0])
				continue
			}
			bad := decide(ReasonMethodOverride, "", ActionBlock, mode, "the request asks for another method in a header")
			bad.Violations = []Violation{{In: "header", Name: kv[0], Keyword: "method-override", Message: "method-override headers are not accepted"}}
			d = r.note(d, bad)
			break
		}
	}
	return d
}

func isMethodOverride(name string) bool {
	for _, h := range MethodOverrideHeaders {
		if name == h {
			return true
		}
	}
	return false
}

// hasDeclaredLengthBody reports a body announced by the headers: a
// content-length above 0 or a transfer-encoding.
func (r *Request) hasDeclaredLengthBody() bool {
	if r.ContentLength > 0 {
		return true
	}
	_, te := r.Headers.Get("transfer-encoding")
	return te
}

// unexpectedBody is the decision for a body sent to an endpoint that
// declares none.
func (p *Policy) unexpectedBody(ep *Endpoint) Decision {
	return decide(ReasonUnexpectedBody, "", p.Integrity.UnexpectedBody, ep.Mode, "the endpoint does not accept a request body")
}

// UnexpectedBody is called by the filter when body bytes arrive for a
// request whose headers announced none (no content-length, no
// transfer-encoding, the stream simply did not end): an endpoint that
// declares no body refuses it then. Allowed when the endpoint declares a
// body or the headers already decided.
func (p *Policy) UnexpectedBody(r *Request, n int) Decision {
	ep := r.Match.Endpoint
	if n <= 0 || ep == nil || ep.DeclaresBody || r.announced {
		return Allowed
	}
	return p.unexpectedBody(ep)
}
