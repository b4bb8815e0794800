package realenvoy_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apiwarden/apiwarden/examples/bank"
	"github.com/apiwarden/apiwarden/internal/realenvoy"
	"github.com/apiwarden/apiwarden/wasmtest"
)

// httpClient plays the bank scenario over real sockets, one connection per
// request, so the kernel spreads a session's requests over Envoy's
// workers (and so over its VMs).
type httpClient struct{ base string }

var noKeepAlive = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}

func (c httpClient) Do(method, path string, headers [][2]string, body string) (int, []byte, error) {
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	for _, h := range headers {
		req.Header.Add(h[0], h[1])
	}
	resp, err := noKeepAlive.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// Advance is a no-op: Envoy runs on the real clock, and the scenario's
// windows (minutes) hold over the seconds it takes.
func (httpClient) Advance(time.Duration) error { return nil }

// TestSeedScenarioAcrossWorkers replays the design seed's sessions through
// real Envoy at --concurrency 1 and 4: the same verdicts whether a
// session's history lives in one VM or is shared by four through shared
// data; and the same verdicts as wasmtest's gateway.
func TestSeedScenarioAcrossWorkers(t *testing.T) {
	bin := binary(t, realenvoy.Newest())
	scenario := bank.Scenario{LegitSessions: 30, Spacing: 0}
	verdicts := map[int][]int{}
	for _, workers := range []int{1, 4} {
		e, err := realenvoy.Start(context.Background(), realenvoy.Options{Bin: bin, Concurrency: workers,
			Bootstrap: realenvoy.Bootstrap{Upstream: upstream(t), Module: module(t), PluginConfig: bankConfig(t)}})
		require.NoError(t, err)
		outs, err := scenario.Run(httpClient{base: e.URL()})
		stats, serr := e.Stats()
		e.Stop()
		require.NoError(t, err)
		require.NoError(t, serr)
		busy := 0
		for name, n := range stats {
			if strings.HasPrefix(name, "listener.") && strings.Contains(name, ".worker_") && strings.HasSuffix(name, ".downstream_cx_total") && n > 0 {
				busy++
			}
		}
		assert.Equal(t, workers, busy, "every worker (so every VM) served part of the sessions")
		attack := map[string][]int{}
		for _, o := range outs {
			verdicts[workers] = append(verdicts[workers], o.Status)
			if o.Actor == "legit" {
				require.Equal(t, 200, o.Status, "legitimate %s %s at --concurrency %d: %s", o.Session, o.Step, workers, o.Body)
				continue
			}
			attack[o.Step] = append(attack[o.Step], o.Status)
		}
		assert.Equal(t, []int{403}, attack["transfer without balance"], "--concurrency %d", workers)
		assert.Equal(t, []int{200}, attack["transfer"], "--concurrency %d", workers)
		assert.Equal(t, []int{403}, attack["replay with modified amount"], "--concurrency %d", workers)
		assert.Equal(t, []int{400}, attack["replay with amount as text"], "--concurrency %d", workers)
		assert.Equal(t, []int{403}, attack["probe an internal route"], "--concurrency %d", workers)
	}
	assert.Equal(t, verdicts[1], verdicts[4], "the same sequence gives the same verdicts with 1 and 4 workers")

	// wasmtest's gateway (two VMs) gives the verdicts Envoy gave.
	gw, _ := gatewayHost(t, bankConfig(t), wasmtest.ExampleGatewayOptions)
	outs, err := scenario.Run(httpClient{base: "http://" + gw})
	require.NoError(t, err)
	var viaGateway []int
	for _, o := range outs {
		viaGateway = append(viaGateway, o.Status)
	}
	assert.Equal(t, verdicts[1], viaGateway, "wasmtest's gateway and real Envoy give the same verdicts")
}
