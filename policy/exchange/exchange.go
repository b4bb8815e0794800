package exchange

import (
	"time"

	"github.com/apiwarden/apiwarden/policy"
	"github.com/apiwarden/apiwarden/policy/redact"
	"github.com/apiwarden/apiwarden/policy/sequence"
	"github.com/apiwarden/apiwarden/policy/session"
	"github.com/apiwarden/apiwarden/policy/trace"
)

// Exchange is one HTTP exchange (one stream). Its methods are the host's
// callbacks; each returns the Step the adapter applies. It copies what it
// needs out of the request headers while they are readable (Envoy drops
// them once the phase continues). Keep it in the stream and pass it to
// Runtime.Begin for each new stream: its buffers are reused.
type Exchange struct {
	rt  *Runtime
	req policy.Request
	// perStream is what Begin zeroes; everything else here is scratch
	// space kept across streams (Begin resets it in place: the Exchange
	// is 2.5 KB, and copying it whole cost a sixth of a header-only
	// exchange).
	perStream

	// Scratch space, reused across callbacks and streams.
	out   Step
	text  []byte
	reply []byte
	seq   sequence.Result
	dec   [4]policy.Decision
	rnd   [32]byte
	// evidence holds the stream's sequence evidence (decisions alias it;
	// Begin empties it).
	evidence []byte
	// traceparent holds the propagated header's text; the edit's value
	// aliases it (propagatedTraceparent).
	traceparent [trace.TraceparentLen]byte

	sec securityState
}

// perStream is the Exchange's state of one stream.
type perStream struct {
	state State
	resp  RespState

	// Trace context, formatted only when an event or a refusal needs it.
	trace           trace.Context
	traced          bool
	traceID, spanID string

	// The downstream address is read from src only when needed (an
	// event, a client-keyed session or limit): in Envoy it is a host
	// call. The session key is hashed only when the session is used.
	src                     AddressSource
	source                  string
	sourceRead              bool
	client                  string
	sessionRaw, sessionHash string
	sessionHashed           bool
	// sessionByAddress: the session key is the client address, read on
	// first use (session.DeferredRawKey).
	sessionByAddress bool
	anomaly          float64
	// shadow is the learned template of a request no endpoint matched.
	shadow string
	// reqBytes counts a request body streamed without buffering.
	reqBytes int64
	// decision is the worst decision so far (the refusal once Replied).
	decision policy.Decision
	// pendingStep: the request becomes a session step if the upstream
	// answers it 2xx (recordStep, from the response headers).
	pendingStep bool

	// Response side.
	status       int
	redactor     *redact.Redactor
	respType     string
	respEncoding string
	respBytes    int
	rep          Reply
	// body is the replacement body of a redacted response (not kept
	// across streams: a large response's buffer would stay with the
	// pooled stream).
	body []byte

	// clock is the time of the current callback, read once (nowRead).
	clock   time.Time
	nowRead bool
}

// State is the request side's state.
func (x *Exchange) State() State { return x.state }

// RespState is the response side's state.
func (x *Exchange) RespState() RespState { return x.resp }

// Decision is the worst decision so far (the refusal once Replied).
func (x *Exchange) Decision() policy.Decision { return x.decision }

// Request is the request as checked (its header list is nil outside
// RequestHeaders).
func (x *Exchange) Request() *policy.Request { return &x.req }

func (x *Exchange) pol() *policy.Policy { return x.rt.pol }

// begin starts the step of one callback.
func (x *Exchange) begin() {
	x.out = Step{Edits: x.out.Edits[:0], Logs: x.out.Logs[:0], Metrics: x.out.Metrics[:0]}
	x.text = x.text[:0]
	x.nowRead = false
}

// now is the callback's time: the clock is read once per callback, by
// the first stage that needs it (in wasm each reading is two host calls,
// wall and monotonic).
func (x *Exchange) now() time.Time {
	if !x.nowRead {
		x.clock, x.nowRead = x.rt.now(), true
	}
	return x.clock
}

func (x *Exchange) finish(a Action) Step {
	x.out.Action = a
	return x.out
}

func (x *Exchange) edit(name, value string) {
	x.out.Edits = append(x.out.Edits, Edit{Name: name, Value: value})
}

func (x *Exchange) remove(name string) { x.removeHeader(name, false) }

// removeHeader removes a header. While the request headers are readable
// a header the request does not carry needs no host call.
func (x *Exchange) removeHeader(name string, must bool) {
	if x.req.Headers != nil {
		if _, ok := x.req.Headers.Get(name); !ok {
			return
		}
	}
	x.out.Edits = append(x.out.Edits, Edit{Name: name, Remove: true, Must: must})
}

func (x *Exchange) logf(l Level, f string, args ...any) {
	x.out.Logs = append(x.out.Logs, logf(l, f, args...))
}

// record reports a non-blocking decision (a log) and remembers the
// worst. The request is counted by its first finding; later ones count
// only their rule.
func (x *Exchange) record(d *policy.Decision) {
	if d.Verdict == policy.Allow {
		return
	}
	first := x.decision.Verdict == policy.Allow
	x.decision = policy.Worse(x.decision, *d)
	if first {
		x.countDecision(d)
	} else {
		x.countRule(d)
	}
	x.emit(d, 0)
}

// report is record for a further finding of a request already counted:
// its rule counter and its event, not a second request.
func (x *Exchange) report(d *policy.Decision) {
	x.countRule(d)
	x.emit(d, 0)
}

// block answers the request with a problem+json document.
func (x *Exchange) block(d *policy.Decision) Step {
	x.decision = *d
	x.state = StateReplied
	x.countDecision(d)
	x.emit(d, d.Status)
	x.problemReply(d)
	return x.finish(Pause)
}

// problemReply sets the step's local reply to the refusal d.
func (x *Exchange) problemReply(d *policy.Decision) {
	x.reply = policy.AppendProblem(x.reply[:0], d, x.traceIDString())
	x.rep = Reply{Status: d.Status, Headers: policy.ProblemHeaders(d, ""), Body: x.reply}
	x.out.Reply = &x.rep
}

// emit adds one security event line, rate-limited per VM.
func (x *Exchange) emit(d *policy.Decision, status int) {
	now := x.now().UnixNano()
	if !x.rt.events.Take(now) {
		x.rt.metrics.add(x.rt.metrics.dropped, 1)
		return
	}
	traceID := x.traceIDString() // sets x.spanID too
	if x.client == "" {
		x.client = hostOf(x.address())
	}
	e := policy.Event{
		TimeUnixNano: now,
		TraceID:      traceID,
		SpanID:       x.spanID,
		Method:       x.req.Method,
		Path:         x.req.Match.Path,
		Client:       x.client,
		Session:      x.session(),
		Status:       status,
		Anomaly:      x.anomaly,
		Shadow:       x.shadow,
	}
	if ep := x.req.Match.Endpoint; ep != nil {
		e.Route, e.Operation = ep.Path, ep.ID
	}
	start := len(x.text)
	x.text = policy.AppendEvent(x.text, d, &e)
	x.out.Logs = append(x.out.Logs, Log{Level: LevelWarn, Text: x.text[start:len(x.text):len(x.text)]})
}

// address is the downstream "ip:port", read from the host on first use.
func (x *Exchange) address() string {
	if !x.sourceRead {
		x.sourceRead = true
		if x.src != nil {
			x.source = x.src.SourceAddress()
		}
	}
	return x.source
}

// lazyAddress reads the address for the session package, on demand.
type lazyAddress Exchange

func (a *lazyAddress) SourceAddress() string { return (*Exchange)(a).address() }

// session is the request's session hash ("" for none), hashed on first
// use.
func (x *Exchange) session() string {
	if !x.sessionHashed {
		x.sessionHashed = true
		if raw := x.rawSession(); raw != "" {
			x.sessionHash = x.rt.sessions.Hash(raw)
		}
	}
	return x.sessionHash
}

// rawSession is the raw session key ("" for none), the client address
// read on first use when it is the key.
func (x *Exchange) rawSession() string {
	if x.sessionByAddress {
		x.sessionByAddress = false
		x.sessionRaw = session.AddressKey(x.address())
	}
	return x.sessionRaw
}

// setSessionKey sets the raw session key while the request headers are
// readable (a verified token names the session once it is verified).
func (x *Exchange) setSessionKey(verified session.Claims) {
	x.sessionRaw, x.sessionByAddress = x.rt.sessions.DeferredRawKey((*headerGetter)(&x.req.Headers), (*lazyAddress)(x), x.rt.sec.auth != nil, verified)
	x.sessionHash, x.sessionHashed = "", false
}

// traceIDString formats the trace id on first use.
func (x *Exchange) traceIDString() string {
	if x.traced && x.traceID == "" {
		x.traceID = x.trace.TraceIDString()
		x.spanID = x.trace.SpanIDString()
	}
	return x.traceID
}

// Fail is the step for a failure the adapter met (a host call that failed,
// a recovered panic): failure_mode decides.
func (x *Exchange) Fail(what string, err error) Step {
	x.begin()
	return x.fail(what, err)
}

// fail applies failure_mode within the current step: open lets the
// request through (and logs), closed answers 503.
func (x *Exchange) fail(what string, err error) Step {
	if d, block := x.failure(what, err); block {
		return x.block(&d)
	}
	return x.finish(Continue)
}

// failure counts and logs a failure and returns the decision failure_mode
// asks for: a 503 refusal (block=true) when closed, nothing when open or
// when the exchange was already answered locally.
func (x *Exchange) failure(what string, err error) (policy.Decision, bool) {
	x.inc(x.rt.metrics.failures, 1)
	x.logf(LevelError, "apiwarden: %s: %v (failure_mode %s)", what, err, x.pol().FailureMode)
	if x.pol().FailureMode == policy.FailOpen || x.state.answeredLocally() || x.state == StateClosed {
		return policy.Allowed, false
	}
	return policy.FailureDecision(), true
}
