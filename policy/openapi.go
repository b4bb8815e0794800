package policy

import (
	"github.com/apiwarden/apiwarden/policy/kernel"

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
// docText is the document's own JSON text in the configuration (its
// schemas compile from it).
func (p *Policy) addOpenAPI(n cfg.Node, root cfg.Node, unknownQuery Action, checkpoint func(), enforcedOnly bool) *openapi.Document {
	opts := openapi.Options{MaxDepth: p.MaxJSONDepth, Checkpoint: checkpoint, EnforcedSchemasOnly: enforcedOnly}
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
		return nil
	}
	var fields *fieldSetBuilder
	for i := range doc.Operations {
		if checkpoint != nil && i%64 == 63 {
			checkpoint()
		}
		op := &doc.Operations[i]
		ep := &Endpoint{ID: op.ID, Method: op.Method, Path: greedyPath(routePath(op.Path), op.Params), Source: "openapi", Mode: p.Mode,
			UnknownQuery: unknownQuery, Security: op.Security, Internal: op.Internal, declaresParams: true}
		for _, prm := range op.Params {
			ep.addParam(&Param{Name: prm.Name, In: prm.In, Required: prm.Required, Schema: prm.Schema,
				Kind: prm.Kind, ItemKind: prm.ItemKind, PropKinds: prm.PropKinds, Style: prm.Style, Explode: prm.Explode})
		}
		if op.Body != nil {
			ep.DeclaresBody = true
			ep.BodyRequired = op.Body.Required
			for _, mt := range op.Body.Content {
				ep.Bodies = append(ep.Bodies, &Body{MediaType: joinMediaType(mt.Type, mt.Params), Schema: mt.Schema, JSON: isJSONMediaType(mt.Type),
					Form:      (mt.Type == openapi.FormMediaType || mt.Type == MultipartMediaType) && mt.Schema != nil,
					Multipart: mt.Type == MultipartMediaType, Fields: mt.Fields})
			}
		}
		for _, r := range op.Responses {
			for _, mt := range r.Content {
				if !isJSONMediaType(mt.Type) || mt.SchemaPointer == "" {
					continue
				}
				if ep.ResponseFields == nil && (strings.HasPrefix(r.Status, "2") || r.Status == "default") {
					if fields == nil {
						fields = &fieldSetBuilder{schemaDoc: schemaDoc{idx: doc.Index}, memo: map[string]*redact.FieldSet{}}
					}
					ep.ResponseFields = fields.build(mt.SchemaPointer, fields.at(mt.SchemaPointer), 0)
				}
				break
			}
		}
		p.addEndpoint(n.At(op.At, n.V), ep)
	}
	return doc
}

// routePath is the path an operation is routed by: its template without a
// trailing '/' (request paths are normalised without one, see
// NormalizePath), so "/api/" matches both /api and /api/.
func routePath(tpl string) string {
	if len(tpl) > 1 {
		return strings.TrimSuffix(tpl, "/")
	}
	return tpl
}

// greedyPath marks the greedy path parameters of a template for the
// router ("{path}" -> "{path+}"); the router refuses one that is not the
// last segment, whole.
func greedyPath(path string, params []openapi.Param) string {
	for _, prm := range params {
		if prm.In == "path" && prm.Greedy {
			path = strings.Replace(path, "{"+prm.Name+"}", "{"+prm.Name+"+}", 1)
		}
	}
	return path
}

// joinMediaType is a media type with its normal-form parameters
// ("application/json;stream=watch"), as fullMediaType makes of a request's
// Content-Type.
func joinMediaType(typ, params string) string {
	if params == "" {
		return typ
	}
	return typ + ";" + params
}

// fullMediaType is a request's Content-Type with its parameters in the
// normal form of openapi.SplitMediaType.
func fullMediaType(ct string) string {
	if strings.IndexByte(ct, ';') < 0 {
		return ""
	}
	return joinMediaType(openapi.SplitMediaType(ct))
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
	b := newFieldSetBuilder(root)
	return b.build(pointer, b.at(pointer), 0)
}

// fieldSetBuilder builds field sets over one parse of the document, shared
// between operations (a 2,000-operation document has one builder, not
// 2,000 scans of the whole document).
type fieldSetBuilder struct {
	schemaDoc
	memo map[string]*redact.FieldSet
}

func newFieldSetBuilder(root []byte) *fieldSetBuilder {
	return &fieldSetBuilder{schemaDoc: parseSchemaDoc(root), memo: map[string]*redact.FieldSet{}}
}

const maxFieldSetDepth = 32

// build builds the field set of the schema s found at pointer. Members are
// read from the values in hand; only $refs are resolved.
func (b *fieldSetBuilder) build(pointer string, s gjson.Result, depth int) *redact.FieldSet {
	if depth > maxFieldSetDepth {
		return nil
	}
	s, pointer = b.follow(pointer, s)
	if fs, ok := b.memo[pointer]; ok {
		return fs
	}
	if !s.IsObject() {
		return nil
	}
	kw := b.keywords(s)
	kind := primaryTypeOf(kw.typ)
	props, items := kw.properties, kw.items
	composite := kw.combined[0].Exists() || kw.combined[1].Exists() || kw.combined[2].Exists()
	isObj := func(v gjson.Result) bool { return v.IsObject() }
	switch {
	case kind == "array" || (kind == "" && isObj(items)):
		fs := &redact.FieldSet{}
		b.memo[pointer] = fs
		if isObj(items) {
			fs.Items = b.build(pointer+"/items", items, depth+1)
		}
		if fs.Items == nil {
			return nil
		}
		return fs
	case kind == "object" || isObj(props) || composite:
	default:
		return nil
	}
	fs := &redact.FieldSet{Properties: map[string]*redact.FieldSet{}}
	b.memo[pointer] = fs
	if isObj(props) {
		b.tape().Members(props, func(k string, v gjson.Result) bool {
			if _, dup := fs.Properties[k]; dup {
				return true // the first of a duplicated name
			}
			name := strings.Clone(k)
			fs.Properties[name] = b.build(pointer+"/properties/"+escapePointer(name), v, depth+1)
			return true
		})
	}
	switch ap := kw.additional; {
	case ap.Type == gjson.True || ap.IsObject():
		fs.Additional = true
	case !ap.Exists() && !isObj(props) && !composite:
		fs.Additional = true // a free-form object
	}
	for k, name := range []string{"allOf", "anyOf", "oneOf"} {
		v := kw.combined[k]
		if !v.IsArray() {
			continue
		}
		i := -1
		b.tape().Elements(v, func(elem gjson.Result) bool {
			i++
			sub := b.build(pointer+"/"+name+"/"+strconv.Itoa(i), elem, depth+1)
			if sub == nil {
				return true
			}
			fs.Additional = fs.Additional || sub.Additional
			for name, child := range sub.Properties {
				if _, seen := fs.Properties[name]; !seen {
					fs.Properties[name] = child
				}
			}
			return true
		})
	}
	return fs
}

// fieldKeywords are the members of a schema a field set is built from.
type fieldKeywords struct {
	typ, properties, items, additional gjson.Result
	combined                           [3]gjson.Result // allOf, anyOf, oneOf
}

// keywords reads them in one pass over the schema's members (the first
// of a duplicated key, as everywhere).
func (b *fieldSetBuilder) keywords(s gjson.Result) fieldKeywords {
	var kw fieldKeywords
	b.tape().Members(s, func(k string, v gjson.Result) bool {
		var at *gjson.Result
		switch k {
		case "type":
			at = &kw.typ
		case "properties":
			at = &kw.properties
		case "items":
			at = &kw.items
		case "additionalProperties":
			at = &kw.additional
		case "allOf":
			at = &kw.combined[0]
		case "anyOf":
			at = &kw.combined[1]
		case "oneOf":
			at = &kw.combined[2]
		default:
			return true
		}
		if !at.Exists() {
			*at = v
		}
		return true
	})
	return kw
}

func escapePointer(s string) string { return kernel.EscapeToken(s) }
