package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tidwall/gjson"
)

// Kind says how a principal authenticated.
type Kind uint8

// Principal kinds.
const (
	KindJWT Kind = iota + 1
	KindAPIKey
)

// Principal is a verified caller. It is immutable and may be shared by
// the streams of a VM (the verified-token cache hands out the same one).
// It never holds the token itself.
type Principal struct {
	Kind Kind
	// Provider is the JWT provider or API-key source that verified it.
	Provider string
	// Subject is the "sub" claim ("" when absent or an API key).
	Subject string
	// ClientID is the API key's client id, or the token's "client_id",
	// else "azp" claim.
	ClientID string
	// SubjectHash and TokenIDHash are what events may carry: truncated
	// SHA-256 (hex) of sub (or client id) and of jti ("" when absent).
	SubjectHash string
	TokenIDHash string
	// ExpiresAt is the token's exp (zero: none, or an API key).
	ExpiresAt time.Time
	claims    []byte
	scopes    []string
	// strs memoises ClaimStrings: a cached principal serves every request
	// of its session, and each would parse the same claims again (object
	// bindings, claim headers, roles).
	mu   sync.Mutex
	strs map[string][]string
}

// Claim returns a claim of the verified payload by name (not a path: a
// name with dots is one claim). API-key principals have no claims.
func (p *Principal) Claim(name string) gjson.Result {
	if p == nil || len(p.claims) == 0 {
		return gjson.Result{}
	}
	return gjson.GetBytes(p.claims, gjson.Escape(name))
}

// ClaimString returns a string or number claim as text.
func (p *Principal) ClaimString(name string) (string, bool) {
	return scalar(p.Claim(name))
}

// ClaimStrings returns a claim that is a string or an array of strings
// and numbers (other elements are skipped).
func (p *Principal) ClaimStrings(name string) []string {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if v, ok := p.strs[name]; ok {
		return v
	}
	v := p.claimStrings(name)
	if p.strs == nil {
		p.strs = make(map[string][]string, 2)
	}
	if len(p.strs) < maxMemoClaims {
		p.strs[name] = v
	}
	return v
}

// maxMemoClaims bounds the claims memoised per principal (the
// configuration names a handful).
const maxMemoClaims = 16

func (p *Principal) claimStrings(name string) []string {
	r := p.Claim(name)
	if r.IsArray() {
		var out []string
		r.ForEach(func(_, v gjson.Result) bool {
			if s, ok := scalar(v); ok {
				out = append(out, s)
			}
			return true
		})
		return out
	}
	if s, ok := scalar(r); ok {
		return []string{s}
	}
	return nil
}

// Scopes returns the token's scopes: "scope" split at spaces (RFC 8693
// §4.2), else the "scp" array.
func (p *Principal) Scopes() []string {
	if p == nil {
		return nil
	}
	return p.scopes
}

// HasScope reports whether the principal was granted scope s.
func (p *Principal) HasScope(s string) bool { return slices.Contains(p.Scopes(), s) }

// Claims returns the verified payload (JSON). Do not modify it, and never
// log it.
func (p *Principal) Claims() []byte { return p.claims }

func scalar(r gjson.Result) (string, bool) {
	switch r.Type {
	case gjson.String:
		return r.Str, true
	case gjson.Number:
		return r.Raw, true
	case gjson.True, gjson.False:
		return r.Raw, true
	}
	return "", false
}

func scopesOf(claims gjson.Result) []string {
	if s := claims.Get("scope"); s.Type == gjson.String {
		return strings.Fields(s.Str)
	}
	var out []string
	if s := claims.Get("scp"); s.IsArray() {
		s.ForEach(func(_, v gjson.Result) bool {
			if v.Type == gjson.String {
				out = append(out, v.Str)
			}
			return true
		})
	} else if s.Type == gjson.String {
		out = strings.Fields(s.Str)
	}
	return out
}

// HashID is what events carry instead of an identifier: the first 16 bytes
// of its SHA-256, in hex ("" for "").
func HashID(s string) string {
	if s == "" {
		return ""
	}
	d := sha256.Sum256([]byte(s))
	return hex.EncodeToString(d[:16])
}

// checkClaims validates a verified payload for provider p at now and
// builds the principal.
func (p *Provider) checkClaims(payload []byte, now time.Time) (*Principal, Reason) {
	if !gjson.ValidBytes(payload) {
		return nil, ReasonMalformed
	}
	c := gjson.ParseBytes(payload)
	if !c.IsObject() || dupKeys(c) {
		return nil, ReasonMalformed
	}
	for _, name := range p.RequiredClaims {
		if !c.Get(gjson.Escape(name)).Exists() {
			return nil, ReasonMissingClaim
		}
	}
	t := float64(now.UnixNano()) / 1e9
	skew := p.ClockSkew.Seconds()
	num := func(name string) (float64, bool, Reason) {
		v := c.Get(name)
		if !v.Exists() {
			return 0, false, ReasonNone
		}
		if v.Type != gjson.Number || math.IsInf(v.Num, 0) {
			return 0, false, ReasonMalformed
		}
		return v.Num, true, ReasonNone
	}
	exp, hasExp, r := num("exp")
	if r != ReasonNone {
		return nil, r
	}
	nbf, hasNbf, r := num("nbf")
	if r != ReasonNone {
		return nil, r
	}
	iat, hasIat, r := num("iat")
	if r != ReasonNone {
		return nil, r
	}
	// RFC 7519 §4.1.4: the current time must be before exp.
	if hasExp && t >= exp+skew {
		return nil, ReasonExpired
	}
	if hasNbf && t < nbf-skew {
		return nil, ReasonNotYetValid
	}
	if hasIat && t < iat-skew {
		return nil, ReasonIssuedInFuture
	}
	if p.Issuer != "" {
		iss := c.Get("iss")
		if iss.Type != gjson.String || iss.Str != p.Issuer {
			return nil, ReasonWrongIssuer
		}
	}
	if len(p.Audiences) > 0 {
		aud := c.Get("aud")
		ok := false
		switch {
		case aud.Type == gjson.String:
			ok = slices.Contains(p.Audiences, aud.Str)
		case aud.IsArray():
			aud.ForEach(func(_, v gjson.Result) bool {
				if v.Type == gjson.String && slices.Contains(p.Audiences, v.Str) {
					ok = true
					return false
				}
				return true
			})
		}
		if !ok {
			return nil, ReasonWrongAudience
		}
	}
	pr := &Principal{Kind: KindJWT, Provider: p.Name, claims: payload, scopes: scopesOf(c)}
	if s := c.Get("sub"); s.Type == gjson.String {
		pr.Subject = s.Str
	} else if s.Exists() {
		return nil, ReasonMalformed
	}
	if s, ok := scalar(c.Get("client_id")); ok {
		pr.ClientID = s
	} else if s, ok := scalar(c.Get("azp")); ok {
		pr.ClientID = s
	}
	who := pr.Subject
	if who == "" {
		who = pr.ClientID
	}
	pr.SubjectHash = HashID(who)
	if s, ok := scalar(c.Get("jti")); ok {
		pr.TokenIDHash = HashID(s)
	}
	if hasExp {
		sec, frac := math.Modf(exp)
		pr.ExpiresAt = time.Unix(int64(sec), int64(frac*1e9))
	}
	return pr, ReasonNone
}
