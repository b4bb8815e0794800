package auth

import (
	"slices"
	"strings"
	"time"
)

// Runtime is one VM's authenticator: the immutable Config plus the VM's
// verified-token cache and its view of remote key sets. Create one per VM
// (in proxy_on_configure) with New. Not safe for concurrent use.
type Runtime struct {
	cfg    *Config
	store  Store
	cache  *tokenCache
	remote []*remoteState
}

// New returns the runtime of one VM. store is shared data (nil is allowed
// when no provider has remote_jwks).
func New(c *Config, store Store) *Runtime {
	rt := &Runtime{cfg: c, store: store, cache: newTokenCache(DefaultCacheEntries), remote: make([]*remoteState, len(c.Providers))}
	for i := range rt.remote {
		rt.remote[i] = &remoteState{}
	}
	return rt
}

// Config returns the runtime's configuration.
func (rt *Runtime) Config() *Config { return rt.cfg }

func (rt *Runtime) provider(name string) *Provider {
	for _, p := range rt.cfg.Providers {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Result is an authentication or authorization answer: a value the glue
// applies. The zero Result is "allowed, nothing to do".
type Result struct {
	// Reason is ReasonNone when the request is allowed; otherwise the
	// refusal, reported as an event even when Block is false (monitor).
	Reason Reason
	// Block is set when the refusal is enforced: answer Status with the
	// WWWAuthenticate header (when not empty).
	Block  bool
	Status int
	// ErrorCode is the RFC 6750 error code ("" for none).
	ErrorCode       string
	WWWAuthenticate string
	// Scheme is the provider or API-key source the reason is about.
	Scheme string
	// Detail names a missing scope or role, or an object binding; safe
	// for events (configuration text, never request text).
	Detail string
	// Principal is the verified caller (nil: anonymous or refused). With
	// a JWT and an API key both required, it is the JWT's and APIKey is
	// the key's.
	Principal *Principal
	APIKey    *Principal
	// RemoveHeaders are removed from the upstream request first (every
	// configured claim header, on every result), then SetHeaders set.
	RemoveHeaders []string
	SetHeaders    [][2]string
	// Failure is set for keys-unavailable: the glue applies failure_mode
	// (open: let through and log; closed: 503) instead of Block.
	Failure bool
	// Refetch is set when an unknown kid asked for a key-set fetch: the
	// glue may call Due now instead of waiting for the tick.
	Refetch bool
	// Cached reports that the token was found in the verified cache.
	Cached bool
}

// refuse builds a refusal in mode m.
func (c *Config) refuse(m Mode, r Reason, detail string, p *Principal) Result {
	status, code := answer(r)
	res := Result{Reason: r, Status: status, ErrorCode: code, Detail: detail, Principal: p, Block: m == Enforce}
	if r == ReasonKeysUnavailable {
		res.Block, res.Failure = false, true
	}
	if status == 401 || r == ReasonInsufficientScope || (status == 400 && code != "") {
		var b strings.Builder
		b.WriteString("Bearer")
		sep := " "
		if c.Realm != "" {
			b.WriteString(` realm="` + c.Realm + `"`)
			sep = ", "
		}
		if code != "" {
			b.WriteString(sep + `error="` + code + `"`)
			sep = ", "
		}
		if r == ReasonInsufficientScope && detail != "" {
			b.WriteString(sep + `scope="` + detail + `"`)
		}
		res.WWWAuthenticate = b.String()
	}
	return res
}

// requirement returns the endpoint's requirement and settings.
func (c *Config) requirement(endpointID string) (*Requirement, *EndpointAuth) {
	e := c.Endpoints[endpointID]
	if e != nil && e.Requires != nil {
		return e.Requires, e
	}
	return c.Default, e
}

// schemeResult is the outcome of one scheme within one Authenticate.
type schemeResult struct {
	done   bool
	p      *Principal
	reason Reason
	res    Result
}

// Authenticate decides on the request headers of endpoint endpointID (the
// inventory's operation id; "" for an unknown endpoint, which gets
// auth.default). It verifies the credentials the endpoint's requirement
// names (an OR of ANDs of schemes, each with its scopes), then the
// endpoint's scopes and roles. It never answers for object-level checks:
// call AuthorizeObjects with the Principal next.
func (rt *Runtime) Authenticate(endpointID string, req *Request, now time.Time) Result {
	c := rt.cfg
	req0 := Request{}
	if req == nil {
		req = &req0
	}
	reqm, ep := c.requirement(endpointID)
	mode := c.Mode
	if ep != nil {
		mode = ep.Mode
	}
	var res Result
	if reqm.Public() {
		res = Result{}
	} else {
		res = rt.satisfy(reqm, req, mode, now)
	}
	if res.Reason == ReasonNone && ep != nil && (len(ep.Scopes) > 0 || len(ep.Roles) > 0) {
		if res.Principal == nil {
			// Scopes or roles on a public endpoint still need a caller.
			res = c.refuse(mode, ReasonMissingCredentials, "", nil)
		} else {
			res = rt.functionLevel(ep, res, mode)
		}
	}
	res.RemoveHeaders = c.claimHeaders
	if res.Reason == ReasonNone || !res.Block {
		if p := res.Principal; p != nil && p.Kind == KindJWT {
			res.SetHeaders = rt.claimHeaders(p)
		}
	}
	return res
}

// rank orders failures: the most informative one is answered.
func rank(r Reason) int {
	switch r {
	case ReasonMultipleCredentials:
		return 5
	case ReasonKeysUnavailable:
		return 4
	case ReasonMissingCredentials:
		return 1
	case ReasonInsufficientScope:
		return 2
	}
	return 3
}

func (rt *Runtime) satisfy(reqm *Requirement, req *Request, mode Mode, now time.Time) Result {
	c := rt.cfg
	memo := make(map[string]*schemeResult, 2)
	var best Result
	bestRank := -1
	for _, alt := range reqm.Alternatives {
		var jwtP, keyP *Principal
		var fail Result
		ok := true
		for _, ss := range alt {
			sr := memo[ss.Scheme]
			if sr == nil {
				sr = rt.credential(ss.Scheme, req, mode, now)
				memo[ss.Scheme] = sr
			}
			if sr.reason != ReasonNone {
				ok, fail = false, sr.res
				break
			}
			for _, s := range ss.Scopes {
				if !sr.p.HasScope(s) {
					ok = false
					fail = c.refuse(mode, ReasonInsufficientScope, strings.Join(ss.Scopes, " "), sr.p)
					fail.Scheme = ss.Scheme
					break
				}
			}
			if !ok {
				break
			}
			if sr.p.Kind == KindJWT && jwtP == nil {
				jwtP = sr.p
			} else if sr.p.Kind == KindAPIKey && keyP == nil {
				keyP = sr.p
			}
		}
		if ok {
			p := jwtP
			if p == nil {
				p = keyP
			}
			return Result{Principal: p, APIKey: keyP, Cached: cachedOf(memo)}
		}
		if r := rank(fail.Reason); r > bestRank {
			best, bestRank = fail, r
		}
	}
	return best
}

func cachedOf(m map[string]*schemeResult) bool {
	for _, s := range m {
		if s.res.Cached {
			return true
		}
	}
	return false
}

// credential reads and verifies the credential of one scheme.
func (rt *Runtime) credential(name string, req *Request, mode Mode, now time.Time) *schemeResult {
	c := rt.cfg
	s := c.schemes[name]
	fail := func(r Reason) *schemeResult {
		res := c.refuse(mode, r, "", nil)
		res.Scheme = name
		return &schemeResult{done: true, reason: r, res: res}
	}
	if k := s.apiKey; k != nil {
		v, n := k.Source.read(req)
		switch {
		case n == 0:
			return fail(ReasonMissingCredentials)
		case n > 1:
			return fail(ReasonMultipleCredentials)
		}
		client, ok := k.lookup(v)
		if !ok {
			return fail(ReasonUnknownAPIKey)
		}
		return &schemeResult{done: true, p: &Principal{Kind: KindAPIKey, Provider: k.Name, ClientID: client, SubjectHash: HashID(client)}}
	}
	p := s.provider
	tok, n := "", 0
	for _, src := range p.Sources {
		v, m := src.read(req)
		if m > 0 {
			tok = v
		}
		n += m
	}
	switch {
	case n == 0:
		return fail(ReasonMissingCredentials)
	case n > 1:
		return fail(ReasonMultipleCredentials)
	}
	pr, reason, cached, refetch := rt.verify(p, tok, now)
	if reason != ReasonNone {
		r := fail(reason)
		r.res.Refetch = refetch
		return r
	}
	return &schemeResult{done: true, p: pr, res: Result{Cached: cached}}
}

// Verify checks one token against provider name at now, using and filling
// the VM's verified-token cache. It is Authenticate without the request
// plumbing (tests, benchmarks, callers that read the token themselves).
func (rt *Runtime) Verify(provider, tok string, now time.Time) (*Principal, Reason) {
	p := rt.provider(provider)
	if p == nil {
		return nil, ReasonUnknownIssuer
	}
	pr, r, _, _ := rt.verify(p, tok, now)
	return pr, r
}

func (rt *Runtime) verify(p *Provider, tok string, now time.Time) (*Principal, Reason, bool, bool) {
	if len(tok) > p.MaxTokenBytes {
		return nil, ReasonOversized, false, false
	}
	ks := p.Inline
	if p.Remote != nil {
		ks = rt.remoteKeys(p, now)
		if ks == nil {
			return nil, ReasonKeysUnavailable, false, false
		}
	}
	key := tokenKey(tok)
	if pr, ok := rt.cache.get(key, p.index, ks.Gen, now); ok {
		return pr, ReasonNone, true, false
	}
	j, r := parseJWS(tok, p.MaxTokenBytes, p.Algorithms)
	if r != ReasonNone {
		return nil, r, false, false
	}
	refetch := false
	_, r = j.verifyWith(ks)
	if r == ReasonUnknownKey && p.Remote != nil {
		var changed bool
		changed, refetch = rt.kidMiss(p, now)
		if changed {
			ks = rt.remote[p.index].keys
			_, r = j.verifyWith(ks)
		}
	}
	if r != ReasonNone {
		return nil, r, false, refetch
	}
	pr, r := p.checkClaims(j.payload, now)
	if r != ReasonNone {
		return nil, r, false, false
	}
	until := time.Time{}
	if !pr.ExpiresAt.IsZero() {
		until = pr.ExpiresAt.Add(p.ClockSkew)
	}
	rt.cache.put(key, cacheEntry{p: pr, prov: p.index, gen: ks.Gen, until: until})
	return pr, ReasonNone, false, false
}

// functionLevel checks the endpoint's scopes (all required) and roles
// (any one of them, read from Config.RolesClaim).
func (rt *Runtime) functionLevel(ep *EndpointAuth, res Result, mode Mode) Result {
	p := res.Principal
	for _, s := range ep.Scopes {
		if !p.HasScope(s) {
			out := rt.cfg.refuse(mode, ReasonInsufficientScope, strings.Join(ep.Scopes, " "), p)
			out.APIKey = res.APIKey
			return out
		}
	}
	if len(ep.Roles) > 0 {
		roles := p.ClaimStrings(rt.cfg.RolesClaim)
		ok := false
		for _, r := range ep.Roles {
			if slices.Contains(roles, r) {
				ok = true
				break
			}
		}
		if !ok {
			out := rt.cfg.refuse(mode, ReasonMissingRole, strings.Join(ep.Roles, " "), p)
			out.APIKey = res.APIKey
			return out
		}
	}
	return res
}

// claimHeaders returns the provider's claim headers for p. Values with
// control characters are skipped; arrays are joined with ",".
func (rt *Runtime) claimHeaders(p *Principal) [][2]string {
	var prov *Provider
	for _, x := range rt.cfg.Providers {
		if x.Name == p.Provider {
			prov = x
		}
	}
	if prov == nil || len(prov.ClaimHeaders) == 0 {
		return nil
	}
	out := make([][2]string, 0, len(prov.ClaimHeaders))
	for _, h := range prov.ClaimHeaders {
		v := strings.Join(p.ClaimStrings(h.Claim), ",")
		if v == "" || strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			continue
		}
		out = append(out, [2]string{h.Header, v})
	}
	return out
}
