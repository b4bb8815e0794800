package bench

import (
	"strconv"
	"testing"
	"time"

	"github.com/apiwarden/apiwarden/wasmtest"
)

// Session footprint (issue "Sequence security"): distinct sessions, one
// get_balance each, through the bank endpoints with sessions
// (max_sessions 10000) and one sequence rule. The clock is manual and
// moves 1 s every sessionsPerSecond sessions, firing the plugin's tick
// (analytics flush, session sweep) each simulated second; sessions idle
// for longer than idle_timeout (10 min, so after 60,000 sessions) expire
// and are swept.

const sessionsPerSecond = 100

// footprint is what the host holds after some number of sessions.
type footprint struct {
	sessions    int
	sharedBytes int
	sharedKeys  int
	vmBytes     uint32
}

// driveSessions plays n distinct sessions on a fresh VM and calls visit
// at each checkpoint (a number of sessions played).
func driveSessions(tb testing.TB, n int, checkpoints []int, visit func(footprint)) {
	s := bankOneRule(tb)
	s.clock = wasmtest.NewClock(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC))
	d := newDriver(tb, s)
	req := balanceRequest()
	up := bankUpstream()
	id := make([]byte, 0, 16)
	next := 0
	for i := 1; i <= n; i++ {
		id = strconv.AppendInt(append(id[:0], "m-"...), int64(i), 10)
		req.Headers[sessionHeader][1] = string(id)
		d.do(tb, &req, up, 200)
		if i%sessionsPerSecond == 0 {
			if err := d.h.Advance(time.Second); err != nil {
				fail(tb, "advance: %v", err)
			}
		}
		if next < len(checkpoints) && i == checkpoints[next] {
			next++
			visit(footprint{sessions: i, sharedBytes: d.h.SharedDataBytes(), sharedKeys: len(d.h.SharedDataKeys()),
				vmBytes: d.memory()})
		}
	}
}

// BenchmarkMillionSessions drives 1,000,000 distinct sessions through one
// VM per iteration (run it with -benchtime 1x) and reports the shared
// data (bytes of keys and values, number of keys) and the VM's linear
// memory after 10k, 100k and 1M sessions.
func BenchmarkMillionSessions(b *testing.B) {
	const n = 1000000
	checkpoints := []int{10000, 100000, n}
	labels := map[int]string{10000: "10k", 100000: "100k", n: "1M"}
	var last []footprint
	b.ReportAllocs()
	for b.Loop() {
		last = last[:0]
		driveSessions(b, n, checkpoints, func(f footprint) { last = append(last, f) })
	}
	b.StopTimer()
	for _, f := range last {
		l := labels[f.sessions]
		b.ReportMetric(float64(f.sharedBytes), "shared-B@"+l)
		b.ReportMetric(float64(f.sharedKeys), "shared-keys@"+l)
		b.ReportMetric(float64(f.vmBytes)/(1<<20), "vm-MiB@"+l)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/session")
}

// TestSessionFootprintPlateaus: 200,000 sessions through one VM. The
// shared-data keys stay within the table's buckets (max_sessions/4), and
// neither shared data nor the VM's linear memory keeps growing: their size
// at 200k sessions is within 20% of their size at 50k.
func TestSessionFootprintPlateaus(t *testing.T) {
	var at50k, at200k footprint
	driveSessions(t, 200000, []int{50000, 200000}, func(f footprint) {
		t.Logf("%7d sessions: shared data %d keys, %d bytes; VM memory %.1f MiB",
			f.sessions, f.sharedKeys, f.sharedBytes, float64(f.vmBytes)/(1<<20))
		if f.sessions == 50000 {
			at50k = f
		} else {
			at200k = f
		}
	})
	const buckets = maxSessions / 4
	for _, f := range []footprint{at50k, at200k} {
		if f.sharedKeys > buckets+16 {
			t.Errorf("%d sessions: %d shared-data keys, want at most %d (max_sessions/4) + 16", f.sessions, f.sharedKeys, buckets)
		}
	}
	// The table is in use: 50,000 sessions fill (nearly) every bucket.
	if at50k.sharedKeys < buckets*9/10 {
		t.Errorf("50k sessions: only %d shared-data keys, want about %d: are sessions recorded?", at50k.sharedKeys, buckets)
	}
	if float64(at200k.sharedBytes) > 1.2*float64(at50k.sharedBytes) {
		t.Errorf("shared data grew from %d bytes (50k sessions) to %d (200k)", at50k.sharedBytes, at200k.sharedBytes)
	}
	if float64(at200k.vmBytes) > 1.2*float64(at50k.vmBytes) {
		t.Errorf("VM memory grew from %d bytes (50k sessions) to %d (200k)", at50k.vmBytes, at200k.vmBytes)
	}
}
