package main

import (
	"errors"
	"math/rand/v2"
	"time"

	"github.com/apiwarden/apiwarden/filter/internal/abi"
	"github.com/apiwarden/apiwarden/policy"
	"github.com/apiwarden/apiwarden/policy/redact"
	"github.com/apiwarden/apiwarden/policy/trace"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// stream is one HTTP exchange. It copies what it needs out of the headers
// while they are readable (Envoy drops them once the phase continues).
type stream struct {
	types.DefaultHttpContext
	plugin *pluginContext
	id     uint32
	req    policy.Request

	traceID, spanID string
	client          string
	sourceAddress   string
	sessionHash     string
	anomaly         float64
	// shadow is the learned template of a request no endpoint matched.
	shadow string

	// wantBody: the body is buffered and checked at end of stream.
	wantBody bool
	// bodyDone: the body was checked (or refused).
	bodyDone bool
	// reqBytes counts a request body streamed without buffering.
	reqBytes int64
	// replied: this stream answered locally; the response callbacks that
	// Envoy runs for our own reply must not be treated as upstream traffic.
	replied  bool
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
	respDone     bool
	// holding: response headers are held (Envoy >= 1.35) until the body
	// has been protected.
	holding bool
	// admin: the stream was answered by the admin endpoint.
	admin bool
	// refused: the response body was refused after its headers left; the
	// chunks still to come are dropped.
	refused bool
}

func (s *stream) pol() *policy.Policy { return s.plugin.policy }

func (s *stream) OnHttpRequestHeaders(_ int, endOfStream bool) (act types.Action) {
	defer s.recoverInto(&act)
	hdrs, err := abi.GetHttpRequestHeaders()
	if err != nil {
		return s.fail("cannot read request headers", err)
	}
	r := &s.req
	r.Headers = policy.Headers(hdrs)
	r.Method, _ = r.Headers.Get(":method")
	r.Target, _ = r.Headers.Get(":path")
	r.HasBody = !endOfStream
	injectFault(r.Headers)
	if cl, ok := r.Headers.Get("content-length"); ok {
		r.ContentLength = parseLength(cl)
	}
	s.sourceAddress = sourceAddress()
	s.client = hostOf(s.sourceAddress)
	s.startTrace()
	// Every event names its session (hashed), unknown endpoints included.
	s.sessionHash, _ = s.plugin.sessions.Key(headerGetter(r.Headers), s.sourceAddress)
	// The header list is only valid during this callback.
	defer func() { r.Headers = nil }()

	d := s.pol().CheckHead(r)
	if res, ad, ok := s.pol().AdminRequest(r.Method, r.Match.Path, r.Headers.Value("authorization")); ok {
		return s.serveAdmin(res, &ad)
	}
	if r.Match.Endpoint == nil && d.Reason != policy.ReasonInvalidPath {
		s.shadow = s.plugin.inventory.Learn(r.Method, r.Match.Path)
	}
	if d.Verdict == policy.Block {
		return s.block(&d)
	}
	if err := s.applyEdits(&r.Edits); err != nil {
		// The upstream would act on a path that was not validated.
		return s.fail("cannot rewrite :path", err)
	}
	s.record(&d)
	if f := r.Findings(); len(f) > 1 {
		// Monitor mode: report every check that fired, not only the worst
		// (the request itself is counted once, by record).
		for i := range f {
			if f[i].Rule != d.Rule {
				s.report(&f[i])
			}
		}
	}
	s.wantBody = r.HasBody && s.pol().WantsBody(r)
	if !s.wantBody {
		// A request whose body is checked becomes a step of its session
		// only once the body passes (checkBody): a refused request must not
		// satisfy a "requires" rule nor count as a repetition.
		if sd, ok := s.checkSequence(); ok && sd.Verdict == policy.Block {
			return s.block(&sd)
		}
	}
	if s.pol().RedactorFor(r.Match.Endpoint) != nil {
		// Ask for an uncompressed answer so response protection reads it
		// directly; a compressed one is still decompressed within bounds.
		_ = abi.RemoveHttpRequestHeader("accept-encoding")
	}
	if s.wantBody && s.pol().HoldHeaders {
		// Envoy >= 1.35 with allow_on_headers_stop_iteration: the headers
		// wait for the body check, so the upstream never sees a request
		// that is then refused. Body callbacks still run.
		return types.ActionPause
	}
	return types.ActionContinue
}

func (s *stream) OnHttpRequestBody(size int, endOfStream bool) (act types.Action) {
	defer s.recoverInto(&act)
	if s.replied || s.bodyDone {
		return types.ActionContinue
	}
	if !s.wantBody {
		// Not buffered: each call reports its own chunk. The limit holds
		// whether or not the client declared a content-length.
		if s.reqBytes == 0 {
			if d := s.pol().UnexpectedBody(&s.req, size); d.Verdict == policy.Block {
				s.bodyDone = true
				return s.block(&d)
			} else {
				s.record(&d)
			}
		}
		s.reqBytes += int64(size)
		if s.reqBytes > s.pol().BodyLimit(&s.req) {
			s.bodyDone = true
			d := s.pol().BodyTooLarge(&s.req)
			if d.Verdict == policy.Block {
				return s.block(&d)
			}
			s.record(&d)
		}
		return types.ActionContinue
	}
	// size is what Envoy has buffered so far: refuse as soon as the limit
	// is crossed, never pass a body half-checked.
	if int64(size) > s.pol().BodyLimit(&s.req) {
		d := s.pol().BodyTooLarge(&s.req)
		s.bodyDone = true
		if d.Verdict == policy.Block {
			return s.block(&d)
		}
		s.record(&d)
		return types.ActionContinue
	}
	if !endOfStream {
		return types.ActionPause
	}
	return s.checkBody(size)
}

// OnHttpRequestTrailers is an enforcement point too: a body followed by
// trailers ends without endOfStream on its last chunk.
func (s *stream) OnHttpRequestTrailers(int) (act types.Action) {
	defer s.recoverInto(&act)
	if s.replied || !s.wantBody || s.bodyDone {
		return types.ActionContinue
	}
	return s.checkBody(-1)
}

func (s *stream) checkBody(size int) types.Action {
	s.bodyDone = true
	if size < 0 {
		size = int(s.pol().BodyLimit(&s.req)) + 1
	}
	body, err := abi.GetHttpRequestBody(0, size)
	if err != nil && !errors.Is(err, types.ErrorStatusNotFound) {
		return s.fail("cannot read the request body", err)
	}
	d := s.pol().CheckBody(&s.req, body)
	if d.Verdict == policy.Block {
		return s.block(&d)
	}
	s.record(&d)
	if sd, ok := s.checkSequence(); ok && sd.Verdict == policy.Block {
		return s.block(&sd)
	}
	return types.ActionContinue
}

func (s *stream) OnHttpStreamDone() {
	defer s.recoverInto(nil)
	defer s.plugin.release(s)
	if s.admin {
		return
	}
	if !s.replied && s.decision.Verdict == policy.Allow {
		s.plugin.metrics.count(s.req.Match.Endpoint, policy.Allow)
	}
	s.countInventory()
}

// applyEdits makes the upstream see what was validated: the normalised
// path (with the query as sent) and no method-override header.
func (s *stream) applyEdits(e *policy.Edits) error {
	for _, h := range e.Remove {
		_ = abi.RemoveHttpRequestHeader(h)
	}
	if e.Path != "" {
		return abi.ReplaceHttpRequestHeader(":path", e.Path)
	}
	return nil
}

// record reports a non-blocking decision (a log) and remembers the worst.
func (s *stream) record(d *policy.Decision) {
	if d.Verdict == policy.Allow {
		return
	}
	s.decision = policy.Worse(s.decision, *d)
	s.plugin.metrics.countDecision(s.req.Match.Endpoint, d)
	s.emit(d, 0)
}

// report is record for a further finding of a request already counted:
// its rule counter and its event, not a second request.
func (s *stream) report(d *policy.Decision) {
	s.plugin.metrics.countRule(d)
	s.emit(d, 0)
}

// block answers the request with a problem+json document.
func (s *stream) block(d *policy.Decision) types.Action {
	s.decision = *d
	s.replied = true
	s.plugin.metrics.countDecision(s.req.Match.Endpoint, d)
	s.emit(d, d.Status)
	body := policy.AppendProblem(nil, d, s.traceID)
	if err := abi.SendHttpResponse(uint32(d.Status), policy.ProblemHeaders(d, ""), body, -1); err != nil {
		abi.LogErrorf("apiwarden: cannot send the local reply: %v", err)
	}
	return types.ActionPause
}

// emit writes one security event line, rate-limited per VM.
func (s *stream) emit(d *policy.Decision, status int) {
	now := time.Now().UnixNano()
	if !s.plugin.events.Take(now) {
		s.plugin.metrics.dropped.Increment(1)
		return
	}
	e := policy.Event{
		TimeUnixNano: now,
		TraceID:      s.traceID,
		SpanID:       s.spanID,
		Method:       s.req.Method,
		Path:         s.req.Match.Path,
		Client:       s.client,
		Session:      s.sessionHash,
		Status:       status,
		Anomaly:      s.anomaly,
		Shadow:       s.shadow,
	}
	if ep := s.req.Match.Endpoint; ep != nil {
		e.Route, e.Operation = ep.Path, ep.ID
	}
	abi.LogWarn(string(policy.AppendEvent(nil, d, &e)))
}

// startTrace reuses the request's trace context (W3C traceparent, or B3
// when configured) or starts one, and propagates this proxy's span
// upstream.
func (s *stream) startTrace() {
	h := s.req.Headers
	var rnd [32]byte
	randomBytes(rnd[:])
	in, src := s.pol().Trace.Incoming(h.Value("traceparent"), h.Value("tracestate"), h.Value("b3"), [24]byte(rnd[:24]))
	if src == trace.SourceNone {
		return
	}
	out := in.Child([8]byte(rnd[24:]))
	s.traceID = out.TraceIDString()
	tp := out.String()
	s.spanID = tp[36:52]
	if err := abi.ReplaceHttpRequestHeader("traceparent", tp); err != nil {
		abi.LogDebugf("apiwarden: cannot propagate traceparent: %v", err)
	}
	if src != trace.SourceTraceparent && out.State == "" {
		return
	}
	if out.State != "" {
		_ = abi.ReplaceHttpRequestHeader("tracestate", out.State)
	} else {
		_ = abi.RemoveHttpRequestHeader("tracestate")
	}
}

func parseLength(s string) int64 {
	if s == "" || len(s) > 18 {
		return -1
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return -1
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n
}

// randomBytes fills b from the runtime's ChaCha8 generator (seeded from the
// host's random_get at start-up). Not crypto/rand: its first use arms a
// one-minute timer, which initialises the runtime's network poller, and on
// Envoy 1.33-1.38 every later garbage collection then traps in poll_oneoff
// (golang/go#78513). Trace and span ids need uniqueness, not secrecy.
func randomBytes(b []byte) {
	for len(b) > 0 {
		v := rand.Uint64()
		for i := 0; i < 8 && len(b) > 0; i++ {
			b[0] = byte(v)
			v >>= 8
			b = b[1:]
		}
	}
}
