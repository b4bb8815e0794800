package openapi

import (
	"strings"

	"github.com/apiwarden/apiwarden/policy/internal/jsonptr"
	"github.com/apiwarden/apiwarden/policy/schema"
	"github.com/tidwall/gjson"
)

// compileSchemas compiles the schema of every parameter, request body and
// response media type with one schema.Compiler over Raw, stores the result
// beside its pointer, then compiles every other schema location of the
// document (unused components) to report its errors (with
// EnforcedSchemasOnly, only parameters and request bodies). Errors are reported
// at their JSON paths. The Compiler compiles each location once and
// resolves each $ref once, so operations that share components share
// their compiled nodes; a schema that is only a $ref is compiled at its
// target, so they share the *schema.Schema too.
func (p *parser) compileSchemas() {
	if len(p.schemas) == 0 {
		return
	}
	comp, err := schema.NewCompiler(p.doc.Raw, schema.Options{Dialect: p.dialect, MaxDepth: p.opts.MaxDepth, Index: p.idx})
	if err != nil {
		p.errs.Addf(orRoot(p.opts.Path), "schemas: %s", err)
		return
	}
	c := &schemaChecker{p: p, comp: comp, reported: map[string]bool{}, compiled: map[string]*schema.Schema{}}
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
	}
	if p.opts.EnforcedSchemasOnly {
		return
	}
	// What follows enforces nothing: its nodes share no allocation with
	// the enforced ones, so a policy does not keep them.
	comp.NewSlabs()
	for i := range p.doc.Operations {
		for _, r := range p.doc.Operations[i].Responses {
			for j := range r.Content {
				r.Content[j].Schema = c.schemaFor(r.Content[j].SchemaPointer)
			}
		}
	}
	comp.NewSlabs() // nothing keeps the unused components
	for _, ptr := range p.schemas {
		c.schemaFor(ptr)
	}
}

type schemaChecker struct {
	p        *parser
	comp     *schema.Compiler
	reported map[string]bool           // errors already reported
	compiled map[string]*schema.Schema // compiled schemas by pointer
}

// schemaFor compiles the schema at ptr, once per location; nil when ptr is
// "" or the schema does not compile (the error is reported).
func (c *schemaChecker) schemaFor(ptr string) *schema.Schema {
	if ptr == "" {
		return nil
	}
	ptr, v := c.target(ptr)
	if s, ok := c.compiled[ptr]; ok {
		return s
	}
	var s *schema.Schema
	var err error
	if v.Exists() {
		s, err = c.comp.CompileValue(ptr, v)
	} else {
		s, err = c.comp.Compile(ptr)
	}
	c.report(err)
	c.compiled[ptr] = s
	if cp := c.p.opts.Checkpoint; cp != nil && len(c.compiled)%64 == 0 {
		cp()
	}
	return s
}

// target follows schemas that are nothing but a $ref (the only member, or
// in OpenAPI 3.0 where siblings of $ref are ignored), and returns the
// canonical pointer of the schema it ends at with its value.
func (c *schemaChecker) target(ptr string) (string, gjson.Result) {
	v, canon, ok := c.p.idx.Resolve(ptr) // walked locations are seeded
	if !ok {
		return ptr, v
	}
	ptr = canon
	for i := 0; i < maxRefHops; i++ {
		if !v.IsObject() {
			return ptr, v
		}
		r := jsonptr.Member(v, "$ref")
		if r.Type != gjson.String || (c.p.v31 && jsonptr.Len(v) != 1) {
			return ptr, v
		}
		t, ok := refTarget(r.Str)
		if !ok || t == "" || t[0] != '/' {
			return ptr, v
		}
		tv, canon, ok := c.p.idx.Resolve(t)
		if !ok {
			return ptr, v
		}
		ptr, v = canon, tv
	}
	return ptr, v
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
	if kind == "array" {
		itemKind = primaryType(p, p.follow(s.Get("items"), 0), 0)
	}
	return kind, itemKind
}

// properties types each declared property of an object schema (its own
// and its allOf members'): its primary type and, for an array, its
// items' type.
func (p *parser) properties(ptr string) map[string]FormField {
	out := map[string]FormField{}
	var walk func(s gjson.Result, depth int)
	walk = func(s gjson.Result, depth int) {
		if !s.IsObject() || depth > 8 {
			return
		}
		if props := jsonptr.Member(s, "properties"); props.IsObject() {
			props.ForEach(func(k, v gjson.Result) bool {
				ps := p.follow(v, depth+1)
				f := FormField{Kind: primaryType(p, ps, depth+1)}
				if f.Kind == "array" {
					f.ItemKind = primaryType(p, p.follow(jsonptr.Member(ps, "items"), depth+1), depth+1)
				}
				out[strings.Clone(k.Str)] = f
				return true
			})
		}
		elements(jsonptr.Member(s, "allOf"), func(sub gjson.Result) { walk(p.follow(sub, depth+1), depth+1) })
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

func (p *parser) schemaValue(ptr string, depth int) gjson.Result {
	return p.follow(p.value(ptr), depth)
}

// follow resolves up to maxRefHops local $refs (not Exists when one leads
// nowhere).
func (p *parser) follow(v gjson.Result, depth int) gjson.Result {
	for i := 0; v.Exists() && i < maxRefHops; i++ {
		if !v.IsObject() {
			return v
		}
		r := jsonptr.Member(v, "$ref")
		if r.Type != gjson.String {
			return v
		}
		ptr, ok := refTarget(r.Str)
		if !ok {
			return gjson.Result{}
		}
		v = p.value(ptr)
	}
	return v
}

func primaryType(p *parser, s gjson.Result, depth int) string {
	if !s.IsObject() || depth > 8 {
		return ""
	}
	t := jsonptr.Member(s, "type")
	switch {
	case t.Type == gjson.String:
		return strings.Clone(t.Str)
	case t.IsArray():
		kind := ""
		t.ForEach(func(_, x gjson.Result) bool {
			if x.Type == gjson.String && x.Str != "null" {
				kind = strings.Clone(x.Str)
				return false
			}
			return true
		})
		return kind
	}
	kind := ""
	elements(jsonptr.Member(s, "allOf"), func(sub gjson.Result) {
		if kind == "" {
			kind = primaryType(p, p.follow(sub, depth+1), depth+1)
		}
	})
	return kind
}

// elements calls fn for each element of an array (nothing for another
// value).
func elements(v gjson.Result, fn func(gjson.Result)) {
	if !v.IsArray() {
		return
	}
	v.ForEach(func(_, x gjson.Result) bool { fn(x); return true })
}
