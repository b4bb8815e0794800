package policy

import (
	"strings"
	"unsafe"

	"github.com/apiwarden/apiwarden/policy/internal/jsonptr"
	"github.com/tidwall/gjson"
	"github.com/valyala/fastjson"
)

// schemaDoc navigates a JSON document holding schemas (an OpenAPI document,
// or one inline schema) by JSON pointer, following local $refs, over the
// document's own text. It is used at configure time only: to learn a
// parameter's primary type and to build response field sets.
type schemaDoc struct {
	idx *jsonptr.Index
}

// newSchemaDoc reads a document that is known to be valid JSON (a view of
// the configuration's text).
func newSchemaDoc(root gjson.Result) schemaDoc { return schemaDoc{idx: jsonptr.New(root, nil)} }

// parseSchemaDoc checks and reads a standalone document; an invalid one is
// empty.
func parseSchemaDoc(root []byte) schemaDoc {
	if fastjson.ValidateBytes(root) != nil {
		return schemaDoc{}
	}
	return newSchemaDoc(gjson.Parse(unsafe.String(unsafe.SliceData(root), len(root))))
}

// at resolves a JSON pointer in the document (not Exists when absent).
func (d schemaDoc) at(pointer string) gjson.Result {
	if d.idx == nil {
		return gjson.Result{}
	}
	v, _, _ := d.idx.Resolve(pointer)
	return v
}

// resolve returns the schema at pointer after following up to 32 local
// $refs, and the pointer it was finally found at.
func (d schemaDoc) resolve(pointer string) (gjson.Result, string) {
	return d.follow(pointer, d.at(pointer))
}

// follow is resolve for a caller that holds the value at pointer.
func (d schemaDoc) follow(pointer string, s gjson.Result) (gjson.Result, string) {
	for i := 0; i < 32 && s.Exists(); i++ {
		ref, _ := d.tape().Child(s, "$ref")
		if ref.Type != gjson.String || !strings.HasPrefix(ref.Str, "#") {
			break
		}
		pointer = strings.Clone(ref.Str[1:])
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

// tape is the document's structural index (nil for none).
func (d schemaDoc) tape() *jsonptr.Tape {
	if d.idx == nil {
		return nil
	}
	return d.idx.Tape()
}

// primaryType is the first non-null name of a schema's "type".
func primaryType(s gjson.Result) string { return primaryTypeOf(jsonptr.Member(s, "type")) }

// primaryTypeOf is the first non-null name of a "type" value.
func primaryTypeOf(t gjson.Result) string {
	switch {
	case t.Type == gjson.String:
		return strings.Clone(t.Str)
	case !t.IsArray():
		return ""
	}
	name := ""
	t.ForEach(func(_, x gjson.Result) bool {
		if x.Str != "null" {
			name = strings.Clone(x.Str)
			return false
		}
		return true
	})
	return name
}
