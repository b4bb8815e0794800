package bench

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/apiwarden/apiwarden/wasmtest"
)

var (
	tableTime = flag.Duration("table.benchtime", time.Second, "measured time of each case of BenchmarkTable")
	tableOut  = flag.String("table.out", "", "also write BenchmarkTable's markdown to this file")
)

// measurement is one case of the table.
type measurement struct {
	name                             string
	n                                int
	nsPerOp, bytesPerOp, allocsPerOp float64
	mbPerSec                         float64
	guest                            guestCost
	moduleBytes                      int
}

// measure runs the scenario for about d of measured time after a
// warm-up, with its own clock and allocation counters. (BenchmarkTable
// cannot use testing.Benchmark: called from a running benchmark it waits
// forever for the lock the running benchmark holds.)
func (sc *scenario) measure(tb testing.TB, d time.Duration) measurement {
	drv := newDriver(tb, sc.setup, sc.edit...)
	i := 0
	for warm := time.Now(); i < 10 || time.Since(warm) < d/10; i++ {
		sc.iteration(tb, drv, i, nil)
	}
	var (
		ms            runtime.MemStats
		mark          time.Time
		m0, b0        uint64
		pausedNs      time.Duration
		pausedMallocs uint64
		pausedBytes   uint64
		before, after runtime.MemStats
	)
	pause := func(stop bool) {
		if stop {
			mark = time.Now()
			runtime.ReadMemStats(&ms)
			m0, b0 = ms.Mallocs, ms.TotalAlloc
			return
		}
		runtime.ReadMemStats(&ms)
		pausedMallocs += ms.Mallocs - m0
		pausedBytes += ms.TotalAlloc - b0
		pausedNs += time.Since(mark)
	}
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	n := 0
	for ; time.Since(start)-pausedNs < d; n++ {
		sc.iteration(tb, drv, i, pause)
		i++
	}
	elapsed := time.Since(start) - pausedNs
	runtime.ReadMemStats(&after)
	m := measurement{name: sc.setup.name, n: n,
		nsPerOp:     float64(elapsed.Nanoseconds()) / float64(n),
		allocsPerOp: float64(after.Mallocs-before.Mallocs-pausedMallocs) / float64(n),
		bytesPerOp:  float64(after.TotalAlloc-before.TotalAlloc-pausedBytes) / float64(n),
		guest:       sc.guest(tb, drv),
	}
	if sc.bytes > 0 {
		m.mbPerSec = float64(sc.bytes) * float64(n) / elapsed.Seconds() / 1e6
	}
	return m
}

// measureStartup times wasmtest.New + Close for about d.
func measureStartup(tb testing.TB, s setup, d time.Duration) measurement {
	code := module(tb, s.module)
	opts := wasmtest.Options{Module: code, PluginConfig: s.config, DisableTrace: true, LogLevel: wasmtest.LogInfo,
		PluginName: "apiwarden", RootID: "apiwarden", VMID: "apiwarden", WASI: benchWASI}
	ctx := context.Background()
	var mem uint32
	compileOnce(tb, s.module)
	start1 := func() {
		h, err := wasmtest.New(ctx, opts)
		if err != nil {
			fail(tb, "%s: %v", s.name, err)
		}
		mem = h.VM(0).MemoryBytes()
		_ = h.Close(ctx)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	n := 0
	for ; n < 1 || time.Since(start) < d; n++ {
		start1()
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	return measurement{name: s.name, n: n, moduleBytes: len(code),
		nsPerOp:     float64(elapsed.Nanoseconds()) / float64(n),
		allocsPerOp: float64(after.Mallocs-before.Mallocs) / float64(n),
		bytesPerOp:  float64(after.TotalAlloc-before.TotalAlloc) / float64(n),
		guest:       guestCost{vmMiB: float64(mem) / (1 << 20)},
	}
}

// BenchmarkTable measures the per-request cases of BenchmarkRequest,
// BenchmarkSessionFlow, BenchmarkRoute and BenchmarkResponse, and the
// start-ups of BenchmarkStartup, each for -table.benchtime (default 1s),
// and prints one markdown table with the ratios to the pass-through
// module measured in the same run:
//
//	go test ./filter/bench -run '^$' -bench BenchmarkTable -benchtime 1x -v
//
// Its own metric is the full bank policy's header-only cost as a multiple
// of passthrough's.
func BenchmarkTable(b *testing.B) {
	var headline float64
	for b.Loop() {
		headline = table(b, *tableTime)
	}
	b.ReportMetric(headline, "bank-full/passthrough")
}

func table(b *testing.B, d time.Duration) float64 {
	type section struct {
		title string
		rows  []measurement
	}
	var sections []section
	index := map[string]int{}
	add := func(title string, m measurement) {
		i, ok := index[title]
		if !ok {
			i = len(sections)
			index[title] = i
			sections = append(sections, section{title: title})
		}
		sections[i].rows = append(sections[i].rows, m)
	}
	var scs []*scenario
	scs = append(scs, requestScenarios(b)...)
	scs = append(scs, sessionFlowScenarios(b)...)
	scs = append(scs, routeScenarios(b)...)
	scs = append(scs, responseScenarios(b)...)
	for _, sc := range scs {
		add(sc.group, sc.measure(b, d))
	}
	for _, s := range startupSetups(b) {
		add("startup", measureStartup(b, s, d))
	}

	var w strings.Builder
	fmt.Fprintf(&w, "%s, GOMAXPROCS %d, %d CPUs, %s/%s; %s measured per case\n\n",
		runtime.Version(), runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, d)
	headline := 0.0
	for _, s := range sections {
		base := s.rows[0]
		fmt.Fprintf(&w, "### %s\n\n", s.title)
		if s.title == "startup" {
			fmt.Fprintln(&w, "| configuration | ms/start | × passthrough | B/op | allocs/op | VM MiB after start | module bytes |")
			fmt.Fprintln(&w, "|---|---:|---:|---:|---:|---:|---:|")
			for _, m := range s.rows {
				fmt.Fprintf(&w, "| %s | %.2f | %.1f | %.0f | %.0f | %.1f | %d |\n", m.name, m.nsPerOp/1e6,
					m.nsPerOp/base.nsPerOp, m.bytesPerOp, m.allocsPerOp, m.guest.vmMiB, m.moduleBytes)
			}
			fmt.Fprintln(&w)
			continue
		}
		mb := base.mbPerSec > 0 && strings.HasPrefix(s.title, "response")
		head := "| module / policy | ns/op | × passthrough | B/op | allocs/op | host calls/op | logs/op | VM MiB |"
		rule := "|---|---:|---:|---:|---:|---:|---:|---:|"
		if mb {
			head += " MB/s |"
			rule += "---:|"
		}
		fmt.Fprintln(&w, head)
		fmt.Fprintln(&w, rule)
		for _, m := range s.rows {
			ratio := m.nsPerOp / base.nsPerOp
			if s.title == "header-only" && m.name == "bank-full" {
				headline = ratio
			}
			fmt.Fprintf(&w, "| %s | %.0f | %.2f | %.0f | %.0f | %.1f | %.3f | %.1f |", m.name, m.nsPerOp, ratio,
				m.bytesPerOp, m.allocsPerOp, m.guest.hostCalls, m.guest.logsPerOp, m.guest.vmMiB)
			if mb {
				fmt.Fprintf(&w, " %.1f |", m.mbPerSec)
			}
			fmt.Fprintln(&w)
		}
		fmt.Fprintln(&w)
	}
	var out io.Writer = os.Stdout
	fmt.Fprint(out, w.String())
	if *tableOut != "" {
		if err := os.WriteFile(*tableOut, []byte(w.String()), 0o644); err != nil {
			b.Error(err)
		}
	}
	return headline
}
