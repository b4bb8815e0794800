package bench

import (
	"bytes"
	"sync/atomic"
	"testing"

	"github.com/apiwarden/apiwarden/wasmtest"
)

// A scenario is one benchmark case: a setup (module + configuration) and
// the exchanges of one iteration.
type scenario struct {
	group string // "header-only", "post-1KB", ...: one table section
	setup setup
	steps []step
	// timed is the step whose cost is measured; the other steps of the
	// iteration run with the timer stopped (they put the session in the
	// state the timed step needs). -1: every step is timed.
	timed int
	// alternate: iteration i plays only step i%len(steps) (in session
	// i/len(steps)), so ns/op is per exchange over the whole flow.
	alternate bool
	// sessions cycle per iteration through the x-session-id header; nil
	// keeps the requests' own value.
	sessions []string
	// bytes is the body size for b.SetBytes (0: none).
	bytes int64
	edit  []func(*wasmtest.Options)
}

type step struct {
	req  wasmtest.Request
	up   wasmtest.Upstream
	want int
}

func (sc *scenario) name() string { return sc.group + "/" + sc.setup.name }

// timer is the part of *testing.B an iteration needs; nil when probing.
type timer interface {
	StopTimer()
	StartTimer()
}

// iteration plays iteration i. untimed, when not nil, is called around
// each untimed step (true before, false after).
func (sc *scenario) iteration(tb testing.TB, d *driver, i int, untimed func(bool)) {
	n := len(sc.steps)
	sess := i
	first, last := 0, n-1
	if sc.alternate {
		sess = i / n
		first, last = i%n, i%n
	}
	for j := first; j <= last; j++ {
		st := &sc.steps[j]
		if sc.sessions != nil {
			st.req.Headers[sessionHeader][1] = sc.sessions[sess%len(sc.sessions)]
		}
		off := sc.timed >= 0 && j != sc.timed && !sc.alternate
		if off && untimed != nil {
			untimed(true)
		}
		d.do(tb, &st.req, st.up, st.want)
		if off && untimed != nil {
			untimed(false)
		}
	}
}

// run is the benchmark body of the scenario.
func (sc *scenario) run(b *testing.B) {
	d := newDriver(b, sc.setup, sc.edit...)
	pause := func(stop bool) {
		if stop {
			b.StopTimer()
		} else {
			b.StartTimer()
		}
	}
	if sc.bytes > 0 {
		b.SetBytes(sc.bytes)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		sc.iteration(b, d, i, pause)
		i++
	}
	b.StopTimer()
	g := sc.guest(b, d)
	b.ReportMetric(g.vmMiB, "vm-MiB")
	b.ReportMetric(g.logsPerOp, "logs/op")
	b.ReportMetric(g.hostCalls, "hostcalls/op")
}

// guestCost is what the host sees of the guest after a run.
type guestCost struct {
	vmMiB     float64 // linear memory at the end of the run
	logsPerOp float64 // log lines captured per exchange (events)
	hostCalls float64 // host function calls per measured exchange
}

func (sc *scenario) guest(tb testing.TB, d *driver) guestCost {
	d.housekeeping(tb)
	g := guestCost{vmMiB: float64(d.memory()) / (1 << 20), hostCalls: sc.hostCalls(tb)}
	if d.n > 0 {
		g.logsPerOp = float64(d.logLines) / float64(d.n)
	}
	return g
}

// hostCalls counts the host function calls of one measured exchange on a
// warm VM (a second host with HostCallTrace set, so the timed run is not
// slowed by the trace).
func (sc *scenario) hostCalls(tb testing.TB) float64 {
	var c lineCounter
	edit := append(append([]func(*wasmtest.Options){}, sc.edit...), func(o *wasmtest.Options) { o.HostCallTrace = &c })
	d := newDriver(tb, sc.setup, edit...)
	const warm, measured = 8, 8
	for i := 0; i < warm; i++ {
		sc.iteration(tb, d, i, nil)
	}
	var untimedCalls, mark int64
	start := c.n.Load()
	for i := warm; i < warm+measured; i++ {
		sc.iteration(tb, d, i, func(stop bool) {
			if stop {
				mark = c.n.Load()
			} else {
				untimedCalls += c.n.Load() - mark
			}
		})
	}
	return float64(c.n.Load()-start-untimedCalls) / measured
}

type lineCounter struct{ n atomic.Int64 }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.n.Add(int64(bytes.Count(p, []byte{'\n'})))
	return len(p), nil
}

// requestSetups are the four configurations of the per-request cost.
func requestSetups(tb testing.TB) []setup {
	return []setup{passthrough(), apiwardenEmpty(), bankNoSequences(tb), bankFull(tb)}
}

// requestScenarios: a header-only GET /api/v1/accounts/ACC-1/balance and a
// 1 KiB JSON POST /api/v1/transferFunds, x-session-id cycling over 10,000
// sessions. With sequence rules (bank-full) each timed request is paired
// with an untimed one of the other kind in the same session, so every
// session follows get_balance -> transfer_funds -> get_balance ... and
// every request is allowed (the rules require a balance before a transfer
// and refuse two transfers in a row).
func requestScenarios(tb testing.TB) []*scenario {
	var out []*scenario
	for _, kind := range []struct {
		group string
		timed int
	}{{"header-only", 0}, {"post-1KB", 1}} {
		for _, s := range requestSetups(tb) {
			up := bankUpstream()
			sc := &scenario{group: kind.group, setup: s, sessions: sessionIDs(), timed: kind.timed,
				steps: []step{{req: balanceRequest(), up: up, want: 200}}}
			if kind.timed == 1 {
				sc.bytes = int64(len(transferBody()))
				sc.steps = append(sc.steps, step{req: transferRequest(), up: up, want: 200})
				if !s.sessionFlow {
					sc.steps, sc.timed = sc.steps[1:], 0
				}
			} else if s.sessionFlow {
				sc.steps = append(sc.steps, step{req: transferRequest(), up: up, want: 200})
			}
			out = append(out, sc)
		}
	}
	return out
}

// BenchmarkRequest is the per-request cost through the module (issue
// "Foundation").
func BenchmarkRequest(b *testing.B) {
	for _, sc := range requestScenarios(b) {
		b.Run(sc.name(), sc.run)
	}
}

// sessionFlowScenarios: every exchange timed, alternating get_balance and
// transfer_funds in each of 10,000 sessions (issue "Sequence security").
func sessionFlowScenarios(tb testing.TB) []*scenario {
	var out []*scenario
	for _, s := range []setup{passthrough(), bankFull(tb)} {
		up := bankUpstream()
		out = append(out, &scenario{group: "session-flow-10k", setup: s, sessions: sessionIDs(), timed: -1, alternate: true,
			steps: []step{{req: balanceRequest(), up: up, want: 200}, {req: transferRequest(), up: up, want: 200}}})
	}
	return out
}

// BenchmarkSessionFlow is the per-request cost of the full bank policy
// (sessions, four sequence rules, analytics, response protection) over
// 10,000 sessions, against the pass-through module.
func BenchmarkSessionFlow(b *testing.B) {
	for _, sc := range sessionFlowScenarios(b) {
		b.Run(sc.setup.name, sc.run)
	}
}

// routeScenarios: operation #1000 of the 2,000-operation policy and an
// unknown path (refused with 403 by the positive model; the pass-through
// module forwards it).
func routeScenarios(tb testing.TB) []*scenario {
	unknown := operation1000(tb)
	unknown.Method, unknown.Path = "GET", "/v1/not_in_the_inventory/ab_12345678"
	var out []*scenario
	for _, s := range []setup{passthrough(), syntheticSetup(tb)} {
		want := 200
		if s.module == modApiwarden {
			want = 403
		}
		out = append(out,
			&scenario{group: "route-op1000", setup: s, timed: 0,
				steps: []step{{req: operation1000(tb), up: tinyJSON(), want: 200}}},
			&scenario{group: "route-unknown", setup: s, timed: 0,
				steps: []step{{req: unknown, up: tinyJSON(), want: want}}})
	}
	return out
}

// BenchmarkRoute is route matching through the module with 2,000
// operations (issue "Positive security model").
func BenchmarkRoute(b *testing.B) {
	for _, sc := range routeScenarios(b) {
		b.Run(sc.name(), sc.run)
	}
}
