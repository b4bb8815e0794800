package main

import (
	"strconv"

	"github.com/apiwarden/apiwarden/filter/internal/abi"
	"github.com/apiwarden/apiwarden/policy"
	"github.com/apiwarden/apiwarden/policy/redact"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// Response protection: configured headers are removed or redacted; bodies
// of protected endpoints are buffered (within the redactor's bound), then
// redacted and replaced. Without held headers (Envoy < 1.35) the response
// headers leave before the body is known, so content-length is dropped
// (the body goes out chunked); with them, content-length is set to the new
// length.

func (s *stream) OnHttpResponseHeaders(_ int, endOfStream bool) (act types.Action) {
	defer s.recoverInto(&act)
	if s.replied {
		// Our own local reply: not upstream traffic.
		return types.ActionContinue
	}
	p := s.pol()
	s.redactor = p.RedactorFor(s.req.Match.Endpoint)
	if !p.RewritesResponseHeaders() && s.redactor == nil {
		// Nothing to change: only the status is needed (inventory, size
		// model), one value instead of the whole map.
		st, _ := abi.GetHttpResponseHeader(":status")
		s.status = int(parseLength(st))
		s.recordStep()
		return types.ActionContinue
	}
	hdrs, err := abi.GetHttpResponseHeaders()
	defer s.recordStep()
	if err != nil {
		// Without the headers content-length cannot be fixed: leave the
		// body alone rather than send a rewritten one with a stale length.
		s.redactor = nil
		return types.ActionContinue
	}
	h := policy.Headers(hdrs)
	st, _ := h.Get(":status")
	s.status = int(parseLength(st))
	for _, kv := range hdrs {
		remove, replace := p.ResponseHeaders.Action(kv[0])
		switch {
		case remove:
			_ = abi.RemoveHttpResponseHeader(kv[0])
		case replace:
			_ = abi.ReplaceHttpResponseHeader(kv[0], p.HeaderReplacement())
		}
	}
	if s.redactor == nil || endOfStream {
		return types.ActionContinue
	}
	s.respType, _ = h.Get("content-type")
	s.respEncoding, _ = h.Get("content-encoding")
	if p.HoldHeaders {
		s.holding = true
		return types.ActionPause
	}
	_ = abi.RemoveHttpResponseHeader("content-length")
	return types.ActionContinue
}

func (s *stream) OnHttpResponseBody(size int, endOfStream bool) (act types.Action) {
	defer s.recoverInto(&act)
	if s.replied {
		return types.ActionContinue
	}
	if s.refused {
		// The rest of a refused body must not leave either.
		_ = abi.ReplaceHttpResponseBody(nil)
		return types.ActionContinue
	}
	if s.redactor == nil || s.respDone {
		s.respBytes += size
		if endOfStream {
			s.observeSize(s.respBytes)
		}
		return types.ActionContinue
	}
	if size > s.redactor.MaxBodyBytes() {
		// Over the bound: decide now, never after buffering it all.
		s.respDone = true
		s.respBytes = size
		res := s.redactor.OverLimit()
		return s.applyResponse(nil, &res)
	}
	if !endOfStream {
		return types.ActionPause
	}
	return s.finishResponse(size)
}

// OnHttpResponseTrailers ends a buffered body that was followed by
// trailers (its last chunk had no end of stream).
func (s *stream) OnHttpResponseTrailers(int) (act types.Action) {
	defer s.recoverInto(&act)
	if s.replied || s.redactor == nil || s.respDone {
		return types.ActionContinue
	}
	return s.finishResponse(-1)
}

func (s *stream) finishResponse(size int) types.Action {
	s.respDone = true
	if size < 0 {
		size = s.redactor.MaxBodyBytes() + 1
	}
	body, err := abi.GetHttpResponseBody(0, size)
	if err != nil {
		return s.fail("cannot read the response body", err)
	}
	s.respBytes = len(body)
	s.plugin.metrics.inspected.Record(uint64(len(body)))
	out, res := s.redactor.Body(nil, body, s.respType, s.respEncoding)
	act := s.applyResponse(out, &res)
	s.observeSize(s.respBytes)
	return act
}

// applyResponse carries out response protection's verdict and reports it.
func (s *stream) applyResponse(out []byte, res *redact.Result) types.Action {
	p := s.pol()
	ep := s.req.Match.Endpoint
	s.plugin.metrics.countRedaction(ep, res)
	var buf [4]policy.Decision
	decisions := p.ResponseDecisions(ep, res, buf[:0])
	blocked := false
	for i := range decisions {
		d := &decisions[i]
		if d.Verdict == policy.Block {
			blocked = true
		}
		s.plugin.metrics.countDecision(ep, d)
		s.emit(d, s.status)
	}
	switch {
	case blocked:
		s.refuseResponse(&decisions[0])
	case res.Verdict == redact.Rewrite:
		if err := abi.ReplaceHttpResponseBody(out); err != nil {
			return s.fail("cannot replace the response body", err)
		}
		if s.holding {
			_ = abi.ReplaceHttpResponseHeader("content-length", strconv.Itoa(len(out)))
		}
	}
	s.holding = false
	return types.ActionContinue
}

// refuseResponse keeps a response that must not leave from leaving. With
// held headers nothing was sent yet: a 502 problem+json replaces it.
// Otherwise the headers are gone: the body is replaced by the problem
// document (the status line the client saw stays the upstream's) and any
// later chunk by nothing.
func (s *stream) refuseResponse(d *policy.Decision) {
	body := policy.AppendProblem(nil, d, s.traceID)
	if s.holding {
		s.holding = false
		s.replied = true
		_ = abi.SendHttpResponse(uint32(d.Status), policy.ProblemHeaders(d, ""), body, -1)
		return
	}
	s.refused = true
	_ = abi.ReplaceHttpResponseBody(body)
}

// observeSize feeds the operation's response-size model and reports an
// unusual size.
func (s *stream) observeSize(n int) {
	est := s.plugin.sizeModel(s.req.Match.Endpoint)
	if est == nil || s.status < 200 || s.status >= 300 {
		return
	}
	if anomalous, p99 := est.Observe(n); anomalous {
		d := s.pol().ResponseSizeDecision(s.req.Match.Endpoint, n, p99)
		s.plugin.metrics.countDecision(s.req.Match.Endpoint, &d)
		s.emit(&d, s.status)
	}
}
