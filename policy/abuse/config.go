package abuse

import (
	"crypto/sha256"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/apiwarden/apiwarden/policy/internal/cfg"
	"github.com/apiwarden/apiwarden/policy/kernel"
)

// Action and Mode are the kernel's (aliases, as in sequence): a rule's
// action (block by default for rate limits and the internal route, log
// for the counting rules) and its mode, ModeInherit unless it sets one.
type (
	Action = kernel.Action
	Mode   = kernel.Mode
)

// Actions and modes.
const (
	ActionBlock = kernel.ActionBlock
	ActionLog   = kernel.ActionLog
	ModeInherit = kernel.ModeInherit
	ModeEnforce = kernel.Enforce
	ModeMonitor = kernel.Monitor
)

// Defaults and bounds.
const (
	DefaultMaxKeys     = 10000
	MaxMaxKeys         = 1 << 22
	DefaultRetries     = 8
	MaxRetries         = 64
	MaxRules           = 64
	MaxKeyParts        = 4
	MaxCaptureIDs      = 256
	DefaultCaptureIDs  = 64
	DefaultCaptureTTL  = time.Hour
	DefaultMaxLockout  = time.Hour
	MaxStatusCodes     = 16
	MaxInternalEntries = 256
)

// Scope says which endpoints a rule applies to: all (endpoints ["*"], the
// default) or a list of endpoint ids; PerEndpoint gives every endpoint its
// own budget (the endpoint id joins the key).
type Scope struct {
	All         bool
	Endpoints   []string
	PerEndpoint bool
}

// Applies reports whether the scope covers an endpoint id.
func (s *Scope) Applies(endpoint string) bool {
	if s.All {
		return true
	}
	for _, e := range s.Endpoints {
		if e == endpoint {
			return true
		}
	}
	return false
}

// RateRule is one entry of abuse.rate_limits.
type RateRule struct {
	ID     string
	Key    []Part
	Scope  Scope
	Rate   Rate
	Burst  int64
	Action Action
	Mode   Mode
	// MaxKeys bounds the keys this rule tracks at once (shared-data
	// footprint: MaxKeys/4 values of at most 70 bytes).
	MaxKeys int
}

// Match says which upstream answers count as failures: any of Status, or
// the response body member at Pointer equal to Equals (as text: a string's
// value, a number or boolean as written).
type Match struct {
	Status  []int
	Pointer string
	Equals  string
	path    string
}

// Matches reports whether resp is a failure.
func (m *Match) Matches(resp *Response) bool {
	for _, s := range m.Status {
		if resp.Status == s {
			return true
		}
	}
	if m.path != "" && resp.Body != nil {
		if v, ok := scalar(resp.Body.Get(m.path)); ok && v == m.Equals {
			return true
		}
	}
	return false
}

// FailureRule is one entry of abuse.failures: brute force against one
// target. Failures are counted in Observe per Key (the target, e.g.
// "body:/username"); MaxFailures within Window lock the target out for
// Lockout, doubling with every further lock-out up to MaxLockout.
type FailureRule struct {
	ID             string
	Key            []Part
	Scope          Scope
	On             Match
	MaxFailures    int64
	Window         time.Duration
	Lockout        time.Duration
	MaxLockout     time.Duration
	ResetOnSuccess bool
	Action         Action
	Mode           Mode
	MaxKeys        int
}

// DistinctRule is one entry of abuse.distinct: enumeration and scraping
// (distinct object references per session/client/principal) and
// credential stuffing (distinct targets per client, counted on failures
// when On is set).
type DistinctRule struct {
	ID     string
	Key    []Part
	Ref    Part
	Scope  Scope
	Window time.Duration
	Limit  int64
	// On, when set, counts only requests whose answer matches (in
	// Observe); the key is then refused in Admit for the rest of the
	// window once over Limit. Without it, every request counts in Admit.
	On      *Match
	Action  Action
	Mode    Mode
	MaxKeys int
}

// CaptureRule is one entry of abuse.capture: object ids handed to a
// session in responses of From (gjson Path, e.g. "accounts.#.id"), and
// requests of Check whose Ref was never handed to that session flagged.
type CaptureRule struct {
	ID          string
	From        Scope
	Path        string
	Check       Scope
	Ref         Part
	MaxIDs      int
	TTL         time.Duration
	Action      Action
	Mode        Mode
	MaxSessions int
}

// keyParts lists every key and ref of the configuration.
func (c *Config) keyParts() [][]Part {
	var out [][]Part
	for _, r := range c.RateLimits {
		out = append(out, r.Key)
	}
	for _, r := range c.Failures {
		out = append(out, r.Key)
	}
	for _, r := range c.Distinct {
		out = append(out, r.Key, []Part{r.Ref})
	}
	for _, r := range c.Capture {
		out = append(out, []Part{r.Ref})
	}
	return out
}

// Internal routes are reachable only from CIDRs or with a header the edge
// sets; elsewhere they answer 404 as if they did not exist.
type Internal struct {
	Endpoints []string
	Prefixes  []string
	CIDRs     []netip.Prefix
	// Header is the lower-case name of the header the edge sets; its
	// value is kept only as a SHA-256 digest and compared in constant
	// time. Empty: no header grants access.
	Header     string
	headerHash [32]byte
	Mode       Mode
}

// Enabled reports whether any internal route is configured.
func (in *Internal) Enabled() bool { return len(in.Endpoints) > 0 || len(in.Prefixes) > 0 }

// Reachable reports whether internal routes can be reached at all (from
// cidrs or with the header): the condition for marking OpenAPI
// operations internal.
func (in *Internal) Reachable() bool { return len(in.CIDRs) > 0 || in.Header != "" }

// Config is the compiled "abuse" section.
type Config struct {
	Mode           Mode
	TrustedHops    int
	HeadersOnAllow bool
	Retries        int
	RateLimits     []RateRule
	Failures       []FailureRule
	Distinct       []DistinctRule
	Capture        []CaptureRule
	Internal       Internal
}

// Parse reads the JSON text of an "abuse" object (tests, fuzzing, offline
// checks); see ParseConfig.
func Parse(data []byte, known func(endpoint string) bool) (Config, error) {
	var errs cfg.Errors
	n, err := cfg.Parse(data, &errs)
	if err != nil {
		return Config{}, err
	}
	n.Path = "abuse"
	c := ParseConfig(n, known)
	return c, errs.Err()
}

// ParseConfig reads the "abuse" object at n, recording every problem in
// n.Errs with its JSON path. known, when not nil, says which endpoint ids
// exist; a rule naming another is an error. An absent or null node is the
// empty configuration (no rule).
func ParseConfig(n cfg.Node, known func(endpoint string) bool) Config {
	c := Config{Mode: ModeEnforce, Retries: DefaultRetries}
	if n.IsNull() {
		return c
	}
	if !n.Object("mode", "trusted_hops", "headers_on_allow", "cas_retries", "rate_limits", "failures", "distinct", "capture", "internal") {
		return c
	}
	p := parser{known: known, ids: map[string]bool{InternalRule: true}}
	if v, ok := n.Get("mode"); ok {
		if s, ok := v.Enum("enforce", "monitor"); ok {
			c.Mode = kernel.ParseMode(s)
		}
	}
	if v, ok := n.Get("trusted_hops"); ok {
		if i, ok := v.Int(0, MaxTrustedHops); ok {
			c.TrustedHops = int(i)
		}
	}
	if v, ok := n.Get("headers_on_allow"); ok {
		c.HeadersOnAllow, _ = v.Bool()
	}
	if v, ok := n.Get("cas_retries"); ok {
		if i, ok := v.Int(1, MaxRetries); ok {
			c.Retries = int(i)
		}
	}
	for _, it := range p.list(n, "rate_limits") {
		if r, ok := p.rate(it); ok {
			c.RateLimits = append(c.RateLimits, r)
		}
	}
	for _, it := range p.list(n, "failures") {
		if r, ok := p.failure(it); ok {
			c.Failures = append(c.Failures, r)
		}
	}
	for _, it := range p.list(n, "distinct") {
		if r, ok := p.distinct(it); ok {
			c.Distinct = append(c.Distinct, r)
		}
	}
	for _, it := range p.list(n, "capture") {
		if r, ok := p.capture(it); ok {
			c.Capture = append(c.Capture, r)
		}
	}
	if v, ok := n.Get("internal"); ok {
		c.Internal = p.internal(v)
	}
	return c
}

type parser struct {
	known func(string) bool
	ids   map[string]bool
	total int
}

func (p *parser) list(n cfg.Node, key string) []cfg.Node {
	v, ok := n.Get(key)
	if !ok {
		return nil
	}
	items, ok := v.Array()
	if !ok {
		return nil
	}
	if p.total+len(items) > MaxRules {
		v.Errorf("more than %d abuse rules in all", MaxRules)
		return nil
	}
	p.total += len(items)
	return items
}

func (p *parser) id(n cfg.Node) string {
	v, ok := n.Require("id")
	if !ok {
		return ""
	}
	s, ok := v.NonEmptyString()
	if !ok {
		return ""
	}
	if len(s) > 64 || !cfg.IsToken(s) || strings.ContainsAny(s, `"\`) {
		v.Errorf("want a token of at most 64 characters (letters, digits, -, _, .), got %q", cfg.Clip(s))
		return ""
	}
	if p.ids[s] {
		v.Errorf("duplicate rule id %q", s)
		return ""
	}
	p.ids[s] = true
	return s
}

func (p *parser) key(n cfg.Node, name string, required bool) []Part {
	v, ok := field(n, name, required)
	if !ok {
		return nil
	}
	items, ok := v.Array()
	if !ok {
		return nil
	}
	if len(items) == 0 || len(items) > MaxKeyParts {
		v.Errorf("want 1 to %d key parts, got %d", MaxKeyParts, len(items))
		return nil
	}
	var parts []Part
	seen := map[string]bool{}
	for _, it := range items {
		s, ok := it.NonEmptyString()
		if !ok {
			continue
		}
		pt, err := ParsePart(s)
		if err != nil {
			it.Errorf("%v", err)
			continue
		}
		if seen[pt.String()] {
			it.Errorf("duplicate key part %q", pt.String())
			continue
		}
		seen[pt.String()] = true
		parts = append(parts, pt)
	}
	return parts
}

func (p *parser) part(n cfg.Node, name string) (Part, bool) {
	v, ok := n.Require(name)
	if !ok {
		return Part{}, false
	}
	s, ok := v.NonEmptyString()
	if !ok {
		return Part{}, false
	}
	pt, err := ParsePart(s)
	if err != nil {
		v.Errorf("%v", err)
		return Part{}, false
	}
	return pt, true
}

func (p *parser) endpoints(n cfg.Node, name string, allowAll bool) []string {
	v, ok := n.Get(name)
	if !ok {
		return nil
	}
	items, ok := v.Array()
	if !ok {
		return nil
	}
	if len(items) == 0 {
		v.Errorf("want at least one endpoint id")
	}
	out := []string{}
	for _, it := range items {
		s, ok := it.NonEmptyString()
		if !ok {
			continue
		}
		if s == "*" {
			if !allowAll || len(items) > 1 {
				it.Errorf(`"*" must be the only entry`)
				continue
			}
			return []string{"*"}
		}
		if p.known != nil && !p.known(s) {
			it.Errorf("unknown endpoint id %q", cfg.Clip(s))
			continue
		}
		out = append(out, s)
	}
	return out
}

func (p *parser) scope(n cfg.Node, name string) Scope {
	eps, ok := n.Get(name)
	if !ok {
		_ = eps
		return Scope{All: true}
	}
	list := p.endpoints(n, name, true)
	if len(list) == 1 && list[0] == "*" {
		return Scope{All: true}
	}
	return Scope{Endpoints: list}
}

func (p *parser) actionMode(n cfg.Node, def Action) (Action, Mode) {
	a, m := def, ModeInherit
	if v, ok := n.Get("action"); ok {
		if s, ok := v.Enum("block", "log"); ok {
			a = kernel.ParseAction(s)
		}
	}
	if v, ok := n.Get("mode"); ok {
		if s, ok := v.Enum("enforce", "monitor"); ok {
			m = kernel.ParseMode(s)
		}
	}
	return a, m
}

func (p *parser) maxKeys(n cfg.Node, name string) int {
	if v, ok := n.Get(name); ok {
		if i, ok := v.Int(4, MaxMaxKeys); ok {
			return int(i)
		}
	}
	return DefaultMaxKeys
}

func (p *parser) duration(n cfg.Node, name string, def, min, max time.Duration, required bool) time.Duration {
	v, ok := field(n, name, required)
	if !ok {
		return def
	}
	d, ok := v.Duration()
	if !ok {
		return def
	}
	if d < min || d > max {
		v.Errorf("want a duration between %s and %s, got %s", min, max, d)
		return def
	}
	return d
}

func (p *parser) rate(n cfg.Node) (RateRule, bool) {
	if !n.Object("id", "key", "endpoints", "per_endpoint", "rate", "burst", "action", "mode", "max_keys") {
		return RateRule{}, false
	}
	errs := n.Errs.Len()
	r := RateRule{ID: p.id(n), Key: p.key(n, "key", true), Scope: p.scope(n, "endpoints")}
	if v, ok := n.Get("per_endpoint"); ok {
		r.Scope.PerEndpoint, _ = v.Bool()
	}
	if v, ok := n.Require("rate"); ok {
		if s, ok := v.String(); ok {
			rt, err := ParseRate(s)
			if err != nil {
				v.Errorf("%v", err)
			}
			r.Rate = rt
		}
	}
	r.Burst = r.Rate.Count
	if v, ok := n.Get("burst"); ok {
		if i, ok := v.Int(1, MaxRateCount); ok {
			r.Burst = i
		}
	}
	r.Action, r.Mode = p.actionMode(n, ActionBlock)
	r.MaxKeys = p.maxKeys(n, "max_keys")
	return r, n.Errs.Len() == errs
}

func (p *parser) match(n cfg.Node) Match {
	var m Match
	if !n.Object("status", "pointer", "equals") {
		return m
	}
	if v, ok := n.Get("status"); ok {
		if items, ok := v.Array(); ok {
			if len(items) == 0 || len(items) > MaxStatusCodes {
				v.Errorf("want 1 to %d status codes", MaxStatusCodes)
			}
			for _, it := range items {
				if s, ok := it.Int(100, 599); ok {
					m.Status = append(m.Status, int(s))
				}
			}
		}
	}
	ptr, hasPtr := n.Get("pointer")
	eq, hasEq := n.Get("equals")
	if hasPtr != hasEq {
		n.Errorf(`"pointer" and "equals" go together`)
	}
	if hasPtr && hasEq {
		if s, ok := ptr.String(); ok {
			path, err := PointerPath(s)
			if err != nil {
				ptr.Errorf("%v", err)
			}
			m.Pointer, m.path = s, path
		}
		switch {
		case eq.IsString():
			m.Equals, _ = eq.String()
		case eq.IsScalar():
			m.Equals = eq.Text()
		default:
			eq.Errorf("want a string, number or boolean, got %s", eq.Kind())
		}
	}
	if len(m.Status) == 0 && m.path == "" {
		n.Errorf(`want "status" or "pointer" with "equals"`)
	}
	return m
}

func (p *parser) failure(n cfg.Node) (FailureRule, bool) {
	if !n.Object("id", "key", "endpoints", "on", "max_failures", "window", "lockout", "max_lockout", "reset_on_success", "action", "mode", "max_keys") {
		return FailureRule{}, false
	}
	errs := n.Errs.Len()
	r := FailureRule{ID: p.id(n), Key: p.key(n, "key", true), Scope: p.scope(n, "endpoints"), ResetOnSuccess: true}
	if v, ok := n.Require("on"); ok {
		r.On = p.match(v)
	}
	if v, ok := n.Require("max_failures"); ok {
		if i, ok := v.Int(1, 1<<20); ok {
			r.MaxFailures = i
		}
	}
	r.Window = p.duration(n, "window", 0, time.Second, MaxRatePeriod, true)
	r.Lockout = p.duration(n, "lockout", 0, time.Second, MaxRatePeriod, true)
	r.MaxLockout = p.duration(n, "max_lockout", max(r.Lockout, DefaultMaxLockout), time.Second, MaxRatePeriod, false)
	if r.MaxLockout < r.Lockout {
		n.Errs.Addf(n.Path+".max_lockout", "want at least lockout (%s), got %s", r.Lockout, r.MaxLockout)
	}
	if v, ok := n.Get("reset_on_success"); ok {
		r.ResetOnSuccess, _ = v.Bool()
	}
	r.Action, r.Mode = p.actionMode(n, ActionBlock)
	r.MaxKeys = p.maxKeys(n, "max_keys")
	return r, n.Errs.Len() == errs
}

func (p *parser) distinct(n cfg.Node) (DistinctRule, bool) {
	if !n.Object("id", "key", "ref", "endpoints", "window", "limit", "on", "action", "mode", "max_keys") {
		return DistinctRule{}, false
	}
	errs := n.Errs.Len()
	r := DistinctRule{ID: p.id(n), Key: p.key(n, "key", true), Scope: p.scope(n, "endpoints")}
	r.Ref, _ = p.part(n, "ref")
	r.Window = p.duration(n, "window", 0, time.Second, MaxRatePeriod, true)
	if v, ok := n.Require("limit"); ok {
		if i, ok := v.Int(1, 1<<30); ok {
			r.Limit = i
		}
	}
	if v, ok := n.Get("on"); ok {
		m := p.match(v)
		r.On = &m
	}
	r.Action, r.Mode = p.actionMode(n, ActionLog)
	r.MaxKeys = p.maxKeys(n, "max_keys")
	return r, n.Errs.Len() == errs
}

func (p *parser) capture(n cfg.Node) (CaptureRule, bool) {
	if !n.Object("id", "from", "path", "check", "ref", "max_ids", "ttl", "action", "mode", "max_sessions") {
		return CaptureRule{}, false
	}
	errs := n.Errs.Len()
	r := CaptureRule{ID: p.id(n), MaxIDs: DefaultCaptureIDs}
	if _, ok := n.Require("from"); ok {
		r.From = Scope{Endpoints: p.endpoints(n, "from", false)}
	}
	if _, ok := n.Require("check"); ok {
		r.Check = Scope{Endpoints: p.endpoints(n, "check", false)}
	}
	if v, ok := n.Require("path"); ok {
		if s, ok := v.NonEmptyString(); ok {
			if strings.ContainsAny(s, "@!") || len(s) > 256 {
				v.Errorf("want a gjson path of at most 256 bytes without modifiers (@, !), got %q", cfg.Clip(s))
			}
			r.Path = s
		}
	}
	r.Ref, _ = p.part(n, "ref")
	if v, ok := n.Get("max_ids"); ok {
		if i, ok := v.Int(1, MaxCaptureIDs); ok {
			r.MaxIDs = int(i)
		}
	}
	r.TTL = p.duration(n, "ttl", DefaultCaptureTTL, time.Second, MaxRatePeriod, false)
	r.Action, r.Mode = p.actionMode(n, ActionLog)
	r.MaxSessions = p.maxKeys(n, "max_sessions")
	return r, n.Errs.Len() == errs
}

func (p *parser) internal(n cfg.Node) Internal {
	in := Internal{Mode: ModeInherit}
	if !n.Object("endpoints", "prefixes", "cidrs", "header", "mode") {
		return in
	}
	if _, ok := n.Get("endpoints"); ok {
		in.Endpoints = p.endpoints(n, "endpoints", false)
	}
	if v, ok := n.Get("prefixes"); ok {
		if items, ok := v.Array(); ok {
			if len(items) > MaxInternalEntries {
				v.Errorf("more than %d prefixes", MaxInternalEntries)
				items = nil
			}
			for _, it := range items {
				if s, ok := it.NonEmptyString(); ok {
					if s[0] != '/' || strings.Contains(s, "//") || strings.Contains(s, "/./") || strings.Contains(s, "/../") || strings.ContainsAny(s, "?#%") {
						it.Errorf("want a normalised path prefix starting with \"/\", got %q", cfg.Clip(s))
						continue
					}
					in.Prefixes = append(in.Prefixes, s)
				}
			}
		}
	}
	if v, ok := n.Get("cidrs"); ok {
		if items, ok := v.Array(); ok {
			if len(items) > MaxInternalEntries {
				v.Errorf("more than %d CIDRs", MaxInternalEntries)
				items = nil
			}
			for _, it := range items {
				if s, ok := it.NonEmptyString(); ok {
					pf, err := ParseCIDR(s)
					if err != nil {
						it.Errorf("%v", err)
						continue
					}
					in.CIDRs = append(in.CIDRs, pf)
				}
			}
		}
	}
	if v, ok := n.Get("header"); ok && v.Object("name", "value") {
		if nv, ok := v.Require("name"); ok {
			if s, ok := nv.NonEmptyString(); ok {
				if !cfg.IsToken(s) {
					nv.Errorf("invalid header name %q", cfg.Clip(s))
				}
				in.Header = strings.ToLower(s)
			}
		}
		if vv, ok := v.Require("value"); ok {
			// A secret: never echoed in messages.
			if s, ok := vv.String(); ok && len(s) < 16 {
				vv.Errorf("want at least 16 characters")
			} else if ok {
				in.headerHash = sha256.Sum256([]byte(s))
			}
		}
	}
	if v, ok := n.Get("mode"); ok {
		if s, ok := v.Enum("enforce", "monitor"); ok {
			in.Mode = kernel.ParseMode(s)
		}
	}
	if len(in.CIDRs) == 0 && in.Header == "" && in.Enabled() {
		n.Errorf(`want "cidrs" or "header": otherwise internal routes are reachable from nowhere`)
	}
	return in
}

// ParseCIDR reads "10.0.0.0/8", "fd00::/8" or a bare address (a /32 or
// /128); the prefix must be in canonical form (no host bits set).
func ParseCIDR(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("want a CIDR like \"10.0.0.0/8\" or an address, got %q", cfg.Clip(s))
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	pf, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("want a CIDR like \"10.0.0.0/8\", got %q", cfg.Clip(s))
	}
	if pf.Masked() != pf {
		return netip.Prefix{}, fmt.Errorf("CIDR %q has host bits set (want %s)", cfg.Clip(s), pf.Masked())
	}
	if pf.Addr().Is4In6() {
		bits := pf.Bits() - 96
		if bits < 0 {
			return netip.Prefix{}, fmt.Errorf("CIDR %q covers more than the IPv4-mapped range", cfg.Clip(s))
		}
		pf = netip.PrefixFrom(pf.Addr().Unmap(), bits)
	}
	return pf, nil
}

// field reads member name of n, recording an error when it is required and
// absent.
func field(n cfg.Node, name string, required bool) (cfg.Node, bool) {
	if required {
		return n.Require(name)
	}
	return n.Get(name)
}
