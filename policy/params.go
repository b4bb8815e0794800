package policy

import (
	"github.com/apiwarden/apiwarden/policy/kernel"

	"strconv"
	"strings"

	"github.com/apiwarden/apiwarden/policy/schema"
)

// queryPair is one decoded name=value of the query string.
type queryPair struct{ name, value string }

// parseQuery splits a raw query into decoded pairs ('+' is a space, as in
// HTML forms), stopping after limit pairs (the caller refuses a query with
// more than it inspects). ok=false on a malformed percent-encoding.
func parseQuery(raw string, dst []queryPair, limit int) ([]queryPair, bool) {
	for raw != "" {
		var part string
		if i := strings.IndexByte(raw, '&'); i >= 0 {
			part, raw = raw[:i], raw[i+1:]
		} else {
			part, raw = raw, ""
		}
		if part == "" {
			continue
		}
		if len(dst) >= limit {
			return dst, true
		}
		name, value := part, ""
		if i := strings.IndexByte(part, '='); i >= 0 {
			name, value = part[:i], part[i+1:]
		}
		n, ok1 := unescape(name, true)
		v, ok2 := unescape(value, true)
		if !ok1 || !ok2 {
			return dst, false
		}
		dst = append(dst, queryPair{n, v})
	}
	return dst, true
}

// unescape percent-decodes s; it returns s itself when there is nothing to
// decode.
func unescape(s string, plusIsSpace bool) (string, bool) {
	if !strings.ContainsAny(s, "%+") {
		return s, true
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+' && plusIsSpace:
			b.WriteByte(' ')
		case c == '%':
			v, ok := percentByte(s, i)
			if !ok {
				return "", false
			}
			b.WriteByte(v)
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

// appendParamJSON turns the text value(s) of a parameter into the JSON the
// parameter's schema is validated against: a string stays a string unless
// the schema wants a number, integer or boolean and the text is one in its
// canonical spelling; arrays are split per style (or taken from repeated
// names when exploded). It returns a violation message when the value is
// refused before validation (more items than inspected, an integer out of
// its format's range).
func appendParamJSON(dst []byte, in *Integrity, p *Param, values []string) ([]byte, string, string) {
	if p.Kind != "array" {
		return appendScalarJSON(dst, p.Kind, values[0])
	}
	sep := ","
	switch p.Style {
	case "spaceDelimited":
		sep = " "
	case "pipeDelimited":
		sep = "|"
	}
	split := !p.Explode || len(values) == 1
	n := len(values)
	if split {
		n = 0
		for _, v := range values {
			if v != "" {
				n += strings.Count(v, sep) + 1
			}
		}
	}
	if n > in.MaxArrayItems {
		// Counted before splitting: a 60 KB "open,open,..." costs one scan.
		return dst, "limit", "more than " + strconv.Itoa(in.MaxArrayItems) + " items (request.max_array_items)"
	}
	items := values
	if split {
		items = make([]string, 0, n)
		for _, v := range values {
			if v != "" {
				items = append(items, strings.Split(v, sep)...)
			}
		}
	}
	dst = append(dst, '[')
	for i, it := range items {
		if i > 0 {
			dst = append(dst, ',')
		}
		var kw, msg string
		if dst, kw, msg = appendScalarJSON(dst, p.ItemKind, it); kw != "" {
			return dst, kw, msg
		}
	}
	return append(dst, ']'), "", ""
}

// appendScalarJSON writes one text value as JSON. Only canonical spellings
// become numbers and booleans (an integer is -?[0-9]+ within its format's
// range, int64 without one; a number follows the JSON grammar: no leading
// '+' or '.', no trailing '.'; a boolean is true or false), because on the
// wire these are strings that backends parse with integer, float and
// boolean parsers, and "1e0", "1.0" and "1" must not be three users.
// Anything else stays a string, so the schema's type check refuses it.
func appendScalarJSON(dst []byte, kind, v string) ([]byte, string, string) {
	switch kind {
	case "integer":
		if isCanonicalInt(v) {
			// format int32 is asserted by the schema itself.
			if !intFits(v, 64) {
				return dst, "format", "integer out of the int64 range"
			}
			return append(dst, v...), "", ""
		}
	case "number":
		if isJSONNumber(v) {
			return append(dst, v...), "", ""
		}
	case "boolean":
		if v == "true" || v == "false" {
			return append(dst, v...), "", ""
		}
	case "":
		if isCanonicalInt(v) && intFits(v, 64) || isJSONNumber(v) || v == "true" || v == "false" {
			return append(dst, v...), "", ""
		}
	}
	return kernel.AppendString(dst, v), "", ""
}

// isCanonicalInt matches -?[0-9]+.
func isCanonicalInt(s string) bool {
	if s != "" && s[0] == '-' {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// intFits reports whether a canonical integer lies within intN.
func intFits(s string, bits int) bool {
	_, err := strconv.ParseInt(s, 10, bits)
	return err == nil
}

// isJSONNumber checks the JSON number grammar (RFC 8259 §6).
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i >= len(s) {
		return false
	}
	if s[i] == '0' {
		i++
	} else if '1' <= s[i] && s[i] <= '9' {
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
	} else {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == len(s)
}

// checkParam validates one parameter's values and appends violations.
func checkParam(in *Integrity, p *Param, values []string, scratch []byte, sv []schema.Violation, out []Violation) ([]Violation, []byte) {
	if len(values) == 0 {
		if p.Required {
			out = append(out, Violation{In: p.In, Name: p.Name, Keyword: "required", Message: "required parameter is missing"})
		}
		return out, scratch
	}
	if len(values) > 1 && (p.Kind != "array" || !p.Explode) {
		// Servers disagree on which copy of a repeated parameter they use
		// (first, last, all): a single-valued parameter, or an array sent
		// as one delimited value (explode false), must come once.
		return append(out, Violation{In: p.In, Name: p.Name, Keyword: "maxItems", Message: "parameter given more than once"}), scratch
	}
	if p.Schema == nil {
		return out, scratch
	}
	if p.Kind == "object" && (p.In == "path" || p.In == "header") {
		return checkSimpleObject(in, p, values[0], scratch, sv, out)
	}
	var kw, msg string
	scratch, kw, msg = appendParamJSON(scratch[:0], in, p, values)
	if kw != "" {
		return append(out, Violation{In: p.In, Name: p.Name, Keyword: kw, Message: msg}), scratch
	}
	return validateParamJSON(in, p, scratch, sv, out), scratch
}

// validateParamJSON validates a parameter's value, written as JSON in
// scratch, against its schema.
func validateParamJSON(in *Integrity, p *Param, scratch []byte, sv []schema.Violation, out []Violation) []Violation {
	sem := in.semantics()
	sem.Dir = schema.Parameter
	if v, ok := schema.Scan(scratch, sem); !ok {
		return append(out, Violation{In: p.In, Name: p.Name, Pointer: v.Pointer, Keyword: v.Keyword, Message: v.Message})
	}
	for _, v := range p.Schema.ValidateWith(scratch, sem, 4, sv[:0]) {
		out = append(out, Violation{In: p.In, Name: p.Name, Pointer: v.Pointer, Keyword: v.Keyword, Message: v.Message})
	}
	return out
}

// deepObjectKey reports whether a query name is a member of deepObject
// parameter p ("filter[since]" of "filter"), and which.
func deepObjectKey(p *Param, name string) (string, bool) {
	if p.Style != "deepObject" || len(name) < len(p.Name)+2 || name[:len(p.Name)] != p.Name ||
		name[len(p.Name)] != '[' || name[len(name)-1] != ']' {
		return "", false
	}
	return name[len(p.Name)+1 : len(name)-1], true
}

// checkDeepObject reads an object parameter sent as deepObject
// ("filter[state]=open&filter[since]=2") into a JSON object, typing each
// member by its property's schema type (canonical spellings only, as for
// every parameter), and validates it. A member given twice, a nested
// member ("a[b][c]", which OpenAPI leaves undefined and servers read
// differently) and an empty name are refused.
func checkDeepObject(in *Integrity, p *Param, q []queryPair, scratch []byte, sv []schema.Violation, out []Violation) ([]Violation, []byte) {
	var members []member
	for _, qp := range q {
		key, ok := deepObjectKey(p, qp.name)
		if !ok {
			continue
		}
		if key == "" || strings.ContainsAny(key, "[]") {
			return append(out, Violation{In: p.In, Name: p.Name, Keyword: "format", Message: "a deepObject member name must be one non-empty [name]"}), scratch
		}
		members = append(members, member{key, qp.value})
	}
	return queryObject(in, p, members, scratch, sv, out)
}

// countCookies counts the name=value pairs of every Cookie header.
func countCookies(h Headers) int {
	n := 0
	for _, kv := range h {
		if kv[0] == "cookie" && kv[1] != "" {
			n += strings.Count(kv[1], ";") + 1
		}
	}
	return n
}

// appendCookies appends the name=value pairs of a Cookie header ("a=1;
// b=2"; a quoted value loses its quotes).
func appendCookies(dst []queryPair, header string) []queryPair {
	for header != "" {
		var part string
		if i := strings.IndexByte(header, ';'); i >= 0 {
			part, header = header[:i], header[i+1:]
		} else {
			part, header = header, ""
		}
		if k, v, ok := strings.Cut(strings.TrimSpace(part), "="); ok {
			dst = append(dst, queryPair{k, strings.Trim(v, `"`)})
		}
	}
	return dst
}

// isFormObjectMember reports whether a query name is a member of object
// parameter p sent in style form with explode ("R=100&G=200": each
// declared property is its own query parameter).
func isFormObjectMember(p *Param, name string) bool {
	if p.Kind != "object" || (p.Style != "" && p.Style != "form") || !p.Explode {
		return false
	}
	_, ok := p.PropKinds[name]
	return ok
}

// checkFormObject reads an object parameter in style form: exploded,
// each declared property is a query parameter of its own
// ("R=100&G=200"); not exploded, one value of alternating names and
// values ("color=R,100,G,200"). Members are typed by their property's
// type, as for deepObject; a member given twice is refused.
func checkFormObject(in *Integrity, p *Param, q []queryPair, scratch []byte, sv []schema.Violation, out []Violation) ([]Violation, []byte) {
	var members []member
	if p.Explode {
		for _, qp := range q {
			if isFormObjectMember(p, qp.name) {
				members = append(members, member{qp.name, qp.value})
			}
		}
	} else {
		var vals []string
		for _, qp := range q {
			if qp.name == p.Name {
				vals = append(vals, qp.value)
			}
		}
		if len(vals) > 1 {
			return append(out, Violation{In: p.In, Name: p.Name, Keyword: "maxItems", Message: "parameter given more than once"}), scratch
		}
		if len(vals) == 1 && vals[0] != "" {
			parts := strings.Split(vals[0], ",")
			if len(parts)%2 != 0 {
				return append(out, Violation{In: p.In, Name: p.Name, Keyword: "format", Message: "an object sent as form must alternate names and values"}), scratch
			}
			for i := 0; i < len(parts); i += 2 {
				members = append(members, member{parts[i], parts[i+1]})
			}
		}
	}
	return queryObject(in, p, members, scratch, sv, out)
}

// queryObject validates an object query parameter from its members; none
// is an absent parameter.
func queryObject(in *Integrity, p *Param, members []member, scratch []byte, sv []schema.Violation, out []Violation) ([]Violation, []byte) {
	if len(members) == 0 {
		if p.Required {
			out = append(out, Violation{In: p.In, Name: p.Name, Keyword: "required", Message: "required parameter is missing"})
		}
		return out, scratch
	}
	return objectJSON(in, p, members, scratch, sv, out)
}

// member is one name and value of an object parameter.
type member struct{ name, value string }

// checkSimpleObject reads an object path or header parameter in style
// simple: "R,100,G,200", or exploded "R=100,G=200".
func checkSimpleObject(in *Integrity, p *Param, v string, scratch []byte, sv []schema.Violation, out []Violation) ([]Violation, []byte) {
	var members []member
	if v != "" {
		parts := strings.Split(v, ",")
		if p.Explode {
			for _, part := range parts {
				k, val, ok := strings.Cut(part, "=")
				if !ok {
					return append(out, Violation{In: p.In, Name: p.Name, Keyword: "format", Message: "an exploded object must be name=value pairs"}), scratch
				}
				members = append(members, member{k, val})
			}
		} else {
			if len(parts)%2 != 0 {
				return append(out, Violation{In: p.In, Name: p.Name, Keyword: "format", Message: "an object must alternate names and values"}), scratch
			}
			for i := 0; i < len(parts); i += 2 {
				members = append(members, member{parts[i], parts[i+1]})
			}
		}
	}
	return objectJSON(in, p, members, scratch, sv, out)
}

// objectJSON writes an object parameter's members as a JSON object,
// each typed by its property's type, and validates it; a member given
// twice is refused.
func objectJSON(in *Integrity, p *Param, members []member, scratch []byte, sv []schema.Violation, out []Violation) ([]Violation, []byte) {
	if len(members) > in.MaxArrayItems {
		return append(out, Violation{In: p.In, Name: p.Name, Keyword: "limit", Message: "more than " + strconv.Itoa(in.MaxArrayItems) + " members (request.max_array_items)"}), scratch
	}
	scratch = append(scratch[:0], '{')
	for i, m := range members {
		for _, prev := range members[:i] {
			if prev.name == m.name {
				return append(out, Violation{In: p.In, Name: p.Name, Pointer: "/" + kernel.EscapeToken(m.name), Keyword: "maxItems", Message: "object member given more than once"}), scratch
			}
		}
		if i > 0 {
			scratch = append(scratch, ',')
		}
		scratch = kernel.AppendString(scratch, m.name)
		scratch = append(scratch, ':')
		var kw, msg string
		if scratch, kw, msg = appendScalarJSON(scratch, p.PropKinds[m.name], m.value); kw != "" {
			return append(out, Violation{In: p.In, Name: p.Name, Pointer: "/" + kernel.EscapeToken(m.name), Keyword: kw, Message: msg}), scratch
		}
	}
	scratch = append(scratch, '}')
	if p.Schema == nil {
		return out, scratch
	}
	return validateParamJSON(in, p, scratch, sv, out), scratch
}
