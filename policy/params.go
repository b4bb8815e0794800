package policy

import (
	"strconv"
	"strings"

	"github.com/apiwarden/apiwarden/policy/schema"
)

// MaxQueryParams bounds how many query pairs are examined; a query with
// more is refused as an invalid parameter (a cheap defence against
// parameter flooding and hash-collision style abuse).
const MaxQueryParams = 128

// queryPair is one decoded name=value of the query string.
type queryPair struct{ name, value string }

// parseQuery splits a raw query into decoded pairs ('+' is a space, as in
// HTML forms). ok=false on a malformed percent-encoding or too many pairs.
func parseQuery(raw string, dst []queryPair) ([]queryPair, bool) {
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
		if len(dst) >= MaxQueryParams {
			return dst, false
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
// the schema wants a number, integer or boolean and the text is one; arrays
// are split per style (or taken from repeated names when exploded).
func appendParamJSON(dst []byte, p *Param, values []string) []byte {
	if p.Kind != "array" {
		return appendScalarJSON(dst, p.Kind, values[0])
	}
	items := values
	if !p.Explode || len(values) == 1 {
		sep := ","
		switch p.Style {
		case "spaceDelimited":
			sep = " "
		case "pipeDelimited":
			sep = "|"
		}
		var split []string
		for _, v := range values {
			if v == "" {
				continue
			}
			split = append(split, strings.Split(v, sep)...)
		}
		items = split
	}
	dst = append(dst, '[')
	for i, it := range items {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendScalarJSON(dst, p.ItemKind, it)
	}
	return append(dst, ']')
}

func appendScalarJSON(dst []byte, kind, v string) []byte {
	switch kind {
	case "integer", "number":
		if isJSONNumber(v) {
			return append(dst, v...)
		}
	case "boolean":
		if v == "true" || v == "false" {
			return append(dst, v...)
		}
	case "":
		if isJSONNumber(v) || v == "true" || v == "false" {
			return append(dst, v...)
		}
	}
	return strconv.AppendQuote(dst, v)
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
func checkParam(p *Param, values []string, scratch []byte, sv []schema.Violation, out []Violation) ([]Violation, []byte) {
	if len(values) == 0 {
		if p.Required {
			out = append(out, Violation{In: p.In, Name: p.Name, Keyword: "required", Message: "required parameter is missing"})
		}
		return out, scratch
	}
	if len(values) > 1 && p.Kind != "array" {
		// Servers disagree on which copy of a repeated parameter they use
		// (first, last, all): a single-valued parameter must come once.
		return append(out, Violation{In: p.In, Name: p.Name, Keyword: "maxItems", Message: "parameter given more than once"}), scratch
	}
	if p.Schema == nil {
		return out, scratch
	}
	scratch = appendParamJSON(scratch[:0], p, values)
	for _, v := range p.Schema.Validate(scratch, schema.Parameter, 4, sv[:0]) {
		out = append(out, Violation{In: p.In, Name: p.Name, Pointer: v.Pointer, Keyword: v.Keyword, Message: v.Message})
	}
	return out, scratch
}

// appendCookieValues appends every value of a cookie in a Cookie header
// ("a=1; b=2").
func appendCookieValues(dst []string, header, name string) []string {
	for header != "" {
		var part string
		if i := strings.IndexByte(header, ';'); i >= 0 {
			part, header = header[:i], header[i+1:]
		} else {
			part, header = header, ""
		}
		part = strings.TrimSpace(part)
		if k, v, ok := strings.Cut(part, "="); ok && k == name {
			dst = append(dst, strings.Trim(v, `"`))
		}
	}
	return dst
}
