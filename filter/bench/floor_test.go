package bench

import (
	"strings"
	"testing"

	"github.com/apiwarden/apiwarden/wasmtest"
)

// TestEnvoy133Floor plays benchmark traffic under Envoy 1.33-1.38's WASI
// set, where a poll_oneoff answered NOSYS is a fatal trap for the Go
// runtime (golang/go#78513): 10,000 header-only requests with the bank
// policy and forty 1 MB list_accounts answers, the two shapes that once
// trapped inside collections started by an earlier garbage-collection
// workaround of the binding (since removed: the module runs the stock
// collector, RATIONALE.md). They must keep passing.
func TestEnvoy133Floor(t *testing.T) {
	floor := func(o *wasmtest.Options) { o.WASI = wasmtest.WASIEnvoy133 }
	t.Run("10k-header-only", func(t *testing.T) {
		d := newDriver(t, bankNoSequences(t), floor)
		req, up, ids := balanceRequest(), bankUpstream(), sessionIDs()
		for i := 0; i < 10000; i++ {
			req.Headers[sessionHeader][1] = ids[i%len(ids)]
			floorExchange(t, d, &req, up, i)
		}
	})
	t.Run("40x1MB-responses", func(t *testing.T) {
		d := newDriver(t, bankNoSequences(t), floor)
		req, up := accountsRequest(), accountsUpstream(accountsBody(1000000))
		for i := 0; i < 40; i++ {
			floorExchange(t, d, &req, up, i)
		}
	})
}

func floorExchange(t *testing.T, d *driver, req *wasmtest.Request, up wasmtest.Upstream, i int) {
	t.Helper()
	ex, err := d.h.RoundTrip(req, up)
	if err != nil || ex.Trapped != nil || ex.Response == nil || ex.Response.Status != 200 {
		t.Fatalf("exchange %d: %s", i+1, firstLines(describe(ex, err), 24))
	}
	if (i+1)%housekeepingEvery == 0 {
		d.housekeeping(t)
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}
