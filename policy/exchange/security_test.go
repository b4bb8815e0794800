package exchange

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/apiwarden/apiwarden/policy/auth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// hsToken signs claims (JSON) with HS256 under kid "k1".
func hsToken(claims string) string {
	enc := base64.RawURLEncoding
	si := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT","kid":"k1"}`)) + "." + enc.EncodeToString([]byte(claims))
	m := hmac.New(sha256.New, testSecret)
	m.Write([]byte(si))
	return si + "." + enc.EncodeToString(m.Sum(nil))
}

// securityConfig is testConfig plus users' accounts, a login endpoint, an
// internal route, authentication and abuse controls.
func securityConfig(extra ...string) string {
	k := base64.RawURLEncoding.EncodeToString(testSecret)
	return strings.Replace(testConfig(append([]string{`
  "session": {"from": ["jwt:sub", "header:x-session-id"]},
  "auth": {
    "realm": "bank",
    "providers": [{"name": "bank", "issuer": "https://idp", "audiences": ["bank-api"], "algorithms": ["HS256"],
                   "jwks": {"keys": [{"kty": "oct", "kid": "k1", "k": "` + k + `"}]},
                   "claim_headers": {"sub": "x-user-id"}}],
    "default": [{"bank": []}],
    "endpoints": {
      "login": {"requires": []},
      "internal_stats": {"requires": []},
      "list_accounts": {"objects": [{"param": "user_id", "claim": "sub"}]},
      "transfer": {"scopes": ["transfer"], "objects": [{"pointer": "/from", "claim_member": "accounts"}]}
    }
  },
  "abuse": {
    "rate_limits": [{"id": "per-session", "key": ["session"], "rate": "5/m", "endpoints": ["get_balance"]}],
    "failures": [{"id": "login-failures", "key": ["body:/username"], "endpoints": ["login"], "on": {"status": [401]},
                  "max_failures": 3, "window": "15m", "lockout": "1m"}],
    "internal": {"endpoints": ["internal_stats"], "cidrs": ["10.0.0.0/8"]}
  }`}, extra...)...), `"endpoints": [`, `"endpoints": [
    {"id": "list_accounts", "method": "GET", "path": "/users/{user_id}/accounts"},
    {"id": "login", "method": "POST", "path": "/login", "request": {"content_types": ["application/json"],
     "body_schema": {"type": "object", "required": ["username"], "properties": {"username": {"type": "string"}}}}},
    {"id": "internal_stats", "method": "GET", "path": "/internal/stats"},`, 1)
}

func bearer(claims string) [2]string { return [2]string{"authorization", "Bearer " + hsToken(claims)} }

const user7 = `{"iss":"https://idp","aud":"bank-api","sub":"7","accounts":["ACC-7"],"scope":"read transfer","exp":4102444800}`

func TestAuthenticationInTheExchange(t *testing.T) {
	rt, _ := newRuntime(t, securityConfig())
	var x Exchange

	rt.Begin(&x)
	st := x.RequestHeaders(req("GET", "/balance"), true, Addr("1.2.3.4:5"))
	require.NotNil(t, st.Reply, "no token")
	assert.Equal(t, 401, st.Reply.Status)
	assert.Contains(t, st.Reply.Headers, [2]string{"www-authenticate", `Bearer realm="bank"`})
	assert.Contains(t, string(st.Reply.Body), `"rule":"missing-credentials"`)

	rt.Begin(&x)
	st = x.RequestHeaders(req("GET", "/balance", bearer(strings.Replace(user7, "4102444800", "1000", 1))), true, Addr("1.2.3.4:5"))
	require.NotNil(t, st.Reply, "expired")
	assert.Contains(t, st.Reply.Headers, [2]string{"www-authenticate", `Bearer realm="bank", error="invalid_token"`})
	assert.Contains(t, string(st.Reply.Body), `"rule":"expired"`)
	assert.NotContains(t, logsText(st), hsToken(user7)[:20], "the token is never logged")

	rt.Begin(&x)
	st = x.RequestHeaders(req("GET", "/balance", bearer(user7), [2]string{"x-user-id", "1"}), true, Addr("1.2.3.4:5"))
	require.Nil(t, st.Reply, string(logsText(st)))
	assert.Subset(t, edits(st), []string{"-x-user-id", "x-user-id=7"}, "a client's copy of a claim header never passes")

	// Object level: user 7 reads only user 7's accounts.
	rt.Begin(&x)
	st = x.RequestHeaders(req("GET", "/users/7/accounts", bearer(user7)), true, Addr("1.2.3.4:5"))
	assert.Nil(t, st.Reply)
	rt.Begin(&x)
	st = x.RequestHeaders(req("GET", "/users/8/accounts", bearer(user7)), true, Addr("1.2.3.4:5"))
	require.NotNil(t, st.Reply)
	assert.Equal(t, 403, st.Reply.Status)
	assert.Contains(t, string(st.Reply.Body), `"rule":"object-not-owned"`)
	assert.Contains(t, logsText(st), `"apiwarden.rule":"object-not-owned"`)

	// A body binding is checked once the body passed.
	for from, want := range map[string]int{"ACC-7": 0, "ACC-8": 403} {
		rt.Begin(&x)
		st = x.RequestHeaders(req("POST", "/transfer", bearer(user7), [2]string{"content-type", "application/json"}), false, Addr("1.2.3.4:5"))
		require.Nil(t, st.Reply)
		b := fmt.Sprintf(`{"amount":1,"from":%q}`, from)
		st = x.RequestBody(len(b), true, body{b: b})
		if want == 0 {
			assert.Nil(t, st.Reply, from)
		} else {
			require.NotNil(t, st.Reply, from)
			assert.Equal(t, want, st.Reply.Status)
		}
	}
}

// TestFunctionLevelScope: a token without the endpoint's scope is refused
// 403 insufficient_scope, naming the scope.
func TestFunctionLevelScope(t *testing.T) {
	rt, _ := newRuntime(t, securityConfig())
	var x Exchange
	rt.Begin(&x)
	st := x.RequestHeaders(req("POST", "/transfer", bearer(strings.Replace(user7, "read transfer", "read", 1)),
		[2]string{"content-type", "application/json"}), false, Addr("1.2.3.4:5"))
	require.NotNil(t, st.Reply)
	assert.Equal(t, 403, st.Reply.Status)
	assert.Contains(t, string(st.Reply.Body), `"rule":"insufficient-scope"`)
	assert.Contains(t, st.Reply.Headers, [2]string{"www-authenticate", `Bearer realm="bank", error="insufficient_scope", scope="transfer"`})
}

func TestVerifiedSessionKey(t *testing.T) {
	rt, _ := newRuntime(t, securityConfig())
	var x Exchange
	// A forged token (bad signature) names no session: the refusal's
	// event carries the header session, not the forged subject's.
	forged := hsToken(user7)
	forged = forged[:len(forged)-4] + "AAAA"
	rt.Begin(&x)
	x.RequestHeaders(req("GET", "/balance", [2]string{"authorization", "Bearer " + forged}, [2]string{"x-session-id", "s1"}), true, Addr("1.2.3.4:5"))
	assert.Equal(t, rt.sessions.Hash("s1"), x.sessionHash)

	rt.Begin(&x)
	x.RequestHeaders(req("GET", "/balance", bearer(user7), [2]string{"x-session-id", "s1"}), true, Addr("1.2.3.4:5"))
	assert.Equal(t, rt.sessions.Hash("7"), x.sessionHash, "the verified subject is the session")
}

func TestRateLimitInTheExchange(t *testing.T) {
	rt, _ := newRuntime(t, securityConfig())
	var x Exchange
	refused := 0
	var last Step
	for i := 0; i < 8; i++ {
		rt.Begin(&x)
		st := x.RequestHeaders(req("GET", "/balance", bearer(user7)), true, Addr("1.2.3.4:5"))
		if st.Reply != nil {
			refused++
			last = st
		}
		x.Done()
	}
	assert.Equal(t, 3, refused, "a burst of 5, then refusals")
	require.NotNil(t, last.Reply)
	assert.Equal(t, 429, last.Reply.Status)
	h := map[string]string{}
	for _, kv := range last.Reply.Headers {
		h[kv[0]] = kv[1]
	}
	assert.NotEmpty(t, h["retry-after"])
	assert.Equal(t, `"per-session";q=5;w=60`, h["ratelimit-policy"])
	assert.Contains(t, string(last.Reply.Body), `"rule":"per-session"`)
}

// TestFailureLimitInTheExchange: 401s from the upstream for one username
// lock it, whatever address the attempts come from.
func TestFailureLimitInTheExchange(t *testing.T) {
	rt, _ := newRuntime(t, securityConfig())
	var x Exchange
	login := func(i int, user string, upstream int) *Reply {
		rt.Begin(&x)
		st := x.RequestHeaders(req("POST", "/login", [2]string{"content-type", "application/json"}), false, Addr(fmt.Sprintf("192.0.2.%d:1", i)))
		require.Nil(t, st.Reply)
		b := `{"username":"` + user + `"}`
		st = x.RequestBody(len(b), true, body{b: b})
		if st.Reply != nil {
			x.Done()
			return st.Reply
		}
		x.ResponseHeaders(status(upstream), true)
		x.Done()
		return nil
	}
	for i := 0; i < 3; i++ {
		assert.Nil(t, login(i, "alice", 401), "attempt %d reaches the upstream", i)
	}
	r := login(9, "alice", 401)
	require.NotNil(t, r, "alice is locked out")
	assert.Equal(t, 429, r.Status)
	assert.Contains(t, string(r.Body), `"rule":"login-failures"`)
	assert.Nil(t, login(10, "bob", 200), "another user is not")
}

func TestInternalRouteInTheExchange(t *testing.T) {
	rt, _ := newRuntime(t, securityConfig())
	var x Exchange
	rt.Begin(&x)
	st := x.RequestHeaders(req("GET", "/internal/stats"), true, Addr("203.0.113.9:1"))
	require.NotNil(t, st.Reply)
	assert.Equal(t, 404, st.Reply.Status)
	assert.NotContains(t, string(st.Reply.Body), "internal", "the answer does not say why")
	assert.Contains(t, logsText(st), `"apiwarden.rule":"internal"`)

	rt.Begin(&x)
	st = x.RequestHeaders(req("GET", "/internal/stats?x=1"), true, Addr("203.0.113.9:1"))
	require.NotNil(t, st.Reply, "a bad request to an internal route is still a 404")
	assert.Equal(t, 404, st.Reply.Status)

	rt.Begin(&x)
	st = x.RequestHeaders(req("GET", "/internal/stats"), true, Addr("10.1.2.3:1"))
	assert.Nil(t, st.Reply, "from inside")
}

// TestInternalRouteThroughPathTricks: the internal-route rule sees the
// path the router matched, so no spelling of it reaches the route from
// outside. Each spelling either normalises to the internal route (404) or
// is refused as a path (400) or matches nothing (403): never forwarded.
func TestInternalRouteThroughPathTricks(t *testing.T) {
	rt, _ := newRuntime(t, securityConfig())
	var x Exchange
	for _, p := range []string{
		"/internal/stats", "/internal/stats/", "//internal/stats", "/internal//stats", "/./internal/stats",
		"/x/../internal/stats", "/internal/./stats", "/%69nternal/stats", "/internal/%73tats",
		"/internal%2fstats", "/x/%2e%2e/internal/stats", "/INTERNAL/stats", "/internal/stats;x=1",
		"/internal/stats%00", "/internal/stats?", "/internal/stats#frag",
	} {
		rt.Begin(&x)
		st := x.RequestHeaders(req("GET", p), true, Addr("203.0.113.9:1"))
		require.NotNil(t, st.Reply, "%s is forwarded from outside", p)
		assert.Contains(t, []int{400, 403, 404}, st.Reply.Status, p)
		if st.Reply.Status == 404 {
			continue
		}
		// From inside the same spelling is refused too: the refusal is
		// the path's, not the route's.
		rt.Begin(&x)
		in := x.RequestHeaders(req("GET", p), true, Addr("10.1.2.3:1"))
		assert.NotNil(t, in.Reply, "%s: refused from outside (%d) but forwarded from inside", p, st.Reply.Status)
	}
}

// TestAbsentHeadersAreNotRemoved: removing a header the request does not
// carry is a host call for nothing; one it carries is removed.
func TestAbsentHeadersAreNotRemoved(t *testing.T) {
	rt, _ := newRuntime(t, securityConfig())
	var x Exchange
	rt.Begin(&x)
	st := x.RequestHeaders(req("GET", "/balance", bearer(user7)), true, Addr("1.2.3.4:5"))
	require.Nil(t, st.Reply)
	assert.NotContains(t, edits(st), "-x-user-id")
	assert.Contains(t, edits(st), "x-user-id=7")
	rt.Begin(&x)
	st = x.RequestHeaders(req("GET", "/balance", bearer(user7), [2]string{"x-user-id", "8"}), true, Addr("1.2.3.4:5"))
	assert.Contains(t, edits(st), "-x-user-id")
}

// TestAPIKeyClientIsTheAbuseKey: an API key authenticates a partner
// (only its digest is configured), and its client id keys a rate limit:
// two partners have two budgets, an unknown key is refused 401.
func TestAPIKeyClientIsTheAbuseKey(t *testing.T) {
	cfg := `{"unknown_endpoints": "block",
	  "endpoints": [{"id": "get_balance", "method": "GET", "path": "/balance"}],
	  "auth": {"api_keys": [{"name": "partner", "header": "x-api-key", "keys": {
	      "e3a9ab3072756cb2b404980ba837bec9a0931d8b35ae3b406e5f0246d4cf7033": "partner-a",
	      "` + auth.Digest("partner-key-b-0123456789") + `": "partner-b"}}],
	    "default": [{"partner": []}]},
	  "abuse": {"rate_limits": [{"id": "per-partner", "key": ["client_id"], "rate": "2/1h"}]}}`
	rt, _ := newRuntime(t, cfg)
	var x Exchange
	call := func(key string) int {
		rt.Begin(&x)
		st := x.RequestHeaders(req("GET", "/balance", [2]string{"x-api-key", key}), true, Addr("1.2.3.4:5"))
		x.Done()
		if st.Reply != nil {
			return st.Reply.Status
		}
		return 200
	}
	assert.Equal(t, []int{200, 200, 429}, []int{call("partner-key-0123456789"), call("partner-key-0123456789"), call("partner-key-0123456789")})
	assert.Equal(t, 200, call("partner-key-b-0123456789"), "another client, another budget")
	assert.Equal(t, 401, call("not-a-key"))
	assert.Equal(t, 401, call(""))
}

// TestEventsNameTheForwardedClient: behind trusted proxies (abuse
// trusted_hops), an event's client.address is the forwarded-for address
// the limits key on, not the proxy's.
func TestEventsNameTheForwardedClient(t *testing.T) {
	rt, _ := newRuntime(t, testConfig(`"abuse": {"trusted_hops": 1, "rate_limits": [{"id": "c", "key": ["client"], "rate": "1/1h"}]}`))
	var x Exchange
	for i := 0; i < 2; i++ {
		rt.Begin(&x)
		st := x.RequestHeaders(req("GET", "/balance", [2]string{"x-forwarded-for", "198.51.100.7"}), true, Addr("10.0.0.2:4000"))
		if i == 1 {
			require.NotNil(t, st.Reply)
			assert.Contains(t, logsText(st), `"client.address":"198.51.100.7"`)
		}
		x.Done()
	}
}

// TestSeveralFindingsCountTheRequestOnce: a monitor-mode authentication
// refusal and a rate limit that only logs both report, and the request
// is counted once, by its first finding.
func TestSeveralFindingsCountTheRequestOnce(t *testing.T) {
	rt, _ := newRuntime(t, testConfig(`"auth": {"mode": "monitor", "api_keys": [{"name": "k", "header": "x-api-key",
	    "keys": {"`+auth.Digest("some-key-0123456789")+`": "c"}}], "default": [{"k": []}]},
	  "abuse": {"rate_limits": [{"id": "tiny", "key": ["client"], "rate": "1/1h", "burst": 1, "action": "log"}]}`))
	var x Exchange
	for i := 0; i < 2; i++ {
		rt.Begin(&x)
		st := x.RequestHeaders(req("GET", "/balance"), true, Addr("1.2.3.4:5"))
		require.Nil(t, st.Reply, "monitor and log let it through")
		x.Done()
		if i == 1 {
			text := logsText(st)
			assert.Contains(t, text, `"apiwarden.rule":"missing-credentials"`)
			assert.Contains(t, text, `"apiwarden.rule":"tiny"`)
			tick := Step{Metrics: rt.Tick().Metrics}
			assert.EqualValues(t, 2, metricValue(rt, tick, "apiwarden.requests.get_balance.log"), "each request counted once")
			assert.EqualValues(t, 0, metricValue(rt, tick, "apiwarden.requests.get_balance.allow"))
			assert.EqualValues(t, 1, metricValue(rt, tick, "apiwarden.rule.tiny.log"), "the second request only")
		}
	}
}

// TestKeySetCalloutFromTheTick: with a remote key set, the tick asks
// for one callout (cluster, GET, path and authority from the uri); the
// answer's headers and body complete it, and tokens then verify. A
// failed callout leaves the provider without keys, so failure_mode
// (open) lets a request through.
func TestKeySetCalloutFromTheTick(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	pub, err := key.PublicKey.Bytes()
	require.NoError(t, err)
	enc := base64.RawURLEncoding
	jwks := `{"keys":[{"kty":"EC","crv":"P-256","kid":"e1","alg":"ES256","x":"` + enc.EncodeToString(pub[1:33]) + `","y":"` + enc.EncodeToString(pub[33:]) + `"}]}`
	si := enc.EncodeToString([]byte(`{"alg":"ES256","kid":"e1"}`)) + "." + enc.EncodeToString([]byte(`{"iss":"https://idp","sub":"7","exp":4102444800}`))
	d := sha256.Sum256([]byte(si))
	r, s, err := ecdsa.Sign(rand.Reader, key, d[:])
	require.NoError(t, err)
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	tok := si + "." + enc.EncodeToString(sig)

	cfg := testConfig(`"auth": {"providers": [{"name": "idp", "issuer": "https://idp", "algorithms": ["ES256"],
	    "remote_jwks": {"cluster": "idp_cluster", "uri": "https://idp.example/keys"}}], "default": [{"idp": []}]}`)
	for _, answered := range []bool{true, false} {
		rt, _ := newRuntime(t, cfg)
		ts := rt.Tick()
		require.Len(t, ts.Callouts, 1)
		c := ts.Callouts[0]
		assert.Equal(t, "idp_cluster", c.Cluster)
		h := Headers(c.Headers)
		assert.Equal(t, "GET", h.Value(":method"))
		assert.Equal(t, "/keys", h.Value(":path"))
		assert.Equal(t, "idp.example", h.Value(":authority"))
		if answered {
			assert.Contains(t, logsText(Step{Logs: rt.CalloutDone(c.ID, [][2]string{{":status", "200"}, {"content-type", "application/json"}}, []byte(jwks))}), "fetched")
		} else {
			assert.Contains(t, logsText(Step{Logs: rt.CalloutFailed(c.ID, "reset")}), "fetch failed")
		}
		assert.Empty(t, rt.CalloutDone(c.ID, nil, nil), "a callout is answered once")
		var x Exchange
		rt.Begin(&x)
		st := x.RequestHeaders(req("GET", "/balance", [2]string{"authorization", "Bearer " + tok}), true, Addr("1.2.3.4:5"))
		assert.Nil(t, st.Reply, "answered %v: verified, or failure_mode open", answered)
		rt.Begin(&x)
		st = x.RequestHeaders(req("GET", "/balance", [2]string{"authorization", "Bearer " + tok[:len(tok)-4] + "AAAA"}), true, Addr("1.2.3.4:5"))
		if answered {
			require.NotNil(t, st.Reply, "a forged signature is refused once keys are there")
			assert.Equal(t, 401, st.Reply.Status)
		} else {
			assert.Nil(t, st.Reply, "without keys, failure_mode open")
			assert.Contains(t, logsText(st), "authentication keys are not available")
		}
	}
}

// TestInternalRouteInMonitorModeReportsOnce: the internal-route rule is
// decided before everything else and not again by the abuse rules.
func TestInternalRouteInMonitorModeReportsOnce(t *testing.T) {
	rt, _ := newRuntime(t, testConfig(`"abuse": {"internal": {"endpoints": ["get_balance"], "cidrs": ["10.0.0.0/8"], "mode": "monitor"},
	  "rate_limits": [{"id": "r", "key": ["client"], "rate": "100/1s"}]}`))
	var x Exchange
	rt.Begin(&x)
	st := x.RequestHeaders(req("GET", "/balance"), true, Addr("203.0.113.9:1"))
	require.Nil(t, st.Reply, "monitor: let through")
	assert.Equal(t, 1, strings.Count(logsText(st), `"apiwarden.rule":"internal"`), logsText(st))
}
