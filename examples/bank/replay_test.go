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

// TestSeedScenario is `make demo` as a test: legitimate sessions pass
// untouched, the attacker's transfer without a balance read is blocked, its
// replays are blocked, and its enumeration is reported.
func TestSeedScenario(t *testing.T) {
	cfg, err := os.ReadFile("apiwarden.json")
	require.NoError(t, err)
	for _, profile := range []wasmtest.WASIProfile{wasmtest.WASIEnvoy133, wasmtest.WASIApril2026} {
		t.Run(profile.String(), func(t *testing.T) {
			host, err := wasmtest.New(context.Background(), wasmtest.Options{ModulePath: module(t), PluginConfig: cfg,
				Workers: 2, PluginName: "apiwarden", RootID: "apiwarden", VMID: "apiwarden",
				WASI: profile, Clock: wasmtest.NewClock(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC))})
			require.NoError(t, err)
			defer host.Close(context.Background())
			outs, err := DefaultScenario.Run(HostClient{Host: host})
			require.NoError(t, err)

			attack := map[string][]int{}
			for _, o := range outs {
				if o.Actor == "legit" {
					require.Equal(t, 200, o.Status, "legitimate %s %s: %s", o.Session, o.Step, o.Body)
					continue
				}
				attack[o.Step] = append(attack[o.Step], o.Status)
			}
			assert.Equal(t, []int{403}, attack["transfer without balance"])
			assert.Equal(t, []int{200}, attack["transfer"])
			assert.Equal(t, []int{403}, attack["replay with modified amount"])
			assert.Equal(t, []int{400}, attack["replay with amount as text"], "the schema refuses it before it counts as a step")
			assert.Equal(t, []int{403}, attack["probe an internal route"])

			// Which sessions did the module report? Session keys are hashed
			// the way the module hashes them.
			p, err := policy.Compile(cfg)
			require.NoError(t, err)
			// The example leaves "salt" empty: the module shares one random
			// salt through shared data.
			sc := p.Session
			sc.Salt = string(host.SharedData()[session.SaltKey(sc.Prefix)])
			sessions := session.New(sc)
			attacker, _ := sessions.Key(headers{{"x-session-id", "attacker-1"}}, "")
			rules := map[string]int{}
			for _, l := range host.Logs() {
				var ev struct {
					Session string `json:"apiwarden.session"`
					Rule    string `json:"apiwarden.rule"`
					Verdict string `json:"apiwarden.verdict"`
				}
				// Response findings are what responses carried, not what a client did.
				if json.Unmarshal([]byte(l.Message), &ev) != nil || ev.Rule == "" || policy.IsResponseRule(ev.Rule) {
					continue
				}
				require.Equal(t, attacker, ev.Session, "only the attacker is reported, got %s", l.Message)
				rules[ev.Rule]++
			}
			assert.Equal(t, 1, rules["transfer-after-balance"])
			assert.Equal(t, 1, rules["no-repeated-transfer"])
			assert.Equal(t, 1, rules["schema-violation"])
			assert.GreaterOrEqual(t, rules["no-balance-enumeration"], 1)
			for _, vm := range host.VMs() {
				require.NoError(t, vm.Failed())
			}
		})
	}
}
