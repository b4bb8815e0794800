package main

import (
	"github.com/apiwarden/apiwarden/filter/internal/abi"
	"github.com/apiwarden/apiwarden/policy/exchange"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// stream is one HTTP exchange: each callback reads what the host gives,
// calls the exchange, and applies the step it returns. Every callback
// recovers from panics (failure_mode decides, see failure.go).
type stream struct {
	types.DefaultHttpContext
	plugin *pluginContext
	id     uint32
	x      exchange.Exchange
}

func (s *stream) OnHttpRequestHeaders(_ int, endOfStream bool) (act types.Action) {
	defer s.recoverInto(&act)
	hdrs, err := abi.GetHttpRequestHeaders()
	if err != nil {
		return s.apply(s.x.Fail("cannot read request headers", err), request)
	}
	armFault(s.id, hdrs)
	fault(s.id, "request_headers")
	return s.apply(s.x.RequestHeaders(hdrs, endOfStream, hostAddress{}), request)
}

func (s *stream) OnHttpRequestBody(size int, endOfStream bool) (act types.Action) {
	defer s.recoverInto(&act)
	fault(s.id, "request_body")
	return s.apply(s.x.RequestBody(size, endOfStream, requestBody{}), request)
}

func (s *stream) OnHttpRequestTrailers(int) (act types.Action) {
	defer s.recoverInto(&act)
	fault(s.id, "request_trailers")
	return s.apply(s.x.RequestTrailers(requestBody{}), request)
}

func (s *stream) OnHttpResponseHeaders(_ int, endOfStream bool) (act types.Action) {
	defer s.recoverInto(&act)
	fault(s.id, "response_headers")
	return s.apply(s.x.ResponseHeaders(responseHeaders{}, endOfStream), response)
}

func (s *stream) OnHttpResponseBody(size int, endOfStream bool) (act types.Action) {
	defer s.recoverInto(&act)
	fault(s.id, "response_body")
	return s.apply(s.x.ResponseBody(size, endOfStream, responseBody{}), response)
}

func (s *stream) OnHttpResponseTrailers(int) (act types.Action) {
	defer s.recoverInto(&act)
	fault(s.id, "response_trailers")
	return s.apply(s.x.ResponseTrailers(responseBody{}), response)
}

func (s *stream) OnHttpStreamDone() {
	defer s.plugin.release(s)
	defer s.recoverInto(nil)
	fault(s.id, "stream_done")
	s.apply(s.x.Done(), response)
}

// direction is the side of the exchange a step's edits apply to.
type direction uint8

const (
	request direction = iota
	response
)

// apply carries out a step: header edits, the body replacement, the local
// reply, then its logs and metrics. A failed Must edit or body
// replacement is a failure (the upstream or the client would get what was
// not validated): failure_mode decides, through the exchange.
func (s *stream) apply(st exchange.Step, dir direction) types.Action {
	var failed string
	var err error
	for _, e := range st.Edits {
		if eerr := editHeader(dir, &e); eerr != nil {
			if e.Must {
				failed, err = "cannot rewrite "+e.Name, eerr
				break
			}
			abi.LogDebug("apiwarden: cannot set " + e.Name + ": " + eerr.Error())
		}
	}
	if err == nil && st.ReplaceBody {
		// Replacing a refused body's later chunks by nothing is best
		// effort; a rewritten body that cannot be set must not pass.
		if rerr := replaceBody(dir, st.Body); rerr != nil && len(st.Body) > 0 {
			failed, err = "cannot replace the body", rerr
		}
	}
	if err == nil && st.Reply != nil {
		if serr := abi.SendHttpResponse(uint32(st.Reply.Status), st.Reply.Headers, st.Reply.Body, -1); serr != nil {
			abi.LogErrorf("apiwarden: cannot send the local reply: %v", serr)
		}
	}
	s.plugin.publish(st.Logs, st.Metrics)
	if err != nil {
		return s.apply(s.x.Fail(failed, err), dir)
	}
	if st.Action == exchange.Pause {
		return types.ActionPause
	}
	return types.ActionContinue
}

func editHeader(dir direction, e *exchange.Edit) error {
	switch {
	case dir == request && e.Remove:
		return abi.RemoveHttpRequestHeader(e.Name)
	case dir == request:
		return abi.ReplaceHttpRequestHeader(e.Name, e.Value)
	case e.Remove:
		return abi.RemoveHttpResponseHeader(e.Name)
	}
	return abi.ReplaceHttpResponseHeader(e.Name, e.Value)
}

func replaceBody(dir direction, b []byte) error {
	if dir == request {
		return abi.ReplaceHttpRequestBody(b)
	}
	return abi.ReplaceHttpResponseBody(b)
}
