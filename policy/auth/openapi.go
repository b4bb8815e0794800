package auth

import (
	"sort"
	"strconv"
	"strings"

	"github.com/apiwarden/apiwarden/policy/internal/cfg"
)

// SecurityScheme is the part of an OpenAPI securityScheme apiwarden reads.
type SecurityScheme struct {
	// Type is "http", "apiKey", "oauth2", "openIdConnect" or "mutualTLS".
	Type string
	// Scheme is the http scheme ("bearer", "basic", ...).
	Scheme string
	// In and Name locate an apiKey ("header", "query" or "cookie").
	In, Name string
}

// SecurityRequirement is one OpenAPI security requirement object: scheme
// name to scopes. A list of them is an OR; the members of one are an AND.
type SecurityRequirement map[string][]string

// OpenAPISecurity is the input of CompileOpenAPI, filled by whoever loads
// the document. Paths are JSON paths for error messages.
type OpenAPISecurity struct {
	// Schemes are components.securitySchemes, SchemesPath their location
	// ("openapi.components.securitySchemes").
	Schemes     map[string]SecurityScheme
	SchemesPath string
	// Global is the top-level security (nil: absent), at GlobalPath.
	Global     []SecurityRequirement
	GlobalPath string
	Operations []OperationSecurity
}

// OperationSecurity is one operation's security (nil Security: absent,
// the global one applies; empty non-nil: public).
type OperationSecurity struct {
	ID       string
	Security []SecurityRequirement
	// Path locates the operation's "security" ("openapi.paths./a.get.security").
	Path string
}

// CompileOpenAPI maps the document's security onto the configured schemes
// and returns each operation's Requirement (operations without security
// where none is global are left out). Mapping: an http bearer scheme is
// the JWT provider of the same name; an apiKey scheme is the api_keys
// entry of the same name, whose location must match in/name (or is taken
// from it when the entry names none); oauth2 and openIdConnect are the
// JWT provider of the same name, their scopes checked against the
// token's scope/scp claim. Anything else (http basic, mutualTLS, a
// scheme without a configured provider) is an error naming its JSON path,
// all of them at once.
func (c *Config) CompileOpenAPI(doc OpenAPISecurity) (map[string]*Requirement, error) {
	var errs cfg.Errors
	names := make([]string, 0, len(doc.Schemes))
	for n := range doc.Schemes {
		names = append(names, n)
	}
	sort.Strings(names)
	usable := map[string]bool{}
	for _, n := range names {
		s := doc.Schemes[n]
		at := doc.SchemesPath + "." + n
		cs, configured := c.schemes[n]
		switch {
		case s.Type == "http" && strings.EqualFold(s.Scheme, "bearer"),
			s.Type == "oauth2", s.Type == "openIdConnect":
			if !configured || cs.provider == nil {
				errs.Addf(at, "%s scheme needs an auth.providers entry named %q", s.Type, n)
				continue
			}
		case s.Type == "apiKey":
			if !configured || cs.apiKey == nil {
				errs.Addf(at, "apiKey scheme needs an auth.api_keys entry named %q", n)
				continue
			}
			var kind SourceKind
			name := s.Name
			switch s.In {
			case "header":
				kind, name = FromHeader, strings.ToLower(name)
			case "query":
				kind = FromQuery
			case "cookie":
				kind = FromCookie
			default:
				errs.Addf(at+".in", "want header, query or cookie, got %q", cfg.Clip(s.In))
				continue
			}
			if name == "" {
				errs.Addf(at+".name", "required")
				continue
			}
			want := Source{Kind: kind, Name: name}
			if cs.apiKey.Source.Kind == 0 {
				cs.apiKey.Source = want
			} else if cs.apiKey.Source != want {
				errs.Addf(at, "apiKey in %s %q but auth.api_keys %q reads %s", s.In, name, n, cs.apiKey.Source)
				continue
			}
		case s.Type == "http":
			errs.Addf(at+".scheme", "http scheme %q cannot be checked by apiwarden (want bearer)", cfg.Clip(s.Scheme))
			continue
		default:
			errs.Addf(at+".type", "security scheme type %q cannot be checked by apiwarden", cfg.Clip(s.Type))
			continue
		}
		usable[n] = true
	}
	conv := func(list []SecurityRequirement, at string) *Requirement {
		r := &Requirement{Alternatives: [][]SchemeScopes{}}
		for i, req := range list {
			keys := make([]string, 0, len(req))
			for k := range req {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if len(keys) == 0 {
				// {} in the list: anonymous is one alternative (OpenAPI 3.1).
				return &Requirement{Alternatives: [][]SchemeScopes{}}
			}
			var alt []SchemeScopes
			bad := false
			for _, k := range keys {
				if _, ok := doc.Schemes[k]; !ok {
					errs.Addf(at+"["+strconv.Itoa(i)+"]."+k, "unknown security scheme")
					bad = true
					continue
				}
				if !usable[k] {
					bad = true
					continue
				}
				if len(req[k]) > 0 && doc.Schemes[k].Type == "apiKey" {
					errs.Addf(at+"["+strconv.Itoa(i)+"]."+k, "scopes on an apiKey scheme cannot be checked")
					bad = true
					continue
				}
				alt = append(alt, SchemeScopes{Scheme: k, Scopes: req[k]})
			}
			if !bad {
				r.Alternatives = append(r.Alternatives, alt)
			}
		}
		return r
	}
	var global *Requirement
	if doc.Global != nil {
		global = conv(doc.Global, doc.GlobalPath)
	}
	out := map[string]*Requirement{}
	for _, op := range doc.Operations {
		switch {
		case op.Security != nil:
			out[op.ID] = conv(op.Security, op.Path)
		case global != nil:
			out[op.ID] = global
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// WithOpenAPI returns a copy of c in which every operation of reqs without
// its own auth.endpoints "requires" takes the document's requirement
// (configuration overrides the document).
func (c *Config) WithOpenAPI(reqs map[string]*Requirement) *Config {
	cp := *c
	cp.Endpoints = make(map[string]*EndpointAuth, len(c.Endpoints)+len(reqs))
	for id, e := range c.Endpoints {
		cp.Endpoints[id] = e
	}
	for id, r := range reqs {
		e := cp.Endpoints[id]
		if e == nil {
			cp.Endpoints[id] = &EndpointAuth{Requires: r, Mode: c.Mode}
			continue
		}
		if e.Requires == nil {
			ne := *e
			ne.Requires = r
			cp.Endpoints[id] = &ne
		}
	}
	return &cp
}
