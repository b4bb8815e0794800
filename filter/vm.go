package main

import (
	"time"

	"github.com/apiwarden/apiwarden/policy"
	"github.com/apiwarden/apiwarden/policy/inventory"
	"github.com/apiwarden/apiwarden/policy/redact"
	"github.com/apiwarden/apiwarden/policy/sequence"
	"github.com/apiwarden/apiwarden/policy/session"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/apiwarden/apiwarden/filter/internal/abi"
)

// vmContext is the per-VM root of the plugin (one per Envoy worker).
type vmContext struct {
	types.DefaultVMContext
}

func (*vmContext) NewPluginContext(id uint32) types.PluginContext {
	return &pluginContext{id: id}
}

// pluginContext holds what every stream of this VM shares: the compiled
// policy (immutable) and per-VM counters and limiters.
type pluginContext struct {
	types.DefaultPluginContext
	id      uint32
	policy  *policy.Policy
	metrics *metrics
	events  *policy.TokenBucket
	// sessions and sequences are per VM: the histories and counts they
	// read and write live in shared data, their local tables are caches.
	sessions  *session.Sessions
	sequences *sequence.Engine
	ticks     uint64
	sweepNext int
	// sizes learns response sizes per operation (last: unknown endpoints).
	sizes []redact.SizeEstimator
	// inventory counts requests per operation and status class and learns
	// shadow endpoints; flushed to shared data from the tick.
	inventory *inventory.Inventory
	known     []inventory.KnownOp
	// free holds finished streams for reuse.
	free []*stream
}

// sizeModel is the response-size model of an operation.
func (p *pluginContext) sizeModel(ep *policy.Endpoint) *redact.SizeEstimator {
	if ep == nil {
		return &p.sizes[len(p.sizes)-1]
	}
	return &p.sizes[ep.Index]
}

// tickPeriod drives analytics flushes, session sweeps and the periodic
// summary; summaryEvery ticks between two summary log lines.
const (
	tickPeriod   = 1000 // ms
	summaryEvery = 60
	sweepBatch   = 64
)

// OnPluginStart compiles the configuration once. A configuration that does
// not compile stops the plugin from starting: one log line names every
// problem with its JSON path, nothing half-applies.
func (p *pluginContext) OnPluginStart(size int) types.OnPluginStartStatus {
	var raw []byte
	if size > 0 {
		b, err := abi.GetPluginConfiguration()
		if err != nil {
			abi.LogCriticalf("apiwarden: cannot read the plugin configuration: %v", err)
			return types.OnPluginStartStatusFailed
		}
		// b lives in the binding's arena until this callback returns; the
		// policy must never keep a view of it, so it compiles a copy.
		raw = append([]byte(nil), b...)
	}
	pol, err := policy.Compile(raw)
	if err != nil {
		abi.LogCriticalf("apiwarden: invalid configuration: %s", oneLine(err.Error()))
		return types.OnPluginStartStatusFailed
	}
	p.policy = pol
	p.metrics = defineMetrics(pol)
	p.events = policy.NewTokenBucket(pol.Events.PerSecond, pol.Events.Burst)
	sc := pol.Session
	if sc.Salt == "" {
		// No configured salt: one random salt per proxy, shared by every
		// VM, so chosen session ids cannot target a victim's bucket.
		salt, err := session.SharedSalt(sharedStore{}, sc.Prefix, randomBytes)
		if err != nil {
			abi.LogWarnf("apiwarden: no shared session salt, this VM uses its own: %v", err)
			var b [16]byte
			randomBytes(b[:])
			salt = string(b[:])
		}
		sc.Salt = salt
	}
	p.sessions = session.New(sc)
	p.sizes = make([]redact.SizeEstimator, len(pol.Endpoints)+1)
	p.inventory = inventory.New(sharedStore{}, pol.InventoryConfig())
	p.known = pol.KnownOps()
	if pol.SequencesEnabled {
		p.sequences = sequence.NewEngine(p.sessions, pol.Sequences)
	}
	if err := abi.SetTickPeriodMilliSeconds(tickPeriod); err != nil {
		abi.LogWarnf("apiwarden: cannot set the tick period, counts will not be shared: %v", err)
	}
	abi.LogInfof("apiwarden: configured %d endpoints, mode %s, unknown endpoints %s, failure mode %s",
		len(pol.Endpoints), pol.Mode, pol.UnknownEndpoints, pol.FailureMode)
	return types.OnPluginStartStatusOK
}

// OnTick publishes this VM's sequence counts to shared data, sweeps a few
// expired session buckets, and now and then logs a one-line summary.
func (p *pluginContext) OnTick() {
	defer func() {
		if r := recover(); r != nil {
			abi.LogErrorf("apiwarden: recovered panic in tick: %v", r)
		}
	}()
	p.ticks++
	if _, err := p.inventory.Flush(); err != nil {
		abi.LogWarnf("apiwarden: inventory flush: %v", err)
	}
	if p.sequences == nil {
		return
	}
	now := time.Now()
	if a := p.sequences.Analytics(); a != nil {
		if _, err := a.Flush(sharedStore{}); err != nil {
			abi.LogWarnf("apiwarden: sequence analytics flush: %v", err)
		}
		if p.ticks%summaryEvery == 0 {
			abi.LogInfof("apiwarden: sequences: %s", a.Summary())
		}
	}
	next, _, err := p.sessions.Sweep(sharedStore{}, now, p.sweepNext, sweepBatch)
	if err != nil {
		abi.LogWarnf("apiwarden: session sweep: %v", err)
	}
	p.sweepNext = next
}

func (p *pluginContext) NewHttpContext(id uint32) types.HttpContext {
	if p.policy == nil {
		return nil
	}
	var s *stream
	if n := len(p.free); n > 0 {
		s, p.free = p.free[n-1], p.free[:n-1]
		req := s.req
		*s = stream{req: req}
	} else {
		s = &stream{}
	}
	s.plugin, s.id = p, id
	s.req.Reset()
	return s
}

// maxFreeStreams bounds the streams kept for reuse: a VM serves its streams
// one callback at a time, so a few cover the concurrent ones.
const maxFreeStreams = 64

// release returns a finished stream for reuse (its request scratch space
// included). Envoy calls nothing on a stream after on_log but on_done and
// on_delete, which do not reach it.
func (p *pluginContext) release(s *stream) {
	if len(p.free) < maxFreeStreams {
		p.free = append(p.free, s)
	}
}

// oneLine joins a multi-line error (errors.Join) into one log line.
func oneLine(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '\n' {
			b[i] = ';'
		}
	}
	return string(b)
}
