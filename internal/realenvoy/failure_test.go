package realenvoy_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apiwarden/apiwarden/internal/realenvoy"
)

// faultModule is the module built with the test-only apiwarden_faults tag:
// x-apiwarden-fault: panic panics inside the request-headers callback
// (recovered by the filter), trap aborts the Go runtime (a VM trap).
func faultModule(t *testing.T) string {
	return buildModule(t, "apiwarden-faults.wasm", "apiwarden_faults")
}

func startFaults(t *testing.T, mode string) *realenvoy.Envoy {
	t.Helper()
	cfg := []byte(`{"failure_mode":"` + mode + `","unknown_endpoints":"block","endpoints":[{"id":"get_balance","method":"GET","path":"/api/v1/accounts/{account_id}/balance"}]}`)
	e, err := realenvoy.Start(context.Background(), realenvoy.Options{Bin: binary(t, realenvoy.Newest()), Concurrency: 1,
		Bootstrap: realenvoy.Bootstrap{Upstream: upstream(t), Module: faultModule(t), PluginConfig: cfg}})
	require.NoError(t, err)
	t.Cleanup(e.Stop)
	return e
}

const balance = "/api/v1/accounts/ACC-1001/balance"

// TestFailureModeInRealEnvoy: a recovered panic follows failure_mode, as
// the README documents: open lets the request through, closed answers 503
// problem+json with rule failure-mode. Either way the failure is counted.
func TestFailureModeInRealEnvoy(t *testing.T) {
	for mode, want := range map[string]int{"open": 200, "closed": 503} {
		t.Run(mode, func(t *testing.T) {
			e := startFaults(t, mode)
			resp, body := do(t, "GET", e.URL()+balance, "", "x-apiwarden-fault", "panic")
			require.Equal(t, want, resp.StatusCode, string(body))
			if want == 503 {
				assert.Equal(t, "application/problem+json", resp.Header.Get("content-type"))
				assert.Contains(t, string(body), `"rule":"failure-mode"`)
			}
			assert.NotEmpty(t, e.WaitGrep("recovered panic", 5*time.Second), "the failure is logged")
			// Counters are batched per VM and published by its tick.
			assert.Eventually(t, func() bool {
				st, err := e.Stats()
				return err == nil && st["wasmcustom.apiwarden.failures"] == 1
			}, 3*time.Second, 50*time.Millisecond, "the failure is counted once")

			resp, body = do(t, "GET", e.URL()+balance, "")
			assert.Equal(t, 200, resp.StatusCode, "the VM goes on serving: %s", body)
		})
	}
}

// TestTrapReloadsTheVMInRealEnvoy: a trap (nothing in the module can
// recover it) fails the stream it happened in, and failure_policy
// FAIL_RELOAD gives the next stream a fresh VM that configures and
// answers, as the example bootstrap's comment says.
func TestTrapReloadsTheVMInRealEnvoy(t *testing.T) {
	e := startFaults(t, "closed")
	resp, body := do(t, "GET", e.URL()+balance, "")
	require.Equal(t, 200, resp.StatusCode, string(body))
	before, err := e.Stats()
	require.NoError(t, err)

	resp, body = do(t, "GET", e.URL()+balance, "", "x-apiwarden-fault", "trap")
	assert.Equal(t, 503, resp.StatusCode, "the trapped stream: %s", body)

	var after map[string]uint64
	require.Eventually(t, func() bool {
		resp, _ := do(t, "GET", e.URL()+balance, "")
		if resp.StatusCode != 200 {
			return false
		}
		after, err = e.Stats()
		return err == nil
	}, 10*time.Second, 100*time.Millisecond, "a fresh VM answers after the trap")
	assert.Greater(t, reloads(after), reloads(before), "vm_reload_success counted: %v", filterStats(after, "wasm"))
	assert.NotEmpty(t, e.WaitGrep("injected trap", 5*time.Second), "the runtime's abort is in Envoy's log")

	// The fresh VM is a whole apiwarden: it still refuses what it should.
	resp, body = do(t, "GET", e.URL()+"/api/v1/admin/users", "")
	assert.Equal(t, 403, resp.StatusCode, string(body))
}

func reloads(st map[string]uint64) uint64 {
	var n uint64
	for k, v := range st {
		if strings.HasSuffix(k, "vm_reload_success") {
			n += v
		}
	}
	return n
}

func filterStats(st map[string]uint64, sub string) map[string]uint64 {
	out := map[string]uint64{}
	for k, v := range st {
		if strings.Contains(k, sub) {
			out[k] = v
		}
	}
	return out
}

// TestCollectionInsideTheAllocatorTraps is why the binding serves
// proxy_on_memory_allocate from an arena grown only outside the allocator:
// Envoy runs the allocator as a restricted callback, and on 1.36 a garbage
// collection finishing inside it polls the network (runtime.netpoll ->
// poll_oneoff), a call the restriction forbids, so the VM traps and every
// stream on it fails. 1.40 allows the WASI calls there (proxy-wasm-cpp-host
// #533), which this test records too: when the oldest supported Envoy
// allows them, the arena can go.
func TestCollectionInsideTheAllocatorTraps(t *testing.T) {
	for _, v := range realenvoy.Versions() {
		t.Run(v, func(t *testing.T) {
			cfg := []byte(`{"endpoints":[{"id":"get_balance","method":"GET","path":"/api/v1/accounts/{account_id}/balance"}]}`)
			e, err := realenvoy.Start(context.Background(), realenvoy.Options{Bin: binary(t, v), Concurrency: 1,
				Bootstrap: realenvoy.Bootstrap{Upstream: upstream(t), Module: faultModule(t), PluginConfig: cfg}})
			require.NoError(t, err)
			defer e.Stop()
			resp, body := do(t, "GET", e.URL()+balance, "", "x-apiwarden-fault", "gc-in-alloc")
			require.Equal(t, 200, resp.StatusCode, string(body))
			failed := 0
			for i := 0; i < 5; i++ {
				if resp, _ := do(t, "GET", e.URL()+balance, ""); resp.StatusCode != 200 {
					failed++
				}
			}
			const restricted = "proxy_on_memory_allocate failed: Uncaught Error: restricted_callback"
			if v == realenvoy.Oldest() {
				assert.Positive(t, failed, "Envoy %s fails streams once the allocator collects", v)
				assert.NotEmpty(t, e.WaitGrep(restricted, 5*time.Second), "Envoy %s refuses the collector's poll inside the allocator", v)
			} else {
				assert.Zero(t, failed, "Envoy %s allows the collector's WASI calls inside the allocator", v)
				assert.Empty(t, e.Grep(restricted))
			}
		})
	}
}
