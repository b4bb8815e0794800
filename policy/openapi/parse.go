package openapi

import (
	"strconv"
	"strings"
	"unsafe"

	"github.com/apiwarden/apiwarden/policy/internal/cfg"
	"github.com/apiwarden/apiwarden/policy/internal/jsonptr"
	"github.com/apiwarden/apiwarden/policy/schema"
	"github.com/tidwall/gjson"
)

// Fixed fields of the objects the parser reads. Keys starting with "x-"
// are always allowed.
var (
	rootKeys       = []string{"openapi", "info", "jsonSchemaDialect", "servers", "paths", "webhooks", "components", "security", "tags", "externalDocs"}
	infoKeys       = []string{"title", "summary", "description", "termsOfService", "contact", "license", "version"}
	componentKeys  = []string{"schemas", "responses", "parameters", "examples", "requestBodies", "headers", "securitySchemes", "links", "callbacks", "pathItems"}
	pathItemKeys   = []string{"$ref", "summary", "description", "get", "put", "post", "delete", "options", "head", "patch", "trace", "servers", "parameters"}
	operationKeys  = []string{"tags", "summary", "description", "externalDocs", "operationId", "parameters", "requestBody", "responses", "callbacks", "deprecated", "security", "servers"}
	parameterKeys  = []string{"name", "in", "description", "required", "deprecated", "allowEmptyValue", "style", "explode", "allowReserved", "schema", "example", "examples", "content"}
	bodyKeys       = []string{"description", "content", "required"}
	mediaTypeKeys  = []string{"schema", "example", "examples", "encoding"}
	responseKeys   = []string{"description", "headers", "content", "links"}
	headerKeys     = []string{"description", "required", "deprecated", "allowEmptyValue", "style", "explode", "allowReserved", "schema", "example", "examples", "content"}
	secSchemeKeys  = []string{"type", "description", "name", "in", "scheme", "bearerFormat", "flows", "openIdConnectUrl"}
	serverKeys     = []string{"url", "description", "variables"}
	serverVarKeys  = []string{"enum", "default", "description"}
	paramLocations = []string{"query", "header", "path", "cookie"}
)

// Methods is the fixed order of operations within a path item, as the
// OpenAPI path item object lists them.
var Methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// ignoredHeaders are header parameters OpenAPI says to ignore: the media
// type and authentication are described elsewhere.
var ignoredHeaders = []string{"accept", "content-type", "authorization"}

type parser struct {
	opts    Options
	errs    *cfg.Errors
	root    node
	idx     *jsonptr.Index // pointers into the document's text
	dialect schema.Dialect
	v31     bool
	doc     *Document

	params    map[string]*paramEntry
	bodies    map[string]*bodyEntry
	responses map[string]*responseEntry
	schemas   []string
	schemaSet map[string]bool   // schema locations found by the walk (seeded in idx)
	opIDs     map[string]string // explicit operationId -> path of its first use
	refErrs   map[string]bool   // $ref problems already reported
}

// refErrorf reports a $ref problem once, however many places lead to it.
func (p *parser) refErrorf(n node, format string, args ...any) {
	key := n.Path + "\x00" + format
	if len(args) > 0 {
		key += args[0].(string)
	}
	if p.refErrs[key] {
		return
	}
	p.refErrs[key] = true
	n.Errorf(format, args...)
}

type paramEntry struct {
	prm    Param
	ok     bool
	ignore bool
}

type bodyEntry struct {
	body RequestBody
	ok   bool
}

type responseEntry struct {
	content []MediaType
	ok      bool
}

// paramAt is a parameter with the configuration path it was declared at.
type paramAt struct {
	Param
	path string
}

func (p *parser) parse(n cfg.Node) *Document {
	p.root = node{Node: n}
	p.idx = jsonptr.New(n.V, n.Tape())
	p.doc = &Document{SecuritySchemes: map[string]SecurityScheme{}, Index: p.idx}
	p.params = map[string]*paramEntry{}
	p.bodies = map[string]*bodyEntry{}
	p.responses = map[string]*responseEntry{}
	p.schemaSet = map[string]bool{}
	p.opIDs = map[string]string{}
	p.refErrs = map[string]bool{}
	root := p.root
	if !root.isObject() {
		root.Errorf("want an OpenAPI document (an object), got %s", root.Kind())
		return p.doc
	}
	if sw, ok := root.get("swagger"); ok {
		if _, has := root.get("openapi"); !has {
			sw.Errorf("Swagger 2.0 documents are not supported: convert the document to OpenAPI 3.0 or 3.1")
			return p.doc
		}
	}
	if !p.version() {
		return p.doc
	}
	root.object(rootKeys...)
	p.info()
	p.basePath()
	p.components()
	var topSecurity [][]string
	var topScopes []map[string][]string
	if s, ok := root.get("security"); ok {
		topSecurity, topScopes = p.security(s)
	}
	paths, ok := root.get("paths")
	switch {
	case ok:
		p.paths(paths, topSecurity, topScopes)
	case !p.v31:
		root.Errs.Addf(joinPath(root.Path, "paths"), "required")
	default:
		_, hasComp := root.get("components")
		_, hasHooks := root.get("webhooks")
		if !hasComp && !hasHooks {
			root.Errs.Addf(joinPath(root.Path, "paths"), "required (or components, or webhooks)")
		}
	}
	p.assignIDs()
	p.doc.Raw = unsafe.Slice(unsafe.StringData(root.V.Raw), len(root.V.Raw))
	if !p.opts.SkipSchemas {
		p.compileSchemas()
	}
	return p.doc
}

// version reads the "openapi" field and picks the schema dialect.
func (p *parser) version() bool {
	v, ok := p.root.require("openapi")
	if !ok {
		return false
	}
	s, ok := v.String()
	if !ok {
		return false
	}
	switch {
	case isVersion(s, "3.0."):
		p.dialect = schema.OpenAPI30
	case isVersion(s, "3.1."):
		p.dialect, p.v31 = schema.OpenAPI31, true
	default:
		v.Errorf("want an OpenAPI version 3.0.x or 3.1.x, got %q", clip(s))
		return false
	}
	p.doc.Version, p.doc.Dialect = s, p.dialect
	return true
}

// isVersion accepts prefix followed by a patch number ("3.1.0"), with an
// optional pre-release suffix ("3.1.0-rc1").
func isVersion(s, prefix string) bool {
	if !strings.HasPrefix(s, prefix) {
		return false
	}
	rest := s[len(prefix):]
	digits := 0
	for digits < len(rest) && rest[digits] >= '0' && rest[digits] <= '9' {
		digits++
	}
	return digits > 0 && (digits == len(rest) || rest[digits] == '-')
}

func (p *parser) info() {
	n, ok := p.root.require("info")
	if !ok || !n.object(infoKeys...) {
		return
	}
	if v, ok := n.require("title"); ok {
		p.doc.Title, _ = v.String()
	}
	if v, ok := n.require("version"); ok {
		p.doc.APIVersion, _ = v.String()
	}
}

// basePath decides Document.BasePath from the options or servers[0].url.
func (p *parser) basePath() {
	servers, hasServers := p.root.get("servers")
	var list []node
	if hasServers {
		list, _ = servers.items()
		for _, s := range list {
			if s.object(serverKeys...) {
				if u, ok := s.require("url"); ok {
					u.String()
				}
			}
		}
	}
	switch {
	case p.opts.BasePath == "/":
		return
	case p.opts.BasePath != "":
		if p.opts.BasePath[0] != '/' {
			p.errs.Addf(orRoot(p.opts.Path), "base path %q must start with '/'", clip(p.opts.BasePath))
			return
		}
		p.doc.BasePath = strings.TrimRight(p.opts.BasePath, "/")
		return
	}
	if len(list) == 0 || !list[0].isObject() {
		return
	}
	first := list[0]
	u, ok := first.get("url")
	if !ok {
		return
	}
	if !u.IsString() {
		return
	}
	raw := u.V.Str
	vars := map[string]string{}
	if vs, ok := first.get("variables"); ok {
		vs.members(func(name string, v node) {
			if !v.object(serverVarKeys...) {
				return
			}
			if d, ok := v.require("default"); ok {
				vars[name], _ = d.String()
			}
		})
	}
	path, msg := serverPath(string(raw), vars)
	if msg != "" {
		u.Errorf("%s", msg)
		return
	}
	p.doc.BasePath = path
}

// serverPath extracts the path of a server URL, with server variables
// replaced by their defaults. "/" and "" give no prefix.
func serverPath(u string, vars map[string]string) (string, string) {
	var b strings.Builder
	for {
		open := strings.IndexByte(u, '{')
		if open < 0 {
			b.WriteString(u)
			break
		}
		end := strings.IndexByte(u[open:], '}')
		if end < 0 {
			return "", "unclosed '{' in server URL " + strconv.Quote(clip(u))
		}
		name := u[open+1 : open+end]
		val, ok := vars[name]
		if !ok {
			return "", "server variable " + strconv.Quote(clip(name)) + " has no default"
		}
		b.WriteString(u[:open])
		b.WriteString(val)
		u = u[open+end+1:]
	}
	s := b.String()
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
		j := strings.IndexByte(s, '/')
		if j < 0 {
			return "", ""
		}
		s = s[j:]
	} else if strings.HasPrefix(s, "//") {
		s = s[2:]
		j := strings.IndexByte(s, '/')
		if j < 0 {
			return "", ""
		}
		s = s[j:]
	}
	s = strings.TrimRight(s, "/")
	if s != "" && s[0] != '/' {
		s = "/" + s
	}
	if strings.ContainsAny(s, "{} ") {
		return "", "server URL path " + strconv.Quote(clip(s)) + " is not a plain path"
	}
	return s, ""
}

// components validates the components object and reads the reusable
// objects in it, so each is checked once, even when nothing refers to it.
func (p *parser) components() {
	c, ok := p.root.get("components")
	if !ok || !c.object(componentKeys...) {
		return
	}
	c.members(func(kind string, group node) {
		if strings.HasPrefix(kind, "x-") {
			return
		}
		if kind == "pathItems" && !p.v31 {
			return // already reported as an unknown key by object()
		}
		group.members(func(name string, v node) {
			if !validComponentName(name) {
				v.Errorf("want a component name of letters, digits, '.', '-' and '_', got %q", clip(name))
			}
			switch kind {
			case "schemas":
				p.schemaAt(v)
			case "parameters":
				p.param(v)
			case "requestBodies":
				p.requestBody(v)
			case "responses":
				p.response(v)
			case "headers":
				p.header(v)
			case "securitySchemes":
				if s, ok := p.securityScheme(v); ok {
					p.doc.SecuritySchemes[name] = s
				}
			default:
				if !v.isObject() {
					v.Errorf("want an object, got %s", v.Kind())
				}
			}
		})
	})
}

func validComponentName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// resolve follows a chain of local $refs to the object they name. It
// reports external references, references to nothing and cycles at the
// offending $ref.
func (p *parser) resolve(n node) (node, bool) {
	var seen map[string]bool
	for hops := 0; ; hops++ {
		if !n.isObject() {
			return n, true
		}
		r, ok := n.get("$ref")
		if !ok {
			return n, true
		}
		s, ok := r.String()
		if !ok {
			return node{}, false
		}
		ptr, local := refTarget(s)
		if !local {
			p.refErrorf(r, "external reference %q is not supported (bundle the document into one file)", clip(s))
			return node{}, false
		}
		if seen == nil {
			seen = map[string]bool{n.ptr: true}
		}
		if seen[ptr] || hops >= maxRefHops {
			p.refErrorf(r, "reference %q is part of a $ref cycle", clip(s))
			return node{}, false
		}
		t, ok := p.at(ptr)
		if !ok {
			p.refErrorf(r, "reference %q points to nothing in the document", clip(s))
			return node{}, false
		}
		seen[ptr] = true
		n = t
	}
}

// schemaAt checks that n can be a schema, records its pointer for
// compilation and returns it.
func (p *parser) schemaAt(n node) string {
	switch n.V.Type {
	case gjson.JSON:
		if !n.isObject() {
			n.Errorf("want a schema object, got %s", n.Kind())
			return ""
		}
	case gjson.True, gjson.False:
		if !p.v31 {
			n.Errorf("want a schema object, got a boolean (boolean schemas need OpenAPI 3.1)")
			return ""
		}
	default:
		n.Errorf("want a schema object, got %s", n.Kind())
		return ""
	}
	if !p.schemaSet[n.ptr] {
		p.schemaSet[n.ptr] = true
		p.idx.Seed(n.ptr, n.V)
		p.schemas = append(p.schemas, n.ptr)
	}
	return n.ptr
}

// securityScheme reads one security scheme object.
func (p *parser) securityScheme(n node) (SecurityScheme, bool) {
	t, ok := p.resolve(n)
	if !ok || !t.object(secSchemeKeys...) {
		return SecurityScheme{}, false
	}
	var s SecurityScheme
	before := p.errs.Len()
	types := []string{"apiKey", "http", "oauth2", "openIdConnect"}
	if p.v31 {
		types = append(types, "mutualTLS")
	}
	if v, ok := t.require("type"); ok {
		s.Type, _ = v.Enum(types...)
	}
	switch s.Type {
	case "apiKey":
		if v, ok := t.require("in"); ok {
			s.In, _ = v.Enum("query", "header", "cookie")
		}
		if v, ok := t.require("name"); ok {
			s.Name, _ = v.NonEmptyString()
		}
		if s.In == "header" {
			s.Name = strings.ToLower(s.Name)
		}
	case "http":
		if v, ok := t.require("scheme"); ok {
			sc, _ := v.NonEmptyString()
			s.Scheme = strings.ToLower(sc)
		}
		s.BearerFormat, _ = t.str("bearerFormat")
	case "oauth2":
		if v, ok := t.require("flows"); ok && !v.isObject() {
			v.Errorf("want an object, got %s", v.Kind())
		}
	case "openIdConnect":
		if v, ok := t.require("openIdConnectUrl"); ok {
			s.OpenIDConnectURL, _ = v.NonEmptyString()
		}
	}
	return s, p.errs.Len() == before
}

// security reads a list of security requirement objects.
func (p *parser) security(n node) ([][]string, []map[string][]string) {
	items, ok := n.items()
	if !ok {
		return nil, nil
	}
	names := make([][]string, 0, len(items))
	scopes := make([]map[string][]string, 0, len(items))
	for _, it := range items {
		req := []string{}
		sc := map[string][]string{}
		it.members(func(name string, v node) {
			if _, known := p.doc.SecuritySchemes[name]; !known {
				if !p.schemeDeclared(name) {
					v.Errorf("security scheme %q is not declared in components.securitySchemes", clip(name))
				}
			}
			list, _ := v.Strings()
			req = append(req, name)
			sc[name] = list
		})
		names = append(names, req)
		scopes = append(scopes, sc)
	}
	return names, scopes
}

// schemeDeclared reports a declared scheme that failed validation (its
// problem is already reported).
func (p *parser) schemeDeclared(name string) bool {
	ss, ok := p.at("/components/securitySchemes")
	if !ok {
		return false
	}
	_, ok = ss.get(name)
	return ok
}

func clip(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
