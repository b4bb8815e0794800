// Command guestprof samples where a WebAssembly guest spends its time:
// it runs a WASI command module (a Go test binary built with GOOS=wasip1,
// for instance) under wazero with a function listener that keeps the
// guest's call stack, samples that stack at a fixed interval, and prints
// the functions by exclusive and inclusive share of the samples. Envoy's
// V8 has no such view of a module, and Go's own profiler does not run in
// wasm; this is how the start-up work of large OpenAPI documents was
// found (the collector's assists, map growth, field sets).
//
//	GOOS=wasip1 GOARCH=wasm go test -c -o /tmp/openapi.wasm ./policy/openapi
//	go run ./cmd/guestprof -dir policy/openapi -env GOGC=25 /tmp/openapi.wasm \
//	    -test.run '^$' -test.bench 'BenchmarkParseStartup/refdense' -test.benchtime 1x
//
// The listener slows every call down (a 1.4 s run takes ~9 s), more so
// for call-heavy code than for loops: read the shares as a map of where
// to look, and measure a change without it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"
)

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "guestprof:", err)
		os.Exit(2)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("guestprof", flag.ContinueOnError)
	every := fs.Duration("every", 200*time.Microsecond, "sampling interval")
	top := fs.Int("top", 40, "functions listed per table")
	var dirs, envs listFlag
	fs.Var(&dirs, "dir", "host directory mounted as the guest's / (or host=guest); repeatable")
	fs.Var(&envs, "env", "NAME=value for the guest; repeatable")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() < 1 {
		return errors.New("usage: guestprof [flags] module.wasm [guest args...]")
	}
	code, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	s := newSampler()
	ctx := experimental.WithFunctionListenerFactory(context.Background(), s)
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	fsc := wazero.NewFSConfig()
	for _, d := range dirs {
		host, guest, ok := strings.Cut(d, "=")
		if !ok {
			guest = "/"
		}
		fsc = fsc.WithDirMount(host, guest)
	}
	cfg := wazero.NewModuleConfig().WithFSConfig(fsc).WithStdout(stdout).WithStderr(stderr).
		WithArgs(append([]string{fs.Arg(0)}, fs.Args()[1:]...)...).WithSysNanotime().WithSysWalltime().WithSysNanosleep()
	for _, e := range envs {
		k, v, _ := strings.Cut(e, "=")
		cfg = cfg.WithEnv(k, v)
	}
	stop := s.every(*every)
	_, err = r.InstantiateWithConfig(ctx, code, cfg)
	stop()
	var exit *sys.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 0 {
		err = nil
	}
	s.report(stdout, *top)
	return err
}

// sampler keeps the guest's call stack (function indexes) and counts, per
// sample, the function on top (exclusive) and every function on the stack
// (inclusive, once per sample).
type sampler struct {
	mu      sync.Mutex
	stack   []uint32
	names   map[uint32]string
	excl    map[uint32]int
	incl    map[uint32]int
	samples int
}

func newSampler() *sampler {
	return &sampler{names: map[uint32]string{}, excl: map[uint32]int{}, incl: map[uint32]int{}}
}

func (s *sampler) NewFunctionListener(def api.FunctionDefinition) experimental.FunctionListener {
	s.names[def.Index()] = def.DebugName()
	return s
}

func (s *sampler) Before(_ context.Context, _ api.Module, def api.FunctionDefinition, _ []uint64, _ experimental.StackIterator) {
	s.mu.Lock()
	s.stack = append(s.stack, def.Index())
	s.mu.Unlock()
}

func (s *sampler) After(context.Context, api.Module, api.FunctionDefinition, []uint64) { s.pop() }

func (s *sampler) Abort(context.Context, api.Module, api.FunctionDefinition, error) { s.pop() }

func (s *sampler) pop() {
	s.mu.Lock()
	if len(s.stack) > 0 {
		s.stack = s.stack[:len(s.stack)-1]
	}
	s.mu.Unlock()
}

// every samples until the returned function is called.
func (s *sampler) every(d time.Duration) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(d)
		defer t.Stop()
		seen := map[uint32]bool{}
		for {
			select {
			case <-done:
				return
			case <-t.C:
				s.sample(seen)
			}
		}
	}()
	return func() { close(done); <-finished }
}

func (s *sampler) sample(seen map[uint32]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.stack) == 0 {
		return
	}
	s.samples++
	s.excl[s.stack[len(s.stack)-1]]++
	clear(seen)
	for _, f := range s.stack {
		if !seen[f] {
			seen[f] = true
			s.incl[f]++
		}
	}
}

func (s *sampler) report(w io.Writer, top int) {
	type row struct {
		name       string
		excl, incl int
	}
	rows := make([]row, 0, len(s.incl))
	for f, n := range s.incl {
		rows = append(rows, row{s.names[f], s.excl[f], n})
	}
	pct := func(n int) float64 { return 100 * float64(n) / float64(max(s.samples, 1)) }
	fmt.Fprintf(w, "%d samples\n", s.samples)
	for _, t := range []struct {
		title string
		key   func(row) int
	}{{"exclusive", func(r row) int { return r.excl }}, {"inclusive", func(r row) int { return r.incl }}} {
		sort.Slice(rows, func(a, b int) bool { return t.key(rows[a]) > t.key(rows[b]) })
		fmt.Fprintf(w, "\n  excl%%   incl%%  by %s\n", t.title)
		for _, r := range rows[:min(top, len(rows))] {
			fmt.Fprintf(w, "%6.2f  %6.2f  %s\n", pct(r.excl), pct(r.incl), strings.TrimPrefix(r.name, "."))
		}
	}
}
