package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/tidwall/gjson"
)

// FuzzDifferentialJOSE checks that apiwarden and go-jose (a well-kept Go
// JOSE library, test-only) accept and refuse the same compact JWS, with
// the RFC example keys and algorithms ES256, EdDSA, HS256 and RS256
// allowed. Where apiwarden is stricter on purpose the input must be
// refused by apiwarden and is not compared: characters outside the
// base64url alphabet (go-jose's decoder skips CR/LF and strips '='),
// non-canonical base64 (unused bits set), and payloads that are not a
// JSON object without duplicate members (a JWS library verifies bytes; a
// JWT must be a JSON object, and duplicates are read differently by
// different parsers).
func FuzzDifferentialJOSE(f *testing.F) {
	vs := rfcVectors(f)
	for _, v := range vs {
		f.Add(v.Token)
	}
	es := rfcES256Key(f)
	ed := rfcEdKey(f)
	hs := rfcHSKey(f)
	claims := `{"iss":"joe","exp":1300819380,"sub":"x"}`
	f.Add(signES256(f, es, `{"alg":"ES256"}`, claims))
	f.Add(signEd(ed, `{"alg":"EdDSA"}`, claims))
	f.Add(signHS256(hs, `{"alg":"HS256"}`, claims))
	f.Add(signHS256(hs, `{"alg":"HS256","crit":["x"],"x":1}`, claims))
	f.Add(signHS256(hs, `{"alg":"HS256","alg":"HS256"}`, claims))
	f.Add(signHS256(hs, `{"alg":"none"}`, claims))

	rsaJWK := gjson.Get(string(vs["rfc7515_a2_rs256"].JWKS), "keys.0").Raw
	edJWK := gjson.Get(string(vs["rfc8037_a4_eddsa"].JWKS), "keys.0").Raw
	js := `{"providers":[{"name":"p","algorithms":["ES256","EdDSA","HS256","RS256"],"required_claims":[],"jwks":{"keys":[` +
		jwkOf("es", &es.PublicKey) + `,` + edJWK + `,` + rsaJWK + `,{"kty":"oct","k":"` + enc(hs) + `"}]}}]}`
	c := mustConfig(f, js)
	p := c.Providers[0]
	var rsaPub *rsa.PublicKey
	for _, k := range p.Inline.Keys {
		if k.Family == FamilyRSA {
			rsaPub = k.rsa
		}
	}
	keyFor := map[jose.SignatureAlgorithm]any{
		jose.ES256: &es.PublicKey, jose.EdDSA: ed.Public().(ed25519.PublicKey), jose.HS256: hs, jose.RS256: rsaPub,
	}
	algs := []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.HS256, jose.RS256}
	_ = (*ecdsa.PublicKey)(nil)

	f.Fuzz(func(t *testing.T, tok string) {
		rt := New(c, nil)
		_, ours := rt.Verify("p", tok, rfcNow)

		// Theirs: signature, then the time claims as a JWT library would.
		theirs := false
		if sig, err := jose.ParseSignedCompact(tok, algs); err == nil && len(sig.Signatures) == 1 {
			if payload, err := sig.Verify(keyFor[jose.SignatureAlgorithm(sig.Signatures[0].Protected.Algorithm)]); err == nil {
				theirs = true
				if !strictlyEncoded(tok) || !jsonObject(payload) {
					if ours == ReasonNone {
						t.Fatalf("apiwarden accepted a token it must refuse: %q", tok)
					}
					return
				}
				pc := gjson.ParseBytes(payload)
				now := float64(rfcNow.Unix())
				if e := pc.Get("exp"); e.Exists() && (e.Type != gjson.Number || now >= e.Num+60) {
					theirs = false
				}
				if e := pc.Get("nbf"); e.Exists() && (e.Type != gjson.Number || now < e.Num-60) {
					theirs = false
				}
				if e := pc.Get("iat"); e.Exists() && (e.Type != gjson.Number || now < e.Num-60) {
					theirs = false
				}
				if s := pc.Get("sub"); s.Exists() && s.Type != gjson.String {
					theirs = false
				}
			}
		}
		if !theirs && !strictlyEncoded(tok) {
			if ours == ReasonNone {
				t.Fatalf("apiwarden accepted a non-canonical token: %q", tok)
			}
			return
		}
		if (ours == ReasonNone) != theirs {
			t.Fatalf("disagreement on %q: apiwarden %q, go-jose accepted=%v", tok, ours, theirs)
		}
	})
}

// strictlyEncoded reports whether tok is three canonical base64url
// segments.
func strictlyEncoded(tok string) bool {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			if !tokenByte[p[i]] {
				return false
			}
		}
		if _, err := base64.RawURLEncoding.Strict().DecodeString(p); err != nil {
			return false
		}
	}
	return true
}

func jsonObject(b []byte) bool {
	if !gjson.ValidBytes(b) {
		return false
	}
	r := gjson.ParseBytes(b)
	return r.IsObject() && !dupKeys(r)
}

var _ = time.Second
