package wasmtest

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMetrics(t *testing.T) {
	h := newProbe(t, Options{PluginConfig: []byte("metrics=1"), Workers: 2})
	for _, vm := range h.VMs() {
		// Per-VM ids: type in the low 2 bits; same name ⇒ new id, same stat.
		assert.Equal(t, "metrics requests=4 gauge=5 hist=6 ticks=8 again=12 bad_type_status=2", oneEvent(t, vm, "metrics"))
	}
	for i := 0; i < 2; i++ {
		_, err := h.RoundTrip(probeReq("metric"), nil)
		require.NoError(t, err)
	}
	assert.Equal(t, "metric inc=0 inc0=2 incneg=2 rec_counter=0 rec_hist=0 rec_gauge=0 inc_gauge=0 inc_hist=2 get=0 value=3 get_hist=2 unknown=1",
		oneEvent(t, h.VM(0), "metric"))
	assert.Equal(t, "6", field(oneEvent(t, h.VM(1), "metric"), "value"), "values are process-wide")
	v, ok := h.Metric("wasmcustom.probe.requests")
	require.True(t, ok)
	assert.Equal(t, int64(6), v)
	g, _ := h.Metric("wasmcustom.probe.gauge")
	assert.Equal(t, int64(5), g)
	hist, ok := h.HistogramValues("wasmcustom.probe.hist")
	require.True(t, ok)
	assert.Equal(t, Histogram{Count: 2, Sum: 84, Values: []uint64{42, 42}}, hist)
	_, ok = h.Metric("probe.requests")
	assert.False(t, ok, "names carry the wasmcustom. prefix")
	assert.Contains(t, h.Metrics(), "wasmcustom.probe.ticks")
}

func TestTicks(t *testing.T) {
	start := time.Unix(1700000000, 0)
	clock := NewClock(start)
	h := newProbe(t, Options{PluginConfig: []byte("metrics=1;tick=100"), Workers: 3, Clock: clock})
	require.NoError(t, h.Advance(99*time.Millisecond))
	v, _ := h.Metric("wasmcustom.probe.ticks")
	assert.Equal(t, int64(0), v, "first tick after one full period")
	require.NoError(t, h.Advance(151*time.Millisecond))
	v, _ = h.Metric("wasmcustom.probe.ticks")
	assert.Equal(t, int64(6), v, "3 VMs × ticks at 100ms and 200ms")
	for _, vm := range h.VMs() {
		ticks := events(vm, "tick")
		require.Len(t, ticks, 2)
		assert.Equal(t, strconv.FormatInt(start.Add(100*time.Millisecond).UnixNano(), 10), field(ticks[0], "now"))
		assert.Equal(t, strconv.FormatInt(start.Add(200*time.Millisecond).UnixNano(), 10), field(ticks[1], "now"))
	}
	assert.Equal(t, start.Add(250*time.Millisecond), clock.Now())

	real := newProbe(t, Options{})
	assert.ErrorIs(t, real.Advance(time.Second), ErrRealClock)
}

// TestTickFiresNow: Host.Tick fires every armed VM's tick at once, real
// clock or manual, and re-arms it a period later.
func TestTickFiresNow(t *testing.T) {
	clock := NewClock(time.Unix(1700000000, 0))
	h := newProbe(t, Options{PluginConfig: []byte("metrics=1;tick=1000"), Workers: 2, Clock: clock})
	require.NoError(t, h.Advance(500*time.Millisecond))
	require.NoError(t, h.Tick())
	v, _ := h.Metric("wasmcustom.probe.ticks")
	assert.Equal(t, int64(2), v, "both VMs, before their period")
	require.NoError(t, h.Advance(999*time.Millisecond))
	v, _ = h.Metric("wasmcustom.probe.ticks")
	assert.Equal(t, int64(2), v, "re-armed one period after the forced tick")
	require.NoError(t, h.Advance(time.Millisecond))
	v, _ = h.Metric("wasmcustom.probe.ticks")
	assert.Equal(t, int64(4), v)

	unarmed := newProbe(t, Options{})
	require.NoError(t, unarmed.Tick())
	assert.Empty(t, events(unarmed.VM(0), "tick"), "no period set, no tick")
}

func TestTickPeriodZeroDisables(t *testing.T) {
	clock := NewClock(time.Unix(0, 0))
	h := newProbe(t, Options{PluginConfig: []byte("tick=10;tick_off=1"), Clock: clock})
	require.NoError(t, h.Advance(time.Second))
	assert.Len(t, events(h.VM(0), "tick"), 1)
}

func TestSharedDataCAS(t *testing.T) {
	h := newProbe(t, Options{Workers: 2})
	_, err := h.VM(1).RoundTrip(probeReq("shared-set"), nil)
	require.NoError(t, err)
	line := oneEvent(t, h.VM(1), "shared")
	assert.Equal(t, "0", field(line, "set"))
	assert.Equal(t, "v1", field(line, "value"))
	assert.Equal(t, "1", field(line, "cas"), "the global CAS counter starts at 1")
	assert.Equal(t, "8", field(line, "wrong_cas"), "CasMismatch")
	assert.Equal(t, "0", field(line, "right_cas"))
	assert.Equal(t, "2", field(line, "cas2"))
	assert.Equal(t, "0", field(line, "missing_with_cas"), "a missing key ignores cas")
	assert.Equal(t, "1", field(line, "get_missing"), "NotFound")
	assert.Equal(t, "v2", string(h.SharedData()["probe.k"]))

	// The other VM sees the same store.
	_, err = h.VM(0).RoundTrip(probeReq("shared-set"), nil)
	require.NoError(t, err)
	assert.Equal(t, "v1", field(oneEvent(t, h.VM(0), "shared"), "value"))
	assert.Equal(t, len("probe.k")+len("v1")+len("probe.missing.2")+len("x"), h.SharedDataBytes())
}

func TestSharedDataHammer(t *testing.T) {
	const vms, goroutines, perG = 8, 32, 50
	h := newProbe(t, Options{Workers: vms, DisableTrace: true, LogLevel: LogWarn})
	// The key must exist: a set on a missing key ignores cas (Envoy), so
	// two first increments could both "win".
	h.SetSharedData("hammer", []byte("0"))
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perG; i++ {
				req := probeReq("shared-inc")
				req.Headers = append(req.Headers, [2]string{"x-probe-key", "hammer"})
				if _, err := h.RoundTrip(req, nil); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	for _, vm := range h.VMs() {
		require.NoError(t, vm.Failed())
	}
	assert.Equal(t, strconv.Itoa(goroutines*perG), string(h.SharedData()["hammer"]), "no lost update")
}

func TestSharedQueue(t *testing.T) {
	h := newProbe(t, Options{PluginConfig: []byte("queue=probe-q"), Workers: 2})
	// Both VMs registered; the last registrant (VM 1) is notified.
	assert.Equal(t, "queue_registered id=1 status=0", oneEvent(t, h.VM(1), "queue_registered"))
	_, err := h.VM(0).RoundTrip(probeReq("enqueue"), nil)
	require.NoError(t, err)
	assert.Equal(t, "enqueue resolve=0 id=1 enqueue=0", oneEvent(t, h.VM(0), "enqueue"))
	assert.Empty(t, events(h.VM(1), "queue_ready"), "delivered asynchronously")
	require.NoError(t, h.DeliverQueues())
	assert.Equal(t, "queue_ready id=1 item=hello-2 status=0 again_status=7", oneEvent(t, h.VM(1), "queue_ready"))
	assert.Empty(t, events(h.VM(0), "queue_ready"))
}

func TestHTTPCallouts(t *testing.T) {
	var got []CalloutRequest
	var mu sync.Mutex
	handler := func(cluster string, req CalloutRequest) (CalloutResponse, error) {
		mu.Lock()
		got = append(got, req)
		mu.Unlock()
		if cluster != "auth" {
			return CalloutResponse{}, fmt.Errorf("unexpected cluster %q", cluster)
		}
		if req.Header("x-from") == "/deny" {
			return CalloutResponse{Status: 401}, nil
		}
		if req.Header("x-from") == "/broken" {
			return CalloutResponse{}, errors.New("connection reset")
		}
		return CalloutResponse{Status: 200, Headers: [][2]string{{"x-a", "1"}}, Body: []byte("token-abc")}, nil
	}
	h := newProbe(t, Options{HTTPCallHandler: handler, Clusters: []string{"auth"}})
	body := []byte("abcdef")

	req := probeReq("callout")
	req.Body, req.ChunkSize = body, 4
	ex, err := h.RoundTrip(req, echo)
	require.NoError(t, err)
	require.NotNil(t, ex.Upstream)
	assert.Equal(t, "token-abc", ex.Upstream.Header("x-auth"))
	assert.Equal(t, "abcdef", string(ex.Upstream.Body))
	assert.Equal(t, []string{
		"on_context_create(2,1)",
		"on_request_headers(2,7,false)=1",
		// Delivered after on_request_headers returned; it continues the stream.
		"on_http_call_response(1,4,2,9,0)",
		// Envoy buffered the body while stopped: one call with all of it.
		"on_request_body(2,6,true)=0",
		"on_response_headers(2,2,false)=0", "on_response_body(2,6,true)=0",
		"on_log(2)", "on_done(2)=1", "on_delete(2)",
	}, ex.Calls)
	vm := h.VM(0)
	assert.Equal(t, "callout_response root=1 token=4 nh=2 bs=9 nt=0 status=200 body=token-abc body_status=0 code=0 msg=",
		oneEvent(t, vm, "callout_response"))
	assert.Equal(t, "callout_effective status=0 bad=2 add=0", oneEvent(t, vm, "callout_effective"))
	require.Len(t, got, 1)
	assert.Equal(t, "4", got[0].Header("content-length"))
	assert.Equal(t, "ping", string(got[0].Body))
	assert.Equal(t, 5*time.Second, got[0].Timeout)

	ex, err = h.RoundTrip(&Request{Path: "/deny", Headers: [][2]string{{"x-probe", "callout"}}}, echo)
	require.NoError(t, err)
	assert.Equal(t, 403, ex.Response.Status)
	assert.Equal(t, "callout_denied", ex.LocalReplyDetails)
	assert.Nil(t, ex.Upstream)

	vm.TakeLogs()
	ex, err = h.RoundTrip(&Request{Path: "/broken", Headers: [][2]string{{"x-probe", "callout"}}}, echo)
	require.NoError(t, err)
	assert.Equal(t, 403, ex.Response.Status)
	assert.Equal(t, "callout_response root=1 token=12 nh=0 bs=0 nt=0 status= body= body_status=1 code=11 msg=reset",
		oneEvent(t, vm, "callout_response"))

	_, err = h.RoundTrip(probeReq("callout-bad"), echo)
	require.NoError(t, err)
	assert.Equal(t, "callout_bad missing_path=2 unknown_cluster=2 buffer4_outside=1", oneEvent(t, vm, "callout_bad"))
}

func TestTrapFailClosed(t *testing.T) {
	h := newProbe(t, Options{Workers: 1})
	ex, err := h.RoundTrip(probeReq("trap-req-headers"), echo)
	require.NoError(t, err)
	require.ErrorIs(t, ex.Trapped, ErrVMFailed)
	assert.Contains(t, ex.Trapped.Error(), "proxy_on_request_headers")
	assert.Equal(t, 503, ex.Response.Status)
	assert.Empty(t, ex.Response.Body)
	assert.Equal(t, "wasm_fail_stream", ex.LocalReplyDetails)
	assert.Nil(t, ex.Upstream)
	require.Error(t, h.VM(0).Failed())
	assert.Contains(t, ex.Calls, "on_request_headers(2,7,true)=trap")

	// Later streams on the failed VM: no callbacks, 503.
	ex, err = h.RoundTrip(probeReq(""), echo)
	require.NoError(t, err)
	assert.Equal(t, 503, ex.Response.Status)
	assert.Empty(t, ex.Calls)
	assert.Nil(t, ex.Upstream)
}

func TestTrapFailOpen(t *testing.T) {
	h := newProbe(t, Options{FailurePolicy: FailOpen, WASI: WASIApril2026})
	req := probeReq("trap-req-body")
	req.Body = []byte("body")
	ex, err := h.RoundTrip(req, echo)
	require.NoError(t, err)
	require.Error(t, ex.Trapped)
	require.NotNil(t, ex.Upstream, "the stream continues untouched")
	assert.Equal(t, "body", string(ex.Upstream.Body))
	assert.Equal(t, 200, ex.Response.Status)
	assert.NotContains(t, ex.Calls, "on_log(2)")
	found := false
	for _, l := range h.VM(0).Logs() {
		// The runtime writes the panic in pieces, one fd_write (one Envoy
		// log line) each.
		if l.Level == LogError && l.Message == "probe: trap in request body" {
			found = true
		}
	}
	assert.True(t, found, "the Go panic reaches the log through fd_write(2): %v", h.VM(0).Logs())

	ex, err = h.RoundTrip(probeReq(""), echo)
	require.NoError(t, err)
	assert.Equal(t, 200, ex.Response.Status)
	assert.Empty(t, ex.Calls, "filter not inserted for new streams")
	assert.Nil(t, ex.Trapped)
}

func TestTrapInResponseFailClosed(t *testing.T) {
	h := newProbe(t, Options{})
	ex, err := h.RoundTrip(probeReq("trap-resp-headers"), echo)
	require.NoError(t, err)
	assert.NotNil(t, ex.Upstream)
	assert.Equal(t, 503, ex.Response.Status)
	assert.Equal(t, "wasm_fail_stream", ex.LocalReplyDetails)
}
