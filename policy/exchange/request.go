package exchange

import (
	"net/netip"
	"unsafe"

	"github.com/apiwarden/apiwarden/policy"
	"github.com/apiwarden/apiwarden/policy/session"
	"github.com/apiwarden/apiwarden/policy/trace"
)

// RequestHeaders decides everything the request headers can decide. h is
// read here only (Envoy makes the headers unreadable once the phase
// continues); endOfStream says the request has no body; src gives the
// downstream "ip:port" when the exchange needs it.
func (x *Exchange) RequestHeaders(h Headers, endOfStream bool, src AddressSource) Step {
	x.begin()
	if x.state != StateHeaders {
		return x.finish(Continue)
	}
	p := x.pol()
	r := &x.req
	r.Headers = h
	// The header list is only valid during this callback.
	defer func() { r.Headers = nil }()
	r.Method, _ = h.Get(":method")
	r.Target, _ = h.Get(":path")
	r.HasBody = !endOfStream
	if cl, ok := h.Get("content-length"); ok {
		r.ContentLength = parseLength(cl)
	}
	// The client address is read and formatted only for an event (emit)
	// or a key that needs it, except behind trusted proxies: then it is
	// the forwarded-for address the limits key on, read while the headers
	// are readable.
	x.src = src
	if hops := x.rt.clientHops; hops > 0 {
		x.client = session.ClientIP(h.Value("x-forwarded-for"), x.address(), hops)
	}
	x.startTrace(h)
	// Every event names its session, unknown endpoints included; the raw
	// key is taken while the headers are readable and hashed on use. With
	// authentication a jwt: source is read only once the token is
	// verified (checkAuth). (A pointer in the interface: no allocation.)
	x.setSessionKey(nil)

	d := p.CheckHead(r)
	if res, ad, ok := p.AdminRequest(r.Method, r.Match.Path, h.Value("authorization")); ok {
		return x.serveAdmin(res, &ad)
	}
	if r.Match.Endpoint == nil && d.Reason != policy.ReasonInvalidPath {
		x.shadow = x.rt.inventory.LearnAt(r.Method, r.Match.Path, x.now().Unix())
	}
	// An internal route called from outside answers as if it did not
	// exist, whatever else is wrong with the request.
	if st, refused := x.runChecks(x.rt.route); refused {
		return st
	}
	if d.Verdict == policy.Block {
		return x.block(&d)
	}
	// The upstream sees what was validated: the normalised path (with the
	// query as sent) and no method-override header.
	for _, name := range r.Edits.Remove {
		x.remove(name)
	}
	if r.Edits.Path != "" {
		x.out.Edits = append(x.out.Edits, Edit{Name: ":path", Value: r.Edits.Path, Must: true})
	}
	x.record(&d)
	if f := r.Findings(); len(f) > 1 {
		// Monitor mode: report every check that fired, not only the worst
		// (the request itself is counted once, by record).
		for i := range f {
			if f[i].Rule != d.Rule {
				x.report(&f[i])
			}
		}
	}
	// Checks of the headers alone (authentication, abuse controls), while
	// the headers are readable.
	if st, refused := x.runChecks(x.rt.head); refused {
		return st
	}
	wantBody := r.HasBody && (p.WantsBody(r) || x.rt.needsBody(r.Match.Endpoint))
	switch {
	case wantBody:
		x.state = StateBuffering
	case r.HasBody:
		x.state = StateStreaming
	default:
		x.state = StateForwarded
	}
	if !wantBody {
		// A request whose body is checked becomes a step of its session
		// only once the body passes: a refused request must not satisfy a
		// "requires" rule nor count as a repetition.
		if st, refused := x.runChecks(x.rt.complete); refused {
			return st
		}
	}
	if p.RedactorFor(r.Match.Endpoint) != nil {
		// Ask for an uncompressed answer so response protection reads it
		// directly; a compressed one is still decompressed within bounds.
		x.remove("accept-encoding")
	}
	if wantBody && p.HoldHeaders {
		// Envoy >= 1.35 with allow_on_headers_stop_iteration: the headers
		// wait for the body check, so the upstream never sees a request
		// that is then refused. Body callbacks still run.
		return x.finish(Pause)
	}
	return x.finish(Continue)
}

// RequestBody handles a request body chunk. size is what the host reports:
// the chunk when the body streams, the buffered total once the exchange
// paused. body reads the buffered body at end of stream.
func (x *Exchange) RequestBody(size int, endOfStream bool, body BodyReader) Step {
	x.begin()
	if x.state != StateStreaming && x.state != StateBuffering {
		return x.finish(Continue)
	}
	seen := int64(size)
	if x.state == StateStreaming {
		// Not buffered: each call reports its own chunk. The limit holds
		// whether or not the client declared a content-length.
		if x.reqBytes == 0 {
			if d := x.pol().UnexpectedBody(&x.req, size); d.Verdict == policy.Block {
				return x.block(&d)
			} else {
				x.record(&d)
			}
		}
		x.reqBytes += int64(size)
		seen = x.reqBytes
	}
	// Refuse as soon as the limit is crossed, never pass a body
	// half-checked.
	if seen > x.pol().BodyLimit(&x.req) {
		d := x.pol().BodyTooLarge(&x.req)
		if d.Verdict == policy.Block {
			return x.block(&d)
		}
		x.state = StateForwarded
		x.record(&d)
		return x.finish(Continue)
	}
	if x.state == StateStreaming {
		return x.finish(Continue)
	}
	if !endOfStream {
		return x.finish(Pause)
	}
	return x.checkBody(size, body)
}

// RequestTrailers is an enforcement point too: a body followed by
// trailers ends without end of stream on its last chunk.
func (x *Exchange) RequestTrailers(body BodyReader) Step {
	x.begin()
	if x.state != StateBuffering {
		return x.finish(Continue)
	}
	return x.checkBody(-1, body)
}

func (x *Exchange) checkBody(size int, body BodyReader) Step {
	x.state = StateForwarded
	if size < 0 {
		size = int(x.pol().BodyLimit(&x.req)) + 1
	}
	b, err := body.ReadBody(size)
	if err != nil {
		return x.fail("cannot read the request body", err)
	}
	d := x.pol().CheckBody(&x.req, b)
	if d.Verdict == policy.Block {
		return x.block(&d)
	}
	x.record(&d)
	x.sec.body = b
	st, refused := x.runChecks(x.rt.complete)
	x.sec.body = nil
	if refused {
		return st
	}
	return x.finish(Continue)
}

// startTrace reuses the request's trace context (W3C traceparent, or B3
// when configured) or starts one, and propagates this proxy's span
// upstream.
func (x *Exchange) startTrace(h Headers) {
	rnd := &x.rnd
	x.rt.random(rnd[:])
	in, src := x.pol().Trace.Incoming(h.Value("traceparent"), h.Value("tracestate"), h.Value("b3"), [24]byte(rnd[:24]))
	if src == trace.SourceNone {
		return
	}
	x.trace, x.traced = in.Child([8]byte(rnd[24:])), true
	x.edit("traceparent", x.propagatedTraceparent())
	if src != trace.SourceTraceparent && x.trace.State == "" {
		return
	}
	if x.trace.State != "" {
		x.edit("tracestate", x.trace.State)
	} else {
		x.remove("tracestate")
	}
}

// propagatedTraceparent formats the trace context into the exchange's
// own buffer and returns a string aliasing it: the header edit is the
// one value formatted on every traced request, and an allocation per
// request is what the garbage collector pays for in Wasm. It is safe
// because the buffer is written once per exchange, here, and a Step is
// valid only until the Exchange's next call (the adapter applies it at
// once).
func (x *Exchange) propagatedTraceparent() string {
	b := x.trace.AppendTraceparent(x.traceparent[:0])
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// headerGetter adapts the request's header list to the session package.
type headerGetter Headers

func (h *headerGetter) Get(name string) string { return Headers(*h).Value(name) }

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

// hostOf drops the port of an address. (net.SplitHostPort would do, but
// package net pulls file-system WASI imports, resolv.conf and hosts, that
// Envoy 1.33-1.38 do not provide.)
func hostOf(addr string) string {
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		return ap.Addr().String()
	}
	return addr
}
