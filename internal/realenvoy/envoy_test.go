package realenvoy_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apiwarden/apiwarden/examples/bank"
	"github.com/apiwarden/apiwarden/internal/realenvoy"
	"github.com/apiwarden/apiwarden/wasmtest"
)

var (
	buildMu sync.Mutex
	built   = map[string]error{}
)

// buildModule builds the filter into build/<name> once per test binary,
// with the given build tags.
func buildModule(t *testing.T, name string, tags ...string) string {
	t.Helper()
	root, err := realenvoy.Root()
	require.NoError(t, err)
	out := filepath.Join(root, "build", name)
	buildMu.Lock()
	defer buildMu.Unlock()
	err, done := built[name]
	if !done {
		err = wasmtest.BuildModule(filepath.Join(root, "filter"), out, tags...)
		built[name] = err
	}
	require.NoError(t, err)
	return out
}

func module(t *testing.T) string { return buildModule(t, "apiwarden.wasm") }

// binary finds an installed Envoy. Without `make envoy` a plain `go test`
// reports which test it did not run and why; `make test` sets
// APIWARDEN_REQUIRE_ENVOY=1, and then a missing Envoy fails.
func binary(t *testing.T, version string) string {
	t.Helper()
	bin, err := realenvoy.Binary(version)
	if errors.Is(err, realenvoy.ErrNotInstalled) && !realenvoy.Required() {
		t.Skipf("real Envoy %s not run: %v (`make test` installs it and requires it)", version, err)
	}
	require.NoError(t, err)
	return bin
}

func bankConfig(t *testing.T) []byte {
	root, err := realenvoy.Root()
	require.NoError(t, err)
	cfg, err := os.ReadFile(filepath.Join(root, "examples", "bank", "apiwarden.json"))
	require.NoError(t, err)
	// The positive model: these tests send no tokens (security_test.go
	// runs the whole policy).
	cfg, err = bank.PositiveModel(cfg)
	require.NoError(t, err)
	return cfg
}

func upstream(t *testing.T) string {
	up := httptest.NewServer(bank.Upstream())
	t.Cleanup(up.Close)
	return strings.TrimPrefix(up.URL, "http://")
}

func do(t *testing.T, method, url, body string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, b
}

// TestBankThroughRealEnvoy serves the bank example through each pinned
// official Envoy release with the bootstrap the example ships (rendered
// from the same bank configuration).
func TestBankThroughRealEnvoy(t *testing.T) {
	for _, v := range realenvoy.Versions() {
		t.Run(v, func(t *testing.T) {
			bin := binary(t, v)
			e, err := realenvoy.Start(context.Background(), realenvoy.Options{Bin: bin, Concurrency: 2,
				Bootstrap: realenvoy.Bootstrap{Upstream: upstream(t), Module: module(t), PluginConfig: bankConfig(t)}})
			require.NoError(t, err)
			defer e.Stop()
			t.Logf("Envoy %s: LIVE after %v", v, e.StartupTime())

			resp, body := do(t, "GET", e.URL()+"/api/v1/accounts/ACC-1001/balance", "")
			require.Equal(t, 200, resp.StatusCode, string(body))
			assert.Empty(t, resp.Header.Values("server"), "no server header leaves (PASS_THROUGH + the module's removal)")

			resp, body = do(t, "GET", e.URL()+"/api/v1/admin/users", "")
			require.Equal(t, 403, resp.StatusCode, string(body))
			assert.Equal(t, "application/problem+json", resp.Header.Get("content-type"))
			assert.Empty(t, resp.Header.Values("server"))
			var p struct{ Rule, TraceID string }
			require.NoError(t, json.Unmarshal(body, &struct {
				Rule    *string `json:"rule"`
				TraceID *string `json:"trace_id"`
			}{&p.Rule, &p.TraceID}))
			assert.Equal(t, "unknown-endpoint", p.Rule)
			assert.Regexp(t, "^[0-9a-f]{32}$", p.TraceID)

			resp, body = do(t, "POST", e.URL()+"/api/v1/transferFunds", `{"from":"ACC-1","to":"ACC-2","amount":"12"}`,
				"content-type", "application/json")
			require.Equal(t, 400, resp.StatusCode, string(body))
			assert.Contains(t, string(body), `"pointer":"/amount"`)

			// The security event reaches Envoy's log with the trace id of
			// the refusal.
			assert.NotEmpty(t, e.WaitGrep(p.TraceID, 5*time.Second), "the refusal's trace id is in Envoy's log")
			var found bool
			for _, l := range e.ModuleLog() {
				if strings.Contains(l.Message, `"apiwarden.rule":"unknown-endpoint"`) && strings.Contains(l.Message, p.TraceID) {
					found = true
				}
			}
			assert.True(t, found, "the unknown-endpoint event is in Envoy's log")

			// Labelled Prometheus series, counted right (both workers add
			// into one process-wide counter; each VM publishes its
			// batched counters from its tick, once a second).
			series := []*regexp.Regexp{
				regexp.MustCompile(`(?m)^apiwarden_requests\{(endpoint="get_balance",verdict="allow"|verdict="allow",endpoint="get_balance")\} 1$`),
				regexp.MustCompile(`(?m)^apiwarden_requests\{(endpoint="_unknown",verdict="block"|verdict="block",endpoint="_unknown")\} 1$`),
				regexp.MustCompile(`(?m)^apiwarden_rule\{(rule="schema-violation",action="block"|action="block",rule="schema-violation")\} 1$`),
			}
			var prom string
			ok := assert.Eventually(t, func() bool {
				var err error
				if prom, err = e.Prometheus(); err != nil {
					return false
				}
				for _, re := range series {
					if !re.MatchString(prom) {
						return false
					}
				}
				return true
			}, 3*time.Second, 50*time.Millisecond, "every series counted once")
			if !ok {
				t.Log(prom)
			}
			assert.NotContains(t, prom, "apiwarden_requests_get_balance", "no flat per-endpoint names")
		})
	}
}

// TestRefusedConfigurationInRealEnvoy: a configuration apiwarden refuses
// keeps Envoy from serving, with apiwarden's message (JSON paths) in
// Envoy's log.
func TestRefusedConfigurationInRealEnvoy(t *testing.T) {
	v := realenvoy.Newest()
	bin := binary(t, v)
	e, err := realenvoy.Start(context.Background(), realenvoy.Options{Bin: bin, Concurrency: 1,
		Bootstrap: realenvoy.Bootstrap{Upstream: "127.0.0.1:9", Module: module(t),
			PluginConfig: []byte(`{"mode":"strict","endpoints":[{"id":"a","method":"GET","path":"/a/{x"}]}`)}})
	if err == nil {
		defer e.Stop()
		// Envoy may keep running with the listener refused: then it must
		// not answer through the plugin.
		c, derr := net.Dial("tcp", e.Addr())
		if derr == nil {
			_ = c.Close()
		}
		t.Fatalf("Envoy served a configuration apiwarden refuses")
	}
	assert.Contains(t, err.Error(), `mode: want one of "monitor", "enforce", got "strict"`)
	assert.Contains(t, err.Error(), `endpoints[0].path`)
}
