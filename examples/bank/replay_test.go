package bank

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apiwarden/apiwarden/policy"
	"github.com/apiwarden/apiwarden/policy/session"
	"github.com/apiwarden/apiwarden/wasmtest"
)

var (
	moduleOnce sync.Once
	moduleErr  error
)

func module(t *testing.T) string {
	t.Helper()
	out := filepath.Join("..", "..", "build", "apiwarden.wasm")
	moduleOnce.Do(func() { moduleErr = wasmtest.BuildModule(filepath.Join("..", "..", "filter"), out) })
	require.NoError(t, moduleErr)
	return out
}

// headers lets the test hash a session key the way the module does.
type headers [][2]string

func (h headers) Get(name string) string { return policy.Headers(h).Value(name) }

// replayHost is a host for the scenario: the module with cfg, on a
// simulated clock, its callouts (the remote key set) and its upstream
// served by one demo upstream that signs tokens on that clock.
func replayHost(t *testing.T, cfg []byte, profile wasmtest.WASIProfile) (*wasmtest.Host, HostClient) {
	t.Helper()
	clock := wasmtest.NewClock(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC))
	up := NewUpstream(clock.Now)
	host, err := wasmtest.New(context.Background(), wasmtest.Options{ModulePath: module(t), PluginConfig: cfg,
		Workers: 2, PluginName: "apiwarden", RootID: "apiwarden", VMID: "apiwarden",
		WASI: profile, Clock: clock, HTTPCallHandler: Callouts(up)})
	require.NoError(t, err)
	t.Cleanup(func() { host.Close(context.Background()) })
	// The first tick fetches the key set.
	require.NoError(t, host.Advance(time.Second))
	return host, HostClient{Host: host, Upstream: up}
}

// TestSeedScenario is `make demo` as a test: legitimate sessions log in
// and pass untouched; the seed attacker's transfer without a balance read
// and its replays are blocked; the brute force is locked out after five
// failures whatever its addresses; the scrapers with a valid token are
// refused on their first foreign object; the back-office export answers
// 404 from outside.
func TestSeedScenario(t *testing.T) {
	cfg, err := os.ReadFile("apiwarden.json")
	require.NoError(t, err)
	for _, profile := range []wasmtest.WASIProfile{wasmtest.WASIEnvoy133, wasmtest.WASIApril2026} {
		t.Run(profile.String(), func(t *testing.T) {
			host, client := replayHost(t, cfg, profile)
			outs, err := DefaultScenario.Run(client)
			require.NoError(t, err)

			attack, rules := attackOutcomes(t, outs)
			assert.Equal(t, []int{403}, attack["transfer without balance"])
			assert.Equal(t, []int{200}, attack["transfer"])
			assert.Equal(t, []int{403}, attack["replay with modified amount"])
			assert.Equal(t, []int{400}, attack["replay with amount as text"], "the schema refuses it before it counts as a step")
			assert.Equal(t, []int{403}, attack["probe an internal route"])
			assert.Equal(t, []int{404}, attack["call the back-office export"])

			// Brute force: five failures reach the upstream (its own 401),
			// then user7 is locked out for every address.
			bf := attack[StepBruteForce]
			require.Len(t, bf, 30)
			for i, st := range bf {
				if i < 5 {
					assert.Equal(t, 401, st, "attempt %d reaches the upstream", i+1)
					assert.Empty(t, rules[StepBruteForce][i])
				} else {
					assert.Equal(t, 429, st, "attempt %d is refused", i+1)
					assert.Equal(t, "(login-failures)", rules[StepBruteForce][i])
				}
			}
			// Scrapers: refused on the first foreign object, and on every
			// one after it.
			for _, step := range []string{StepBalanceScrape, StepUserScrape} {
				require.NotEmpty(t, attack[step])
				for i, st := range attack[step] {
					assert.Equal(t, 403, st, "%s #%d", step, i+1)
					assert.Equal(t, "(object-not-owned)", rules[step][i])
				}
			}

			// Which sessions did the module report? Session keys are hashed
			// the way the module hashes them.
			p, err := policy.Compile(cfg)
			require.NoError(t, err)
			// The example leaves "salt" empty: the module shares one random
			// salt through shared data.
			sc := p.Session
			sc.Salt = string(host.SharedData()[session.SaltKey(sc.Prefix)])
			sessions := session.New(sc)
			attackers := map[string]bool{}
			for _, id := range []string{"attacker-1", "attacker-2", "attacker-3"} {
				k, _ := sessions.Key(headers{{"x-session-id", id}}, "")
				attackers[k] = true
			}
			// The brute force sends no session id: its session is the
			// connection's address (the example trusts no forwarded-for
			// hop for sessions).
			bySource, _ := sessions.Key(headers{}, "203.0.113.10:40000")
			attackers[bySource] = true
			reported := map[string]int{}
			for _, l := range host.Logs() {
				var ev struct {
					Session string `json:"apiwarden.session"`
					Rule    string `json:"apiwarden.rule"`
				}
				// Response findings are what responses carried, not what a client did.
				if json.Unmarshal([]byte(l.Message), &ev) != nil || ev.Rule == "" || policy.IsResponseRule(ev.Rule) {
					continue
				}
				require.True(t, attackers[ev.Session], "only attackers are reported, got %s", l.Message)
				reported[ev.Rule]++
			}
			assert.Equal(t, 1, reported["transfer-after-balance"])
			assert.Equal(t, 1, reported["no-repeated-transfer"])
			assert.Equal(t, 1, reported["schema-violation"])
			assert.Equal(t, 1, reported[abuseInternal])
			assert.GreaterOrEqual(t, reported["login-failures"], 25)
			assert.GreaterOrEqual(t, reported["object-not-owned"], 60)
			assert.GreaterOrEqual(t, reported["no-balance-enumeration"], 1)
			for _, vm := range host.VMs() {
				require.NoError(t, vm.Failed())
			}
		})
	}
}

const abuseInternal = "internal"

// TestAbuseLimitsWithoutAuthentication: the abuse controls need no
// principal. With the example's "auth" section removed the scrapers' ids
// are nobody's to check, and the distinct counts per session stop them
// instead: balances beyond 10 distinct accounts, account lists beyond 5
// distinct users. Legitimate sessions still pass untouched.
func TestAbuseLimitsWithoutAuthentication(t *testing.T) {
	cfg, err := os.ReadFile("apiwarden.json")
	require.NoError(t, err)
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(cfg, &m))
	delete(m, "auth")
	cfg, err = json.Marshal(m)
	require.NoError(t, err)
	_, client := replayHost(t, cfg, wasmtest.WASIEnvoy133)
	outs, err := DefaultScenario.Run(client)
	require.NoError(t, err)
	attack, rules := attackOutcomes(t, outs)
	for step, limit := range map[string]int{StepBalanceScrape: 10, StepUserScrape: 5} {
		got := attack[step]
		require.NotEmpty(t, got)
		for i, st := range got {
			if i < limit {
				assert.Equal(t, 200, st, "%s #%d is within the limit", step, i+1)
			} else {
				assert.Equal(t, 429, st, "%s #%d is beyond it", step, i+1)
			}
		}
	}
	assert.Equal(t, "(distinct-accounts)", rules[StepBalanceScrape][10])
	assert.Equal(t, "(distinct-users)", rules[StepUserScrape][5])
}

// attackOutcomes requires every legitimate request to have passed (200)
// and returns the attackers' statuses and refusal rules per step.
func attackOutcomes(t *testing.T, outs []Outcome) (attack map[string][]int, rules map[string][]string) {
	t.Helper()
	attack, rules = map[string][]int{}, map[string][]string{}
	for _, o := range outs {
		if o.Actor == "legit" {
			require.Equal(t, 200, o.Status, "legitimate %s %s: %s", o.Session, o.Step, o.Body)
			continue
		}
		attack[o.Step] = append(attack[o.Step], o.Status)
		rules[o.Step] = append(rules[o.Step], ruleOf(o.Body))
	}
	return attack, rules
}
