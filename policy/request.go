package policy

import (
	"strconv"

	"github.com/apiwarden/apiwarden/policy/schema"
	"github.com/tidwall/gjson"
)

// Headers is a request's header list as the host gives it (lower-case
// names, pseudo-headers included).
type Headers [][2]string

// Value returns the first value of a header, "" when absent.
func (h Headers) Value(name string) string {
	v, _ := h.Get(name)
	return v
}

// Get returns the first value of a header (name in lower case).
func (h Headers) Get(name string) (string, bool) {
	for _, kv := range h {
		if kv[0] == name {
			return kv[1], true
		}
	}
	return "", false
}

// Request is one request being checked. The filter keeps one per stream
// and reuses its scratch space; it holds what the policy needs from the
// headers, because Envoy makes them unreadable once the headers phase ends.
type Request struct {
	Method        string
	Target        string // :path, with the query
	Headers       Headers
	ContentLength int64 // -1 when unknown
	// HasBody is set when the headers did not end the stream.
	HasBody bool

	Match       Match
	ContentType string
	// Edits are what the filter changes before forwarding (CheckHead).
	Edits Edits
	// announced: the headers announced a body (content-length > 0 or a
	// transfer-encoding).
	announced bool

	// findings are every check that fired, worst or not: in monitor mode
	// each is reported, so switching to enforce holds no surprise.
	findings []Decision

	query   []queryPair
	form    []queryPair
	cookies []queryPair // of every Cookie header, for cookie parameters
	// queryParsed: query holds every pair of Match.Query.
	queryParsed bool
	values      []string
	scratch     []byte
	viol        []Violation
	sviol       []schema.Violation
}

// Reset prepares a Request for reuse.
func (r *Request) Reset() {
	*r = Request{query: r.query[:0], form: r.form[:0], values: r.values[:0], scratch: r.scratch[:0], viol: r.viol[:0], sviol: r.sviol[:0],
		findings: r.findings[:0], ContentLength: -1, Edits: Edits{Remove: r.Edits.Remove[:0]}}
	if r.sviol == nil {
		r.sviol = make([]schema.Violation, 0, 4)
	}
}

// CheckHead decides everything that can be decided from the request
// headers: path, endpoint, method, parameters, content type and declared
// length. The result is the worst of the checks that fired.
func (p *Policy) CheckHead(r *Request) Decision {
	path, query, err := NormalizePath(r.Target)
	if err != nil {
		return decide(ReasonInvalidPath, "", ActionBlock, p.Mode, "the request path cannot be normalised")
	}
	p.router.match(r.Method, path, &r.Match)
	r.Match.Path, r.Match.Query = path, query
	r.announced = r.hasDeclaredLengthBody()
	ep := r.Match.Endpoint
	if ep == nil {
		var d Decision
		if r.Match.PathKnown {
			d = decide(ReasonMethodNotAllowed, "", p.UnknownEndpoints, p.Mode, "the path does not accept this method")
			d.Allow = r.Match.Allow
		} else {
			d = decide(ReasonUnknownEndpoint, "", p.UnknownEndpoints, p.Mode, "no endpoint of the inventory matches this request")
		}
		d = r.note(Allowed, d)
		return r.note(d, p.checkIntegrity(r, path, p.Mode))
	}
	r.ContentType, _ = r.Headers.Get("content-type")
	r.viol = r.viol[:0]
	in := &p.Integrity
	d := r.note(Allowed, p.checkIntegrity(r, path, ep.Mode))

	// Parameters.
	for i, prm := range ep.PathParams {
		raw := r.Match.Param(i)
		v, ok := unescape(raw, false)
		if !ok {
			r.viol = append(r.viol, Violation{In: "path", Name: prm.Name, Keyword: "format", Message: "malformed percent-encoding"})
			continue
		}
		r.values = append(r.values[:0], v)
		r.viol, r.scratch = checkParam(in, prm, r.values, r.scratch, r.sviol, r.viol)
	}
	if ep.declaresParams || len(ep.Query) > 0 || ep.UnknownQuery != ActionAllow {
		var ok bool
		r.query, ok = parseQuery(query, r.query[:0], in.MaxQueryParams+1)
		r.queryParsed = ok && len(r.query) <= in.MaxQueryParams
		switch {
		case !ok:
			r.viol = append(r.viol, Violation{In: "query", Keyword: "format", Message: "malformed percent-encoding in the query string"})
		case len(r.query) > in.MaxQueryParams:
			r.viol = append(r.viol, Violation{In: "query", Keyword: "limit", Message: "more than " + strconv.Itoa(in.MaxQueryParams) + " query parameters (request.max_query_params)"})
		default:
			for _, prm := range ep.Query {
				if prm.Style == "deepObject" {
					r.viol, r.scratch = checkDeepObject(in, prm, r.query, r.scratch, r.sviol, r.viol)
					continue
				}
				if prm.Kind == "object" && (prm.Style == "" || prm.Style == "form") {
					r.viol, r.scratch = checkFormObject(in, prm, r.query, r.scratch, r.sviol, r.viol)
					continue
				}
				r.values = r.values[:0]
				for _, qp := range r.query {
					if qp.name == prm.Name {
						r.values = append(r.values, qp.value)
					}
				}
				r.viol, r.scratch = checkParam(in, prm, r.values, r.scratch, r.sviol, r.viol)
			}
			if ep.UnknownQuery != ActionAllow {
				if name, found := firstUnknown(ep, r.query); found {
					u := decide(ReasonUnknownParameter, "", ep.UnknownQuery, ep.Mode, "the query carries a parameter the endpoint does not declare")
					u.Violations = []Violation{{In: "query", Name: name, Keyword: "additionalParameters", Message: "undeclared query parameter"}}
					d = r.note(d, u)
				}
			}
		}
	}
	for _, prm := range ep.Headers {
		r.values = r.values[:0]
		for _, kv := range r.Headers {
			if kv[0] == prm.Name {
				r.values = append(r.values, kv[1])
			}
		}
		r.viol, r.scratch = checkParam(in, prm, r.values, r.scratch, r.sviol, r.viol)
	}
	if len(ep.Cookies) > 0 && countCookies(r.Headers) > in.MaxCookies {
		r.viol = append(r.viol, Violation{In: "cookie", Keyword: "limit", Message: "more than " + strconv.Itoa(in.MaxCookies) + " cookies (request.max_cookies)"})
	} else if len(ep.Cookies) > 0 {
		r.cookies = r.cookies[:0]
		for _, kv := range r.Headers {
			if kv[0] == "cookie" {
				r.cookies = appendCookies(r.cookies, kv[1])
			}
		}
		for _, prm := range ep.Cookies {
			if prm.Kind == "object" {
				// Style form, the only one cookies have: exploded, each
				// declared property is a cookie of its own.
				r.viol, r.scratch = checkFormObject(in, prm, r.cookies, r.scratch, r.sviol, r.viol)
				continue
			}
			r.values = r.values[:0]
			for _, c := range r.cookies {
				if c.name == prm.Name {
					r.values = append(r.values, c.value)
				}
			}
			r.viol, r.scratch = checkParam(in, prm, r.values, r.scratch, r.sviol, r.viol)
		}
	}
	if len(r.viol) > 0 {
		bad := decide(ReasonInvalidParameter, "", ActionBlock, ep.Mode, "request parameters do not match the endpoint's definition")
		bad.Violations = clipViolations(r.viol)
		d = r.note(d, bad)
	}

	// Body, as far as the headers tell.
	hasBody := r.HasBody || r.ContentLength > 0
	if r.announced && !ep.DeclaresBody {
		d = r.note(d, p.unexpectedBody(ep))
	}
	if hasBody && len(ep.Bodies) > 0 {
		if _, ok := ep.bodyFor(r.ContentType); !ok {
			d = r.note(d, decide(ReasonUnsupportedMediaType, "", ActionBlock, ep.Mode, "the endpoint does not accept this content type"))
		}
	}
	if limit := p.BodyLimit(r); r.ContentLength > limit {
		d = r.note(d, decide(ReasonBodyTooLarge, "", ActionBlock, ep.Mode, "the declared body length exceeds the endpoint's limit of "+strconv.FormatInt(limit, 10)+" bytes"))
	}
	if !hasBody && ep.BodyRequired {
		miss := decide(ReasonSchema, "", ActionBlock, ep.Mode, "the endpoint requires a request body")
		miss.Violations = []Violation{{In: "body", Keyword: "required", Message: "request body is required"}}
		d = r.note(d, miss)
	}
	return d
}

// note records a check that fired and returns the worse of the two.
func (r *Request) note(d, found Decision) Decision {
	if found.Verdict != Allow {
		r.findings = append(r.findings, found)
	}
	return Worse(d, found)
}

// Findings lists every check CheckHead found, in check order (the returned
// decision is the worst of them).
func (r *Request) Findings() []Decision { return r.findings }

func firstUnknown(ep *Endpoint, q []queryPair) (string, bool) {
next:
	for _, qp := range q {
		for _, prm := range ep.Query {
			if prm.Name == qp.name {
				continue next
			}
			if _, ok := deepObjectKey(prm, qp.name); ok {
				continue next
			}
			if isFormObjectMember(prm, qp.name) {
				continue next
			}
		}
		return qp.name, true
	}
	return "", false
}

func clipViolations(v []Violation) []Violation {
	if len(v) > MaxViolations {
		v = v[:MaxViolations]
	}
	return append([]Violation(nil), v...)
}

// BodyLimit is the largest request body the matched endpoint accepts.
func (p *Policy) BodyLimit(r *Request) int64 {
	if ep := r.Match.Endpoint; ep != nil && ep.MaxBodyBytes > 0 {
		return ep.MaxBodyBytes
	}
	return p.MaxBodyBytes
}

// BodyTooLarge is the decision for a body that crossed the endpoint's
// limit; the filter calls it as soon as the buffered size crosses it.
func (p *Policy) BodyTooLarge(r *Request) Decision {
	mode := p.Mode
	if ep := r.Match.Endpoint; ep != nil {
		mode = ep.Mode
	}
	return decide(ReasonBodyTooLarge, "", ActionBlock, mode,
		"the body exceeds the endpoint's limit of "+strconv.FormatInt(p.BodyLimit(r), 10)+" bytes")
}

// WantsBody reports whether the request body must be buffered and checked:
// the matched endpoint declares a schema for the request's content type.
func (p *Policy) WantsBody(r *Request) bool {
	ep := r.Match.Endpoint
	if ep == nil {
		return false
	}
	b, ok := ep.bodyFor(r.ContentType)
	if ok && b.formBody(r.ContentType) {
		return true
	}
	return ok && b != nil && isJSONMediaType(mediaType(r.ContentType)) && (b.Schema != nil || b.JSON)
}

// CheckBody validates a complete request body against the endpoint's
// schema for its content type.
func (p *Policy) CheckBody(r *Request, body []byte) Decision {
	ep := r.Match.Endpoint
	if ep == nil {
		return Allowed
	}
	if int64(len(body)) > p.BodyLimit(r) {
		return p.BodyTooLarge(r)
	}
	b, ok := ep.bodyFor(r.ContentType)
	form := ok && b.formBody(r.ContentType)
	if !form && (!ok || b == nil || !isJSONMediaType(mediaType(r.ContentType))) {
		// JSON and form bodies are validated; a multipart or binary body
		// of an accepted type passes (its size is still enforced).
		return Allowed
	}
	if len(body) == 0 {
		if ep.BodyRequired {
			d := decide(ReasonSchema, "", ActionBlock, ep.Mode, "the endpoint requires a request body")
			d.Violations = []Violation{{In: "body", Keyword: "required", Message: "request body is required"}}
			return d
		}
		return Allowed
	}
	if form {
		return p.checkForm(r, ep, b, body)
	}
	if !gjson.ValidBytes(body) {
		return decide(ReasonInvalidJSON, "", ActionBlock, ep.Mode, "the body is not valid JSON")
	}
	return p.validateBody(r, ep, b, body, "the body is JSON that backends read differently")
}

// validateBody validates a JSON body, or a form read into JSON, against
// b's schema. JSON that backends read differently (invalid UTF-8 or a
// lone surrogate, I-JSON; a number a float64 cannot hold) is refused
// with detail unreadable.
func (p *Policy) validateBody(r *Request, ep *Endpoint, b *Body, body []byte, unreadable string) Decision {
	sem := p.Integrity.semantics()
	if v, ok := schema.Scan(body, sem); !ok {
		d := decide(ReasonInvalidJSON, "", ActionBlock, ep.Mode, unreadable)
		d.Violations = []Violation{{In: "body", Pointer: v.Pointer, Keyword: v.Keyword, Message: v.Message}}
		return d
	}
	if b.Schema == nil {
		return Allowed
	}
	vs := b.Schema.ValidateWith(body, sem, MaxViolations, r.sviol[:0])
	r.sviol = vs[:0]
	if len(vs) == 0 {
		return Allowed
	}
	d := decide(ReasonSchema, "", ActionBlock, ep.Mode, "the body does not match the endpoint's schema")
	d.Violations = make([]Violation, len(vs))
	for i, v := range vs {
		d.Violations[i] = Violation{In: "body", Pointer: v.Pointer, Keyword: v.Keyword, Message: v.Message}
	}
	return d
}

// PathParam returns the decoded value of the matched endpoint's path
// parameter name.
func (r *Request) PathParam(name string) (string, bool) {
	ep := r.Match.Endpoint
	if ep == nil {
		return "", false
	}
	for i, prm := range ep.PathParams {
		if prm.Name == name {
			return unescape(r.Match.Param(i), false)
		}
	}
	return "", false
}

// QueryParam returns the first decoded value of query parameter name
// (false when absent or when the query string is malformed).
func (r *Request) QueryParam(name string) (string, bool) {
	if !r.queryParsed {
		var ok bool
		r.query, ok = parseQuery(r.Match.Query, r.query[:0], len(r.Match.Query)+1)
		if !ok {
			return "", false
		}
		r.queryParsed = true
	}
	for _, qp := range r.query {
		if qp.name == name {
			return qp.value, true
		}
	}
	return "", false
}
