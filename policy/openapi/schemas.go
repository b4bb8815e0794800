package openapi

import (
	"strings"
	"unicode/utf8"

	"github.com/apiwarden/apiwarden/policy/schema"
	"github.com/valyala/fastjson"
)

// checkKey is the root member added to a copy of the document so that one
// schema.Compile call compiles every schema location of the document: its
// value is {"anyOf": [{"$ref": "#<pointer>"}, ...]}. Shared component
// schemas are compiled once this way, and each error names the location
// of the problem in the document, whichever operation uses it.
const checkKey = "x-apiwarden-schema-check"

// compileSchemas compiles every schema location with policy/schema and
// reports the compiler's errors at their JSON paths.
func (p *parser) compileSchemas() {
	if len(p.schemas) == 0 || len(p.doc.Raw) < 2 {
		return
	}
	raw := p.doc.Raw
	buf := make([]byte, 0, len(raw)+len(checkKey)+len(p.schemas)*48+32)
	buf = append(buf, `{"`+checkKey+`":{"anyOf":[`...)
	for i, ptr := range p.schemas {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"$ref":`...)
		// $ref is a URI fragment: '%' must be escaped, the compiler
		// percent-decodes before splitting the pointer.
		buf = appendJSONString(buf, "#"+strings.ReplaceAll(ptr, "%", "%25"))
		buf = append(buf, '}')
	}
	buf = append(buf, "]}"...)
	if strings.TrimSpace(string(raw[1:len(raw)-1])) != "" {
		buf = append(buf, ',')
	}
	buf = append(buf, raw[1:]...)
	_, err := schema.Compile(buf, "/"+checkKey, schema.Options{Dialect: p.dialect})
	if err == nil {
		return
	}
	var list []error
	if u, ok := err.(interface{ Unwrap() []error }); ok {
		list = u.Unwrap()
	} else {
		list = []error{err}
	}
	for _, e := range list {
		msg := e.Error()
		if strings.HasPrefix(msg, "/") {
			if i := strings.Index(msg, ": "); i > 0 {
				loc := msg[:i]
				if strings.HasPrefix(loc, "/"+checkKey) {
					p.errs.Addf(orRoot(p.opts.Path), "schemas: %s", msg[i+2:])
					continue
				}
				p.errs.Addf(p.pathOf(loc), "%s", msg[i+2:])
				continue
			}
		}
		p.errs.Addf(orRoot(p.opts.Path), "schemas: %s", msg)
	}
}

// kinds peeks at a schema's primary type and its array items' type,
// following local $refs (and the first typed allOf member when the schema
// has no type of its own).
func (p *parser) kinds(ptr string) (kind, itemKind string) {
	s := p.schemaValue(ptr, 0)
	kind = primaryType(p, s, 0)
	if kind == "array" && s != nil {
		itemKind = primaryType(p, p.follow(s.Get("items"), 0), 0)
	}
	return kind, itemKind
}

func (p *parser) schemaValue(ptr string, depth int) *fastjson.Value {
	n, ok := p.at(ptr)
	if !ok {
		return nil
	}
	return p.follow(n.V, depth)
}

// follow resolves up to maxRefHops local $refs.
func (p *parser) follow(v *fastjson.Value, depth int) *fastjson.Value {
	for i := 0; v != nil && i < maxRefHops; i++ {
		if v.Type() != fastjson.TypeObject {
			return v
		}
		r := v.Get("$ref")
		if r == nil || r.Type() != fastjson.TypeString {
			return v
		}
		ptr, ok := refTarget(string(r.GetStringBytes()))
		if !ok {
			return nil
		}
		n, ok := p.at(ptr)
		if !ok {
			return nil
		}
		v = n.V
	}
	return v
}

func primaryType(p *parser, s *fastjson.Value, depth int) string {
	if s == nil || s.Type() != fastjson.TypeObject || depth > 8 {
		return ""
	}
	t := s.Get("type")
	switch {
	case t == nil:
	case t.Type() == fastjson.TypeString:
		return string(t.GetStringBytes())
	case t.Type() == fastjson.TypeArray:
		for _, x := range t.GetArray() {
			if x.Type() == fastjson.TypeString && string(x.GetStringBytes()) != "null" {
				return string(x.GetStringBytes())
			}
		}
		return ""
	}
	for _, sub := range s.GetArray("allOf") {
		if k := primaryType(p, p.follow(sub, depth+1), depth+1); k != "" {
			return k
		}
	}
	return ""
}

// appendJSONString appends s as a JSON string (invalid UTF-8 becomes
// U+FFFD).
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			dst = append(dst, '\\', byte(r))
		case r == '\n':
			dst = append(dst, '\\', 'n')
		case r == '\t':
			dst = append(dst, '\\', 't')
		case r == '\r':
			dst = append(dst, '\\', 'r')
		case r < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[r>>4], hex[r&0xf])
		default:
			dst = utf8.AppendRune(dst, r)
		}
	}
	return append(dst, '"')
}
