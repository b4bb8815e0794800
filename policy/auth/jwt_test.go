package auth

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func providerConfig(name, jwks string, algs string, extra string) string {
	return fmt.Sprintf(`{"providers":[{"name":%q,"algorithms":[%s],"jwks":%s%s}]}`, name, algs, jwks, extra)
}

// TestRFCExamples verifies the RFC 7515 appendix A.1-A.3 tokens with
// their keys at a fixed clock, and the RFC 8037 A.4 Ed25519 JWS (whose
// payload is text, so the JWS verifies and the JWT is malformed).
func TestRFCExamples(t *testing.T) {
	for name, v := range rfcVectors(t) {
		t.Run(name, func(t *testing.T) {
			c := mustConfig(t, providerConfig("p", string(v.JWKS), `"`+v.Alg+`"`, `,"issuer":"joe"`))
			rt := New(c, nil)
			p := c.Providers[0]
			j, r := parseJWS(v.Token, p.MaxTokenBytes, p.Algorithms)
			require.Equal(t, ReasonNone, r)
			_, r = j.verifyWith(p.Inline)
			require.Equal(t, ReasonNone, r, "signature")
			pr, r := rt.Verify("p", v.Token, rfcNow)
			if v.Text != "" {
				assert.Equal(t, v.Text, string(j.payload))
				assert.Equal(t, ReasonMalformed, r)
				return
			}
			require.Equal(t, ReasonNone, r)
			assert.True(t, pr.Claim("http://example.com/is_root").Bool())
			assert.Equal(t, time.Unix(v.Exp, 0), pr.ExpiresAt)
			// The same token after its exp (+60 s skew) is expired.
			_, r = New(c, nil).Verify("p", v.Token, time.Unix(v.Exp+61, 0))
			assert.Equal(t, ReasonExpired, r)
			// One flipped signature bit is a bad signature.
			bad := v.Token[:len(v.Token)-2] + flip(v.Token[len(v.Token)-2]) + v.Token[len(v.Token)-1:]
			_, r = New(c, nil).Verify("p", bad, rfcNow)
			assert.Equal(t, ReasonBadSignature, r)
		})
	}
}

func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

// TestHostileTokens is the table of malformed and hostile tokens, each
// refused with its own reason.
func TestHostileTokens(t *testing.T) {
	vs := rfcVectors(t)
	es := rfcES256Key(t)
	ed := rfcEdKey(t)
	rsa := vs["rfc7515_a2_rs256"]
	now := time.Unix(1_800_000_000, 0)
	exp := fmt.Sprint(now.Unix() + 600)
	claims := `{"iss":"https://idp","aud":"bank","sub":"7","exp":` + exp + `}`
	esJWK := jwkOf("es", &es.PublicKey)
	edJWK := `{"kty":"OKP","crv":"Ed25519","kid":"ed","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`
	rsaJWK := strings.Replace(string(rsa.JWKS), `"kty"`, `"kid":"rs","kty"`, 1)
	rsaJWK = strings.TrimSuffix(strings.TrimPrefix(rsaJWK, `{"keys": [`), `]}`)
	cfgJS := `{"providers":[{"name":"p","issuer":"https://idp","audiences":["bank","other"],
	  "algorithms":["ES256","EdDSA","RS256"],"jwks":{"keys":[` + esJWK + `,` + edJWK + `,` + rsaJWK + `]}}]}`
	c := mustConfig(t, cfgJS)
	good := signES256(t, es, `{"alg":"ES256","kid":"es"}`, claims)
	rsaN := mustDec(t, strings.Split(strings.Split(string(rsa.JWKS), `"n": "`)[1], `"`)[0])
	okEd := signEd(ed, `{"alg":"EdDSA","kid":"ed"}`, claims)
	parts := strings.Split(good, ".")
	with := func(claims string) string { return signES256(t, es, `{"alg":"ES256","kid":"es"}`, claims) }
	cases := []struct {
		name, tok string
		want      Reason
	}{
		{"valid ES256", good, ReasonNone},
		{"valid EdDSA", okEd, ReasonNone},
		{"aud array any-of", with(`{"iss":"https://idp","aud":["x","other"],"exp":` + exp + `}`), ReasonNone},
		{"two segments", parts[0] + "." + parts[1], ReasonMalformed},
		{"four segments", good + ".x", ReasonMalformed},
		{"JWE-like five segments", "a.b.c.d.e", ReasonMalformed},
		{"padding", good + "==", ReasonMalformed},
		{"line break in base64", parts[0] + ".\n" + parts[1] + "." + parts[2], ReasonMalformed},
		{"standard base64 alphabet", parts[0] + "." + parts[1] + "." + strings.ReplaceAll(strings.ReplaceAll(parts[2], "-", "+"), "_", "/") + "+", ReasonMalformed},
		{"non-canonical trailing bits", nonCanonical(good), ReasonMalformed},
		{"empty signature", parts[0] + "." + parts[1] + ".", ReasonMalformed},
		{"header not JSON", enc([]byte("{alg")) + "." + parts[1] + "." + parts[2], ReasonMalformed},
		{"header an array", enc([]byte(`["ES256"]`)) + "." + parts[1] + "." + parts[2], ReasonMalformed},
		{"alg not a string", enc([]byte(`{"alg":1}`)) + "." + parts[1] + "." + parts[2], ReasonMalformed},
		{"no alg", enc([]byte(`{"kid":"es"}`)) + "." + parts[1] + "." + parts[2], ReasonMalformed},
		{"duplicate header keys", signES256(t, es, `{"alg":"ES256","kid":"es","kid":"ed"}`, claims), ReasonMalformed},
		{"duplicate header keys escaped", signES256(t, es, `{"alg":"ES256","kid":"es","\u006bid":"ed"}`, claims), ReasonMalformed},
		{"alg none", enc([]byte(`{"alg":"none"}`)) + "." + parts[1] + ".", ReasonMalformed},
		{"alg none with signature", enc([]byte(`{"alg":"none"}`)) + "." + parts[1] + "." + parts[2], ReasonAlgNotAllowed},
		{"alg outside allow-list", signHS256(rfcHSKey(t), `{"alg":"HS256"}`, claims), ReasonAlgNotAllowed},
		{"HS256 signed with the RSA public key", signHS256(rsaN, `{"alg":"HS256","kid":"rs"}`, claims), ReasonAlgNotAllowed},
		{"alg unknown", enc([]byte(`{"alg":"ES256K"}`)) + "." + parts[1] + "." + parts[2], ReasonAlgNotAllowed},
		{"EdDSA header on the EC key", signEd(ed, `{"alg":"EdDSA","kid":"es"}`, claims), ReasonAlgKeyMismatch},
		{"crit", signES256(t, es, `{"alg":"ES256","kid":"es","crit":["exp"],"exp":1}`, claims), ReasonUnsupportedCrit},
		{"b64 false", signES256(t, es, `{"alg":"ES256","kid":"es","b64":false,"crit":["b64"]}`, claims), ReasonUnsupportedCrit},
		{"unknown kid", signES256(t, es, `{"alg":"ES256","kid":"nope"}`, claims), ReasonUnknownKey},
		{"embedded jwk is not trusted", signES256(t, newES256(t), `{"alg":"ES256","kid":"es","jwk":`+esJWK+`}`, claims), ReasonBadSignature},
		{"bad signature", parts[0] + "." + parts[1] + "." + enc(make([]byte, 64)), ReasonBadSignature},
		{"other key", signES256(t, newES256(t), `{"alg":"ES256","kid":"es"}`, claims), ReasonBadSignature},
		{"payload swapped", parts[0] + "." + enc([]byte(strings.Replace(claims, `"7"`, `"8"`, 1))) + "." + parts[2], ReasonBadSignature},
		{"EdDSA signature on the ES256 input", parts[0] + "." + parts[1] + "." + strings.Split(okEd, ".")[2], ReasonBadSignature},
		{"expired", with(`{"iss":"https://idp","aud":"bank","exp":` + fmt.Sprint(now.Unix()-61) + `}`), ReasonExpired},
		{"expired within skew is valid", with(`{"iss":"https://idp","aud":"bank","exp":` + fmt.Sprint(now.Unix()-59) + `}`), ReasonNone},
		{"not yet valid", with(`{"iss":"https://idp","aud":"bank","exp":` + exp + `,"nbf":` + fmt.Sprint(now.Unix()+120) + `}`), ReasonNotYetValid},
		{"issued in the future", with(`{"iss":"https://idp","aud":"bank","exp":` + exp + `,"iat":` + fmt.Sprint(now.Unix()+120) + `}`), ReasonIssuedInFuture},
		{"wrong issuer", with(`{"iss":"https://evil","aud":"bank","exp":` + exp + `}`), ReasonWrongIssuer},
		{"issuer not a string", with(`{"iss":1,"aud":"bank","exp":` + exp + `}`), ReasonWrongIssuer},
		{"wrong audience", with(`{"iss":"https://idp","aud":"shop","exp":` + exp + `}`), ReasonWrongAudience},
		{"no audience", with(`{"iss":"https://idp","exp":` + exp + `}`), ReasonWrongAudience},
		{"no exp (required by default)", with(`{"iss":"https://idp","aud":"bank"}`), ReasonMissingClaim},
		{"exp a string", with(`{"iss":"https://idp","aud":"bank","exp":"` + exp + `"}`), ReasonMalformed},
		{"payload not an object", with(`[1]`), ReasonMalformed},
		{"duplicate claims", with(`{"iss":"https://idp","aud":"bank","exp":` + exp + `,"sub":"7","sub":"8"}`), ReasonMalformed},
		{"oversized", signES256(t, es, `{"alg":"ES256","kid":"es"}`, `{"x":"`+strings.Repeat("a", 8192)+`"}`), ReasonOversized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, r := New(c, nil).Verify("p", tc.tok, now)
			assert.Equal(t, tc.want, r)
		})
	}
}

// nonCanonical changes the last signature character to one that decodes
// to the same bytes with non-zero unused bits.
func nonCanonical(tok string) string {
	// A 64-byte signature is 86 characters: the last carries 2 bits of
	// data and 4 unused ones.
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alpha, tok[len(tok)-1])
	return tok[:len(tok)-1] + string(alpha[last|1])
}

func TestHSNeedsAConfiguredSecret(t *testing.T) {
	_, err := ParseJSON([]byte(providerConfig("p", `{"keys":[`+jwkOf("a", &newES256(t).PublicKey)+`]}`, `"HS256"`, "")), "auth")
	require.ErrorContains(t, err, `auth.providers[0]: algorithm HS256 needs an "oct" key in "jwks"`)
	_, err = ParseJSON([]byte(`{"providers":[{"name":"p","algorithms":["HS256"],"remote_jwks":{"cluster":"idp","uri":"https://idp/jwks"}}]}`), "auth")
	require.ErrorContains(t, err, "secrets are never fetched")
	_, err = ParseJSON([]byte(providerConfig("p", `{"keys":[{"kty":"oct","k":"c2hvcnQ"}]}`, `"HS256"`, "")), "auth")
	require.ErrorContains(t, err, "auth.providers[0].jwks: keys[0]: k: secret of 5 bytes, want at least 32")
}

func TestRSAHSConfusionWithBothAllowed(t *testing.T) {
	// A provider allowing RS256 and HS256 (with a secret) still refuses an
	// HS256 token whose kid selects the RSA key.
	vs := rfcVectors(t)
	rsa := vs["rfc7515_a2_rs256"]
	n := strings.Split(strings.Split(string(rsa.JWKS), `"n": "`)[1], `"`)[0]
	js := `{"keys":[{"kty":"RSA","kid":"rs","e":"AQAB","n":"` + n + `"},{"kty":"oct","kid":"hs","k":"` + enc(rfcHSKey(t)) + `"}]}`
	c := mustConfig(t, providerConfig("p", js, `"RS256","HS256"`, ""))
	tok := signHS256(mustDec(t, n), `{"alg":"HS256","kid":"rs"}`, `{"exp":1900000000}`)
	_, r := New(c, nil).Verify("p", tok, rfcNow)
	assert.Equal(t, ReasonAlgKeyMismatch, r)
	tok = signHS256(rfcHSKey(t), `{"alg":"HS256","kid":"hs"}`, `{"exp":1900000000}`)
	_, r = New(c, nil).Verify("p", tok, rfcNow)
	assert.Equal(t, ReasonNone, r)
}

func TestPrincipalClaimsAndHashes(t *testing.T) {
	es := newES256(t)
	c := mustConfig(t, providerConfig("p", `{"keys":[`+jwkOf("k", &es.PublicKey)+`]}`, `"ES256"`, ""))
	tok := signES256(t, es, `{"alg":"ES256","kid":"k"}`, `{"sub":"42","jti":"abc","scope":"a b","accounts":["ACC-1",2],"exp":1900000000,"client_id":"app"}`)
	pr, r := New(c, nil).Verify("p", tok, rfcNow)
	require.Equal(t, ReasonNone, r)
	assert.Equal(t, "42", pr.Subject)
	assert.Equal(t, "app", pr.ClientID)
	assert.Equal(t, []string{"a", "b"}, pr.Scopes())
	assert.Equal(t, []string{"ACC-1", "2"}, pr.ClaimStrings("accounts"))
	assert.Equal(t, HashID("42"), pr.SubjectHash)
	assert.Equal(t, HashID("abc"), pr.TokenIDHash)
	assert.Len(t, pr.SubjectHash, 32)
	assert.NotContains(t, pr.SubjectHash+pr.TokenIDHash, "42")
}
