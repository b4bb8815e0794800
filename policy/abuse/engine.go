package abuse

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apiwarden/apiwarden/policy/session"
	"github.com/tidwall/gjson"
)

// Options are what the filter provides besides the configuration.
type Options struct {
	// Store is shared data (one for every VM of the vm_id); nil is a
	// private MemStore (tests, offline checks).
	Store session.Store
	// Salt is mixed into every key hash: the session salt (configured, or
	// session.SharedSalt). A secret: never logged.
	Salt string
	// Prefix starts every shared-data key (the plugin name + "/");
	// default session.DefaultPrefix.
	Prefix string
	// InternalEndpoints are endpoint ids internal besides the configured
	// ones: the OpenAPI operations tagged x-apiwarden-internal.
	InternalEndpoints []string
}

// SweepBuckets is how many buckets of each table one Sweep visits.
const SweepBuckets = 64

type rateRule struct {
	RateRule
	parts []Part
	g     gcra
	t     table
	mode  Mode
}

type failureRule struct {
	FailureRule
	t    table
	mode Mode
}

type distinctRule struct {
	DistinctRule
	t    table
	mode Mode
}

type captureRule struct {
	CaptureRule
	t    table
	mode Mode
}

// Engine is the compiled abuse configuration of one VM plus the tables it
// keeps in shared data. It is safe for concurrent use (the VMs of a proxy
// are separate Engines sharing one Store).
type Engine struct {
	cfg       Config
	st        session.Store
	salt      string
	rates     []rateRule
	failures  []failureRule
	distinct  []distinctRule
	capture   []captureRule
	internal  map[string]bool
	prefixes  []string
	intMode   Mode
	pool      sync.Pool
	sweepMu   sync.Mutex
	sweepNext []int
	stats     struct {
		admits, refused, logged, contention, storeErrors, evicted, retries, swept atomic.Uint64
	}
}

// scratch is the per-call working memory (pooled: no allocation per call).
type scratch struct {
	b    bucket
	h    hasher
	out  []byte
	hs   []uint32
	rf   []rateField
	hdr  []byte
	gop  gcraOp
	fop  failOp
	dop  distinctOp
	cop  captureOp
	addr string
}

// New compiles c for one VM.
func New(c Config, o Options) *Engine {
	if o.Prefix == "" {
		o.Prefix = session.DefaultPrefix
	}
	if o.Store == nil {
		// Per-VM state only: tests and offline checks. The filter always
		// passes shared data.
		o.Store = session.NewMemStore()
	}
	if c.Retries <= 0 {
		c.Retries = DefaultRetries
	}
	if c.Mode == ModeInherit {
		c.Mode = ModeEnforce
	}
	e := &Engine{cfg: c, st: o.Store, salt: o.Salt}
	e.pool.New = func() any { return new(scratch) }
	eff := func(m Mode) Mode {
		if m == ModeInherit {
			return c.Mode
		}
		return m
	}
	pre := func(id string) string { return o.Prefix + "ab/" + id + "/" }
	for _, r := range c.RateLimits {
		rr := rateRule{RateRule: r, parts: r.Key, mode: eff(r.Mode),
			g: gcra{interval: int64(r.Rate.Interval()), burst: max(r.Burst, 1)},
			t: newTable(pre(r.ID), r.MaxKeys, 4, c.Retries)}
		if r.Scope.PerEndpoint {
			rr.parts = append(append([]Part(nil), r.Key...), Part{Kind: PartEndpoint})
		}
		e.rates = append(e.rates, rr)
	}
	for _, r := range c.Failures {
		e.failures = append(e.failures, failureRule{FailureRule: r, mode: eff(r.Mode), t: newTable(pre(r.ID), r.MaxKeys, 4, c.Retries)})
	}
	for _, r := range c.Distinct {
		e.distinct = append(e.distinct, distinctRule{DistinctRule: r, mode: eff(r.Mode), t: newTable(pre(r.ID), r.MaxKeys, 2, c.Retries)})
	}
	for _, r := range c.Capture {
		e.capture = append(e.capture, captureRule{CaptureRule: r, mode: eff(r.Mode), t: newTable(pre(r.ID), r.MaxSessions, 2, c.Retries)})
	}
	e.internal = map[string]bool{}
	for _, id := range c.Internal.Endpoints {
		e.internal[id] = true
	}
	for _, id := range o.InternalEndpoints {
		e.internal[id] = true
	}
	e.prefixes = c.Internal.Prefixes
	e.intMode = eff(c.Internal.Mode)
	e.sweepNext = make([]int, len(e.tables()))
	return e
}

// Config returns the configuration the engine was compiled from.
func (e *Engine) Config() *Config { return &e.cfg }

func (e *Engine) tables() []*table {
	var ts []*table
	for i := range e.rates {
		ts = append(ts, &e.rates[i].t)
	}
	for i := range e.failures {
		ts = append(ts, &e.failures[i].t)
	}
	for i := range e.distinct {
		ts = append(ts, &e.distinct[i].t)
	}
	for i := range e.capture {
		ts = append(ts, &e.capture[i].t)
	}
	return ts
}

// TableInfo describes one shared-data table.
type TableInfo struct {
	// Prefix is the key prefix; keys are Prefix + "0" .. Prefix + (Buckets-1).
	Prefix  string
	Buckets int
	Ways    int
	// MaxValueBytes bounds one value.
	MaxValueBytes int
}

// Tables lists the shared-data tables, for documentation and metrics.
func (e *Engine) Tables() []TableInfo {
	var out []TableInfo
	add := func(t *table, payload int) {
		out = append(out, TableInfo{Prefix: t.prefix, Buckets: t.buckets, Ways: t.ways, MaxValueBytes: 2 + t.ways*(16+2+payload)})
	}
	for i := range e.rates {
		add(&e.rates[i].t, 0)
	}
	for i := range e.failures {
		add(&e.failures[i].t, failPayload)
	}
	for i := range e.distinct {
		add(&e.distinct[i].t, 1+sketchRegisters)
	}
	for i := range e.capture {
		add(&e.capture[i].t, 4*e.capture[i].MaxIDs)
	}
	return out
}

// Stats are the engine's counters since New.
type Stats struct {
	// Admits counts Admit calls; Refused and Logged those that blocked or
	// only reported.
	Admits, Refused, Logged uint64
	// Contention counts updates that exhausted their compare-and-swap
	// retries; Retries the compare-and-swap attempts beyond the first.
	Contention, Retries uint64
	// StoreErrors counts shared-data errors other than a cas mismatch.
	StoreErrors uint64
	// Evicted counts live records evicted from a full bucket; Swept the
	// dead records Sweep dropped.
	Evicted, Swept uint64
}

// Stats returns the counters.
func (e *Engine) Stats() Stats {
	s := &e.stats
	return Stats{Admits: s.admits.Load(), Refused: s.refused.Load(), Logged: s.logged.Load(),
		Contention: s.contention.Load(), Retries: s.retries.Load(), StoreErrors: s.storeErrors.Load(),
		Evicted: s.evicted.Load(), Swept: s.swept.Load()}
}

func (e *Engine) note(us updateStats, err error) {
	if us.attempts > 1 {
		e.stats.retries.Add(uint64(us.attempts - 1))
	}
	if us.evicted && us.wrote {
		e.stats.evicted.Add(1)
	}
	switch {
	case err == nil:
	case errors.Is(err, ErrContention):
		e.stats.contention.Add(1)
	default:
		e.stats.storeErrors.Add(1)
	}
}

func verdictOf(a Action, m Mode) Verdict {
	if a == ActionBlock && m == ModeEnforce {
		return Block
	}
	return Log
}

// NeedsRequestBody reports whether a rule applying to endpoint reads the
// request body (a "body:" key part or ref): the glue buffers it and calls
// Admit from the body callback instead of the headers callback.
func (e *Engine) NeedsRequestBody(endpoint string) bool {
	body := func(ps []Part) bool {
		for _, p := range ps {
			if p.Kind == PartBody {
				return true
			}
		}
		return false
	}
	for i := range e.rates {
		if r := &e.rates[i]; r.Scope.Applies(endpoint) && body(r.Key) {
			return true
		}
	}
	for i := range e.failures {
		if r := &e.failures[i]; r.Scope.Applies(endpoint) && body(r.Key) {
			return true
		}
	}
	for i := range e.distinct {
		if r := &e.distinct[i]; r.Scope.Applies(endpoint) && (body(r.Key) || r.Ref.Kind == PartBody) {
			return true
		}
	}
	for i := range e.capture {
		if r := &e.capture[i]; r.Check.Applies(endpoint) && r.Ref.Kind == PartBody {
			return true
		}
	}
	return false
}

// NeedsResponseBody reports whether Observe reads the response body of
// endpoint (capture, or a failure match on a body member).
func (e *Engine) NeedsResponseBody(endpoint string) bool {
	for i := range e.failures {
		if r := &e.failures[i]; r.Scope.Applies(endpoint) && r.On.path != "" {
			return true
		}
	}
	for i := range e.distinct {
		if r := &e.distinct[i]; r.On != nil && r.Scope.Applies(endpoint) && r.On.path != "" {
			return true
		}
	}
	for i := range e.capture {
		if e.capture[i].From.Applies(endpoint) {
			return true
		}
	}
	return false
}

// NeedsObserve reports whether Observe does anything for endpoint.
func (e *Engine) NeedsObserve(endpoint string) bool {
	for i := range e.failures {
		if e.failures[i].Scope.Applies(endpoint) {
			return true
		}
	}
	for i := range e.distinct {
		if r := &e.distinct[i]; r.On != nil && r.Scope.Applies(endpoint) {
			return true
		}
	}
	for i := range e.capture {
		if e.capture[i].From.Applies(endpoint) {
			return true
		}
	}
	return false
}

// clientText computes the request's client address once.
func (e *Engine) clientText(req *Request, s *scratch) (netip.Addr, string) {
	xff := ""
	if req.Headers != nil && e.cfg.TrustedHops > 0 {
		xff = req.Headers.Get("x-forwarded-for")
	}
	src := req.Source
	if src == "" && req.SourceOf != nil {
		src = req.SourceOf.SourceAddress()
	}
	a, ok := session.ClientAddr(xff, src, e.cfg.TrustedHops)
	if !ok {
		return netip.Addr{}, ""
	}
	return a, a.String()
}

// Admit decides a request before it goes upstream: internal routes, then
// lock-outs, distinct-count refusals and never-given objects (reads
// only), then the counting rules (one compare-and-swap each: distinct
// counts, then rate limits). The first rule that blocks ends the
// evaluation, so a refused request spends no further budget; a log-only
// rule reports and evaluation goes on. now is the request's time.
func (e *Engine) Admit(req *Request, now time.Time) Result {
	var r Result
	e.AdmitInto(&r, req, now)
	return r
}

// AdmitInto is Admit writing into r (reusing its slices).
func (e *Engine) AdmitInto(r *Result, req *Request, now time.Time) {
	r.reset()
	e.stats.admits.Add(1)
	s := e.pool.Get().(*scratch)
	defer e.pool.Put(s)
	nowNs := now.UnixNano()
	defer func() {
		switch r.Verdict {
		case Block:
			e.stats.refused.Add(1)
		case Log:
			e.stats.logged.Add(1)
		}
	}()

	if !req.RouteAdmitted && e.isInternal(req) {
		addr, _ := e.clientText(req, s)
		if e.admitInternal(r, req, addr) {
			return
		}
	}
	if len(e.failures)+len(e.capture)+len(e.distinct)+len(e.rates) == 0 {
		// The internal route alone: the client is never formatted.
		return
	}
	_, client := e.clientText(req, s)
	for i := range e.failures {
		if e.admitFailure(r, &e.failures[i], req, client, nowNs, s) {
			return
		}
	}
	for i := range e.capture {
		if e.admitCapture(r, &e.capture[i], req, client, nowNs, s) {
			return
		}
	}
	for i := range e.distinct {
		if e.admitDistinct(r, &e.distinct[i], req, client, nowNs, s) {
			return
		}
	}
	s.rf = s.rf[:0]
	for i := range e.rates {
		if e.admitRate(r, &e.rates[i], req, client, nowNs, s) {
			break
		}
	}
	e.rateHeaders(r, s)
}

// AdmitRoute decides the internal-route rule alone, reading only the
// headers and the source. The glue runs it before authentication, so a
// caller from outside learns nothing about an internal route (a 404, not
// a 401); Admit then skips it when the request says RouteAdmitted.
func (e *Engine) AdmitRoute(r *Result, req *Request) {
	r.reset()
	if !e.isInternal(req) {
		return
	}
	s := e.pool.Get().(*scratch)
	defer e.pool.Put(s)
	addr, _ := e.clientText(req, s)
	if e.admitInternal(r, req, addr) {
		e.stats.refused.Add(1)
	}
}

// HeaderNames are the request headers the engine reads (key parts, the
// forwarded-for chain with trusted hops, the internal header): what the
// glue keeps of the headers when it decides later, on the body or the
// response.
func (e *Engine) HeaderNames() []string {
	var out []string
	add := func(name string) {
		for _, n := range out {
			if n == name {
				return
			}
		}
		out = append(out, name)
	}
	if e.cfg.TrustedHops > 0 {
		add("x-forwarded-for")
	}
	if e.cfg.Internal.Header != "" {
		add(e.cfg.Internal.Header)
	}
	for _, parts := range e.cfg.keyParts() {
		for _, pt := range parts {
			if pt.Kind == PartHeader {
				add(pt.Name)
			}
		}
	}
	return out
}

func (e *Engine) stop(r *Result, err error) bool {
	if err == nil {
		return r.Verdict == Block
	}
	r.Err = err
	return true
}

func (e *Engine) admitInternal(r *Result, req *Request, addr netip.Addr) bool {
	if !e.isInternal(req) {
		return false
	}
	in := &e.cfg.Internal
	if addr.IsValid() {
		for _, pf := range in.CIDRs {
			if pf.Contains(addr) {
				return false
			}
		}
	}
	if in.Header != "" && req.Headers != nil {
		if v := req.Headers.Get(in.Header); v != "" {
			sum := sha256.Sum256([]byte(v))
			if subtle.ConstantTimeCompare(sum[:], in.headerHash[:]) == 1 {
				return false
			}
		}
	}
	r.fire(Event{Kind: KindInternal, Rule: InternalRule, Reason: ReasonInternalRoute, Verdict: verdictOf(ActionBlock, e.intMode), Mode: e.intMode}, 0)
	return r.Verdict == Block
}

// isInternal reports whether the request is for an internal route: its
// endpoint id is internal, or its normalised path equals a prefix or
// continues it at a segment boundary ("/internal" covers "/internal" and
// "/internal/x", not "/internals"; "/internal/" covers "/internal/x").
func (e *Engine) isInternal(req *Request) bool {
	if req.Endpoint != "" && e.internal[req.Endpoint] {
		return true
	}
	for _, p := range e.prefixes {
		if strings.HasPrefix(req.Path, p) && (len(req.Path) == len(p) || p[len(p)-1] == '/' || req.Path[len(p)] == '/') {
			return true
		}
	}
	return false
}

// ---- rate limits ----

type gcraOp struct {
	g   gcra
	now int64
	dec gcraDecision
}

func (o *gcraOp) apply(cur record, ok bool) (record, bool) {
	o.dec = o.g.decide(cur.expires, ok, o.now)
	if !o.dec.allowed {
		return record{}, false
	}
	return record{expires: o.dec.tat}, true
}

func (e *Engine) admitRate(r *Result, rr *rateRule, req *Request, client string, now int64, s *scratch) bool {
	if !rr.Scope.Applies(req.Endpoint) {
		return false
	}
	id, ok := s.h.key(e.salt, rr.ID, rr.parts, req, client)
	if !ok {
		return false
	}
	s.gop = gcraOp{g: rr.g, now: now}
	_, us, err := rr.t.update(e.st, id, now, &s.b, &s.gop)
	e.note(us, err)
	if err != nil {
		return e.stop(r, err)
	}
	d := s.gop.dec
	s.rf = append(s.rf, rateField{rule: rr, remaining: d.remaining, reset: d.reset})
	if !d.allowed {
		r.fire(Event{Kind: KindRateLimit, Rule: rr.ID, Reason: ReasonRateLimited, Verdict: verdictOf(rr.Action, rr.mode), Mode: rr.mode,
			Key: idHex(id), Count: rr.Burst, Limit: rr.Burst, Window: time.Duration(rr.Burst * rr.g.interval), RetryAfter: d.retryAfter}, d.retryAfter)
	}
	return r.Verdict == Block
}

// rateHeaders writes Retry-After and the RateLimit fields: on a refusal
// (any rule), or on every request with headers_on_allow.
func (e *Engine) rateHeaders(r *Result, s *scratch) {
	if r.Verdict == Block {
		r.Headers = append(r.Headers, Header{Name: "retry-after", Value: strconv.FormatInt(max(ceilSeconds(r.RetryAfter), 1), 10)})
	} else if !e.cfg.HeadersOnAllow {
		return
	}
	if len(s.rf) == 0 {
		return
	}
	b := s.hdr[:0]
	for i, f := range s.rf {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = appendPolicy(b, f.rule.ID, f.rule.Burst, time.Duration(f.rule.Burst*f.rule.g.interval))
	}
	policy := string(b)
	b = b[:0]
	for i, f := range s.rf {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = appendLimit(b, f.rule.ID, f.remaining, f.reset)
	}
	s.hdr = b
	r.Headers = append(r.Headers, Header{Name: "ratelimit-policy", Value: policy}, Header{Name: "ratelimit", Value: string(b)})
}

// ---- failures (brute force) ----

// failPayload is the size of a failure record's payload: failures in the
// window (uint32), window start, locked-until (Unix ns, int64), level.
const failPayload = 4 + 8 + 8 + 1

type failState struct {
	count       int64
	windowStart int64
	lockedUntil int64
	level       int
}

func decodeFail(p []byte) failState {
	if len(p) != failPayload {
		return failState{}
	}
	return failState{
		count:       int64(binary.LittleEndian.Uint32(p)),
		windowStart: int64(binary.LittleEndian.Uint64(p[4:])),
		lockedUntil: int64(binary.LittleEndian.Uint64(p[12:])),
		level:       int(p[20]),
	}
}

func (f failState) append(b []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(f.count))
	b = binary.LittleEndian.AppendUint64(b, uint64(f.windowStart))
	b = binary.LittleEndian.AppendUint64(b, uint64(f.lockedUntil))
	return append(b, byte(f.level))
}

func (e *Engine) admitFailure(r *Result, fr *failureRule, req *Request, client string, now int64, s *scratch) bool {
	if !fr.Scope.Applies(req.Endpoint) {
		return false
	}
	id, ok := s.h.key(e.salt, fr.ID, fr.Key, req, client)
	if !ok {
		return false
	}
	rec, found, err := fr.t.read(e.st, id, now, &s.b)
	if err != nil {
		e.stats.storeErrors.Add(1)
		return e.stop(r, err)
	}
	if !found {
		return false
	}
	st := decodeFail(rec.payload)
	if st.lockedUntil <= now {
		return false
	}
	retry := time.Duration(st.lockedUntil - now)
	r.fire(Event{Kind: KindFailures, Rule: fr.ID, Reason: ReasonTooManyFailures, Verdict: verdictOf(fr.Action, fr.mode), Mode: fr.mode,
		Key: idHex(id), Count: fr.MaxFailures, Limit: fr.MaxFailures, Window: fr.Window, RetryAfter: retry, Level: st.level}, retry)
	if r.Verdict == Block {
		r.Headers = append(r.Headers, Header{Name: "retry-after", Value: strconv.FormatInt(max(ceilSeconds(retry), 1), 10)})
	}
	return r.Verdict == Block
}

// lockoutFor is the lock-out of the level-th lock-out (1-based): lockout
// doubled level-1 times, at most max.
func lockoutFor(base, maxD time.Duration, level int) time.Duration {
	d := base
	for i := 1; i < level && d < maxD; i++ {
		d *= 2
	}
	return min(d, maxD)
}

type failOp struct {
	rule    *failureRule
	now     int64
	failure bool
	out     []byte
	// results of the last apply
	locked bool
	state  failState
}

func (o *failOp) apply(cur record, ok bool) (record, bool) {
	o.locked = false
	fr := o.rule
	var st failState
	if ok {
		st = decodeFail(cur.payload)
	}
	if !o.failure { // success
		if !ok || st.count == 0 || !fr.ResetOnSuccess {
			return record{}, false
		}
		st.count = 0
	} else {
		if st.lockedUntil > o.now {
			// An attempt that was in flight when the lock-out started:
			// the target is already locked, nothing to add.
			o.state = st
			return record{}, false
		}
		if st.count == 0 || o.now-st.windowStart >= int64(fr.Window) {
			st.count, st.windowStart = 0, o.now
		}
		st.count++
		if st.count >= fr.MaxFailures {
			st.level = min(st.level+1, 62)
			st.lockedUntil = o.now + int64(lockoutFor(fr.Lockout, fr.MaxLockout, st.level))
			st.count = 0
			o.locked = true
		}
	}
	o.state = st
	o.out = st.append(o.out[:0])
	// The record lives while the window runs or, after a lock-out, for
	// max_lockout more (what makes the next lock-out longer).
	exp := st.windowStart + int64(fr.Window)
	if st.lockedUntil > 0 {
		exp = max(exp, st.lockedUntil+int64(fr.MaxLockout))
	}
	return record{expires: exp, payload: o.out}, true
}

// ---- distinct counts ----

type distinctOp struct {
	h      uint32
	now    int64
	window int64
	limit  int64
	out    []byte
	before int64
	after  int64
}

func (o *distinctOp) apply(cur record, ok bool) (record, bool) {
	var p []byte
	exp := o.now + o.window
	if ok {
		p, exp = cur.payload, cur.expires
	}
	o.before = distinctCount(p)
	o.after = o.before
	if o.before > o.limit {
		return record{}, false // already over: refused, nothing to add
	}
	next, changed := distinctAdd(p, o.h, o.out)
	if !changed {
		return record{}, false
	}
	o.out = next
	o.after = distinctCount(next)
	return record{expires: exp, payload: next}, true
}

func (e *Engine) admitDistinct(r *Result, dr *distinctRule, req *Request, client string, now int64, s *scratch) bool {
	if !dr.Scope.Applies(req.Endpoint) {
		return false
	}
	id, ok := s.h.key(e.salt, dr.ID, dr.Key, req, client)
	if !ok {
		return false
	}
	var count int64
	var retry time.Duration
	if dr.On != nil {
		// Counted on failures (Observe); refused here once over.
		rec, found, err := dr.t.read(e.st, id, now, &s.b)
		if err != nil {
			e.stats.storeErrors.Add(1)
			return e.stop(r, err)
		}
		if !found {
			return false
		}
		if count = distinctCount(rec.payload); count < dr.Limit {
			return false
		}
		retry = time.Duration(rec.expires - now)
	} else {
		ref, ok := dr.Ref.value(req, client)
		if !ok {
			return false
		}
		s.dop = distinctOp{h: s.h.hash32(e.salt, dr.ID, ref), now: now, window: int64(dr.Window), limit: dr.Limit, out: s.out}
		rec, us, err := dr.t.update(e.st, id, now, &s.b, &s.dop)
		s.out = s.dop.out
		e.note(us, err)
		if err != nil {
			return e.stop(r, err)
		}
		if count = s.dop.after; count <= dr.Limit {
			return false
		}
		if us.wrote {
			retry = time.Duration(rec.expires - now)
		} else if rec, found, err := dr.t.read(e.st, id, now, &s.b); err == nil && found {
			retry = time.Duration(rec.expires - now)
		}
	}
	r.fire(Event{Kind: KindDistinct, Rule: dr.ID, Reason: ReasonTooManyDistinct, Verdict: verdictOf(dr.Action, dr.mode), Mode: dr.mode,
		Key: idHex(id), Count: count, Limit: dr.Limit, Window: dr.Window, RetryAfter: retry}, retry)
	if r.Verdict == Block {
		r.Headers = append(r.Headers, Header{Name: "retry-after", Value: strconv.FormatInt(max(ceilSeconds(retry), 1), 10)})
	}
	return r.Verdict == Block
}

// ---- objects never given ----

func (e *Engine) captureKey(s *scratch, cr *captureRule, sess string) uint64 {
	s.h.start(e.salt, cr.ID)
	s.h.add(sess)
	return s.h.sum()
}

func (e *Engine) admitCapture(r *Result, cr *captureRule, req *Request, client string, now int64, s *scratch) bool {
	if req.Session == "" || !cr.Check.Applies(req.Endpoint) {
		return false
	}
	ref, ok := cr.Ref.value(req, client)
	if !ok {
		return false
	}
	id := e.captureKey(s, cr, req.Session)
	rec, found, err := cr.t.read(e.st, id, now, &s.b)
	if err != nil {
		e.stats.storeErrors.Add(1)
		return e.stop(r, err)
	}
	if found && capturedHas(rec.payload, s.h.hash32(e.salt, cr.ID, ref)) {
		return false
	}
	var n int64
	if found {
		n = int64(len(rec.payload) / 4)
	}
	r.fire(Event{Kind: KindCapture, Rule: cr.ID, Reason: ReasonObjectNotGiven, Verdict: verdictOf(cr.Action, cr.mode), Mode: cr.mode,
		Key: idHex(id), Count: n, Limit: int64(cr.MaxIDs), Window: cr.TTL}, 0)
	return r.Verdict == Block
}

type captureOp struct {
	hs  []uint32
	max int
	exp int64
	out []byte
}

func (o *captureOp) apply(cur record, ok bool) (record, bool) {
	var p []byte
	if ok {
		p = cur.payload
	}
	next, changed := capturedAdd(p, o.hs, o.max, o.out)
	o.out = next
	if !changed && ok && cur.expires-o.exp > -int64(time.Minute) {
		return record{}, false // nothing new and the lifetime is fresh
	}
	return record{expires: o.exp, payload: next}, true
}

// ---- Observe ----

// Observe counts what the upstream's answer says about a request Admit
// let through: failures of failure rules (and of distinct rules with
// "on"), successes that reset failure counts, and object ids handed to the
// session. Call it from the response callback (headers for status-only
// rules; the body when NeedsResponseBody), at most once per request.
func (e *Engine) Observe(req *Request, resp *Response, now time.Time) ObserveResult {
	var out ObserveResult
	s := e.pool.Get().(*scratch)
	defer e.pool.Put(s)
	nowNs := now.UnixNano()
	_, client := e.clientText(req, s)
	for i := range e.failures {
		fr := &e.failures[i]
		if !fr.Scope.Applies(req.Endpoint) {
			continue
		}
		failure := fr.On.Matches(resp)
		if !failure && (resp.Status >= 400 || !fr.ResetOnSuccess) {
			continue
		}
		id, ok := s.h.key(e.salt, fr.ID, fr.Key, req, client)
		if !ok {
			continue
		}
		s.fop = failOp{rule: fr, now: nowNs, failure: failure, out: s.out}
		_, us, err := fr.t.update(e.st, id, nowNs, &s.b, &s.fop)
		s.out = s.fop.out
		e.note(us, err)
		if err != nil {
			out.Err = err
			continue
		}
		if us.wrote && s.fop.locked {
			st := s.fop.state
			d := time.Duration(st.lockedUntil - nowNs)
			out.Events = append(out.Events, Event{Kind: KindFailures, Rule: fr.ID, Reason: ReasonTooManyFailures, Verdict: verdictOf(fr.Action, fr.mode), Mode: fr.mode,
				Key: idHex(id), Count: fr.MaxFailures, Limit: fr.MaxFailures, Window: fr.Window, RetryAfter: d, Level: st.level})
		}
	}
	for i := range e.distinct {
		dr := &e.distinct[i]
		if dr.On == nil || !dr.Scope.Applies(req.Endpoint) || !dr.On.Matches(resp) {
			continue
		}
		id, ok := s.h.key(e.salt, dr.ID, dr.Key, req, client)
		if !ok {
			continue
		}
		ref, ok := dr.Ref.value(req, client)
		if !ok {
			continue
		}
		// Count up to the limit; past it the key is refused in Admit.
		s.dop = distinctOp{h: s.h.hash32(e.salt, dr.ID, ref), now: nowNs, window: int64(dr.Window), limit: dr.Limit - 1, out: s.out}
		_, us, err := dr.t.update(e.st, id, nowNs, &s.b, &s.dop)
		s.out = s.dop.out
		e.note(us, err)
		if err != nil {
			out.Err = err
			continue
		}
		if us.wrote && s.dop.before < dr.Limit && s.dop.after >= dr.Limit {
			out.Events = append(out.Events, Event{Kind: KindDistinct, Rule: dr.ID, Reason: ReasonTooManyDistinct, Verdict: verdictOf(dr.Action, dr.mode), Mode: dr.mode,
				Key: idHex(id), Count: s.dop.after, Limit: dr.Limit, Window: dr.Window})
		}
	}
	if req.Session != "" && resp.Status >= 200 && resp.Status < 300 && resp.Body != nil {
		for i := range e.capture {
			cr := &e.capture[i]
			if !cr.From.Applies(req.Endpoint) {
				continue
			}
			s.hs = s.hs[:0]
			res := resp.Body.Get(cr.Path)
			collect := func(v gjson.Result) bool {
				if t, ok := scalar(v); ok {
					s.hs = append(s.hs, s.h.hash32(e.salt, cr.ID, t))
				}
				return len(s.hs) < cr.MaxIDs
			}
			if res.IsArray() {
				res.ForEach(func(_, v gjson.Result) bool { return collect(v) })
			} else {
				collect(res)
			}
			if len(s.hs) == 0 {
				continue
			}
			id := e.captureKey(s, cr, req.Session)
			s.cop = captureOp{hs: s.hs, max: cr.MaxIDs, exp: nowNs + int64(cr.TTL), out: s.out}
			_, us, err := cr.t.update(e.st, id, nowNs, &s.b, &s.cop)
			s.out = s.cop.out
			e.note(us, err)
			if err != nil {
				out.Err = err
			}
		}
	}
	return out
}

// ---- Sweep ----

// Sweep visits SweepBuckets buckets of every table, from where the last
// Sweep of this engine stopped, and rewrites those holding dead records
// without them. Optional (every table is bounded without it): it returns
// the memory of idle keys early. Call it from the tick.
func (e *Engine) Sweep(now time.Time) (dropped int, err error) {
	e.sweepMu.Lock()
	defer e.sweepMu.Unlock()
	s := e.pool.Get().(*scratch)
	defer e.pool.Put(s)
	nowNs := now.UnixNano()
	for i, t := range e.tables() {
		next, d, serr := t.sweep(e.st, nowNs, e.sweepNext[i], SweepBuckets, &s.b)
		e.sweepNext[i] = next
		dropped += d
		if serr != nil && err == nil {
			err = serr
		}
	}
	e.stats.swept.Add(uint64(dropped))
	return dropped, err
}
