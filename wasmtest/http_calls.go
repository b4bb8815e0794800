package wasmtest

import (
	"time"
)

// CalloutRequest is what the plugin passed to proxy_http_call.
type CalloutRequest struct {
	Headers  [][2]string // as sent, incl. :method, :path, :authority
	Body     []byte
	Trailers [][2]string
	Timeout  time.Duration // 0 = none
	Token    uint32
	VM       int
}

// Header returns the first value of a header (lower-case key).
func (r CalloutRequest) Header(key string) string {
	for _, p := range r.Headers {
		if p[0] == key {
			return p[1]
		}
	}
	return ""
}

// CalloutResponse answers a callout. Status becomes the ":status" entry
// that leads the response headers.
type CalloutResponse struct {
	Status   int
	Headers  [][2]string
	Body     []byte
	Trailers [][2]string
}

type pendingCallout struct {
	cluster string
	req     CalloutRequest
}

// calloutResult is the response visible inside on_http_call_response
// (map types 6 and 7, buffer type 4).
type calloutResult struct {
	headers  headerMap
	trailers headerMap
	body     []byte
}

// proxy_http_call(upstream, upstream_len, headers, headers_len, body,
// body_len, trailers, trailers_len, timeout_ms, ret_token_ptr): always on
// the root context. Unknown cluster ⇒ BadArgument; headers without :path,
// :method or :authority ⇒ BadArgument; negative timeout ⇒ BadArgument.
// Ok writes a token (4, 8, 12, ... per VM); the response is delivered as
// proxy_on_http_call_response(1, token, nheaders, body_size, ntrailers)
// after the current VM call returns.
func hostHTTPCall(vm *VM, s []uint64) {
	cluster, ok1 := vm.readString(u32(s, 0), u32(s, 1))
	hb, ok2 := vm.read(u32(s, 2), u32(s, 3))
	body, ok3 := vm.read(u32(s, 4), u32(s, 5))
	tb, ok4 := vm.read(u32(s, 6), u32(s, 7))
	if !ok1 || !ok2 || !ok3 || !ok4 {
		ret(s, StatusInvalidMemoryAccess)
		return
	}
	if !vm.host.clusterKnown(cluster) {
		ret(s, StatusBadArgument)
		return
	}
	hm := newHeaderMap(UnmarshalPairs(hb))
	for _, k := range []string{":path", ":method", ":authority"} {
		if _, ok := hm.get(k); !ok {
			ret(s, StatusBadArgument)
			return
		}
	}
	timeout := int32(u32(s, 8))
	if timeout < 0 {
		ret(s, StatusBadArgument)
		return
	}
	if !vm.mem.WriteUint32Le(u32(s, 9), 0) {
		ret(s, StatusInvalidMemoryAccess)
		return
	}
	if len(body) > 0 {
		hm.set("content-length", itoa(int64(len(body))))
	}
	vm.calloutSeq += 4
	token := vm.calloutSeq
	vm.mem.WriteUint32Le(u32(s, 9), token)
	vm.pendingCall = append(vm.pendingCall, &pendingCallout{cluster: cluster, req: CalloutRequest{
		Headers: hm.pairs, Body: append([]byte(nil), body...), Trailers: UnmarshalPairs(tb),
		Timeout: time.Duration(timeout) * time.Millisecond, Token: token, VM: vm.index,
	}})
	ret(s, StatusOK)
}

func (h *Host) clusterKnown(name string) bool {
	if h.opts.HTTPCallHandler == nil {
		return false
	}
	if h.opts.Clusters == nil {
		return true
	}
	for _, c := range h.opts.Clusters {
		if c == name {
			return true
		}
	}
	return false
}

func (vm *VM) deliverCallout(pc *pendingCallout) {
	resp, err := vm.host.opts.HTTPCallHandler(pc.cluster, pc.req)
	if err != nil {
		vm.statusCode, vm.statusMsg = uint32(StatusBrokenConnection), "reset"
		vm.call(vm.fns.httpCallResponse, "proxy_on_http_call_response", nil, rootContextID, pc.req.Token, 0, 0, 0)
		return
	}
	status := resp.Status
	if status == 0 {
		status = 200
	}
	res := &calloutResult{headers: newHeaderMap(append([][2]string{{":status", itoa(int64(status))}}, resp.Headers...)),
		trailers: newHeaderMap(resp.Trailers), body: resp.Body}
	vm.statusCode, vm.statusMsg = uint32(StatusOK), ""
	vm.callout = res
	vm.call(vm.fns.httpCallResponse, "proxy_on_http_call_response", nil, rootContextID, pc.req.Token,
		uint32(res.headers.len()), uint32(len(res.body)), uint32(res.trailers.len()))
	vm.callout = nil
}

// proxy_get_status(ret_code_ptr, ret_msg_ptr_ptr, ret_msg_len_ptr): the
// root context's last status: 0 "" after a successful callout, 11
// "reset" after a failed one.
func hostGetStatus(vm *VM, s []uint64) {
	if !vm.mem.WriteUint32Le(u32(s, 0), vm.statusCode) {
		ret(s, StatusInvalidMemoryAccess)
		return
	}
	ret(s, vm.copyOut([]byte(vm.statusMsg), u32(s, 1), u32(s, 2)))
}

// proxy_grpc_call / proxy_grpc_stream: wasmtest knows no gRPC cluster, so
// every call is Envoy's unknown-cluster answer, ParseFailure.
func hostGrpcCall(vm *VM, s []uint64) { ret(s, StatusParseFailure) }

// proxy_grpc_send / proxy_grpc_cancel / proxy_grpc_close: no gRPC call can
// exist, so every token is unknown ⇒ NotFound.
func hostGrpcToken(vm *VM, s []uint64) { ret(s, StatusNotFound) }
