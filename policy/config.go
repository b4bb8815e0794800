package policy

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"regexp"
	"strings"

	"github.com/apiwarden/apiwarden/policy/abuse"
	"github.com/apiwarden/apiwarden/policy/auth"
	"github.com/apiwarden/apiwarden/policy/internal/cfg"
	"github.com/apiwarden/apiwarden/policy/inventory"
	"github.com/apiwarden/apiwarden/policy/openapi"
	"github.com/apiwarden/apiwarden/policy/redact"
	"github.com/apiwarden/apiwarden/policy/schema"
	"github.com/apiwarden/apiwarden/policy/sequence"
	"github.com/apiwarden/apiwarden/policy/session"
	"github.com/apiwarden/apiwarden/policy/trace"
)

// Policy is a compiled configuration. It is immutable after Compile and
// shared by every stream of a VM.
type Policy struct {
	// Name prefixes metric names and shared-data keys (Istio gives every
	// plugin one shared-data namespace).
	Name             string
	Mode             Mode
	FailureMode      FailureMode
	UnknownEndpoints Action
	MaxBodyBytes     int64
	MaxJSONDepth     int
	Endpoints        []*Endpoint
	Trace            trace.Config
	Admin            AdminConfig
	Events           EventConfig
	// Session says where session keys come from and how histories are
	// kept; Sequences holds the sequence rules and analytics settings.
	// SequencesEnabled is set when a "sequences" section is configured.
	Session          session.Config
	Sequences        sequence.Config
	SequencesEnabled bool
	// Redaction is the "redaction" section; ResponseHeaders its compiled
	// header rules. UnknownRedactor protects responses of requests that
	// matched no endpoint (nil when no detector applies to them).
	Redaction       redact.Config
	ResponseHeaders redact.Headers
	UnknownRedactor *redact.Redactor
	// HoldHeaders is set when the host holds headers while body callbacks
	// run (Envoy >= 1.35 allow_on_headers_stop_iteration): request headers
	// wait for the body check, and response headers for the rewritten
	// body, so content-length can be set right.
	HoldHeaders bool
	// MaxShadow bounds the shadow endpoints the inventory keeps.
	MaxShadow int
	// Integrity settings (request.*): how numbers and JSON text are read,
	// what is forwarded as the path, bodies where none is declared,
	// method-override headers, and how much of a request is inspected.
	Integrity Integrity
	// Auth is the compiled "auth" section (nil: no authentication), the
	// OpenAPI document's security folded in. UnenforcedSecurity counts the
	// operations whose declared security nothing enforces (a document
	// with security but no "auth" section), for the start-up log.
	Auth               *auth.Config
	UnenforcedSecurity int
	// Abuse is the compiled "abuse" section (nil: no abuse controls).
	Abuse *abuse.Config

	router router
	// responseRules holds each endpoint's response.redact rules until the
	// redactors are compiled; schemaCache the compiled hand-written schemas
	// by text. Both are dropped when Compile returns.
	responseRules map[*Endpoint][]redact.PathRule
	schemaCache   map[string]*schema.Schema
}

// AdminConfig guards the admin endpoints answered by the filter itself.
type AdminConfig struct {
	Enabled bool
	// Prefix is the path under which admin resources are served
	// ("/.apiwarden"); only exact resource paths under it are answered.
	Prefix string
	// tokenHash is the SHA-256 of the configured bearer token; the token
	// itself is not kept.
	tokenHash [32]byte
}

// EventConfig bounds security event logging, so an attack cannot flood the
// proxy's log.
type EventConfig struct {
	PerSecond int
	Burst     int
}

// Defaults of the configuration reference.
const (
	DefaultName         = "apiwarden"
	DefaultMaxBodyBytes = 1 << 20
	DefaultAdminPrefix  = "/.apiwarden"
)

var (
	idPattern   = regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,128}$`)
	namePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
	httpMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)

var topLevelKeys = []string{
	"name", "mode", "failure_mode", "unknown_endpoints", "endpoints", "request",
	"trace", "admin", "events", "session", "sequences", "redaction", "host",
	"openapi", "openapi_base_path", "inventory", "auth", "abuse",
}

// CompileOptions tune Compile for its host.
type CompileOptions struct {
	// Checkpoint, when set, is called every so often while a large
	// configuration compiles (per batch of endpoints or schemas). The wasm
	// binding collects garbage there: it runs with automatic collection
	// off, and a 2,000-operation OpenAPI document otherwise leaves all its
	// compile-time garbage in linear memory, which never shrinks.
	Checkpoint func()
	// EnforcedSchemasOnly compiles only the OpenAPI schemas requests are
	// checked against (openapi.Options.EnforcedSchemasOnly): the module
	// sets it for start-up; check-config, openapi2json and Compile do
	// not, so every schema of a configuration checked offline compiles.
	EnforcedSchemasOnly bool
}

// Compile parses and validates a plugin configuration and compiles it into
// a Policy. An empty configuration is the default policy (everything
// allowed and counted). Every problem is reported with its JSON path, all
// of them at once.
func Compile(raw []byte) (*Policy, error) { return CompileWith(raw, CompileOptions{}) }

// CompileWith is Compile with options.
func CompileWith(raw []byte, opts CompileOptions) (*Policy, error) {
	p := &Policy{
		Name:             DefaultName,
		Mode:             Enforce,
		FailureMode:      FailOpen,
		UnknownEndpoints: ActionLog,
		MaxBodyBytes:     DefaultMaxBodyBytes,
		MaxJSONDepth:     schema.DefaultMaxDepth,
		Trace:            trace.DefaultConfig,
		Admin:            AdminConfig{Prefix: DefaultAdminPrefix},
		Events:           EventConfig{PerSecond: 100, Burst: 200},
		Session:          session.DefaultConfig(),
		Integrity:        DefaultIntegrity(),
	}
	p.Session.Prefix = p.Name + "/"
	if len(bytes.TrimSpace(raw)) == 0 { // (not string(raw): a 13 MB copy)
		return p, nil
	}
	var errs cfg.Errors
	root, err := cfg.Parse(raw, &errs)
	if err != nil {
		return nil, err
	}
	if !root.Object(topLevelKeys...) {
		return nil, errs.Err()
	}
	if n, ok := root.Get("name"); ok {
		if s, ok := n.String(); ok {
			if namePattern.MatchString(s) {
				p.Name = s
			} else {
				n.Errorf("want a lower-case identifier like \"apiwarden\" (letters, digits, '_', at most 32), got %q", s)
			}
		}
	}
	if n, ok := root.Get("mode"); ok {
		s, _ := n.Enum("monitor", "enforce")
		p.Mode = parseMode(s)
	}
	if n, ok := root.Get("failure_mode"); ok {
		if s, _ := n.Enum("open", "closed"); s == "closed" {
			p.FailureMode = FailClosed
		}
	}
	if n, ok := root.Get("unknown_endpoints"); ok {
		s, _ := n.Enum("allow", "log", "block")
		p.UnknownEndpoints = parseAction(s)
	}
	if n, ok := root.Get("redaction"); ok {
		p.Redaction = redact.ParseConfig(n)
	}
	if n, ok := root.Get("inventory"); ok && n.Object("max_shadow") {
		if v, ok := n.Get("max_shadow"); ok {
			ms, _ := v.Int(1, inventory.MaxMaxShadow)
			p.MaxShadow = int(ms)
		}
	}
	if n, ok := root.Get("host"); ok && n.Object("allow_on_headers_stop_iteration") {
		if v, ok := n.Get("allow_on_headers_stop_iteration"); ok {
			p.HoldHeaders, _ = v.Bool()
		}
	}
	defaultUnknownQuery := ActionAllow
	if n, ok := root.Get("request"); ok && n.Object(requestKeys...) {
		p.Integrity.parse(n)
		if v, ok := n.Get("max_body_bytes"); ok {
			p.MaxBodyBytes, _ = v.Int(1, 1<<30)
		}
		if v, ok := n.Get("max_json_depth"); ok {
			d, _ := v.Int(1, 512)
			p.MaxJSONDepth = int(d)
		}
		if v, ok := n.Get("unknown_query"); ok {
			s, _ := v.Enum("allow", "log", "block")
			defaultUnknownQuery = parseAction(s)
		}
	}
	if n, ok := root.Get("trace"); ok {
		p.Trace = trace.ParseConfig(n)
	}
	if n, ok := root.Get("admin"); ok {
		p.Admin = parseAdmin(n)
	}
	if n, ok := root.Get("events"); ok && n.Object("per_second", "burst") {
		if v, ok := n.Get("per_second"); ok {
			ps, _ := v.Int(1, 100000)
			p.Events.PerSecond = int(ps)
		}
		if v, ok := n.Get("burst"); ok {
			b, _ := v.Int(1, 100000)
			p.Events.Burst = int(b)
		}
	}
	var doc *openapi.Document
	if n, ok := root.Get("openapi"); ok {
		doc = p.addOpenAPI(n, root, defaultUnknownQuery, opts.Checkpoint, opts.EnforcedSchemasOnly)
	} else if v, ok := root.Get("openapi_base_path"); ok {
		v.Errorf(`only meaningful with an "openapi" document`)
	}
	if n, ok := root.Get("endpoints"); ok {
		if items, ok := n.Array(); ok {
			for i, it := range items {
				if opts.Checkpoint != nil && i%64 == 63 {
					opts.Checkpoint()
				}
				if isOverlay(it) {
					p.overlayEndpoint(it)
					continue
				}
				if ep := p.parseEndpoint(it, defaultUnknownQuery); ep != nil {
					p.addEndpoint(it, ep)
				}
			}
		}
	}
	redaction, _ := root.Get("redaction")
	p.compileRedactors(root, redaction)
	if n, ok := root.Get("session"); ok {
		p.Session = session.ParseSession(n)
	}
	p.Session.Prefix = p.Name + "/"
	if n, ok := root.Get("sequences"); ok {
		ops := make([]string, len(p.Endpoints))
		for i, ep := range p.Endpoints {
			ops[i] = ep.ID
		}
		p.Sequences = sequence.ParseSequences(n, ops)
		p.SequencesEnabled = true
	}
	p.compileSecurity(root, doc)
	p.schemaCache = nil
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return p, nil
}

func parseAdmin(n cfg.Node) AdminConfig {
	a := AdminConfig{Prefix: DefaultAdminPrefix}
	if !n.Object("enabled", "path_prefix", "token") {
		return a
	}
	if v, ok := n.Get("enabled"); ok {
		a.Enabled, _ = v.Bool()
	}
	if v, ok := n.Get("path_prefix"); ok {
		if s, ok := v.String(); ok {
			if norm, _, err := NormalizePath(s); err != nil || norm != s || s == "/" {
				v.Errorf("want a normalised path prefix like %q", DefaultAdminPrefix)
			} else {
				a.Prefix = s
			}
		}
	}
	tok, hasTok := n.Get("token")
	if hasTok {
		// The token is a secret: messages never show it.
		if s, ok := tok.String(); ok {
			if len(s) < 16 {
				tok.Errorf("want a token of at least 16 characters")
			}
			a.tokenHash = sha256.Sum256([]byte(s))
		}
	}
	if a.Enabled && !hasTok {
		n.Errs.Addf(joinPath(n.Path, "token"), "required when the admin endpoint is enabled")
	}
	return a
}

func joinPath(base, key string) string {
	if base == "" {
		return key
	}
	return base + "." + key
}

// addEndpoint indexes an endpoint, reporting template and duplicate
// problems at the endpoint's path.
func (p *Policy) addEndpoint(at cfg.Node, ep *Endpoint) {
	for _, prev := range p.Endpoints {
		if prev.ID == ep.ID {
			at.Errs.Addf(joinPath(at.Path, "id"), "duplicate endpoint id %q", ep.ID)
			return
		}
	}
	segs, names, err := parseTemplate(ep.Path)
	if err != nil {
		at.Errs.Addf(joinPath(at.Path, "path"), "%v", err)
		return
	}
	if err := p.bindPathParams(ep, names); err != nil {
		at.Errs.Addf(joinPath(at.Path, "path"), "%v", err)
		return
	}
	if err := p.router.add(ep, segs); err != nil {
		at.Errs.Addf(at.Path, "%v", err)
		return
	}
	ep.Index = len(p.Endpoints)
	p.Endpoints = append(p.Endpoints, ep)
}

// bindPathParams orders the endpoint's path parameters as the template
// captures them; a template parameter without a declaration is a string.
func (p *Policy) bindPathParams(ep *Endpoint, names []string) error {
	declared := ep.PathParams
	ep.PathParams = make([]*Param, len(names))
	for i, n := range names {
		for _, d := range declared {
			if d.Name == n {
				ep.PathParams[i] = d
			}
		}
		if ep.PathParams[i] == nil {
			ep.PathParams[i] = &Param{Name: n, In: "path", Required: true, Kind: "string"}
		}
	}
	for _, d := range declared {
		found := false
		for _, n := range names {
			found = found || n == d.Name
		}
		if !found {
			return fmt.Errorf("path parameter %q is declared but not in the template %q", d.Name, ep.Path)
		}
	}
	return nil
}

// parseEndpoint reads one entry of "endpoints".
func (p *Policy) parseEndpoint(n cfg.Node, unknownQuery Action) *Endpoint {
	if !n.Object("id", "method", "path", "mode", "request", "response") {
		return nil
	}
	before := n.Errs.Len()
	ep := &Endpoint{Source: "config", Mode: p.Mode, UnknownQuery: unknownQuery}
	if v, ok := n.Require("id"); ok {
		if s, ok := v.String(); ok {
			if !idPattern.MatchString(s) {
				v.Errorf("want an id of letters, digits, '_', '.', '-' (at most 128), got %q", s)
			}
			ep.ID = s
		}
	}
	if v, ok := n.Require("method"); ok {
		if s, ok := v.String(); ok {
			ep.Method = strings.ToUpper(s)
			if !containsStr(httpMethods, ep.Method) {
				v.Errorf("want an HTTP method (%s), got %q", strings.Join(httpMethods, ", "), s)
			}
		}
	}
	if v, ok := n.Require("path"); ok {
		ep.Path, _ = v.String()
	}
	p.parseEndpointSettings(n, ep)
	if n.Errs.Len() > before || ep.ID == "" || ep.Method == "" || ep.Path == "" {
		return nil
	}
	return ep
}

// parseEndpointSettings reads what hand-written endpoints and overlays of
// OpenAPI operations share: mode, request and response settings.
func (p *Policy) parseEndpointSettings(n cfg.Node, ep *Endpoint) {
	if v, ok := n.Get("mode"); ok {
		s, _ := v.Enum("monitor", "enforce")
		ep.Mode = parseMode(s)
	}
	if req, ok := n.Get("request"); ok {
		p.parseEndpointRequest(req, ep)
	}
	if resp, ok := n.Get("response"); ok && resp.Object("redact") {
		if rules, ok := resp.Get("redact"); ok {
			if p.responseRules == nil {
				p.responseRules = map[*Endpoint][]redact.PathRule{}
			}
			p.responseRules[ep] = redact.ParseRules(rules)
		}
	}
}

func (p *Policy) parseEndpointRequest(n cfg.Node, ep *Endpoint) {
	if !n.Object("max_body_bytes", "content_types", "body_schema", "body_required", "parameters", "unknown_query") {
		return
	}
	if v, ok := n.Get("max_body_bytes"); ok {
		ep.MaxBodyBytes, _ = v.Int(1, 1<<30)
	}
	if v, ok := n.Get("body_required"); ok {
		ep.BodyRequired, _ = v.Bool()
		ep.DeclaresBody = true
	}
	if v, ok := n.Get("unknown_query"); ok {
		s, _ := v.Enum("allow", "log", "block")
		ep.UnknownQuery = parseAction(s)
	}
	var bodySchema *schema.Schema
	_, hasTypes := n.Get("content_types")
	_, hasSchema := n.Get("body_schema")
	ep.DeclaresBody = ep.DeclaresBody || hasTypes || hasSchema
	if v, ok := n.Get("body_schema"); ok {
		if v.Object() {
			bodySchema = p.compileSchema(v, v.Raw(), "")
		}
	}
	types := []string{"application/json"}
	if v, ok := n.Get("content_types"); ok {
		if list, ok := v.Strings(); ok {
			types = nil
			for _, t := range list {
				mt := mediaType(t)
				if !strings.Contains(mt, "/") {
					v.Errorf("want media types like \"application/json\", got %q", t)
				}
				types = append(types, mt)
			}
		}
	} else if bodySchema == nil {
		types = nil
	}
	jsonCapable := false
	for _, mt := range types {
		b := &Body{MediaType: mt, JSON: isJSONMediaType(mt), Schema: bodySchema}
		jsonCapable = jsonCapable || b.JSON || mt == "*/*" || mt == "application/*"
		ep.Bodies = append(ep.Bodies, b)
	}
	if bodySchema != nil && !jsonCapable {
		if v, ok := n.Get("content_types"); ok {
			v.Errorf("body_schema validates JSON bodies: want a JSON media type (application/json, application/*+json, application/* or */*)")
		}
	}
	if v, ok := n.Get("parameters"); ok {
		if items, ok := v.Array(); ok {
			for _, it := range items {
				if prm := p.parseParam(it); prm != nil {
					ep.addParam(prm)
				}
			}
		}
	}
}

func (ep *Endpoint) addParam(prm *Param) {
	ep.declaresParams = true
	switch prm.In {
	case "path":
		ep.PathParams = append(ep.PathParams, prm)
	case "query":
		ep.Query = append(ep.Query, prm)
	case "header":
		ep.Headers = append(ep.Headers, prm)
	case "cookie":
		ep.Cookies = append(ep.Cookies, prm)
	}
}

// parseParam reads a hand-written parameter, in OpenAPI's Parameter Object
// shape (name, in, required, schema, style, explode).
func (p *Policy) parseParam(n cfg.Node) *Param {
	if !n.Object("name", "in", "required", "schema", "style", "explode") {
		return nil
	}
	prm := &Param{Style: "form", Explode: true}
	if v, ok := n.Require("name"); ok {
		prm.Name, _ = v.NonEmptyString()
	}
	if v, ok := n.Require("in"); ok {
		prm.In, _ = v.Enum("path", "query", "header", "cookie")
	}
	if prm.In == "header" {
		prm.Name = strings.ToLower(prm.Name)
	}
	if prm.In == "path" {
		prm.Required = true
		prm.Style = "simple"
		prm.Explode = false
	}
	if v, ok := n.Get("required"); ok {
		prm.Required, _ = v.Bool()
	}
	if v, ok := n.Get("style"); ok {
		prm.Style, _ = v.Enum("form", "simple", "spaceDelimited", "pipeDelimited")
	}
	if v, ok := n.Get("explode"); ok {
		prm.Explode, _ = v.Bool()
	}
	if v, ok := n.Get("schema"); ok && v.Object() {
		raw := v.Raw()
		prm.Schema = p.compileSchema(v, raw, "")
		prm.Kind, prm.ItemKind = SchemaKinds(raw, "")
	}
	if prm.Name == "" || prm.In == "" {
		return nil
	}
	return prm
}

// compileSchema compiles a hand-written schema (JSON Schema as OpenAPI 3.1
// understands it), reporting errors under the node's path. Identical
// schemas are compiled once: large inventories repeat the same parameter
// schemas (and their regexps) hundreds of times.
func (p *Policy) compileSchema(n cfg.Node, root []byte, at string) *schema.Schema {
	key := at + "\x00" + string(root)
	if s, ok := p.schemaCache[key]; ok {
		return s
	}
	s, err := schema.Compile(root, at, schema.Options{Dialect: schema.OpenAPI31, MaxDepth: p.MaxJSONDepth})
	if err != nil {
		n.Errorf("invalid schema: %v", err)
		return nil
	}
	if p.schemaCache == nil {
		p.schemaCache = map[string]*schema.Schema{}
	}
	p.schemaCache[key] = s
	return s
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
