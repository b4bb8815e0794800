package bench

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sync"
	"testing"

	"github.com/apiwarden/apiwarden/examples/bank"
	"github.com/apiwarden/apiwarden/wasmtest"
)

// The cost of authentication and abuse controls through the module:
// get_balance of user 1's own account with user 1's ES256 token, against
// the pass-through module and the bank's positive model (no sequences) in
// the same run. The key set is inline (the demo upstream's), so every
// VM verifies from its first request; the verified-token cache makes the
// steady state a cache hit, which is what a session's requests see.

// securityFixture is one demo upstream, a token of user 1 and user 1's
// first account, shared by the security setups of a test binary.
type securityFixture struct {
	up      http.Handler
	token   string
	account string
	jwks    json.RawMessage
}

var fixture = sync.OnceValues(func() (*securityFixture, error) {
	f := &securityFixture{up: bank.Upstream()}
	var err error
	if f.token, err = bank.Login(f.up, 1); err != nil {
		return nil, err
	}
	res := bank.Serve(f.up, "GET", "/api/v1/users/1/accounts", nil, nil)
	var list struct{ Accounts []struct{ ID string } }
	if err := json.Unmarshal(res.Body, &list); err != nil || len(list.Accounts) == 0 {
		return nil, fmt.Errorf("accounts: %d %s", res.Status, res.Body)
	}
	f.account = list.Accounts[0].ID
	f.jwks = bank.Serve(f.up, "GET", "/.well-known/jwks.json", nil, nil).Body
	return f, nil
})

func securityFixtureFor(tb testing.TB) *securityFixture {
	f, err := fixture()
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// bankAuth is the bank's positive model (no sequences) with its "auth"
// section, the key set inline.
func bankAuth(tb testing.TB) setup {
	f := securityFixtureFor(tb)
	full := fullBankSections(tb)
	return setup{name: "bank-auth", module: modApiwarden, config: bankConfig(tb, func(m map[string]any) {
		delete(m, "sequences")
		a := full["auth"].(map[string]any)
		p := a["providers"].([]any)[0].(map[string]any)
		delete(p, "remote_jwks")
		var ks any
		_ = json.Unmarshal(f.jwks, &ks)
		p["jwks"] = ks
		m["auth"] = a
	})}
}

// bankRateRules is the bank's positive model (no sequences) with n rate
// limits keyed by session, budgets no benchmark spends.
func bankRateRules(tb testing.TB, n int) setup {
	return setup{name: fmt.Sprintf("bank-%d-rate-rules", n), module: modApiwarden, config: bankConfig(tb, func(m map[string]any) {
		delete(m, "sequences")
		var rules []any
		for i := 0; i < n; i++ {
			rules = append(rules, map[string]any{"id": fmt.Sprintf("r%d", i), "key": []any{"session"}, "rate": "1000000/1s"})
		}
		a, _ := m["abuse"].(map[string]any)
		if a == nil {
			a = map[string]any{}
		}
		a["rate_limits"] = rules
		m["abuse"] = a
	})}
}

// fullBankSections is examples/bank/apiwarden.json as shipped.
func fullBankSections(tb testing.TB) map[string]any {
	raw, err := os.ReadFile("../../examples/bank/apiwarden.json")
	if err != nil {
		tb.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		tb.Fatal(err)
	}
	return m
}

func securityScenarios(tb testing.TB) []*scenario {
	f := securityFixtureFor(tb)
	req := balanceRequest()
	req.Path = "/api/v1/accounts/" + f.account + "/balance"
	for i := range req.Headers {
		if req.Headers[i][0] == "authorization" {
			req.Headers[i][1] = "Bearer " + f.token
		}
	}
	up := func(r *wasmtest.UpstreamRequest) *wasmtest.Response {
		return bank.Serve(f.up, r.Method, r.Path, r.Headers, r.Body)
	}
	var out []*scenario
	for _, s := range []setup{passthrough(), bankNoSequences(tb), bankAuth(tb), bankRateRules(tb, 1), bankRateRules(tb, 3), bankRateRules(tb, 10)} {
		out = append(out, &scenario{group: "security", setup: s, sessions: sessionIDs(), timed: 0,
			steps: []step{{req: req, up: up, want: 200}}})
	}
	return out
}

// BenchmarkSecurity: a verified token (cached after its first request
// per VM) and one, three and ten rate rules, against pass-through and
// the positive model alone.
func BenchmarkSecurity(b *testing.B) {
	for _, sc := range securityScenarios(b) {
		b.Run(sc.setup.name, sc.run)
	}
}

// TestSecurityCasesBehave: the security cases pass, and the token is
// really verified (a forged one is refused).
func TestSecurityCasesBehave(t *testing.T) {
	for _, sc := range securityScenarios(t) {
		t.Run(sc.setup.name, func(t *testing.T) {
			d := newDriver(t, sc.setup, sc.edit...)
			for i := 0; i < 8; i++ {
				sc.iteration(t, d, i, nil)
			}
			if sc.setup.name != "bank-auth" {
				return
			}
			forged := sc.steps[0].req
			forged.Headers = append([][2]string(nil), forged.Headers...)
			for i := range forged.Headers {
				if forged.Headers[i][0] == "authorization" {
					forged.Headers[i][1] = forged.Headers[i][1][:len(forged.Headers[i][1])-4] + "AAAA"
				}
			}
			d.do(t, &forged, sc.steps[0].up, 401)
		})
	}
}

// tokensOf logs user 1 in n times: n distinct tokens (ES256 signatures
// are randomised).
func tokensOf(tb testing.TB, up http.Handler, n int) []string {
	out := make([]string, n)
	for i := range out {
		tok, err := bank.Login(up, 1)
		if err != nil {
			tb.Fatal(err)
		}
		out[i] = tok
	}
	return out
}

// BenchmarkTokenVerification: a token seen before (the per-VM cache hit
// every request of a session after its first gets) against a token seen
// for the first time (2,048 distinct tokens cycled through a 1,024-entry
// cache: every request verifies an ES256 signature), through the module.
func BenchmarkTokenVerification(b *testing.B) {
	f := securityFixtureFor(b)
	first := tokensOf(b, f.up, 2048)
	for _, c := range []struct {
		name   string
		s      setup
		tokens []string
	}{{"passthrough", passthrough(), []string{f.token}}, {"cached", bankAuth(b), []string{f.token}}, {"first-es256", bankAuth(b), first}} {
		b.Run(c.name, func(b *testing.B) {
			sc := securityScenarios(b)[0]
			req := sc.steps[0].req
			req.Headers = append([][2]string(nil), req.Headers...)
			auth := -1
			for i, h := range req.Headers {
				if h[0] == "authorization" {
					auth = i
				}
			}
			d := newDriver(b, c.s)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				req.Headers[auth][1] = "Bearer " + c.tokens[i%len(c.tokens)]
				d.do(b, &req, sc.steps[0].up, 200)
				i++
			}
		})
	}
}
