package policy

import (
	"strconv"
	"strings"

	"github.com/apiwarden/apiwarden/policy/kernel"
)

// checkForm validates a form body (application/x-www-form-urlencoded,
// or multipart/form-data: see parseMultipart): its fields become a JSON
// object, each typed by its property's schema type
// (canonical spellings only, as for parameters: on the wire they are
// strings backends parse with integer and boolean parsers), arrays from
// repeated fields or, when the encoding object says so, one delimited
// value; then the object is validated against the body's schema. A
// single-valued field given twice is refused: frameworks disagree on
// which copy they keep.
func (p *Policy) checkForm(r *Request, ep *Endpoint, b *Body, body []byte) Decision {
	in := &p.Integrity
	var pairs []queryPair
	ok, msg := true, ""
	if b.Multipart {
		pairs, msg = parseMultipart(r.ContentType, body, in.MaxQueryParams+1, r.form[:0])
		ok = msg == ""
	} else {
		pairs, ok = parseQuery(string(body), r.form[:0], in.MaxQueryParams+1)
		msg = "malformed percent-encoding in the form body"
	}
	r.form = pairs[:0]
	switch {
	case !ok:
		return refuseForm(ep, Violation{Keyword: "format", Message: msg})
	case len(pairs) > in.MaxQueryParams:
		return refuseForm(ep, Violation{Keyword: "limit", Message: "more than " + strconv.Itoa(in.MaxQueryParams) + " form fields (request.max_query_params)"})
	}
	return p.checkFields(r, ep, b, pairs)
}

func refuseForm(ep *Endpoint, v Violation) Decision {
	d := decide(ReasonSchema, "", ActionBlock, ep.Mode, "the body does not match the endpoint's schema")
	v.In = "body"
	d.Violations = []Violation{v}
	return d
}

// checkFields validates the fields of a form body.
func (p *Policy) checkFields(r *Request, ep *Endpoint, b *Body, pairs []queryPair) Decision {
	in := &p.Integrity
	js := append(r.scratch[:0], '{')
	n := 0
next:
	for i, pr := range pairs {
		for _, prev := range pairs[:i] {
			if prev.name == pr.name {
				continue next // written with its first occurrence
			}
		}
		if n > 0 {
			js = append(js, ',')
		}
		n++
		js = kernel.AppendString(js, pr.name)
		js = append(js, ':')
		f := b.Fields[pr.name]
		ptr := "/" + kernel.EscapeToken(pr.name)
		var kw, msg string
		if f.Kind != "array" {
			for _, later := range pairs[i+1:] {
				if later.name == pr.name {
					return refuseForm(ep, Violation{Pointer: ptr, Keyword: "maxItems", Message: "field given more than once"})
				}
			}
			if js, kw, msg = appendScalarJSON(js, f.Kind, pr.value); kw != "" {
				return refuseForm(ep, Violation{Pointer: ptr, Keyword: kw, Message: msg})
			}
			continue
		}
		var items []string
		for _, x := range pairs[i:] {
			if x.name == pr.name {
				items = append(items, x.value)
			}
		}
		if f.Delimiter != "" {
			if len(items) > 1 {
				return refuseForm(ep, Violation{Pointer: ptr, Keyword: "maxItems", Message: "a delimited field given more than once"})
			}
			if items[0] == "" {
				items = nil
			} else {
				items = strings.Split(items[0], f.Delimiter)
			}
		}
		if len(items) > in.MaxArrayItems {
			return refuseForm(ep, Violation{Pointer: ptr, Keyword: "limit", Message: "more than " + strconv.Itoa(in.MaxArrayItems) + " items (request.max_array_items)"})
		}
		js = append(js, '[')
		for j, it := range items {
			if j > 0 {
				js = append(js, ',')
			}
			if js, kw, msg = appendScalarJSON(js, f.ItemKind, it); kw != "" {
				return refuseForm(ep, Violation{Pointer: ptr + "/" + strconv.Itoa(j), Keyword: kw, Message: msg})
			}
		}
		js = append(js, ']')
	}
	js = append(js, '}')
	r.scratch = js[:0]
	return p.validateBody(r, ep, b, js, "the body is a form that backends read differently")
}
