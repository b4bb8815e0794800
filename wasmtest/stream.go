package wasmtest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Request is what a downstream client sends. Method, Path, Authority and
// Scheme become the :method, :path, :authority and :scheme pseudo-headers
// (defaults GET, /, localhost, http). Like Envoy's connection manager the
// host adds x-forwarded-proto and x-request-id when absent.
type Request struct {
	Method, Path, Authority, Scheme string
	Headers                         [][2]string
	Body                            []byte
	Trailers                        [][2]string
	// ChunkSize splits Body into on_request_body calls of at most this
	// many bytes (0 = one chunk).
	ChunkSize int
	// SourceAddress is source.address ("ip:port"; default
	// "127.0.0.1:54321").
	SourceAddress string
	// Protocol is request.protocol (default "HTTP/1.1").
	Protocol string
}

// Response is an upstream answer (input) or what the client got (output).
// In output, Headers starts with ":status".
type Response struct {
	Status   int
	Headers  [][2]string
	Body     []byte
	Trailers [][2]string
	// ChunkSize splits Body into on_response_body calls (0 = one chunk).
	ChunkSize int
}

// Header returns the first value of key (lower-case) in the response.
func (r *Response) Header(key string) string { return headerValue(r.Headers, key) }

// UpstreamRequest is the request as it left the plugin: pseudo-headers,
// headers, body and trailers after every mutation.
type UpstreamRequest struct {
	Method, Path, Authority, Scheme string
	Headers                         [][2]string
	Body                            []byte
	Trailers                        [][2]string
}

// Header returns the first value of key (lower-case) in the request.
func (r *UpstreamRequest) Header(key string) string { return headerValue(r.Headers, key) }

func headerValue(h [][2]string, key string) string {
	for _, p := range h {
		if p[0] == key {
			return p[1]
		}
	}
	return ""
}

// Upstream answers a request that the plugin let through. A nil Upstream
// answers 200 with no body; an Upstream returning nil is an upstream reset
// (Envoy's router then answers 503); Status 0 means 200. It runs without
// the VM lock, so it may take its time or call other VMs.
type Upstream func(req *UpstreamRequest) *Response

// Exchange is the outcome of one stream.
type Exchange struct {
	// Upstream is the request the upstream received; nil if not reached.
	Upstream *UpstreamRequest
	// HeadersForwarded reports that the request headers were released
	// upstream (Envoy streams them on Continue) even if the request was
	// later refused.
	HeadersForwarded bool
	// Response is what the client got; nil when the stream was reset
	// before response headers were sent.
	Response *Response
	// LocalReply reports a local reply (from the plugin, a buffer limit,
	// a stall or a VM failure); LocalReplyDetails is its details string
	// (e.g. "request_payload_too_large", "wasm_fail_stream").
	LocalReply        bool
	LocalReplyDetails string
	// Reset reports a stream reset (proxy_close_stream, a local reply
	// after response headers were sent, ...).
	Reset bool
	// Stalled reports a stream left paused with nobody to continue it;
	// wasmtest answers as Envoy's stream idle timeout would (408 during
	// the request, reset during the response).
	Stalled bool
	// Trapped is the VM failure that hit this stream, if any.
	Trapped error
	// Calls is the callback trace, e.g. "on_request_headers(2,8,true)=0".
	Calls []string
	// ContextID is the stream context id; VM the worker index.
	ContextID uint32
	VM        int
}

type localReply struct {
	status  int
	details string
	body    []byte
	headers [][2]string
	grpc    int32
}

type dirState struct {
	hdrs       headerMap
	hdrsExist  bool
	hdrAcc     bool
	hdrsSent   bool
	trl        headerMap
	trlExist   bool
	trlAcc     bool
	trlAddable bool
	buf        []byte
	bufAcc     bool
	out        []byte
	cont       bool
}

type stream struct {
	vm          *VM
	id          uint32
	ex          *Exchange
	dir         [2]dirState
	filterState map[string][]byte
	source      string
	protocol    string
	start       time.Time
	connID      uint64
	details     string
	created     bool

	pendingLocal *localReply
	closeReq     bool
	final        *Response
	reset        bool
}

// RoundTrip plays one HTTP exchange through this VM in Envoy's order:
// context create, request headers, body chunks, trailers, the upstream
// (unless answered locally), response headers, body, trailers, then
// proxy_on_log, proxy_on_done, proxy_on_delete. The VM is locked while its
// callbacks run and unlocked while up runs, so exchanges on one VM
// interleave like streams on an Envoy worker.
func (vm *VM) RoundTrip(req *Request, up Upstream) (*Exchange, error) {
	if req == nil {
		return nil, errors.New("wasmtest: nil request")
	}
	ex := &Exchange{VM: vm.index}
	vm.mu.Lock()
	locked := true
	defer func() {
		vm.trace = nil
		if locked {
			vm.mu.Unlock()
		}
	}()
	if vm.mod == nil || vm.host.closed.Load() {
		return nil, errors.New("wasmtest: host closed")
	}
	st := vm.newStream(req, ex)
	vm.trace = &ex.Calls

	forwarded := false
	bypass := false
	switch {
	case vm.failed != nil && vm.host.opts.FailurePolicy == FailOpen:
		// Envoy does not insert the filter for new streams.
		bypass, forwarded = true, true
	case vm.failed != nil:
		ex.Trapped = vm.failed
		st.failClosed()
	default:
		vm.streams[st.id] = st
		st.created = true
		_, ok := st.call(vm.fns.contextCreate, "proxy_on_context_create", st.id, rootContextID)
		if _, done := st.after(0, 0, ok); !done {
			forwarded = st.runDir(0, req.Body, req.Trailers, req.ChunkSize)
		}
	}
	if bypass {
		st.dir[0].out = append([]byte(nil), req.Body...)
		st.dir[0].trl = newHeaderMap(req.Trailers)
		st.dir[0].trlExist = len(req.Trailers) > 0
	}
	if forwarded {
		ex.HeadersForwarded = true
		upReq := st.upstreamRequest()
		ex.Upstream = upReq
		vm.trace = nil
		vm.mu.Unlock()
		locked = false
		resp := callUpstream(up, upReq)
		vm.mu.Lock()
		locked = true
		vm.trace = &ex.Calls
		if bypass {
			st.final = normalizeResponse(resp)
		} else {
			st.respond(resp)
		}
	}
	st.finish()
	if st.final != nil && !st.reset {
		ex.Response = st.final
	}
	return ex, nil
}

func callUpstream(up Upstream, req *UpstreamRequest) (resp *Response) {
	if up == nil {
		return &Response{Status: 200}
	}
	resp = up(req)
	if resp == nil {
		return &Response{Status: 503, Headers: [][2]string{{"content-type", "text/plain"}},
			Body: []byte("upstream connect error or disconnect/reset before headers. reset reason: connection termination")}
	}
	if resp.Status == 0 {
		r := *resp
		r.Status = 200
		return &r
	}
	return resp
}

func normalizeResponse(r *Response) *Response {
	h := newHeaderMap(nil)
	h.add(":status", strconv.Itoa(r.Status))
	for _, p := range r.Headers {
		if p[0] != ":status" {
			h.add(p[0], p[1])
		}
	}
	return &Response{Status: r.Status, Headers: h.pairs, Body: r.Body, Trailers: r.Trailers}
}

func (vm *VM) newStream(req *Request, ex *Exchange) *stream {
	id := vm.nextContextID
	vm.nextContextID++
	ex.ContextID = id
	st := &stream{vm: vm, id: id, ex: ex, source: req.SourceAddress, protocol: req.Protocol,
		start: vm.host.clock.Now(), connID: vm.host.connID.Add(1)}
	if st.source == "" {
		st.source = "127.0.0.1:54321"
	}
	if st.protocol == "" {
		st.protocol = "HTTP/1.1"
	}
	h := newHeaderMap(req.Headers)
	def := func(key, v, d string) {
		if _, ok := h.get(key); ok {
			return
		}
		if v == "" {
			v = d
		}
		h.add(key, v)
	}
	def(":authority", req.Authority, "localhost")
	def(":path", req.Path, "/")
	def(":method", req.Method, "GET")
	def(":scheme", req.Scheme, "http")
	// Pseudo-headers in Envoy's order: :authority, :path, :method, :scheme.
	order := map[string]int{":authority": 0, ":path": 1, ":method": 2, ":scheme": 3}
	n := 0
	for n < len(h.pairs) && strings.HasPrefix(h.pairs[n][0], ":") {
		n++
	}
	ps := h.pairs[:n]
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && rank(order, ps[j][0]) < rank(order, ps[j-1][0]); j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
	if _, ok := h.get("x-forwarded-proto"); !ok {
		scheme, _ := h.get(":scheme")
		h.add("x-forwarded-proto", scheme)
	}
	if _, ok := h.get("x-request-id"); !ok {
		h.add("x-request-id", vm.uuid())
	}
	st.dir[0].hdrs = h
	st.dir[0].hdrsExist = true
	return st
}

func rank(order map[string]int, k string) int {
	if r, ok := order[k]; ok {
		return r
	}
	return len(order)
}

func (vm *VM) uuid() string {
	var b [16]byte
	vm.randomBytes(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// call runs one stream callback and then what Envoy posts after it
// (callout responses, queue notifications). ok=false: the VM is failed.
func (st *stream) call(fn apiFunction, name string, args ...uint32) (uint32, bool) {
	vm := st.vm
	act, ok := vm.call(fn, name, st, args...)
	if ok {
		vm.drain()
		ok = vm.failed == nil
	}
	return act, ok
}

// after applies the deferred effects of a callback in Envoy's order:
// failure policy, close, local reply (forcing stop), continue. It reports
// whether direction i may proceed and whether the stream is finished.
func (st *stream) after(i int, act uint32, ok bool) (cont, done bool) {
	vm := st.vm
	defer func() { st.dir[0].cont, st.dir[1].cont = false, false }()
	if !ok {
		if st.ex.Trapped == nil {
			st.ex.Trapped = vm.failed
		}
		if vm.host.opts.FailurePolicy == FailOpen {
			return true, false
		}
		st.failClosed()
		return false, true
	}
	if st.closeReq {
		st.resetStream("wasm_close_stream")
		return false, true
	}
	if lr := st.pendingLocal; lr != nil {
		st.pendingLocal = nil
		st.sendLocal(*lr)
		return false, true
	}
	return act == actionContinue || st.dir[i].cont, false
}

func (st *stream) names(i int) (h, b, t apiFunction, hn, bn, tn string) {
	f := &st.vm.fns
	if i == 0 {
		return f.requestHeaders, f.requestBody, f.requestTrailers,
			"proxy_on_request_headers", "proxy_on_request_body", "proxy_on_request_trailers"
	}
	return f.responseHeaders, f.responseBody, f.responseTrailers,
		"proxy_on_response_headers", "proxy_on_response_body", "proxy_on_response_trailers"
}

func chunks(body []byte, size int, whole bool) [][]byte {
	if len(body) == 0 {
		return nil
	}
	if whole || size <= 0 || size >= len(body) {
		return [][]byte{body}
	}
	var out [][]byte
	for len(body) > 0 {
		n := min(size, len(body))
		out = append(out, body[:n])
		body = body[n:]
	}
	return out
}

// releaseHeaders is the headers of direction i continuing past the
// filter: Envoy drops its pointer, later reads fail.
func (st *stream) releaseHeaders(i int) {
	d := &st.dir[i]
	d.hdrAcc = false
	d.hdrsSent = true
	if i == 0 {
		st.ex.HeadersForwarded = true
	}
}

// runDir plays headers, body chunks and trailers of one direction
// through the plugin with Envoy's filter-manager semantics (ABI.md
// §6). It returns true when the whole direction passed the filter.
func (st *stream) runDir(i int, body []byte, trailers [][2]string, chunkSize int) bool {
	vm := st.vm
	d := &st.dir[i]
	fnH, fnB, fnT, nH, nB, nT := st.names(i)
	hasTrl := len(trailers) > 0
	limit := vm.host.opts.BufferLimit

	d.hdrsExist, d.hdrAcc = true, true
	act, ok := st.call(fnH, nH, st.id, uint32(d.hdrs.len()), b2u(len(body) == 0 && !hasTrl))
	cont, done := st.after(i, act, ok)
	if done {
		return false
	}
	held, whole := false, false
	switch {
	case cont:
		// Continued by proxy_continue_stream after a StopAll: Envoy has
		// buffered the body meanwhile and delivers it in one call.
		whole = act != actionContinue && ok
		st.releaseHeaders(i)
	case vm.host.opts.AllowOnHeadersStopIteration:
		held = true
	default:
		return st.stall(i)
	}

	buffering := false
	cs := chunks(body, chunkSize, whole)
	for k, c := range cs {
		eos := k == len(cs)-1 && !hasTrl
		if buffering {
			d.buf = append(d.buf, c...)
			if len(d.buf) > limit {
				return st.tooLarge(i)
			}
		} else {
			d.buf = append([]byte(nil), c...)
		}
		d.bufAcc = true
		d.trlAddable = eos
		act, ok = st.call(fnB, nB, st.id, uint32(len(d.buf)), b2u(eos))
		d.trlAddable = false
		if d.trlExist && !hasTrl {
			d.trlAcc = false
		}
		cont, done = st.after(i, act, ok)
		if done {
			return false
		}
		if cont {
			if held {
				st.releaseHeaders(i)
				held = false
			}
			d.out = append(d.out, d.buf...)
			d.buf, d.bufAcc, buffering = nil, false, false
			continue
		}
		buffering = true
		if len(d.buf) > limit {
			return st.tooLarge(i)
		}
		if eos {
			return st.stall(i)
		}
	}
	if hasTrl {
		d.trl = newHeaderMap(trailers)
		d.trlExist, d.trlAcc = true, true
		act, ok = st.call(fnT, nT, st.id, uint32(d.trl.len()))
		cont, done = st.after(i, act, ok)
		if done {
			return false
		}
		if !cont {
			return st.stall(i)
		}
		d.trlAcc = false
		if held {
			st.releaseHeaders(i)
			held = false
		}
		if buffering {
			d.out = append(d.out, d.buf...)
			d.buf, d.bufAcc = nil, false
		}
	}
	if held {
		return st.stall(i)
	}
	return true
}

func (st *stream) upstreamRequest() *UpstreamRequest {
	d := &st.dir[0]
	u := &UpstreamRequest{Headers: d.hdrs.clone(), Body: d.out}
	if d.trlExist {
		u.Trailers = d.trl.clone()
	}
	u.Method, _ = d.hdrs.get(":method")
	u.Path, _ = d.hdrs.get(":path")
	u.Authority, _ = d.hdrs.get(":authority")
	u.Scheme, _ = d.hdrs.get(":scheme")
	return u
}

// respond plays a response (upstream or local reply through the filter
// chain) through the plugin's response callbacks.
func (st *stream) respond(r *Response) {
	n := normalizeResponse(r)
	d := &st.dir[1]
	d.hdrs = headerMap{pairs: n.Headers}
	if st.runDir(1, r.Body, r.Trailers, r.ChunkSize) {
		st.final = st.sentResponse()
	}
}

func (st *stream) sentResponse() *Response {
	d := &st.dir[1]
	r := &Response{Headers: d.hdrs.clone(), Body: d.out}
	if d.trlExist {
		r.Trailers = d.trl.clone()
	}
	code, _ := d.hdrs.get(":status")
	r.Status, _ = strconv.Atoi(code)
	return r
}

func (lr localReply) response() *Response {
	h := newHeaderMap(nil)
	for _, p := range lr.headers {
		h.add(p[0], p[1])
	}
	if len(lr.body) > 0 {
		if _, ok := h.get("content-type"); !ok {
			h.add("content-type", "text/plain")
		}
		h.set("content-length", strconv.Itoa(len(lr.body)))
	}
	if lr.grpc >= 0 && lr.grpc <= 16 {
		h.set("grpc-status", strconv.Itoa(int(lr.grpc)))
	}
	return &Response{Status: lr.status, Headers: h.pairs, Body: lr.body}
}

// sendLocal is Envoy's deferred sendLocalReply: through the encoder
// filters (so the plugin sees its own reply) when no response headers
// exist yet, straight to the client when they exist but were not sent,
// and a stream reset when they were already sent.
func (st *stream) sendLocal(lr localReply) {
	st.ex.LocalReply = true
	st.ex.LocalReplyDetails = lr.details
	st.details = lr.details
	d := &st.dir[1]
	switch {
	case !d.hdrsExist:
		st.respond(lr.response())
	case !d.hdrsSent:
		r := normalizeResponse(lr.response())
		d.hdrs = headerMap{pairs: r.Headers}
		d.trl, d.trlExist = headerMap{}, false
		d.hdrAcc, d.trlAcc, d.bufAcc = false, false, false
		st.final = r
	default:
		st.resetStream(lr.details)
	}
}

func (st *stream) resetStream(details string) {
	st.reset = true
	st.ex.Reset = true
	if st.details == "" {
		st.details = details
	}
	if st.ex.LocalReplyDetails == "" {
		st.ex.LocalReplyDetails = details
	}
}

// failClosed answers a stream of a failed VM: 503 with an empty body and
// details "wasm_fail_stream", without running plugin callbacks, or a reset
// if response headers already went out.
func (st *stream) failClosed() {
	if st.dir[1].hdrsSent {
		st.resetStream("wasm_fail_stream")
		return
	}
	st.ex.LocalReply = true
	st.ex.LocalReplyDetails = "wasm_fail_stream"
	st.details = "wasm_fail_stream"
	r := normalizeResponse(&Response{Status: 503})
	st.dir[1].hdrs, st.dir[1].hdrsExist = headerMap{pairs: r.Headers}, true
	st.final = r
}

func (st *stream) tooLarge(i int) bool {
	if i == 0 {
		st.sendLocal(localReply{status: 413, details: "request_payload_too_large", body: []byte("Payload Too Large"), grpc: -1})
		return false
	}
	if st.dir[1].hdrsSent {
		st.resetStream("response_payload_too_large")
		return false
	}
	st.ex.LocalReply = true
	st.ex.LocalReplyDetails = "response_payload_too_large"
	st.details = "response_payload_too_large"
	lr := localReply{status: 500, body: []byte("Internal Server Error"), grpc: -1}
	r := normalizeResponse(lr.response())
	st.dir[1].hdrs = headerMap{pairs: r.Headers}
	st.dir[1].bufAcc, st.dir[1].hdrAcc = false, false
	st.final = r
	return false
}

// stall handles a stream left paused with nothing left to continue it.
func (st *stream) stall(i int) bool {
	st.ex.Stalled = true
	st.dir[i].bufAcc = false
	if i == 0 && !st.dir[1].hdrsExist {
		st.sendLocal(localReply{status: 408, details: "stream_idle_timeout", body: []byte("stream timeout"), grpc: -1})
		return false
	}
	st.resetStream("stream_idle_timeout")
	return false
}

// finish runs proxy_on_log, proxy_on_done and proxy_on_delete.
func (st *stream) finish() {
	vm := st.vm
	if !st.created {
		return
	}
	for i := range st.dir {
		d := &st.dir[i]
		d.hdrAcc, d.trlAcc, d.bufAcc, d.trlAddable = false, false, false, false
	}
	if vm.failed == nil {
		st.call(vm.fns.log, "proxy_on_log", st.id)
		st.call(vm.fns.done, "proxy_on_done", st.id)
		st.call(vm.fns.delete, "proxy_on_delete", st.id)
		if vm.failed != nil && st.ex.Trapped == nil {
			st.ex.Trapped = vm.failed
		}
	}
	delete(vm.streams, st.id)
}

// proxy_continue_stream(type): HttpRequest/HttpResponse ⇒ resume that
// direction after the current VM call returns (Ok even without a
// stream); Downstream ⇒ Ok; Upstream ⇒ Unimplemented; > 3 ⇒ BadArgument.
func hostContinueStream(vm *VM, s []uint64) {
	t := u32(s, 0)
	switch {
	case t > streamUpstream:
		ret(s, StatusBadArgument)
	case t == streamUpstream:
		ret(s, StatusUnimplemented)
	case t == streamDownstream:
		ret(s, StatusOK)
	default:
		if st := vm.target(); st != nil {
			st.dir[t].cont = true
		}
		ret(s, StatusOK)
	}
}

// proxy_close_stream(type): HttpRequest/HttpResponse ⇒ deferred stream
// reset (details "wasm_close_stream"); Downstream/Upstream ⇒ Ok (no L4
// connection here); > 3 ⇒ BadArgument.
func hostCloseStream(vm *VM, s []uint64) {
	t := u32(s, 0)
	if t > streamUpstream {
		ret(s, StatusBadArgument)
		return
	}
	if t <= streamHTTPResp {
		if st := vm.target(); st != nil {
			st.closeReq = true
		}
	}
	ret(s, StatusOK)
}

// proxy_send_local_response(status, details, details_len, body, body_len,
// headers, headers_len, grpc_status): always Ok (bad memory ⇒
// InvalidMemoryAccess). The reply is sent after the callback returns and
// forces it to stop; from the root context it does nothing. Details have
// whitespace replaced by '_'; grpc_status 0..16 adds grpc-status. Only
// the first reply of a callback counts.
func hostSendLocalResponse(vm *VM, s []uint64) {
	details, ok1 := vm.readString(u32(s, 1), u32(s, 2))
	body, ok2 := vm.read(u32(s, 3), u32(s, 4))
	hb, ok3 := vm.read(u32(s, 5), u32(s, 6))
	if !ok1 || !ok2 || !ok3 {
		ret(s, StatusInvalidMemoryAccess)
		return
	}
	st := vm.target()
	if st != nil && st.pendingLocal == nil {
		st.pendingLocal = &localReply{status: int(u32(s, 0)),
			details: strings.Map(func(r rune) rune {
				if r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\v' {
					return '_'
				}
				return r
			}, details),
			body: append([]byte(nil), body...), headers: UnmarshalPairs(hb), grpc: int32(u32(s, 7))}
	}
	ret(s, StatusOK)
}

// proxy_set_effective_context(context_id): 1 is the root context, a live
// stream id selects that stream until the current host→VM call returns;
// anything else ⇒ BadArgument.
func hostSetEffectiveContext(vm *VM, s []uint64) {
	id := u32(s, 0)
	if id == rootContextID {
		vm.effective, vm.effSet = nil, true
		ret(s, StatusOK)
		return
	}
	st := vm.streams[id]
	if st == nil {
		ret(s, StatusBadArgument)
		return
	}
	vm.effective, vm.effSet = st, true
	ret(s, StatusOK)
}

// proxy_done(): no root context is ever pending-done here ⇒ NotFound.
func hostDone(vm *VM, s []uint64) { ret(s, StatusNotFound) }

// proxy_call_foreign_function(name, name_len, args, args_len, ret_ptr_ptr,
// ret_len_ptr): "clear_route_cache" ⇒ Ok with no result; any other name ⇒
// NotFound.
func hostCallForeign(vm *VM, s []uint64) {
	name, ok := vm.readString(u32(s, 0), u32(s, 1))
	if _, ok2 := vm.read(u32(s, 2), u32(s, 3)); !ok || !ok2 {
		ret(s, StatusInvalidMemoryAccess)
		return
	}
	if name != "clear_route_cache" {
		ret(s, StatusNotFound)
		return
	}
	ret(s, vm.copyOut(nil, u32(s, 4), u32(s, 5)))
}
