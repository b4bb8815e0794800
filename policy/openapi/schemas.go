package openapi

import (
	"bytes"
	"strings"

	"github.com/apiwarden/apiwarden/policy/schema"
	"github.com/valyala/fastjson"
)

// checkKey is the root member of the documents compileSchemas builds: its
// value is {"anyOf": [{"$ref": "#<pointer>"}, ...]}, so one schema.Compile
// call compiles several schema locations, and each error names the
// location of the problem in the document.
const checkKey = "x-apiwarden-schema-check"

// schemaGroup is how many otherwise unused schema locations one
// schema.Compile call checks.
const schemaGroup = 16

// compileSchemas compiles the schema of every parameter, request body and
// response media type with policy/schema, once per location, stores the
// result beside its pointer, then checks that every other schema location
// of the document (unused components) compiles too. Errors are reported at
// their JSON paths.
//
// schema.Compile resolves a $ref by walking the root document from its
// start, so compiling against a large document costs its size for every
// reference. Each schema is therefore compiled against a minimal document
// that holds only its location and what its $refs reach, at the same
// pointers as in Raw, so errors and Violation.SchemaPath carry the
// pointers of Raw. A schema that is only a $ref is compiled at its target,
// so operations sharing a component share one compiled schema. (A 3.1
// document using "$id" is compiled against Raw, since base URIs depend on
// the ancestors of a schema: slower, same results.)
func (p *parser) compileSchemas() {
	if len(p.schemas) == 0 {
		return
	}
	c := &schemaChecker{p: p, refs: map[string][]string{}, vals: map[string]*fastjson.Value{},
		reported: map[string]bool{}, compiled: map[string]*schema.Schema{}, covered: map[string]bool{},
		whole: p.v31 && bytes.Contains(p.doc.Raw, []byte(`"$id"`))}
	c.opts = schema.Options{Dialect: p.dialect, MaxDepth: p.opts.MaxDepth}
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
	var rest []string
	for _, ptr := range p.schemas {
		if !c.covered[ptr] {
			rest = append(rest, ptr)
		}
	}
	for i := 0; i < len(rest); i += schemaGroup {
		group := rest[i:min(i+schemaGroup, len(rest))]
		c.check(group)
	}
}

type schemaChecker struct {
	p        *parser
	refs     map[string][]string        // pointer -> local $ref targets found below it
	vals     map[string]*fastjson.Value // pointer -> value (nil: nowhere)
	reported map[string]bool            // errors already reported
	compiled map[string]*schema.Schema  // compiled schemas by pointer
	covered  map[string]bool            // locations some compile included
	whole    bool                       // compile against Raw
	opts     schema.Options
}

// schemaFor compiles the schema at ptr, once per location; nil when ptr is
// "" or the schema does not compile (the error is reported).
func (c *schemaChecker) schemaFor(ptr string) *schema.Schema {
	if ptr == "" {
		return nil
	}
	c.covered[ptr] = true
	ptr = c.target(ptr)
	if s, ok := c.compiled[ptr]; ok {
		return s
	}
	root := c.p.doc.Raw
	if !c.whole {
		root = c.miniDoc([]string{ptr})
	}
	s, err := schema.Compile(root, ptr, c.opts)
	c.report(err)
	c.compiled[ptr] = s
	if cp := c.p.opts.Checkpoint; cp != nil && len(c.compiled)%32 == 0 {
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
		c.covered[ptr] = true
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

// targets lists the local $ref targets anywhere below ptr (a superset of
// the schema references: a "$ref" member of an example counts too, which
// only adds to the document).
func (c *schemaChecker) targets(ptr string) []string {
	if t, ok := c.refs[ptr]; ok {
		return t
	}
	var out []string
	var walk func(v *fastjson.Value, depth int)
	walk = func(v *fastjson.Value, depth int) {
		if depth > 512 {
			return
		}
		switch v.Type() {
		case fastjson.TypeObject:
			o, _ := v.Object()
			o.Visit(func(k []byte, m *fastjson.Value) {
				if string(k) == "$ref" && m.Type() == fastjson.TypeString {
					if t, ok := refTarget(string(m.GetStringBytes())); ok && (t == "" || t[0] == '/') {
						out = append(out, t)
					}
					return
				}
				walk(m, depth+1)
			})
		case fastjson.TypeArray:
			for _, it := range v.GetArray() {
				walk(it, depth+1)
			}
		}
	}
	if v := c.value(ptr); v != nil {
		walk(v, 0)
	}
	c.refs[ptr] = out
	return out
}

// miniDoc builds a JSON document holding the locations of group and every
// location their $refs reach (transitively), each at its own pointer.
func (c *schemaChecker) miniDoc(group []string) []byte {
	need := append([]string(nil), group...)
	seen := make(map[string]bool, len(group)*4)
	for _, g := range group {
		seen[g] = true
	}
	for i := 0; i < len(need); i++ {
		for _, t := range c.targets(need[i]) {
			if !seen[t] {
				seen[t] = true
				need = append(need, t)
			}
		}
	}
	root := &tree{}
	for _, ptr := range need {
		c.covered[ptr] = true
		if ptr == "" {
			return c.p.doc.Raw // a reference to the whole document
		}
		if v := c.value(ptr); v != nil {
			root.insert(strings.Split(ptr[1:], "/"), v)
		}
	}
	return root.appendJSON(nil)
}

// tree is an object of the minimal document: either a whole value taken
// from the document or members leading to such values.
type tree struct {
	val  *fastjson.Value
	keys []string
	kids map[string]*tree
}

func (t *tree) insert(toks []string, v *fastjson.Value) {
	for _, tok := range toks {
		if t.val != nil {
			return // an ancestor is already there whole
		}
		key := unescapeToken(tok)
		next := t.kids[key]
		if next == nil {
			if t.kids == nil {
				t.kids = map[string]*tree{}
			}
			next = &tree{}
			t.kids[key] = next
			t.keys = append(t.keys, key)
		}
		t = next
	}
	t.val, t.keys, t.kids = v, nil, nil
}

func (t *tree) appendJSON(dst []byte) []byte {
	if t.val != nil {
		return appendJSON(dst, t.val)
	}
	dst = append(dst, '{')
	for i, k := range t.keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, k)
		dst = append(dst, ':')
		dst = t.kids[k].appendJSON(dst)
	}
	return append(dst, '}')
}

// check compiles a group of schema locations in one call through an
// anyOf of $refs, reporting the errors.
func (c *schemaChecker) check(ptrs []string) {
	root := c.p.doc.Raw
	if !c.whole {
		root = c.miniDoc(ptrs)
	}
	buf := make([]byte, 0, len(root)+len(checkKey)+len(ptrs)*64+32)
	buf = append(buf, `{"`+checkKey+`":{"anyOf":[`...)
	for i, ptr := range ptrs {
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
	if len(bytes.TrimSpace(root[1:len(root)-1])) > 0 {
		buf = append(buf, ',')
	}
	buf = append(buf, root[1:]...)
	_, err := schema.Compile(buf, "/"+checkKey, c.opts)
	c.report(err)
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
		if i := strings.Index(msg, ": "); i > 0 && msg[0] == '/' && !strings.HasPrefix(msg, "/"+checkKey) {
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
// are (a document is checked to be UTF-8 once, as a whole); only '"', '\\'
// and control characters are escaped.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\r':
			dst = append(dst, '\\', 'r')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
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
