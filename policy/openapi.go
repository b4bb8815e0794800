package policy

import (
	"strconv"
	"strings"

	"github.com/apiwarden/apiwarden/policy/internal/cfg"
	"github.com/apiwarden/apiwarden/policy/openapi"
	"github.com/apiwarden/apiwarden/policy/redact"
	"github.com/tidwall/gjson"
)

// addOpenAPI turns the operations of an inline OpenAPI document into
// endpoints: operationId (or a derived id), path template, parameters with
// their schemas and styles, request bodies per media type, response
// schemas (kept for response protection) and security requirements.
func (p *Policy) addOpenAPI(n cfg.Node, root cfg.Node, unknownQuery Action) {
	opts := openapi.Options{MaxDepth: p.MaxJSONDepth}
	if v, ok := root.Get("openapi_base_path"); ok {
		if s, ok := v.String(); ok {
			if !strings.HasPrefix(s, "/") {
				v.Errorf(`want "/" (no prefix) or a path prefix starting with '/', got %q`, s)
			}
			opts.BasePath = s
		}
	}
	before := n.Errs.Len()
	doc := openapi.ParseNode(n, opts)
	if n.Errs.Len() > before || doc == nil {
		return
	}
	for i := range doc.Operations {
		op := &doc.Operations[i]
		ep := &Endpoint{ID: op.ID, Method: op.Method, Path: op.Path, Source: "openapi", Mode: p.Mode,
			UnknownQuery: unknownQuery, Security: op.Security, declaresParams: true}
		for _, prm := range op.Params {
			ep.addParam(&Param{Name: prm.Name, In: prm.In, Required: prm.Required, Schema: prm.Schema,
				Kind: prm.Kind, ItemKind: prm.ItemKind, Style: prm.Style, Explode: prm.Explode})
		}
		if op.Body != nil {
			ep.BodyRequired = op.Body.Required
			for _, mt := range op.Body.Content {
				ep.Bodies = append(ep.Bodies, &Body{MediaType: mt.Type, Schema: mt.Schema, JSON: isJSONMediaType(mt.Type)})
			}
		}
		for _, r := range op.Responses {
			for _, mt := range r.Content {
				if !isJSONMediaType(mt.Type) || mt.Schema == nil {
					continue
				}
				if ep.Responses == nil {
					ep.Responses = map[string]*schemaRef{}
				}
				ep.Responses[r.Status] = &schemaRef{Schema: mt.Schema, Pointer: mt.SchemaPointer}
				if ep.ResponseFields == nil && (strings.HasPrefix(r.Status, "2") || r.Status == "default") {
					ep.ResponseFields = fieldSetOf(doc.Raw, mt.SchemaPointer)
				}
				break
			}
		}
		at := cfg.FromValue(joinPath(n.Path, "paths"), n.V, n.Errs)
		p.addEndpoint(at, ep)
	}
}

// isOverlay reports an "endpoints" entry without method and path: it adds
// settings to the OpenAPI operation with that id instead of declaring an
// endpoint (max_body_bytes, a mode, response redaction...).
func isOverlay(n cfg.Node) bool {
	_, hasMethod := n.Get("method")
	_, hasPath := n.Get("path")
	return !hasMethod && !hasPath
}

func (p *Policy) overlayEndpoint(n cfg.Node) {
	if !n.Object("id", "mode", "request", "response") {
		return
	}
	idNode, ok := n.Require("id")
	if !ok {
		return
	}
	id, _ := idNode.String()
	ep := p.endpointByID(id)
	if ep == nil {
		idNode.Errorf("no OpenAPI operation has id %q (an endpoint without method and path adds settings to one)", id)
		return
	}
	if req, ok := n.Get("request"); ok {
		req.Object("max_body_bytes", "unknown_query")
	}
	p.parseEndpointSettings(n, ep)
}

// fieldSetOf builds the declared shape of a response schema for reporting
// undeclared members: properties per object level, merged over allOf,
// anyOf and oneOf; array items. An object may carry undeclared members only
// when its schema says so (additionalProperties true or a schema, or an
// object with no declared properties at all): a response schema is a
// promise about what leaves the API, and an absent additionalProperties is
// read as "nothing else". Local $refs are followed; recursive schemas share
// nodes.
func fieldSetOf(root []byte, pointer string) *redact.FieldSet {
	b := fieldSetBuilder{root: root, memo: map[string]*redact.FieldSet{}}
	return b.build(pointer, 0)
}

type fieldSetBuilder struct {
	root []byte
	memo map[string]*redact.FieldSet
}

const maxFieldSetDepth = 32

func (b *fieldSetBuilder) build(pointer string, depth int) *redact.FieldSet {
	if depth > maxFieldSetDepth {
		return nil
	}
	s := gjson.GetBytes(b.root, pointerToGJSON(pointer))
	for i := 0; i < 32; i++ {
		ref := s.Get(`\$ref`)
		if !ref.Exists() || !strings.HasPrefix(ref.String(), "#") {
			break
		}
		pointer = strings.TrimPrefix(ref.String(), "#")
		s = gjson.GetBytes(b.root, pointerToGJSON(pointer))
	}
	if fs, ok := b.memo[pointer]; ok {
		return fs
	}
	if !s.IsObject() {
		return nil
	}
	kind := primaryType(s)
	props := s.Get("properties")
	items := s.Get("items")
	composite := s.Get("allOf").IsArray() || s.Get("anyOf").IsArray() || s.Get("oneOf").IsArray()
	switch {
	case kind == "array" || (kind == "" && items.IsObject()):
		fs := &redact.FieldSet{}
		b.memo[pointer] = fs
		if items.IsObject() {
			fs.Items = b.build(pointer+"/items", depth+1)
		}
		if fs.Items == nil {
			return nil
		}
		return fs
	case kind == "object" || props.IsObject() || composite:
	default:
		return nil
	}
	fs := &redact.FieldSet{Properties: map[string]*redact.FieldSet{}}
	b.memo[pointer] = fs
	props.ForEach(func(k, _ gjson.Result) bool {
		fs.Properties[k.String()] = b.build(pointer+"/properties/"+escapePointer(k.String()), depth+1)
		return true
	})
	switch ap := s.Get("additionalProperties"); {
	case ap.Type == gjson.True || ap.IsObject():
		fs.Additional = true
	case !ap.Exists() && !props.IsObject() && !composite:
		fs.Additional = true // a free-form object
	}
	for _, kw := range []string{"allOf", "anyOf", "oneOf"} {
		for i := range s.Get(kw).Array() {
			sub := b.build(pointer+"/"+kw+"/"+strconv.Itoa(i), depth+1)
			if sub == nil {
				continue
			}
			fs.Additional = fs.Additional || sub.Additional
			for name, child := range sub.Properties {
				if _, seen := fs.Properties[name]; !seen {
					fs.Properties[name] = child
				}
			}
		}
	}
	return fs
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
