package auth

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type bank struct {
	t   *testing.T
	rt  *Runtime
	now time.Time
	tok func(claims string) string
}

func newBank(t *testing.T, extra string) *bank {
	k := newES256(t)
	partner := Digest("partner-secret")
	js := `{"realm":"bank","providers":[{"name":"bearer","issuer":"https://idp","audiences":["bank"],"algorithms":["ES256"],
	   "jwks":{"keys":[` + jwkOf("k", &k.PublicKey) + `]},
	   "sources":[{"header":"authorization"},{"cookie":"at"},{"query":"access_token"}],
	   "claim_headers":{"sub":"x-user-id","accounts":"x-accounts"}}],
	 "api_keys":[{"name":"partner","header":"x-api-key","keys":{"` + partner + `":"partner-co"}}],
	 "default":[{"bearer":[]}],
	 "endpoints":{
	   "auth":{"requires":[]},
	   "list_accounts":{"objects":[{"param":"user_id","claim":"sub"}]},
	   "get_balance":{"requires":[{"bearer":["accounts:read"]},{"partner":[]}],"objects":[{"param":"account_id","claim_member":"accounts"}]},
	   "transfer_funds":{"scopes":["transfer"],"objects":[{"pointer":"/from","template":"ACC-{sub}-*"}]},
	   "admin":{"roles":["admin","ops"]},
	   "both":{"requires":[{"bearer":[],"partner":[]}]},
	   "watch":{"mode":"monitor","scopes":["never"]}` + extra + `}}`
	c := mustConfig(t, js)
	now := time.Unix(1_800_000_000, 0)
	return &bank{t: t, rt: New(c, nil), now: now, tok: func(claims string) string {
		return signES256(t, k, `{"alg":"ES256","kid":"k"}`, fmt.Sprintf(`{"iss":"https://idp","aud":"bank","exp":%d,%s}`, now.Unix()+600, claims))
	}}
}

func (b *bank) auth(ep string, r *Request) Result { return b.rt.Authenticate(ep, r, b.now) }

func TestAuthenticateAnswers(t *testing.T) {
	b := newBank(t, "")
	user := b.tok(`"sub":"7","scope":"accounts:read transfer","accounts":["ACC-7","ACC-8"]`)

	res := b.auth("list_accounts", &Request{Headers: hdrs{}})
	assert.Equal(t, ReasonMissingCredentials, res.Reason)
	assert.Equal(t, 401, res.Status)
	assert.Equal(t, `Bearer realm="bank"`, res.WWWAuthenticate)
	assert.True(t, res.Block)
	assert.Equal(t, []string{"x-accounts", "x-user-id"}, res.RemoveHeaders, "claim headers are removed on every result")
	assert.Empty(t, res.SetHeaders)

	res = b.auth("list_accounts", bearer(user))
	require.Equal(t, ReasonNone, res.Reason)
	assert.Equal(t, "7", res.Principal.Subject)
	assert.Equal(t, [][2]string{{"x-user-id", "7"}, {"x-accounts", "ACC-7,ACC-8"}}, res.SetHeaders)

	res = b.auth("auth", &Request{Headers: hdrs{}})
	assert.Equal(t, ReasonNone, res.Reason, "security: [] is public")
	assert.Equal(t, []string{"x-accounts", "x-user-id"}, res.RemoveHeaders)

	res = b.auth("list_accounts", bearer("garbage"))
	assert.Equal(t, ReasonMalformed, res.Reason)
	assert.Equal(t, `Bearer realm="bank", error="invalid_token"`, res.WWWAuthenticate)

	// Cookie and query sources; two tokens are refused.
	assert.Equal(t, ReasonNone, b.auth("list_accounts", &Request{Headers: hdrs{"cookie": "a=1; at=" + user}}).Reason)
	assert.Equal(t, ReasonNone, b.auth("list_accounts", &Request{Headers: hdrs{}, RawQuery: "x=1&access_token=" + user}).Reason)
	for name, r := range map[string]*Request{
		"header and query":     {Headers: hdrs{"authorization": "Bearer " + user}, RawQuery: "access_token=" + user},
		"two query":            {Headers: hdrs{}, RawQuery: "access_token=" + user + "&access_token=" + user},
		"two cookies":          {Headers: hdrs{"cookie": "at=" + user + "; at=" + user}},
		"joined authorization": {Headers: hdrs{"authorization": "Bearer " + user + ", Bearer " + user}},
	} {
		res := b.auth("list_accounts", r)
		assert.Equal(t, ReasonMultipleCredentials, res.Reason, name)
		assert.Equal(t, 400, res.Status, name)
		assert.Equal(t, ErrInvalidRequest, res.ErrorCode, name)
	}
	assert.Equal(t, ReasonMissingCredentials, b.auth("list_accounts", &Request{Headers: hdrs{"authorization": "Basic " + user}}).Reason)
	assert.Equal(t, ReasonNone, b.auth("list_accounts", &Request{Headers: hdrs{"authorization": "bearer   " + user}}).Reason)

	// OR of alternatives: a bearer with the scope, or the partner key.
	assert.Equal(t, ReasonNone, b.auth("get_balance", bearer(user)).Reason)
	res = b.auth("get_balance", bearer(b.tok(`"sub":"7"`)))
	assert.Equal(t, ReasonInsufficientScope, res.Reason)
	assert.Equal(t, 403, res.Status)
	assert.Equal(t, `Bearer realm="bank", error="insufficient_scope", scope="accounts:read"`, res.WWWAuthenticate)
	res = b.auth("get_balance", &Request{Headers: hdrs{"x-api-key": "partner-secret"}})
	require.Equal(t, ReasonNone, res.Reason)
	assert.Equal(t, KindAPIKey, res.Principal.Kind)
	assert.Equal(t, "partner-co", res.Principal.ClientID)
	res = b.auth("get_balance", &Request{Headers: hdrs{"x-api-key": "guess"}})
	assert.Equal(t, ReasonUnknownAPIKey, res.Reason)

	// AND inside one requirement.
	assert.Equal(t, ReasonMissingCredentials, b.auth("both", bearer(user)).Reason)
	res = b.auth("both", &Request{Headers: hdrs{"authorization": "Bearer " + user, "x-api-key": "partner-secret"}})
	require.Equal(t, ReasonNone, res.Reason)
	assert.Equal(t, "7", res.Principal.Subject)
	assert.Equal(t, "partner-co", res.APIKey.ClientID)

	// Function level: endpoint scopes and roles.
	assert.Equal(t, ReasonNone, b.auth("transfer_funds", bearer(user)).Reason)
	res = b.auth("transfer_funds", bearer(b.tok(`"sub":"7","scp":["accounts:read"]`)))
	assert.Equal(t, ReasonInsufficientScope, res.Reason)
	assert.Equal(t, "transfer", res.Detail)
	assert.Equal(t, ReasonMissingRole, b.auth("admin", bearer(user)).Reason)
	assert.Equal(t, ReasonNone, b.auth("admin", bearer(b.tok(`"sub":"1","roles":["ops"]`))).Reason)

	// Monitor: decided and reported, not blocked; claim headers still set.
	res = b.auth("watch", bearer(user))
	assert.Equal(t, ReasonInsufficientScope, res.Reason)
	assert.False(t, res.Block)
	assert.NotEmpty(t, res.SetHeaders)
}

func TestObjectLevelAuthorization(t *testing.T) {
	b := newBank(t, "")
	c := b.rt.Config()
	user := b.tok(`"sub":"7","accounts":["ACC-7","ACC-8"]`)
	p := b.auth("list_accounts", bearer(user)).Principal
	require.NotNil(t, p)
	param := func(v string) func(string) (string, bool) {
		return func(string) (string, bool) { return v, true }
	}
	cases := []struct {
		ep   string
		r    ObjectRequest
		want Reason
	}{
		{"list_accounts", ObjectRequest{PathParam: param("7")}, ReasonNone},
		{"list_accounts", ObjectRequest{PathParam: param("8")}, ReasonObjectNotOwned},
		{"list_accounts", ObjectRequest{}, ReasonObjectMissing},
		{"get_balance", ObjectRequest{PathParam: param("ACC-8")}, ReasonNone},
		{"get_balance", ObjectRequest{PathParam: param("ACC-9")}, ReasonObjectNotOwned},
		{"transfer_funds", ObjectRequest{Body: []byte(`{"from":"ACC-7-001","to":"X"}`)}, ReasonNone},
		{"transfer_funds", ObjectRequest{Body: []byte(`{"from":"ACC-77-001"}`)}, ReasonObjectNotOwned},
		{"transfer_funds", ObjectRequest{Body: []byte(`{"from":"ACC-7"}`)}, ReasonObjectNotOwned},
		{"transfer_funds", ObjectRequest{Body: []byte(`{"to":"ACC-7-1"}`)}, ReasonObjectMissing},
		{"transfer_funds", ObjectRequest{Body: []byte(`not json`)}, ReasonObjectMissing},
	}
	for i, tc := range cases {
		res := c.AuthorizeObjects(tc.ep, p, &tc.r)
		assert.Equal(t, tc.want, res.Reason, "%d %s", i, tc.ep)
		if tc.want != ReasonNone {
			assert.Equal(t, 403, res.Status)
			assert.True(t, res.Block)
		}
	}
	assert.True(t, c.NeedsBody("transfer_funds"))
	assert.False(t, c.NeedsBody("list_accounts"))
	assert.Equal(t, ReasonObjectNotOwned, c.AuthorizeObjects("list_accounts", nil, &ObjectRequest{PathParam: param("7")}).Reason)
}

func TestTemplateGlob(t *testing.T) {
	parts, err := parseTemplate("ACC-{sub}-*-{tenant}")
	require.NoError(t, err)
	p := &Principal{claims: []byte(`{"sub":"7","tenant":"eu*"}`)}
	assert.True(t, matchTemplate(parts, p, "ACC-7-x-eu*"))
	assert.True(t, matchTemplate(parts, p, "ACC-7--eu*"))
	assert.False(t, matchTemplate(parts, p, "ACC-7-x-euX"), "a claim's '*' is literal")
	assert.False(t, matchTemplate(parts, &Principal{claims: []byte(`{}`)}, "ACC--x-"))
	_, err = parseTemplate("ACC-*")
	assert.ErrorContains(t, err, "names no {claim}")
}

func TestConfigErrorsNamePaths(t *testing.T) {
	_, err := ParseJSON([]byte(`{"providers":[{"name":"p","algorithms":["none","RS256"],"jwks":{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]},
	  "sources":[{"header":"x","cookie":"y"}],"claim_headers":{"sub":"Authorization"},"bogus":1}],
	  "api_keys":[{"name":"k","header":"x-api-key","keys":{"abc":"c"}}],
	  "endpoints":{"e":{"requires":[{"nope":[]}],"objects":[{"param":"a"},{"pointer":"a","claim":"sub"}]}}}`), "auth")
	require.Error(t, err)
	for _, want := range []string{
		`auth.providers[0].bogus: unknown key`,
		`auth.providers[0].algorithms[0]: want one of "RS256"`,
		`auth.providers[0].jwks: keys[0]: n: RSA key of 17 bits, want at least 2048`,
		`auth.providers[0].sources[0]: want exactly one of "header", "cookie" and "query"`,
		`auth.providers[0].claim_headers.sub: want a header name other than host and authorization`,
		`auth.api_keys[0].keys.abc: want the key's SHA-256 as 64 hex digits`,
		`auth.endpoints.e.requires[0].nope: unknown scheme "nope"`,
		`auth.endpoints.e.objects[0]: want exactly one of "claim", "claim_member" and "template"`,
		`auth.endpoints.e.objects[1].pointer: want a JSON pointer starting with '/'`,
	} {
		assert.ErrorContains(t, err, want)
	}
	c := mustConfig(t, `{"endpoints":{"a":{"requires":[]},"b":{"requires":[]}}}`)
	err = c.CheckEndpoints("auth", func(id string) bool { return id == "a" })
	assert.EqualError(t, err, "auth.endpoints.b: unknown endpoint id")
	_, err = ParseJSON([]byte(`{"providers":[{"name":"p","algorithms":["ES256"],"jwks":{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}]}}]}`), "auth")
	assert.ErrorContains(t, err, "private key material")
}

func TestCompileOpenAPI(t *testing.T) {
	c := mustConfig(t, `{"providers":[{"name":"bearerAuth","algorithms":["ES256"],"jwks":{"keys":[`+jwkOf("k", &newES256(t).PublicKey)+`]}},
	  {"name":"oauth","algorithms":["ES256"],"jwks":{"keys":[`+jwkOf("k", &newES256(t).PublicKey)+`]}}],
	  "api_keys":[{"name":"partnerKey","keys":{}}]}`)
	doc := OpenAPISecurity{
		SchemesPath: "openapi.components.securitySchemes",
		Schemes: map[string]SecurityScheme{
			"bearerAuth": {Type: "http", Scheme: "bearer"},
			"oauth":      {Type: "oauth2"},
			"partnerKey": {Type: "apiKey", In: "header", Name: "X-API-Key"},
		},
		Global:     []SecurityRequirement{{"bearerAuth": {}}},
		GlobalPath: "openapi.security",
		Operations: []OperationSecurity{
			{ID: "auth", Security: []SecurityRequirement{}, Path: "openapi.paths./auth.post.security"},
			{ID: "list"},
			{ID: "pay", Security: []SecurityRequirement{{"oauth": {"pay"}, "partnerKey": nil}, {"bearerAuth": nil}}, Path: "openapi.paths./pay.post.security"},
		},
	}
	reqs, err := c.CompileOpenAPI(doc)
	require.NoError(t, err)
	assert.True(t, reqs["auth"].Public())
	assert.Equal(t, [][]SchemeScopes{{{Scheme: "bearerAuth", Scopes: []string{}}}}, reqs["list"].Alternatives)
	assert.Equal(t, [][]SchemeScopes{{{Scheme: "oauth", Scopes: []string{"pay"}}, {Scheme: "partnerKey"}}, {{Scheme: "bearerAuth"}}}, reqs["pay"].Alternatives)
	assert.Equal(t, Source{Kind: FromHeader, Name: "x-api-key"}, c.APIKeys[0].Source, "the apiKey location comes from the document")
	c2 := c.WithOpenAPI(reqs)
	assert.True(t, c2.Endpoints["auth"].Requires.Public())
	assert.Nil(t, c.Endpoints["auth"], "WithOpenAPI copies")

	doc.Schemes["basic"] = SecurityScheme{Type: "http", Scheme: "basic"}
	doc.Schemes["mtls"] = SecurityScheme{Type: "mutualTLS"}
	doc.Schemes["oidc"] = SecurityScheme{Type: "openIdConnect"}
	doc.Operations = append(doc.Operations, OperationSecurity{ID: "x", Security: []SecurityRequirement{{"ghost": nil}}, Path: "openapi.paths./x.get.security"})
	_, err = c.CompileOpenAPI(doc)
	require.Error(t, err)
	for _, want := range []string{
		`openapi.components.securitySchemes.basic.scheme: http scheme "basic" cannot be checked by apiwarden (want bearer)`,
		`openapi.components.securitySchemes.mtls.type: security scheme type "mutualTLS" cannot be checked`,
		`openapi.components.securitySchemes.oidc: openIdConnect scheme needs an auth.providers entry named "oidc"`,
		`openapi.paths./x.get.security[0].ghost: unknown security scheme`,
	} {
		assert.ErrorContains(t, err, want)
	}
}

func TestAPIKeyDigest(t *testing.T) {
	assert.Equal(t, "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b", Digest("secret"))
	k := &APIKeySource{digests: [][32]byte{tokenKey("a"), tokenKey("b")}, clients: []string{"A", "B"}}
	c, ok := k.lookup("b")
	assert.True(t, ok)
	assert.Equal(t, "B", c)
	_, ok = k.lookup("c")
	assert.False(t, ok)
}
