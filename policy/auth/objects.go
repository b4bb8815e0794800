package auth

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/apiwarden/apiwarden/policy/internal/cfg"
	"github.com/tidwall/gjson"
)

// RefKind is where an object reference is read in the request.
type RefKind uint8

// Object reference kinds.
const (
	RefPath RefKind = iota + 1
	RefQuery
	RefBody
)

// MatchKind is how a reference is tied to the principal.
type MatchKind uint8

// Match kinds.
const (
	// MatchClaim: the reference equals a claim.
	MatchClaim MatchKind = iota + 1
	// MatchMember: the reference is one element of an array claim.
	MatchMember
	// MatchTemplate: the reference matches a template built from claims.
	MatchTemplate
)

// ObjectBinding ties one object reference of an endpoint to the principal
// (object-level authorization: an id in the request must be the caller's).
type ObjectBinding struct {
	Ref RefKind
	// Name is the path or query parameter, or the JSON pointer.
	Name  string
	path  string // gjson path of a body pointer
	Match MatchKind
	Claim string
	tmpl  []tmplPart
	// Optional: an absent reference is not a refusal.
	Optional bool
}

// tmplPart is one piece of a template: literal text, a claim, or '*'.
type tmplPart struct {
	lit   string
	claim string
	star  bool
}

func parseObject(n cfg.Node) (ObjectBinding, bool) {
	if !n.Object("param", "query", "pointer", "claim", "claim_member", "template", "optional") {
		return ObjectBinding{}, false
	}
	var b ObjectBinding
	refs := 0
	for _, k := range []string{"param", "query", "pointer"} {
		v, ok := n.Get(k)
		if !ok {
			continue
		}
		refs++
		s, ok := v.NonEmptyString()
		if !ok {
			return b, false
		}
		b.Name = s
		switch k {
		case "param":
			b.Ref = RefPath
		case "query":
			b.Ref = RefQuery
		case "pointer":
			b.Ref = RefBody
			p, err := pointerPath(s)
			if err != nil {
				v.Errorf("%v", err)
				return b, false
			}
			b.path = p
		}
	}
	if refs != 1 {
		n.Errorf(`want exactly one of "param", "query" and "pointer"`)
		return b, false
	}
	matches := 0
	for _, k := range []string{"claim", "claim_member", "template"} {
		v, ok := n.Get(k)
		if !ok {
			continue
		}
		matches++
		s, ok := v.NonEmptyString()
		if !ok {
			return b, false
		}
		switch k {
		case "claim":
			b.Match, b.Claim = MatchClaim, s
		case "claim_member":
			b.Match, b.Claim = MatchMember, s
		case "template":
			t, err := parseTemplate(s)
			if err != nil {
				v.Errorf("%v", err)
				return b, false
			}
			b.Match, b.tmpl, b.Claim = MatchTemplate, t, s
		}
	}
	if matches != 1 {
		n.Errorf(`want exactly one of "claim", "claim_member" and "template"`)
		return b, false
	}
	if v, ok := n.Get("optional"); ok {
		b.Optional, _ = v.Bool()
	}
	return b, true
}

// parseTemplate reads "ACC-{sub}-*": literal text, {claim} placeholders
// and '*' (any run of characters, possibly empty).
func parseTemplate(s string) ([]tmplPart, error) {
	var out []tmplPart
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			out = append(out, tmplPart{lit: lit.String()})
			lit.Reset()
		}
	}
	hasClaim := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '{':
			j := strings.IndexByte(s[i:], '}')
			if j < 2 {
				return nil, fmt.Errorf("template %q: want {claim}", cfg.Clip(s))
			}
			flush()
			out = append(out, tmplPart{claim: s[i+1 : i+j]})
			hasClaim = true
			i += j
		case '}':
			return nil, fmt.Errorf("template %q: unmatched '}'", cfg.Clip(s))
		case '*':
			flush()
			out = append(out, tmplPart{star: true})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	if !hasClaim {
		return nil, errors.New("template names no {claim}: it would match every principal alike")
	}
	return out, nil
}

// matchTemplate matches ref against the template with the principal's
// claims substituted (a claim's own '*' is literal). A missing claim
// matches nothing.
func matchTemplate(t []tmplPart, p *Principal, ref string) bool {
	// Resolve claims into literals first.
	parts := make([]tmplPart, len(t))
	for i, x := range t {
		if x.claim != "" {
			v, ok := p.ClaimString(x.claim)
			if !ok || v == "" {
				return false
			}
			parts[i] = tmplPart{lit: v}
			continue
		}
		parts[i] = x
	}
	return glob(parts, ref)
}

// glob matches s against literal and star parts. Literals between stars
// are found greedily left to right, which is exact for '*'-only patterns
// and linear in len(s) per literal: no backtracking an attacker could
// make expensive.
func glob(parts []tmplPart, s string) bool {
	// Merge into segments separated by stars.
	segs := []string{""}
	for _, p := range parts {
		if p.star {
			segs = append(segs, "")
			continue
		}
		segs[len(segs)-1] += p.lit
	}
	if len(segs) == 1 {
		return s == segs[0]
	}
	first, last := segs[0], segs[len(segs)-1]
	if len(first)+len(last) > len(s) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	mid := s[len(first) : len(s)-len(last)]
	for _, seg := range segs[1 : len(segs)-1] {
		i := strings.Index(mid, seg)
		if i < 0 {
			return false
		}
		mid = mid[i+len(seg):]
	}
	return true
}

// ObjectRequest gives the object references of a request.
type ObjectRequest struct {
	// PathParam returns a path parameter by its template name (nil: none).
	PathParam func(name string) (string, bool)
	// RawQuery is the query string without '?'.
	RawQuery string
	// Body is the complete JSON request body (nil when not buffered).
	Body []byte
}

// NeedsBody reports whether the endpoint's object checks read the body:
// the glue then calls AuthorizeObjects from the body callback.
func (c *Config) NeedsBody(endpointID string) bool {
	e := c.Endpoints[endpointID]
	if e == nil {
		return false
	}
	for _, b := range e.Objects {
		if b.Ref == RefBody {
			return true
		}
	}
	return false
}

// AuthorizeObjects checks the endpoint's object bindings for principal p
// (nil: anonymous, which owns nothing). The result is allowed, or 403
// object-not-owned / object-missing with the binding's name in Detail.
func (c *Config) AuthorizeObjects(endpointID string, p *Principal, r *ObjectRequest) Result {
	e := c.Endpoints[endpointID]
	if e == nil || len(e.Objects) == 0 {
		return Result{}
	}
	var body gjson.Result
	bodyRead := false
	for _, b := range e.Objects {
		var ref string
		var ok bool
		switch b.Ref {
		case RefPath:
			if r.PathParam != nil {
				ref, ok = r.PathParam(b.Name)
			}
		case RefQuery:
			var n int
			ref, n = queryValue(r.RawQuery, b.Name)
			ok = n == 1
			if n > 1 {
				return c.refuse(e.Mode, ReasonMultipleCredentials, "object reference "+b.Name+" given twice", nil)
			}
		case RefBody:
			if !bodyRead {
				bodyRead = true
				if gjson.ValidBytes(r.Body) {
					body = gjson.ParseBytes(r.Body)
				}
			}
			if body.Exists() {
				ref, ok = scalar(body.Get(b.path))
			}
		}
		if !ok {
			if b.Optional {
				continue
			}
			return c.refuse(e.Mode, ReasonObjectMissing, b.Name, nil)
		}
		if !owns(b, p, ref) {
			return c.refuse(e.Mode, ReasonObjectNotOwned, b.Name, nil)
		}
	}
	return Result{Principal: p}
}

func owns(b ObjectBinding, p *Principal, ref string) bool {
	if p == nil {
		return false
	}
	switch b.Match {
	case MatchClaim:
		v, ok := p.ClaimString(b.Claim)
		if b.Claim == "client_id" && p.Kind == KindAPIKey {
			v, ok = p.ClientID, p.ClientID != ""
		}
		return ok && v != "" && v == ref
	case MatchMember:
		return slices.Contains(p.ClaimStrings(b.Claim), ref)
	case MatchTemplate:
		return matchTemplate(b.tmpl, p, ref)
	}
	return false
}
