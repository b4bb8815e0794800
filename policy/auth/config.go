package auth

import (
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/apiwarden/apiwarden/policy/internal/cfg"
	"github.com/apiwarden/apiwarden/policy/kernel"
	"github.com/tidwall/gjson"
)

// Defaults and bounds of the "auth" section.
const (
	DefaultClockSkew    = 60 * time.Second
	MaxClockSkew        = 10 * time.Minute
	DefaultFetchTimeout = 2 * time.Second
	DefaultCacheTTL     = 10 * time.Minute
	DefaultMaxStale     = time.Hour
	DefaultMinRefetch   = 30 * time.Second
	// DefaultPrefix starts shared-data keys when Config.Prefix is empty.
	DefaultPrefix = "apiwarden/"
)

// Config is the compiled "auth" section. Immutable after Parse.
type Config struct {
	Mode      Mode
	Realm     string
	Providers []*Provider
	APIKeys   []*APIKeySource
	// Default is the requirement of endpoints without their own
	// (nil: none, such endpoints are public).
	Default    *Requirement
	RolesClaim string
	Endpoints  map[string]*EndpointAuth
	// Prefix starts every shared-data key; the filter sets it to the
	// plugin name (not read from JSON).
	Prefix string

	claimHeaders []string
	schemes      map[string]scheme
}

// Mode says whether a refusal blocks or is only reported: the kernel's.
type Mode = kernel.Mode

// Modes.
const (
	Enforce = kernel.Enforce
	Monitor = kernel.Monitor
)

// Provider is one JWT issuer.
type Provider struct {
	Name           string
	Issuer         string
	Audiences      []string
	Algorithms     []string
	Inline         *KeySet
	Remote         *RemoteJWKS
	Sources        []Source
	ClockSkew      time.Duration
	RequiredClaims []string
	ClaimHeaders   []ClaimHeader
	MaxTokenBytes  int
	index          int
}

// RemoteJWKS is where a provider's key set is fetched from: an Envoy
// cluster and a path, by proxy_http_call from the glue.
type RemoteJWKS struct {
	Cluster    string
	URI        string
	Authority  string
	Path       string
	Timeout    time.Duration
	CacheTTL   time.Duration
	MaxStale   time.Duration
	MinRefetch time.Duration
}

// ClaimHeader copies a verified claim into an upstream request header.
type ClaimHeader struct{ Claim, Header string }

// SourceKind is where a credential is read from.
type SourceKind uint8

// Source kinds.
const (
	FromHeader SourceKind = iota + 1
	FromCookie
	FromQuery
)

// Source is one place a credential is read from.
type Source struct {
	Kind SourceKind
	// Name is the lower-case header name, the cookie or the query parameter.
	Name string
	// Prefix (headers only) must start the value and is removed, compared
	// without case ("Bearer ").
	Prefix string
}

func (s Source) String() string {
	switch s.Kind {
	case FromHeader:
		return "header:" + s.Name
	case FromCookie:
		return "cookie:" + s.Name
	}
	return "query:" + s.Name
}

// APIKeySource is one API-key scheme: where the key is read, and the
// SHA-256 digests of the valid keys with their client ids.
type APIKeySource struct {
	Name    string
	Source  Source
	digests [][32]byte
	clients []string
}

// Requirement is an OR of alternatives, each an AND of schemes with the
// scopes that scheme must carry (an OpenAPI security requirement list).
// An empty Requirement (no alternatives) is public.
type Requirement struct {
	Alternatives [][]SchemeScopes
}

// Public reports whether the requirement lets anonymous requests through.
func (r *Requirement) Public() bool { return r == nil || len(r.Alternatives) == 0 }

// SchemeScopes is one member of an alternative.
type SchemeScopes struct {
	Scheme string
	Scopes []string
}

// EndpointAuth is the per-endpoint authentication and authorization.
type EndpointAuth struct {
	// Requires overrides Config.Default (nil: use the default).
	Requires *Requirement
	Scopes   []string
	Roles    []string
	Objects  []ObjectBinding
	Mode     Mode
}

type scheme struct {
	provider *Provider
	apiKey   *APIKeySource
}

var (
	namePattern   = regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,64}$`)
	headerPattern = regexp.MustCompile("^[a-z0-9!#$%&'*+\\-.^_`|~]{1,128}$")
)

// Parse reads the "auth" object at n and records every problem in n.Errs
// with its JSON path. A null or absent node yields a Config that
// authenticates nothing.
func Parse(n cfg.Node) *Config {
	c := &Config{Endpoints: map[string]*EndpointAuth{}, schemes: map[string]scheme{}, RolesClaim: "roles"}
	if n.IsNull() {
		return c
	}
	if !n.Object("mode", "realm", "providers", "api_keys", "default", "roles_claim", "endpoints") {
		return c
	}
	if v, ok := n.Get("mode"); ok {
		if s, ok := v.Enum("enforce", "monitor"); ok && s == "monitor" {
			c.Mode = Monitor
		}
	}
	if v, ok := n.Get("realm"); ok {
		if s, ok := v.String(); ok {
			if strings.ContainsAny(s, "\"\\\r\n") {
				v.Errorf("realm must not contain quotes, backslashes or line breaks")
			} else {
				c.Realm = s
			}
		}
	}
	if v, ok := n.Get("roles_claim"); ok {
		if s, ok := v.NonEmptyString(); ok {
			c.RolesClaim = s
		}
	}
	if v, ok := n.Get("providers"); ok {
		if items, ok := v.Array(); ok {
			for _, it := range items {
				if p := parseProvider(it); p != nil {
					p.index = len(c.Providers)
					c.Providers = append(c.Providers, p)
					c.addScheme(it, p.Name, scheme{provider: p})
				}
			}
		}
	}
	if v, ok := n.Get("api_keys"); ok {
		if items, ok := v.Array(); ok {
			for _, it := range items {
				if k := parseAPIKeys(it); k != nil {
					c.APIKeys = append(c.APIKeys, k)
					c.addScheme(it, k.Name, scheme{apiKey: k})
				}
			}
		}
	}
	if v, ok := n.Get("default"); ok {
		c.Default = c.parseRequirement(v)
	}
	if v, ok := n.Get("endpoints"); ok && v.Object() {
		for _, id := range v.Keys() {
			e, _ := v.Get(id)
			if ea := c.parseEndpoint(e); ea != nil {
				c.Endpoints[id] = ea
			}
		}
	}
	seen := map[string]bool{}
	for _, p := range c.Providers {
		for _, h := range p.ClaimHeaders {
			if !seen[h.Header] {
				seen[h.Header] = true
				c.claimHeaders = append(c.claimHeaders, h.Header)
			}
		}
	}
	sort.Strings(c.claimHeaders)
	return c
}

// ParseJSON parses raw as the "auth" object found at path (for tests and
// offline checks).
func ParseJSON(raw []byte, path string) (*Config, error) {
	var errs cfg.Errors
	n, err := cfg.Parse(raw, &errs)
	if err != nil {
		return nil, err
	}
	n.Path = path
	c := Parse(n)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Config) addScheme(n cfg.Node, name string, s scheme) {
	if name == "" {
		return
	}
	if _, dup := c.schemes[name]; dup {
		n.Errorf("duplicate scheme name %q (provider and API-key names share one namespace)", name)
		return
	}
	c.schemes[name] = s
}

// ClaimHeaders lists every configured claim header: the glue removes them
// from every request, so a client cannot send them itself.
func (c *Config) ClaimHeaders() []string { return c.claimHeaders }

func parseName(n cfg.Node) string {
	v, ok := n.Require("name")
	if !ok {
		return ""
	}
	s, ok := v.String()
	if !ok {
		return ""
	}
	if !namePattern.MatchString(s) {
		v.Errorf("want 1 to 64 letters, digits, '_', '.' or '-', got %q", cfg.Clip(s))
		return ""
	}
	return s
}

func parseProvider(n cfg.Node) *Provider {
	if !n.Object("name", "issuer", "audiences", "algorithms", "jwks", "remote_jwks", "sources",
		"clock_skew_s", "required_claims", "claim_headers", "max_token_bytes") {
		return nil
	}
	p := &Provider{Name: parseName(n), ClockSkew: DefaultClockSkew, MaxTokenBytes: DefaultMaxTokenBytes,
		RequiredClaims: []string{"exp"}}
	if v, ok := n.Get("issuer"); ok {
		p.Issuer, _ = v.NonEmptyString()
	}
	if v, ok := n.Get("audiences"); ok {
		p.Audiences, _ = v.Strings()
	}
	if v, ok := n.Require("algorithms"); ok {
		items, ok := v.Array()
		if ok && len(items) == 0 {
			v.Errorf("want at least one algorithm")
		}
		for _, it := range items {
			if s, ok := it.Enum(Algorithms...); ok {
				p.Algorithms = append(p.Algorithms, s)
			}
		}
	}
	jw, hasInline := n.Get("jwks")
	rj, hasRemote := n.Get("remote_jwks")
	switch {
	case hasInline && hasRemote:
		n.Errorf(`want one of "jwks" and "remote_jwks", not both`)
	case hasInline:
		if jw.Object("keys") {
			keys, err := ParseJWKS(jw.Raw(), false)
			if err != nil {
				for _, e := range strings.Split(err.Error(), "\n") {
					jw.Errorf("%s", e)
				}
			} else if len(keys) == 0 {
				jw.Errorf("want at least one key")
			}
			p.Inline = &KeySet{Keys: keys, Gen: nextGen()}
		}
	case hasRemote:
		p.Remote = parseRemote(rj)
	default:
		n.Errorf(`want "jwks" or "remote_jwks"`)
	}
	// HS* needs a configured secret, and every algorithm needs a key
	// family that can be configured for it.
	for _, a := range p.Algorithms {
		if algByName[a].kind == algHS {
			if p.Remote != nil {
				n.Errorf("algorithm %s needs a secret in inline \"jwks\"; secrets are never fetched", a)
			} else if p.Inline != nil && !hasFamily(p.Inline, FamilyOct) {
				n.Errorf("algorithm %s needs an \"oct\" key in \"jwks\"", a)
			}
		}
	}
	if v, ok := n.Get("sources"); ok {
		if items, ok := v.Array(); ok {
			if len(items) == 0 {
				v.Errorf("want at least one source")
			}
			for _, it := range items {
				if s, ok := parseSource(it, true); ok {
					p.Sources = append(p.Sources, s)
				}
			}
		}
	} else {
		p.Sources = []Source{{Kind: FromHeader, Name: "authorization", Prefix: "Bearer "}}
	}
	if v, ok := n.Get("clock_skew_s"); ok {
		if s, ok := v.Int(0, int64(MaxClockSkew/time.Second)); ok {
			p.ClockSkew = time.Duration(s) * time.Second
		}
	}
	if v, ok := n.Get("required_claims"); ok {
		p.RequiredClaims, _ = v.Strings()
	}
	if v, ok := n.Get("max_token_bytes"); ok {
		if s, ok := v.Int(256, 64<<10); ok {
			p.MaxTokenBytes = int(s)
		}
	}
	if v, ok := n.Get("claim_headers"); ok && v.Object() {
		for _, claim := range v.Keys() {
			h, _ := v.Get(claim)
			name, ok := h.String()
			if !ok {
				continue
			}
			name = strings.ToLower(name)
			if !headerPattern.MatchString(name) || strings.HasPrefix(name, ":") || name == "host" || name == "authorization" {
				h.Errorf("want a header name other than host and authorization, got %q", cfg.Clip(name))
				continue
			}
			p.ClaimHeaders = append(p.ClaimHeaders, ClaimHeader{Claim: claim, Header: name})
		}
	}
	return p
}

func hasFamily(ks *KeySet, f Family) bool {
	for _, k := range ks.Keys {
		if k.Family == f {
			return true
		}
	}
	return false
}

func parseRemote(n cfg.Node) *RemoteJWKS {
	if !n.Object("cluster", "uri", "timeout_ms", "cache_s", "max_stale_s", "min_refetch_s") {
		return nil
	}
	r := &RemoteJWKS{Timeout: DefaultFetchTimeout, CacheTTL: DefaultCacheTTL, MaxStale: DefaultMaxStale, MinRefetch: DefaultMinRefetch}
	if v, ok := n.Require("cluster"); ok {
		r.Cluster, _ = v.NonEmptyString()
	}
	if v, ok := n.Require("uri"); ok {
		if s, ok := v.NonEmptyString(); ok {
			r.URI = s
			rest, ok := strings.CutPrefix(s, "https://")
			if !ok {
				rest, ok = strings.CutPrefix(s, "http://")
			}
			host, path, _ := strings.Cut(rest, "/")
			if !ok || host == "" {
				v.Errorf(`want an absolute http(s) URI like "https://idp.example.com/.well-known/jwks.json", got %q`, cfg.Clip(s))
			} else {
				r.Authority, r.Path = host, "/"+path
			}
		}
	}
	secs := func(key string, min, max int64, dst *time.Duration, unit time.Duration) {
		if v, ok := n.Get(key); ok {
			if s, ok := v.Int(min, max); ok {
				*dst = time.Duration(s) * unit
			}
		}
	}
	secs("timeout_ms", 1, 60000, &r.Timeout, time.Millisecond)
	secs("cache_s", 1, 7*86400, &r.CacheTTL, time.Second)
	secs("max_stale_s", 0, 7*86400, &r.MaxStale, time.Second)
	secs("min_refetch_s", 1, 86400, &r.MinRefetch, time.Second)
	return r
}

// parseSource reads {"header": name, "prefix": p} | {"cookie": name} |
// {"query": name}.
func parseSource(n cfg.Node, bearer bool) (Source, bool) {
	if !n.Object("header", "prefix", "cookie", "query") {
		return Source{}, false
	}
	var s Source
	count := 0
	for _, k := range []string{"header", "cookie", "query"} {
		v, ok := n.Get(k)
		if !ok {
			continue
		}
		count++
		name, ok := v.NonEmptyString()
		if !ok {
			return Source{}, false
		}
		switch k {
		case "header":
			name = strings.ToLower(name)
			if !headerPattern.MatchString(name) {
				v.Errorf("invalid header name %q", cfg.Clip(name))
				return Source{}, false
			}
			s = Source{Kind: FromHeader, Name: name}
			if bearer && name == "authorization" {
				s.Prefix = "Bearer "
			}
		case "cookie":
			s = Source{Kind: FromCookie, Name: name}
		case "query":
			s = Source{Kind: FromQuery, Name: name}
		}
	}
	if count != 1 {
		n.Errorf(`want exactly one of "header", "cookie" and "query"`)
		return Source{}, false
	}
	if v, ok := n.Get("prefix"); ok {
		if s.Kind != FromHeader {
			v.Errorf(`"prefix" applies to "header" only`)
			return Source{}, false
		}
		s.Prefix, _ = v.String()
	}
	return s, true
}

func parseAPIKeys(n cfg.Node) *APIKeySource {
	if !n.Object("name", "header", "cookie", "query", "keys") {
		return nil
	}
	k := &APIKeySource{Name: parseName(n)}
	var loc []string
	for _, key := range []string{"header", "cookie", "query"} {
		if _, ok := n.Get(key); ok {
			loc = append(loc, key)
		}
	}
	if len(loc) > 1 {
		n.Errorf(`want at most one of "header", "cookie" and "query"`)
	} else if len(loc) == 1 {
		// None: an OpenAPI apiKey scheme of the same name gives it.
		v, _ := n.Get(loc[0])
		if name, ok := v.NonEmptyString(); ok {
			switch loc[0] {
			case "header":
				k.Source = Source{Kind: FromHeader, Name: strings.ToLower(name)}
			case "cookie":
				k.Source = Source{Kind: FromCookie, Name: name}
			default:
				k.Source = Source{Kind: FromQuery, Name: name}
			}
		}
	}
	if v, ok := n.Require("keys"); ok && v.Object() {
		for _, d := range v.Keys() {
			c, _ := v.Get(d)
			client, ok := c.NonEmptyString()
			if !ok {
				continue
			}
			b, err := hex.DecodeString(d)
			if err != nil || len(b) != 32 {
				c.Errorf("want the key's SHA-256 as 64 hex digits (cmd/apikey-digest prints it), got %q", cfg.Clip(d))
				continue
			}
			var dg [32]byte
			copy(dg[:], b)
			k.digests = append(k.digests, dg)
			k.clients = append(k.clients, client)
		}
	}
	return k
}

// parseRequirement reads an OpenAPI-style security requirement list:
// [{"scheme": ["scope", ...], ...}, ...]; [] is public.
func (c *Config) parseRequirement(n cfg.Node) *Requirement {
	items, ok := n.Array()
	if !ok {
		return nil
	}
	r := &Requirement{Alternatives: [][]SchemeScopes{}}
	for _, it := range items {
		if !it.Object() {
			continue
		}
		var alt []SchemeScopes
		for _, name := range it.Keys() {
			v, _ := it.Get(name)
			scopes, ok := v.Strings()
			if !ok {
				continue
			}
			if _, known := c.schemes[name]; !known {
				v.Errorf("unknown scheme %q (want a provider or api_keys name)", cfg.Clip(name))
				continue
			}
			alt = append(alt, SchemeScopes{Scheme: name, Scopes: scopes})
		}
		if len(alt) == 0 {
			it.Errorf("want at least one scheme (an empty list of alternatives, [], is public)")
			continue
		}
		r.Alternatives = append(r.Alternatives, alt)
	}
	return r
}

func (c *Config) parseEndpoint(n cfg.Node) *EndpointAuth {
	if !n.Object("requires", "scopes", "roles", "objects", "mode") {
		return nil
	}
	e := &EndpointAuth{Mode: c.Mode}
	if v, ok := n.Get("mode"); ok {
		if s, ok := v.Enum("enforce", "monitor"); ok {
			e.Mode = Enforce
			if s == "monitor" {
				e.Mode = Monitor
			}
		}
	}
	if v, ok := n.Get("requires"); ok {
		e.Requires = c.parseRequirement(v)
	}
	if v, ok := n.Get("scopes"); ok {
		e.Scopes, _ = v.Strings()
	}
	if v, ok := n.Get("roles"); ok {
		e.Roles, _ = v.Strings()
	}
	if v, ok := n.Get("objects"); ok {
		if items, ok := v.Array(); ok {
			for _, it := range items {
				if b, ok := parseObject(it); ok {
					e.Objects = append(e.Objects, b)
				}
			}
		}
	}
	return e
}

// CheckEndpoints records an error for every auth.endpoints id that known
// does not accept (the inventory is compiled elsewhere).
func (c *Config) CheckEndpoints(path string, known func(id string) bool) error {
	var errs cfg.Errors
	ids := make([]string, 0, len(c.Endpoints))
	for id := range c.Endpoints {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if !known(id) {
			errs.Addf(path+".endpoints."+id, "unknown endpoint id")
		}
	}
	return errs.Err()
}

// pointerPath turns an RFC 6901 JSON pointer into an escaped gjson path.
func pointerPath(ptr string) (string, error) {
	if ptr == "" || ptr[0] != '/' {
		return "", fmt.Errorf("want a JSON pointer starting with '/', got %q", cfg.Clip(ptr))
	}
	parts := strings.Split(ptr[1:], "/")
	for i, p := range parts {
		for j := 0; j < len(p); j++ {
			if p[j] == '~' && (j+1 == len(p) || (p[j+1] != '0' && p[j+1] != '1')) {
				return "", fmt.Errorf("bad escape in JSON pointer %q", cfg.Clip(ptr))
			}
		}
		p = strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~")
		parts[i] = gjson.Escape(p)
	}
	return strings.Join(parts, "."), nil
}
