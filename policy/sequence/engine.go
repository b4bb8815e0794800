package sequence

import (
	"fmt"
	"sync"
	"time"

	"github.com/apiwarden/apiwarden/policy/session"
)

// Engine evaluates the sequence rules of one compiled configuration
// against session histories in shared data. It is immutable apart from its
// Analytics and safe for concurrent use.
type Engine struct {
	sess      *session.Sessions
	cfg       Config
	analytics *Analytics
	// window is the number of steps Result.Score averages over.
	window int
	pool   sync.Pool
}

// NewEngine returns the engine for the sessions table s and the sequences
// configuration c (Analytics is created when c has an analytics section).
func NewEngine(s *session.Sessions, c Config) *Engine {
	e := &Engine{sess: s, cfg: c, window: DefaultWindow}
	if c.Analytics != nil {
		sc := s.Config()
		e.analytics = NewAnalytics(*c.Analytics, c.Ops, sc.Prefix, sc.Retries)
	}
	for _, r := range c.Rules {
		if r.Kind == KindAnomaly {
			e.window = r.Window
			break
		}
	}
	e.pool.New = func() any { return new(session.Txn) }
	return e
}

// Analytics returns the engine's analytics, nil when disabled.
func (e *Engine) Analytics() *Analytics { return e.analytics }

// Config returns the compiled configuration.
func (e *Engine) Config() *Config { return &e.cfg }

// Result is the outcome of one Observe.
type Result struct {
	// Hits are the rules that matched, in configuration order.
	Hits []Hit
	// Prior is the history the rules saw (oldest first): exactly the one
	// the successful compare-and-swap was based on, before this request.
	Prior []session.Entry
	// Score is the session's mean surprise in bits over the last steps
	// (the window of the first anomaly rule, else 8), including this
	// request; valid when Scored (analytics enabled).
	Score  float64
	Scored bool
	// Attempts is the number of compare-and-swap attempts used.
	Attempts int
	// Corrupt reports that the session's bucket did not decode and was
	// replaced.
	Corrupt bool

	// The hits' evidence lives here: valid until the next evaluation
	// into this Result.
	names []string
	times []OpTime
	// snap is the bucket Check read (snapOK), for RecordAfter.
	snap   session.Snapshot
	snapOK bool
}

// Blocking reports whether a hit asks to block in effect, given the global
// mode (monitor never blocks).
func (r *Result) Blocking(global Mode) (Hit, bool) {
	for _, h := range r.Hits {
		if h.Action == ActionBlock && h.Mode.Effective(global) == ModeEnforce {
			return h, true
		}
	}
	return Hit{}, false
}

// Observe reads the session's history, evaluates every rule against it,
// appends op and writes the history back with compare-and-swap, retrying
// the whole read-evaluate-write (up to the session cas_retries) when
// another writer got in between, so the rules never see a stale history.
// Exhausted retries return session.ErrContention (nothing recorded; the
// caller applies failure_mode). On success op is also counted by the
// analytics. now is the request time.
func (e *Engine) Observe(st session.Store, sessionHash string, op int, now time.Time) (Result, error) {
	var r Result
	err := e.ObserveInto(&r, st, sessionHash, op, now)
	return r, err
}

// ObserveInto is Observe reusing r's slices.
func (e *Engine) ObserveInto(r *Result, st session.Store, sessionHash string, op int, now time.Time) error {
	r.Hits, r.Prior, r.Score, r.Scored, r.Attempts, r.Corrupt = r.Hits[:0], r.Prior[:0], 0, false, 0, false
	r.snapOK = false
	if op < 0 || op > session.MaxOp {
		return fmt.Errorf("sequence: operation index %d out of range", op)
	}
	tx := e.pool.Get().(*session.Txn)
	defer e.pool.Put(tx)
	in := Input{Op: uint16(op), Now: session.Millis(now)}
	err := e.sess.Update(st, sessionHash, op, now, tx, func(prior *session.History) {
		r.Attempts++
		in.Prior = prior.Entries
		e.evaluate(r, &in)
	})
	if err != nil {
		r.Hits = r.Hits[:0]
		return err
	}
	r.Corrupt = tx.Corrupt
	r.Prior = append(r.Prior, tx.Prior.Entries...)
	if e.analytics != nil {
		e.analytics.Record(tx.Prior.Entries, uint16(op), in.Now)
	}
	return nil
}

// Check reads the session's history and evaluates every rule against it
// without recording op: the first half of a step that is recorded only
// once it happened (Record, after the upstream answered). Between the two
// another request of the same session may be recorded, so a rule sees the
// history as of Check, not as of the write.
func (e *Engine) Check(r *Result, st session.Store, sessionHash string, op int, now time.Time) error {
	r.Hits, r.Prior, r.Score, r.Scored, r.Attempts, r.Corrupt = r.Hits[:0], r.Prior[:0], 0, false, 1, false
	r.snapOK = false
	if op < 0 || op > session.MaxOp {
		return fmt.Errorf("sequence: operation index %d out of range", op)
	}
	tx := e.pool.Get().(*session.Txn)
	defer e.pool.Put(tx)
	if err := e.sess.Begin(st, sessionHash, now, tx); err != nil {
		return err
	}
	tx.Snapshot(&r.snap)
	r.snapOK = true
	in := Input{Op: uint16(op), Now: session.Millis(now), Prior: tx.Prior.Entries}
	e.evaluate(r, &in)
	r.Corrupt = tx.Corrupt
	r.Prior = append(r.Prior, tx.Prior.Entries...)
	return nil
}

// Record appends op to the session's history (compare-and-swap, with the
// session cas_retries) and counts it in the analytics: the step happened.
// Exhausted retries return session.ErrContention.
func (e *Engine) Record(st session.Store, sessionHash string, op int, now time.Time) error {
	return e.record(st, sessionHash, op, now, nil)
}

// RecordAfter is Record for the request r was checked for (Check, same
// session): it starts from the bucket Check read, so when no other
// request wrote it meanwhile the step costs one compare-and-swap and no
// read.
func (e *Engine) RecordAfter(r *Result, st session.Store, sessionHash string, op int, now time.Time) error {
	var snap *session.Snapshot
	if r.snapOK {
		snap, r.snapOK = &r.snap, false
	}
	return e.record(st, sessionHash, op, now, snap)
}

func (e *Engine) record(st session.Store, sessionHash string, op int, now time.Time, snap *session.Snapshot) error {
	if op < 0 || op > session.MaxOp {
		return fmt.Errorf("sequence: operation index %d out of range", op)
	}
	tx := e.pool.Get().(*session.Txn)
	defer e.pool.Put(tx)
	if err := e.sess.RecordFrom(st, sessionHash, op, now, tx, snap); err != nil {
		return err
	}
	if e.analytics != nil {
		e.analytics.Record(tx.Prior.Entries, uint16(op), session.Millis(now))
	}
	return nil
}

// Evaluate runs the rules on in without touching shared data (for tests
// and offline replays).
func (e *Engine) Evaluate(in Input) Result {
	var r Result
	e.evaluate(&r, &in)
	r.Prior = append(r.Prior, in.Prior...)
	return r
}

func (e *Engine) evaluate(r *Result, in *Input) {
	r.Hits = r.Hits[:0]
	in.names, in.times = r.names[:0], r.times[:0]
	warm := false
	if e.analytics != nil {
		r.Score = e.analytics.Score(in.Prior, in.Op, e.window)
		r.Scored = true
		warm = true
	}
	for i := range e.cfg.Rules {
		rule := &e.cfg.Rules[i]
		score := r.Score
		w := warm
		if rule.Kind == KindAnomaly {
			if uint64(rule.Warmup) > e.analytics.Requests() {
				w = false
			} else if rule.Window != e.window {
				score = e.analytics.Score(in.Prior, in.Op, rule.Window)
			}
		}
		if h, ok := e.cfg.Evaluate(rule, in, score, w); ok {
			r.Hits = append(r.Hits, h)
		}
	}
	r.names, r.times = in.names, in.times
}
