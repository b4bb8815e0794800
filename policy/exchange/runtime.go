package exchange

import (
	"errors"
	"fmt"
	"time"

	"github.com/apiwarden/apiwarden/policy"
	"github.com/apiwarden/apiwarden/policy/inventory"
	"github.com/apiwarden/apiwarden/policy/redact"
	"github.com/apiwarden/apiwarden/policy/sequence"
	"github.com/apiwarden/apiwarden/policy/session"
)

// Config is what a Runtime is built from: the compiled policy and the
// ports to the host.
type Config struct {
	Policy *policy.Policy
	// Store is the host's shared data (one store for every VM).
	Store session.Store
	// Now is the clock (time.Now in the filter).
	Now func() time.Time
	// Random fills a buffer with random bytes (trace and span ids, the
	// fallback session salt); uniqueness, not secrecy.
	Random func([]byte)
}

// Runtime is the per-VM composition root: what every exchange of one VM
// (one Envoy worker) shares. It is not safe for concurrent use; a VM runs
// one callback at a time.
type Runtime struct {
	pol    *policy.Policy
	store  session.Store
	now    func() time.Time
	random func([]byte)

	metrics *metricIDs
	events  *policy.TokenBucket
	// sessions and sequences are per VM: the histories and counts they
	// read and write live in shared data, their local tables are caches.
	sessions  *session.Sessions
	sequences *sequence.Engine
	// sizes learns response sizes per operation (last: unknown endpoints).
	sizes []redact.SizeEstimator
	// inventory counts requests per operation and status class and learns
	// shadow endpoints; flushed to shared data from the tick.
	inventory *inventory.Inventory
	known     []inventory.KnownOp

	// head and complete are the request checks, in order, run on the
	// headers and once the request is complete (see the package doc for
	// adding one); observers watch responses.
	route     []check
	head      []check
	complete  []check
	observers []observer
	sec       security

	ticks     uint64
	sweepNext int
	// clientHops are the trusted forwarded-for hops of the abuse
	// controls, else of sessions: events name the client they key on.
	clientHops int
}

// TickPeriod drives analytics flushes, session sweeps and the periodic
// summary.
const TickPeriod = time.Second

const (
	summaryEvery = 60 // ticks between two summary lines
	sweepBatch   = 64 // session buckets swept per tick
)

// NewRuntime builds the runtime of one VM. notes are log lines for the
// start-up (a fallback salt, the configuration summary).
func NewRuntime(c Config) (rt *Runtime, notes []Log, err error) {
	if c.Policy == nil || c.Store == nil || c.Now == nil || c.Random == nil {
		return nil, nil, errors.New("exchange: runtime needs a policy, a store, a clock and a randomness source")
	}
	pol := c.Policy
	rt = &Runtime{pol: pol, store: c.Store, now: c.Now, random: c.Random}
	rt.metrics = newMetricIDs(pol)
	rt.events = policy.NewTokenBucket(pol.Events.PerSecond, pol.Events.Burst)
	sc := pol.Session
	if sc.Salt == "" {
		// No configured salt: one random salt per proxy, shared by every
		// VM, so chosen session ids cannot target a victim's bucket.
		salt, err := session.SharedSalt(c.Store, sc.Prefix, c.Random)
		if err != nil {
			notes = append(notes, logf(LevelWarn, "apiwarden: no shared session salt, this VM uses its own: %v", err))
			var b [16]byte
			c.Random(b[:])
			salt = string(b[:])
		}
		sc.Salt = salt
	}
	rt.sessions = session.New(sc)
	rt.clientHops = sc.TrustedHops
	if pol.Abuse != nil && pol.Abuse.TrustedHops > 0 {
		rt.clientHops = pol.Abuse.TrustedHops
	}
	rt.sizes = make([]redact.SizeEstimator, len(pol.Endpoints)+1)
	rt.inventory = inventory.New(c.Store, pol.InventoryConfig())
	rt.known = pol.KnownOps()
	rt.addSecurity()
	if pol.SequencesEnabled {
		rt.sequences = sequence.NewEngine(rt.sessions, pol.Sequences)
		rt.complete = append(rt.complete, check{name: "session history", run: (*Exchange).checkSequence})
		rt.observers = append(rt.observers, observer{headers: (*Exchange).recordStep})
	}
	rt.observers = append(rt.observers, observer{body: (*Exchange).observeSize, done: (*Exchange).countInventory})
	notes = append(notes, logf(LevelInfo, "apiwarden: configured %d endpoints, mode %s, unknown endpoints %s, failure mode %s",
		len(pol.Endpoints), pol.Mode, pol.UnknownEndpoints, pol.FailureMode))
	if pol.UnenforcedSecurity > 0 {
		notes = append(notes, logf(LevelInfo, "apiwarden: the OpenAPI document declares security on %d operations and no \"auth\" section enforces it",
			pol.UnenforcedSecurity))
	}
	return rt, notes, nil
}

// Policy is the compiled policy.
func (rt *Runtime) Policy() *policy.Policy { return rt.pol }

// Metrics lists the metrics to define, in MetricID order.
func (rt *Runtime) Metrics() []Metric { return rt.metrics.defs }

// Begin prepares x for a new stream of this VM, reusing its buffers.
func (rt *Runtime) Begin(x *Exchange) {
	x.rt = rt
	x.perStream = perStream{}
	x.out = Step{Edits: x.out.Edits[:0], Logs: x.out.Logs[:0], Metrics: x.out.Metrics[:0]}
	x.text, x.reply, x.evidence = x.text[:0], x.reply[:0], x.evidence[:0]
	x.req.Reset()
	x.sec.reset()
}

// Tick publishes this VM's counts to shared data and its batched counter
// increments (TickStep.Metrics), sweeps a few expired
// session and abuse buckets, starts the key-set fetches that are due, and
// now and then returns a one-line summary.
func (rt *Runtime) Tick() TickStep {
	logs := rt.tickCounts()
	return TickStep{Logs: rt.tickSecurity(logs), Callouts: rt.dueCallouts(), Metrics: rt.metrics.flush()}
}

func (rt *Runtime) tickCounts() []Log {
	var logs []Log
	rt.ticks++
	if _, err := rt.inventory.Flush(); err != nil {
		logs = append(logs, logf(LevelWarn, "apiwarden: inventory flush: %v", err))
	}
	if rt.sequences == nil {
		return logs
	}
	if a := rt.sequences.Analytics(); a != nil {
		if _, err := a.Flush(rt.store); err != nil {
			logs = append(logs, logf(LevelWarn, "apiwarden: sequence analytics flush: %v", err))
		}
		if rt.ticks%summaryEvery == 0 {
			logs = append(logs, logf(LevelInfo, "apiwarden: sequences: %s", a.Summary()))
		}
	}
	next, _, err := rt.sessions.Sweep(rt.store, rt.now(), rt.sweepNext, sweepBatch)
	if err != nil {
		logs = append(logs, logf(LevelWarn, "apiwarden: session sweep: %v", err))
	}
	rt.sweepNext = next
	return logs
}

// sizeModel is the response-size model of an operation.
func (rt *Runtime) sizeModel(ep *policy.Endpoint) *redact.SizeEstimator {
	if ep == nil {
		return &rt.sizes[len(rt.sizes)-1]
	}
	return &rt.sizes[ep.Index]
}

func logf(l Level, f string, args ...any) Log {
	return Log{Level: l, Text: fmt.Appendf(nil, f, args...)}
}
