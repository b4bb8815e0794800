package openapi

import (
	"fmt"
	"unsafe"

	"github.com/apiwarden/apiwarden/policy/internal/cfg"
	"github.com/apiwarden/apiwarden/policy/internal/jsonptr"
	"github.com/apiwarden/apiwarden/policy/schema"
)

// Limits on the document, checked before anything else is read.
const (
	// MaxDocumentBytes bounds the JSON text of one document.
	MaxDocumentBytes = 32 << 20
	// MaxOperations bounds the operations of one document.
	MaxOperations = 20000
	// maxRefHops bounds a chain of $refs between non-schema objects.
	maxRefHops = 32
)

// Document is a parsed OpenAPI document: plain data, no reference to the
// parser, safe to share.
type Document struct {
	// Version is the "openapi" field ("3.0.3", "3.1.0").
	Version string
	// Dialect is the schema dialect every SchemaPointer is compiled with.
	Dialect schema.Dialect
	// Title and APIVersion come from the info object.
	Title, APIVersion string
	// BasePath is the prefix applied to every Operation.Path ("" for none).
	BasePath string
	// Raw is the document's own JSON text (a view of the text Parse was
	// given, or of the configuration ParseNode's node came from): the root
	// every SchemaPointer resolves against (pass it to schema.Compile with
	// the pointer).
	Raw []byte
	// Index resolves JSON pointers in Raw, seeded with every schema
	// location the parser walked: for reading more of the document
	// (response field sets) without resolving those again.
	Index *jsonptr.Index
	// Operations in a stable order: paths in document order, and within a
	// path the methods in the order get, put, post, delete, options, head,
	// patch, trace.
	Operations []Operation
	// SecuritySchemes are components.securitySchemes by name.
	SecuritySchemes map[string]SecurityScheme
}

// Operation is one method on one path template.
type Operation struct {
	// ID is the operationId, or one derived from method and path (see
	// DeriveID); unique within the document.
	ID string
	// IDDerived reports that ID was derived, not declared.
	IDDerived bool
	// Method is upper-case ("GET").
	Method string
	// Path is the path template, prefixed with Document.BasePath.
	Path string
	// Template is the path template as the document's paths object has it.
	Template string
	// Pointer is the JSON pointer of the operation object in Raw.
	Pointer string
	// At is the JSON path of the operation object in the configuration
	// ("openapi.paths./a/{id}.get"), where problems found later (by the
	// policy compiler) are reported.
	At string
	// Params merges the path item's and the operation's parameters: the
	// path item's first, in document order, an operation parameter with the
	// same name and location replacing it in place, then the operation's
	// other parameters in document order.
	Params []Param
	// Body is the request body, nil when the operation declares none.
	Body *RequestBody
	// Responses in document order.
	Responses []Response
	// Security lists the alternative security requirements, each the
	// scheme names that must all be satisfied (document order). nil: no
	// requirement is declared anywhere; non-nil and empty: explicitly
	// none. An empty alternative ([]string{}) means anonymous access is
	// one of the alternatives.
	Security [][]string
	// SecurityScopes is aligned with Security: the scopes required per
	// scheme name in each alternative.
	SecurityScopes []map[string][]string
	Deprecated     bool
	// Internal is the InternalExtension: the operation is reachable only
	// from the sources abuse.internal allows.
	Internal bool
}

// InternalExtension marks an operation internal ("x-apiwarden-internal":
// true).
const InternalExtension = "x-apiwarden-internal"

// Param is one parameter, its $ref resolved.
type Param struct {
	// Name is the parameter name; lower-cased for headers.
	Name string
	// In is "path", "query", "header" or "cookie".
	In       string
	Required bool
	// Style defaults to "form" for query and cookie, "simple" for path and
	// header; Explode defaults to true for "form", false otherwise.
	Style   string
	Explode bool
	// SchemaPointer is the JSON pointer (in Document.Raw) of the schema, or
	// of the schema of the single media type of "content"; "" if none.
	SchemaPointer string
	// Schema is the compiled schema (nil when there is none or when
	// Options.SkipSchemas is set).
	Schema *schema.Schema
	// ContentType is the media type of "content" when the parameter is
	// declared that way ("" otherwise).
	ContentType string
	// Kind is the schema's primary type ("string", "integer", "number",
	// "boolean", "array", "object" or "") and ItemKind the type of its
	// array items, following $refs.
	Kind, ItemKind string
	// PropKinds are the primary types of an object schema's properties
	// (Kind "object"), for values serialised as deepObject.
	PropKinds map[string]string
	// Greedy is the x-apiwarden-greedy extension of a path parameter: its
	// value may span segments ('/' included); it must be the template's
	// last segment, whole ("/repos/{owner}/{repo}/contents/{path}").
	Greedy     bool
	Deprecated bool
	AllowEmpty bool
}

// RequestBody is an operation's request body, its $ref resolved.
type RequestBody struct {
	Required bool
	Content  []MediaType
}

// MediaType is one entry of a content map.
type MediaType struct {
	// Type is the media type or range, lower-case, without parameters
	// ("application/json", "application/*", "*/*").
	Type string
	// Params are the media type's parameters in normal form (see
	// SplitMediaType: "stream=watch"), "" for none. Two entries of one
	// content map differ in Type or in Params.
	Params string
	// SchemaPointer is the JSON pointer of the schema in Document.Raw, ""
	// when the media type has no schema.
	SchemaPointer string
	// Schema is the compiled schema (nil when there is none, when
	// Options.SkipSchemas is set, or for a response's media type with
	// Options.EnforcedSchemasOnly). Operations that share a schema share
	// the compiled value.
	Schema *schema.Schema
	// Fields describe the properties of a form body
	// (application/x-www-form-urlencoded with an object schema): how each
	// is typed and, from the encoding object, serialised.
	Fields map[string]FormField
}

// FormMediaType is the form body media type whose fields are validated.
const FormMediaType = "application/x-www-form-urlencoded"

// FormField is one property of a form body.
type FormField struct {
	// Kind and ItemKind are the property's primary type and, for an
	// array, its items' type.
	Kind, ItemKind string
	// Delimiter splits an array sent as one value (encoding style form
	// with explode false: ",", spaceDelimited: " ", pipeDelimited: "|");
	// "" for the default, one key=value pair per item.
	Delimiter string
}

// Response is the declared response for one status key.
type Response struct {
	// Status is "200", "2XX" or "default".
	Status  string
	Content []MediaType
}

// SecurityScheme keeps what the authentication checks need of a security
// scheme object.
type SecurityScheme struct {
	// Type is "apiKey", "http", "oauth2", "openIdConnect" or "mutualTLS".
	Type string
	// Scheme is the HTTP authentication scheme, lower-case ("bearer",
	// "basic"), for type http.
	Scheme string
	// In and Name locate an API key ("header", "query", "cookie"); Name is
	// lower-cased for headers.
	In, Name     string
	BearerFormat string
	// OpenIDConnectURL is set for type openIdConnect.
	OpenIDConnectURL string
}

// Options tune Parse.
type Options struct {
	// Path is the JSON path of the document inside the configuration,
	// prefixed to every error ("openapi"). "" reports paths from the
	// document's root.
	Path string
	// BasePath decides the prefix of every Operation.Path: "" takes the
	// path of servers[0].url (server variables replaced by their
	// defaults; none when there is no server or its path is "/"); "/"
	// means no prefix; anything else (starting with '/') is the prefix.
	BasePath string
	// SkipSchemas skips compiling the document's schemas with
	// policy/schema (the shape of each schema location is still checked,
	// Schema fields stay nil).
	SkipSchemas bool
	// EnforcedSchemasOnly compiles only the schemas requests are checked
	// against (parameters and request bodies, with what they refer to):
	// response schemas and components nothing refers to are not compiled,
	// so their keyword errors go unreported (their shape is still
	// checked, and their Schema fields stay nil). They enforce nothing: a
	// response's declared fields are read from the text. The module sets
	// it, for start-up (GitHub's description: 1.7 s through wazero
	// against 0.57 s); check-config and openapi2json do not, so a
	// configuration checked offline has every schema compiled.
	EnforcedSchemasOnly bool
	// MaxDepth is the instance nesting limit of the compiled schemas
	// (schema.Options.MaxDepth; 0 means schema.DefaultMaxDepth).
	MaxDepth int
	// Checkpoint, when set, is called every so often while a large
	// document compiles, so a host without automatic garbage collection can
	// collect between steps (see policy.CompileOptions).
	Checkpoint func()
}

// Parse parses and validates an OpenAPI 3.0.x or 3.1.x document given as
// JSON. Every problem is reported with its JSON path (prefixed with
// opts.Path), all of them at once (at most cfg.MaxErrors).
func Parse(raw []byte, opts Options) (*Document, error) {
	where := opts.Path
	if where == "" {
		where = "(root)"
	}
	if len(raw) > MaxDocumentBytes {
		return nil, fmt.Errorf("%s: document of %d bytes exceeds the limit of %d", where, len(raw), MaxDocumentBytes)
	}
	if err := cfg.Check(raw); err != nil {
		return nil, fmt.Errorf("%s: not valid JSON: %w", where, err)
	}
	var errs cfg.Errors
	doc := ParseNode(cfg.FromText(opts.Path, unsafe.String(unsafe.SliceData(raw), len(raw)), &errs), opts)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return doc, nil
}

// ParseNode parses a document that is already part of a configuration
// read by cfg.Parse (so checked: JSON, UTF-8), recording problems into
// n.Errs under n.Path (opts.Path is ignored). The returned document is
// meaningful only when no problem was recorded; its Raw and Index are
// views of n's text.
func ParseNode(n cfg.Node, opts Options) *Document {
	p := &parser{opts: opts, errs: n.Errs}
	p.opts.Path = n.Path
	return p.parse(n)
}
