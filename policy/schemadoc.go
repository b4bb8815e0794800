package policy

import (
	"github.com/apiwarden/apiwarden/policy/kernel"

	"strings"

	"github.com/valyala/fastjson"
)

// schemaDoc navigates a JSON document holding schemas (an OpenAPI document,
// or one inline schema) by JSON pointer, following local $refs. It is used
// at configure time only: to learn a parameter's primary type and to build
// response field sets.
type schemaDoc struct {
	doc *fastjson.Value
}

func parseSchemaDoc(root []byte) schemaDoc {
	var p fastjson.Parser
	v, err := p.ParseBytes(root)
	if err != nil {
		return schemaDoc{}
	}
	return schemaDoc{doc: v}
}

// at resolves a JSON pointer in the document (nil when absent).
func (d schemaDoc) at(pointer string) *fastjson.Value {
	if d.doc == nil {
		return nil
	}
	if pointer == "" {
		return d.doc
	}
	toks := strings.Split(strings.TrimPrefix(pointer, "/"), "/")
	for i, t := range toks {
		toks[i] = kernel.UnescapeToken(t)
	}
	return d.doc.Get(toks...)
}

// resolve returns the schema at pointer after following up to 32 local
// $refs, and the pointer it was finally found at.
func (d schemaDoc) resolve(pointer string) (*fastjson.Value, string) {
	s := d.at(pointer)
	for i := 0; i < 32 && s != nil; i++ {
		ref := s.GetStringBytes("$ref")
		if len(ref) == 0 || ref[0] != '#' {
			break
		}
		pointer = string(ref[1:])
		s = d.at(pointer)
	}
	return s, pointer
}

// SchemaKinds peeks at a schema's primary "type" (and its items' type),
// following local $refs, so a parameter's text can be turned into the
// right JSON before validation.
func SchemaKinds(root []byte, at string) (kind, itemKind string) {
	d := parseSchemaDoc(root)
	s, at := d.resolve(at)
	kind = primaryType(s)
	if kind == "array" {
		items, _ := d.resolve(at + "/items")
		itemKind = primaryType(items)
	}
	return kind, itemKind
}

// primaryType is the first non-null name of a schema's "type".
func primaryType(s *fastjson.Value) string {
	if s == nil {
		return ""
	}
	t := s.Get("type")
	switch {
	case t == nil:
		return ""
	case t.Type() == fastjson.TypeString:
		return string(t.GetStringBytes())
	case t.Type() != fastjson.TypeArray:
		return ""
	}
	list, _ := t.Array()
	for _, x := range list {
		if name := string(x.GetStringBytes()); name != "null" {
			return name
		}
	}
	return ""
}
