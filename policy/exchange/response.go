package exchange

import (
	"strconv"

	"github.com/apiwarden/apiwarden/policy"
	"github.com/apiwarden/apiwarden/policy/redact"
)

// Response protection: configured headers are removed or redacted; bodies
// of protected endpoints are buffered (within the redactor's bound), then
// redacted and replaced. Without held headers (Envoy < 1.35) the response
// headers leave before the body is known, so content-length is dropped
// (the body goes out chunked); with them, content-length is set to the new
// length. Nothing is buffered for an endpoint nothing protects.

// ResponseHeaders handles the response headers. Only :status is read when
// no response header is rewritten and no body protected.
func (x *Exchange) ResponseHeaders(src HeaderSource, endOfStream bool) Step {
	x.begin()
	if x.state.answeredLocally() || x.resp != RespAwaiting {
		// Our own local reply: not upstream traffic.
		return x.finish(Continue)
	}
	p := x.pol()
	x.redactor = p.RedactorFor(x.req.Match.Endpoint)
	x.resp = RespPassing
	if endOfStream {
		x.resp = RespDone
	}
	for _, f := range x.sec.respFields {
		x.edit(f[0], f[1])
	}
	if !p.RewritesResponseHeaders() && x.redactor == nil {
		st, _ := src.Header(":status")
		x.status = int(parseLength(st))
		x.observeHeaders()
		return x.watch()
	}
	hdrs, err := src.Headers()
	if err != nil {
		// Without the headers content-length cannot be fixed: leave the
		// body alone rather than send a rewritten one with a stale length.
		x.redactor = nil
		x.observeHeaders()
		return x.watch()
	}
	h := policy.Headers(hdrs)
	st, _ := h.Get(":status")
	x.status = int(parseLength(st))
	x.observeHeaders()
	for _, kv := range hdrs {
		switch remove, replace := p.ResponseHeaders.Action(kv[0]); {
		case remove:
			x.remove(kv[0])
		case replace:
			x.edit(kv[0], p.HeaderReplacement())
		}
	}
	if x.redactor == nil || endOfStream {
		return x.watch()
	}
	x.respType, _ = h.Get("content-type")
	x.respEncoding, _ = h.Get("content-encoding")
	if p.HoldHeaders {
		x.resp = RespHolding
		return x.finish(Pause)
	}
	x.resp = RespBuffering
	x.remove("content-length")
	return x.finish(Continue)
}

// watch ends the response headers of an answer that is not protected:
// its body is buffered, unchanged, when an abuse rule reads it.
func (x *Exchange) watch() Step {
	if x.sec.watchBody && x.resp == RespPassing {
		x.resp = RespBuffering
	}
	return x.finish(Continue)
}

// respLimit bounds a buffered response body: the redactor's bound, or
// for a body only watched, the request body limit.
func (x *Exchange) respLimit() int {
	if x.redactor != nil {
		return x.redactor.MaxBodyBytes()
	}
	return int(x.pol().MaxBodyBytes)
}

// ResponseBody handles a response body chunk (size: the chunk when
// passing, the buffered total when buffering).
func (x *Exchange) ResponseBody(size int, endOfStream bool, body BodyReader) Step {
	x.begin()
	if x.state.answeredLocally() {
		return x.finish(Continue)
	}
	switch x.resp {
	case RespRefused:
		// The rest of a refused body must not leave either.
		x.out.ReplaceBody = true
		return x.finish(Continue)
	case RespBuffering, RespHolding:
	default:
		x.respBytes += size
		if endOfStream {
			x.observeBody(x.respBytes)
		}
		return x.finish(Continue)
	}
	if size > x.respLimit() {
		// Over the bound: decide now, never after buffering it all.
		x.respBytes = size
		if x.sec.watchBody {
			x.observeAbuse(nil)
		}
		if x.redactor == nil {
			x.resp = RespPassing
			return x.finish(Continue)
		}
		res := x.redactor.OverLimit()
		return x.protect(nil, &res, RespPassing)
	}
	if !endOfStream {
		return x.finish(Pause)
	}
	return x.finishResponse(size, body)
}

// ResponseTrailers ends a buffered body that was followed by trailers (its
// last chunk had no end of stream).
func (x *Exchange) ResponseTrailers(body BodyReader) Step {
	x.begin()
	if x.state.answeredLocally() || (x.resp != RespBuffering && x.resp != RespHolding) {
		return x.finish(Continue)
	}
	return x.finishResponse(-1, body)
}

func (x *Exchange) finishResponse(size int, body BodyReader) Step {
	if size < 0 {
		size = x.respLimit() + 1
	}
	b, err := body.ReadBody(size)
	if err != nil {
		x.resp = RespDone
		return x.fail("cannot read the response body", err)
	}
	x.respBytes = len(b)
	if x.sec.watchBody {
		x.observeAbuse(b)
	}
	if x.redactor == nil {
		x.resp = RespDone
		x.observeBody(x.respBytes)
		return x.finish(Continue)
	}
	x.inc(x.rt.metrics.inspected, uint64(len(b)))
	out, res := x.redactor.Body(x.body[:0], b, x.respType, x.respEncoding)
	x.body = out[:0]
	st := x.protect(out, &res, RespDone)
	x.observeBody(x.respBytes)
	return x.finish(st.Action)
}

// protect carries out response protection's verdict, reports it and moves
// the response side to next (unless refused).
func (x *Exchange) protect(out []byte, res *redact.Result, next RespState) Step {
	ep := x.req.Match.Endpoint
	x.countRedaction(res)
	decisions := x.pol().ResponseDecisions(ep, res, x.dec[:0])
	var refusal *policy.Decision
	for i := range decisions {
		d := &decisions[i]
		if d.Verdict == policy.Block && refusal == nil {
			refusal = d
		}
		x.countDecision(d)
		x.emit(d, x.status)
	}
	holding := x.resp == RespHolding
	x.resp = next
	switch {
	case refusal != nil:
		x.refuse(refusal, holding)
	case res.Verdict == redact.Rewrite:
		x.out.ReplaceBody, x.out.Body = true, out
		if holding {
			x.edit("content-length", strconv.Itoa(len(out)))
		}
	}
	return x.finish(Continue)
}

// refuse keeps a response that must not leave from leaving. With held
// headers nothing was sent yet: a 502 problem+json replaces it. Otherwise
// the headers are gone: the body is replaced by the problem document (the
// status line the client saw stays the upstream's) and any later chunk by
// nothing.
func (x *Exchange) refuse(d *policy.Decision, holding bool) {
	x.problemReply(d)
	if holding {
		x.state = StateReplied
		return
	}
	x.out.Reply = nil
	x.resp = RespRefused
	x.out.ReplaceBody, x.out.Body = true, x.reply
}

// observeHeaders runs the response observers on the headers.
func (x *Exchange) observeHeaders() {
	for _, o := range x.rt.observers {
		if o.headers != nil {
			o.headers(x)
		}
	}
}

// observeBody runs the response observers on a complete body of n bytes.
func (x *Exchange) observeBody(n int) {
	for _, o := range x.rt.observers {
		if o.body != nil {
			o.body(x, n)
		}
	}
}

// Done ends the exchange: the request is counted (unless refused, which
// was counted then) and the inventory learns its status.
func (x *Exchange) Done() Step {
	x.begin()
	if x.state == StateClosed {
		return x.finish(Continue)
	}
	admin := x.state == StateAdmin
	if x.state != StateReplied && !admin && x.decision.Verdict == policy.Allow {
		x.count(policy.Allow)
	}
	if !admin {
		for _, o := range x.rt.observers {
			if o.done != nil {
				o.done(x)
			}
		}
	}
	x.state = StateClosed
	return x.finish(Continue)
}
