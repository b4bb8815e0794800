package realenvoy_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apiwarden/apiwarden/internal/realenvoy"
)

// soakConfig makes every request allocate: a 64 KiB body validated
// against a schema and a ~200 KB response buffered, redacted by path and
// scanned by a detector.
const soakConfig = `{"unknown_endpoints":"block","endpoints":[{"id":"echo","method":"POST","path":"/echo",
 "request":{"max_body_bytes":1048576,"body_schema":{"type":"object","properties":{"pad":{"type":"string"}}}},
 "response":{"redact":["items.#.secret"]}}],
 "redaction":{"detectors":["email"],"max_body_bytes":4194304}}`

// TestSoakOnTheOldestEnvoy drives the stock-Go module (the Go runtime's
// own garbage collector and scavenger, no pacing or poller workaround)
// through the oldest tested Envoy, whose WASI poll_oneoff answers NOSYS:
// allocation-heavy exchanges in bursts with idle gaps long enough for the
// scavenger's timers, many collections. The failure this guards against
// (golang/go#78513: the runtime polls, gets NOSYS, throws) would trap a
// worker VM: Envoy then answers 503 and creates a new VM (FAIL_RELOAD).
func TestSoakOnTheOldestEnvoy(t *testing.T) {
	if testing.Short() {
		t.Skip("soak: not run with -short (make test runs it)")
	}
	bin := binary(t, realenvoy.Oldest())
	item := `{"id":"x","secret":"s3cr3t","mail":"someone@example.com","note":"` + strings.Repeat("n", 150) + `"},`
	answer := `{"items":[` + strings.Repeat(item, 900) + `{"id":"last"}]}`
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("content-type", "application/json")
		_, _ = io.WriteString(w, answer)
	}))
	defer up.Close()
	e, err := realenvoy.Start(context.Background(), realenvoy.Options{Bin: bin, Concurrency: 1,
		Bootstrap: realenvoy.Bootstrap{Upstream: strings.TrimPrefix(up.URL, "http://"), Module: module(t), PluginConfig: []byte(soakConfig)}})
	require.NoError(t, err)
	defer e.Stop()
	before, err := e.Stats()
	require.NoError(t, err)

	body := `{"pad":"` + strings.Repeat("p", 64<<10) + `"}`
	client := &http.Client{Timeout: 30 * time.Second}
	var ok, bad atomic.Int64
	var firstBad atomic.Value
	const rounds, perRound, conns = 12, 80, 4
	for round := 0; round < rounds; round++ {
		var wg sync.WaitGroup
		for c := 0; c < conns; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < perRound/conns; i++ {
					resp, err := client.Post(e.URL()+"/echo", "application/json", strings.NewReader(body))
					if err != nil {
						bad.Add(1)
						firstBad.CompareAndSwap(nil, err.Error())
						continue
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 || strings.Contains(string(b), "s3cr3t") {
						bad.Add(1)
						firstBad.CompareAndSwap(nil, fmt.Sprintf("%d %.200s", resp.StatusCode, b))
						continue
					}
					ok.Add(1)
				}
			}()
		}
		wg.Wait()
		time.Sleep(1500 * time.Millisecond) // idle: the scavenger's and the runtime's timers fire
	}
	after, err := e.Stats()
	require.NoError(t, err)
	t.Logf("soak on Envoy %s: %d exchanges of 64 KiB in / ~200 KB redacted out, %d bad", realenvoy.Oldest(), ok.Load(), bad.Load())
	assert.Zero(t, bad.Load(), "first bad answer: %v", firstBad.Load())
	assert.EqualValues(t, rounds*perRound, ok.Load())
	created := "wasm.envoy.wasm.runtime.v8.created"
	assert.Equal(t, before[created], after[created], "no VM was re-created (a trap under FAIL_RELOAD makes a new one)")
	assert.Zero(t, after["wasm.apiwarden.vm_reload"])
	for _, l := range e.Log() {
		assert.NotContains(t, l.Message, "poll_oneoff", "the runtime never polled")
		assert.NotContains(t, l.Message, "Function: proxy_on", "no callback failed")
	}
}
