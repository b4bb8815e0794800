package openapi

import (
	"github.com/apiwarden/apiwarden/policy/kernel"

	"strings"

	"github.com/apiwarden/apiwarden/policy/schema"
	"github.com/valyala/fastjson"
)

// compileSchemas compiles the schema of every parameter, request body and
// response media type with one schema.Compiler over Raw, stores the result
// beside its pointer, then compiles every other schema location of the
// document (unused components) to report its errors. Errors are reported
// at their JSON paths. The Compiler compiles each location once and
// resolves each $ref once, so operations that share components share
// their compiled nodes; a schema that is only a $ref is compiled at its
// target, so they share the *schema.Schema too.
func (p *parser) compileSchemas() {
	if len(p.schemas) == 0 {
		return
	}
	comp, err := schema.NewCompiler(p.doc.Raw, schema.Options{Dialect: p.dialect, MaxDepth: p.opts.MaxDepth})
	if err != nil {
		p.errs.Addf(orRoot(p.opts.Path), "schemas: %s", err)
		return
	}
	c := &schemaChecker{p: p, comp: comp, vals: map[string]*fastjson.Value{},
		reported: map[string]bool{}, compiled: map[string]*schema.Schema{}}
	for i := range p.doc.Operations {
		op := &p.doc.Operations[i]
		for j := range op.Params {
			op.Params[j].Schema = c.schemaFor(op.Params[j].SchemaPointer)
		}
		if op.Body != nil {
			for j := range op.Body.Content {
				op.Body.Content[j].Schema = c.schemaFor(op.Body.Content[j].SchemaPointer)
			}
		}
		for _, r := range op.Responses {
			for j := range r.Content {
				r.Content[j].Schema = c.schemaFor(r.Content[j].SchemaPointer)
			}
		}
	}
	for _, ptr := range p.schemas {
		c.schemaFor(ptr)
	}
}

type schemaChecker struct {
	p        *parser
	comp     *schema.Compiler
	vals     map[string]*fastjson.Value // pointer -> value (nil: nowhere)
	reported map[string]bool            // errors already reported
	compiled map[string]*schema.Schema  // compiled schemas by pointer
}

// schemaFor compiles the schema at ptr, once per location; nil when ptr is
// "" or the schema does not compile (the error is reported).
func (c *schemaChecker) schemaFor(ptr string) *schema.Schema {
	if ptr == "" {
		return nil
	}
	ptr = c.target(ptr)
	if s, ok := c.compiled[ptr]; ok {
		return s
	}
	s, err := c.comp.Compile(ptr)
	c.report(err)
	c.compiled[ptr] = s
	if cp := c.p.opts.Checkpoint; cp != nil && len(c.compiled)%64 == 0 {
		cp()
	}
	return s
}

// target follows schemas that are nothing but a $ref (the only member, or
// in OpenAPI 3.0 where siblings of $ref are ignored).
func (c *schemaChecker) target(ptr string) string {
	for i := 0; i < maxRefHops; i++ {
		v := c.value(ptr)
		if v == nil || v.Type() != fastjson.TypeObject {
			return ptr
		}
		o, _ := v.Object()
		r := v.Get("$ref")
		if r == nil || r.Type() != fastjson.TypeString || (c.p.v31 && o.Len() != 1) {
			return ptr
		}
		t, ok := refTarget(string(r.GetStringBytes()))
		if !ok || t == "" || t[0] != '/' || c.value(t) == nil {
			return ptr
		}
		ptr = t
	}
	return ptr
}

func (c *schemaChecker) value(ptr string) *fastjson.Value {
	if v, ok := c.vals[ptr]; ok {
		return v
	}
	var v *fastjson.Value
	if n, ok := c.p.at(ptr); ok {
		v = n.V
	}
	c.vals[ptr] = v
	return v
}

// report records compiler errors at the JSON paths of their pointers,
// each message once.
func (c *schemaChecker) report(err error) {
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
		if c.reported[msg] {
			continue
		}
		c.reported[msg] = true
		path, text := orRoot(c.p.opts.Path), "schemas: "+msg
		if i := strings.Index(msg, ": "); i > 0 && msg[0] == '/' {
			path, text = c.p.pathOf(msg[:i]), msg[i+2:]
		}
		c.p.errs.Addf(path, "%s", text)
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

// properties types each declared property of an object schema (its own
// and its allOf members'): its primary type and, for an array, its
// items' type.
func (p *parser) properties(ptr string) map[string]FormField {
	out := map[string]FormField{}
	var walk func(s *fastjson.Value, depth int)
	walk = func(s *fastjson.Value, depth int) {
		if s == nil || s.Type() != fastjson.TypeObject || depth > 8 {
			return
		}
		if props := s.Get("properties"); props != nil && props.Type() == fastjson.TypeObject {
			o, _ := props.Object()
			o.Visit(func(k []byte, v *fastjson.Value) {
				ps := p.follow(v, depth+1)
				f := FormField{Kind: primaryType(p, ps, depth+1)}
				if f.Kind == "array" && ps != nil {
					f.ItemKind = primaryType(p, p.follow(ps.Get("items"), depth+1), depth+1)
				}
				out[string(k)] = f
			})
		}
		for _, sub := range s.GetArray("allOf") {
			walk(p.follow(sub, depth+1), depth+1)
		}
	}
	walk(p.schemaValue(ptr, 0), 0)
	return out
}

// propKinds maps each declared property of an object schema to its
// primary type, for parameters serialised as objects.
func (p *parser) propKinds(ptr string) map[string]string {
	out := map[string]string{}
	for k, f := range p.properties(ptr) {
		out[k] = f.Kind
	}
	return out
}

// formFields types the properties of a form body's object schema and
// reads their serialisation from the encoding object (style form,
// spaceDelimited or pipeDelimited; explode, true by default for form).
func (p *parser) formFields(ptr string, enc node, hasEnc bool) map[string]FormField {
	out := p.properties(ptr)
	if !hasEnc {
		return out
	}
	enc.members(func(name string, e node) {
		if !e.isObject() {
			return
		}
		f, ok := out[name]
		if !ok {
			return
		}
		style, _ := e.str("style")
		switch style {
		case "spaceDelimited":
			f.Delimiter = " "
		case "pipeDelimited":
			f.Delimiter = "|"
		case "", "form":
			if !e.boolean("explode", true) {
				f.Delimiter = ","
			}
		}
		out[name] = f
	})
	return out
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

// appendJSONString appends s as a JSON string. Bytes are kept as they
// are (a document is checked to be UTF-8 once, as a whole); only what JSON
// requires is escaped.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = kernel.AppendEscaped(dst, s)
	return append(dst, '"')
}

// appendJSON writes a parsed value as compact JSON. (fastjson's MarshalTo
// escapes strings the Go way, which is not JSON for control characters.)
func appendJSON(dst []byte, v *fastjson.Value) []byte {
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		dst = append(dst, '{')
		first := true
		o.Visit(func(k []byte, m *fastjson.Value) {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = appendJSONString(dst, string(k))
			dst = append(dst, ':')
			dst = appendJSON(dst, m)
		})
		return append(dst, '}')
	case fastjson.TypeArray:
		dst = append(dst, '[')
		for i, it := range v.GetArray() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSON(dst, it)
		}
		return append(dst, ']')
	case fastjson.TypeString:
		return appendJSONString(dst, string(v.GetStringBytes()))
	}
	return v.MarshalTo(dst) // numbers keep their text; true, false, null
}
