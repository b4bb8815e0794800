package main

import (
	"runtime/debug"
	"strings"
	"time"

	"github.com/apiwarden/apiwarden/filter/internal/abi"
	"github.com/apiwarden/apiwarden/policy"
	"github.com/apiwarden/apiwarden/policy/exchange"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// vmContext is the per-VM root of the plugin (one per Envoy worker).
type vmContext struct {
	types.DefaultVMContext
}

func (*vmContext) NewPluginContext(id uint32) types.PluginContext {
	return &pluginContext{id: id}
}

// pluginContext holds what every stream of this VM shares: the exchange
// runtime (compiled policy, sessions, sequences, inventory, size models)
// and the host's metric handles.
type pluginContext struct {
	types.DefaultPluginContext
	id      uint32
	rt      *exchange.Runtime
	metrics []metric
	// free holds finished streams for reuse.
	free []*stream
}

// metric is a defined host metric (exchange.MetricID indexes them).
type metric struct {
	kind    exchange.MetricKind
	counter abi.MetricCounter
	hist    abi.MetricHistogram
}

// OnPluginStart compiles the configuration once. A configuration that does
// not compile stops the plugin from starting: one log line names every
// problem with its JSON path, nothing half-applies.
func (p *pluginContext) OnPluginStart(size int) types.OnPluginStartStatus {
	var raw []byte
	if size > 0 {
		// Memory this callback owns (no copy of a 13 MB document); the
		// policy keeps no view of it.
		var err error
		if raw, err = abi.GetPluginConfiguration(); err != nil {
			abi.LogCriticalf("apiwarden: cannot read the plugin configuration: %v", err)
			return types.OnPluginStartStatusFailed
		}
	}
	// GOGC 25 while compiling: linear memory keeps the peak. Schemas that
	// enforce nothing (responses) are left to check-config: start-up.
	gcPercent := debug.SetGCPercent(25)
	pol, err := policy.CompileWith(raw, policy.CompileOptions{EnforcedSchemasOnly: true})
	debug.SetGCPercent(gcPercent)
	if err != nil {
		abi.LogCriticalf("apiwarden: invalid configuration: %s", strings.ReplaceAll(err.Error(), "\n", ";"))
		return types.OnPluginStartStatusFailed
	}
	rt, notes, err := exchange.NewRuntime(exchange.Config{Policy: pol, Store: sharedStore{}, Now: abi.Now, Random: randomBytes})
	if err != nil {
		abi.LogCriticalf("apiwarden: %v", err)
		return types.OnPluginStartStatusFailed
	}
	p.rt = rt
	// Metrics are defined once per VM here, never lazily on the request
	// path.
	defs := rt.Metrics()
	p.metrics = make([]metric, len(defs))
	for i, d := range defs {
		p.metrics[i].kind = d.Kind
		if d.Kind == exchange.Histogram {
			p.metrics[i].hist = abi.DefineHistogramMetric(d.Name)
		} else {
			p.metrics[i].counter = abi.DefineCounterMetric(d.Name)
		}
	}
	if err := abi.SetTickPeriodMilliSeconds(uint32(exchange.TickPeriod / time.Millisecond)); err != nil {
		abi.LogWarnf("apiwarden: cannot set the tick period, counts will not be shared: %v", err)
	}
	p.publish(notes, nil)
	return types.OnPluginStartStatusOK
}

// OnTick publishes this VM's counts to shared data, sweeps a few expired
// session and abuse buckets, starts the key-set fetches that are due, and
// now and then logs a one-line summary.
func (p *pluginContext) OnTick() {
	defer func() {
		if r := recover(); r != nil {
			abi.LogErrorf("apiwarden: recovered panic in tick: %v", r)
		}
	}()
	ts := p.rt.Tick()
	p.publish(ts.Logs, ts.Metrics)
	for _, c := range ts.Callouts {
		p.dispatch(c)
	}
}

// publish writes log lines and applies metric increments.
func (p *pluginContext) publish(logs []exchange.Log, incs []exchange.Inc) {
	for _, l := range logs {
		switch l.Level {
		case exchange.LevelDebug:
			abi.LogDebug(string(l.Text))
		case exchange.LevelInfo:
			abi.LogInfo(string(l.Text))
		case exchange.LevelWarn:
			abi.LogWarn(string(l.Text))
		case exchange.LevelError:
			abi.LogError(string(l.Text))
		default:
			abi.LogCritical(string(l.Text))
		}
	}
	for _, in := range incs {
		if m := &p.metrics[in.ID]; m.kind == exchange.Histogram {
			m.hist.Record(in.N)
		} else {
			m.counter.Increment(in.N)
		}
	}
}

func (p *pluginContext) NewHttpContext(id uint32) types.HttpContext {
	if p.rt == nil {
		return nil
	}
	var s *stream
	if n := len(p.free); n > 0 {
		s, p.free = p.free[n-1], p.free[:n-1]
	} else {
		s = &stream{}
	}
	s.plugin, s.id = p, id
	p.rt.Begin(&s.x)
	return s
}

// maxFreeStreams bounds the streams kept for reuse: a VM serves its streams
// one callback at a time, so a few cover the concurrent ones.
const maxFreeStreams = 64

// release returns a finished stream for reuse (its exchange's scratch
// space included). Envoy calls nothing on a stream after on_log but
// on_done and on_delete, which do not reach it.
func (p *pluginContext) release(s *stream) {
	if len(p.free) < maxFreeStreams {
		p.free = append(p.free, s)
	}
}
