//go:build wasip1

package main

import (
	"strconv"
	"unsafe"
)

// A minimal proxy-wasm binding for the probe: raw imports plus helpers
// that copy host-returned blocks out of the arena.

//go:wasmimport env proxy_log
func proxyLog(level uint32, p unsafe.Pointer, n uint32) uint32

//go:wasmimport env proxy_get_log_level
func proxyGetLogLevel(ret unsafe.Pointer) uint32

//go:wasmimport env proxy_get_current_time_nanoseconds
func proxyGetCurrentTime(ret unsafe.Pointer) uint32

//go:wasmimport env proxy_set_tick_period_milliseconds
func proxySetTickPeriod(ms uint32) uint32

//go:wasmimport env proxy_get_buffer_bytes
func proxyGetBufferBytes(t, start, max uint32, pp, lp unsafe.Pointer) uint32

//go:wasmimport env proxy_get_buffer_status
func proxyGetBufferStatus(t uint32, lp, fp unsafe.Pointer) uint32

//go:wasmimport env proxy_set_buffer_bytes
func proxySetBufferBytes(t, start, n uint32, p unsafe.Pointer, l uint32) uint32

//go:wasmimport env proxy_get_header_map_pairs
func proxyGetHeaderMapPairs(t uint32, pp, lp unsafe.Pointer) uint32

//go:wasmimport env proxy_set_header_map_pairs
func proxySetHeaderMapPairs(t uint32, p unsafe.Pointer, l uint32) uint32

//go:wasmimport env proxy_get_header_map_size
func proxyGetHeaderMapSize(t uint32, ret unsafe.Pointer) uint32

//go:wasmimport env proxy_get_header_map_value
func proxyGetHeaderMapValue(t uint32, k unsafe.Pointer, kl uint32, pp, lp unsafe.Pointer) uint32

//go:wasmimport env proxy_add_header_map_value
func proxyAddHeaderMapValue(t uint32, k unsafe.Pointer, kl uint32, v unsafe.Pointer, vl uint32) uint32

//go:wasmimport env proxy_replace_header_map_value
func proxyReplaceHeaderMapValue(t uint32, k unsafe.Pointer, kl uint32, v unsafe.Pointer, vl uint32) uint32

//go:wasmimport env proxy_remove_header_map_value
func proxyRemoveHeaderMapValue(t uint32, k unsafe.Pointer, kl uint32) uint32

//go:wasmimport env proxy_get_property
func proxyGetProperty(p unsafe.Pointer, n uint32, pp, lp unsafe.Pointer) uint32

//go:wasmimport env proxy_set_property
func proxySetProperty(p unsafe.Pointer, n uint32, v unsafe.Pointer, vl uint32) uint32

//go:wasmimport env proxy_continue_stream
func proxyContinueStream(t uint32) uint32

//go:wasmimport env proxy_close_stream
func proxyCloseStream(t uint32) uint32

//go:wasmimport env proxy_send_local_response
func proxySendLocalResponse(status uint32, d unsafe.Pointer, dl uint32, b unsafe.Pointer, bl uint32, h unsafe.Pointer, hl uint32, grpc int32) uint32

//go:wasmimport env proxy_get_shared_data
func proxyGetSharedData(k unsafe.Pointer, kl uint32, pp, lp, cas unsafe.Pointer) uint32

//go:wasmimport env proxy_set_shared_data
func proxySetSharedData(k unsafe.Pointer, kl uint32, v unsafe.Pointer, vl uint32, cas uint32) uint32

//go:wasmimport env proxy_register_shared_queue
func proxyRegisterSharedQueue(n unsafe.Pointer, nl uint32, id unsafe.Pointer) uint32

//go:wasmimport env proxy_resolve_shared_queue
func proxyResolveSharedQueue(vm unsafe.Pointer, vl uint32, n unsafe.Pointer, nl uint32, id unsafe.Pointer) uint32

//go:wasmimport env proxy_enqueue_shared_queue
func proxyEnqueueSharedQueue(id uint32, v unsafe.Pointer, vl uint32) uint32

//go:wasmimport env proxy_dequeue_shared_queue
func proxyDequeueSharedQueue(id uint32, pp, lp unsafe.Pointer) uint32

//go:wasmimport env proxy_define_metric
func proxyDefineMetric(t uint32, n unsafe.Pointer, nl uint32, id unsafe.Pointer) uint32

//go:wasmimport env proxy_increment_metric
func proxyIncrementMetric(id uint32, delta int64) uint32

//go:wasmimport env proxy_record_metric
func proxyRecordMetric(id uint32, v uint64) uint32

//go:wasmimport env proxy_get_metric
func proxyGetMetric(id uint32, ret unsafe.Pointer) uint32

//go:wasmimport env proxy_http_call
func proxyHTTPCall(u unsafe.Pointer, ul uint32, h unsafe.Pointer, hl uint32, b unsafe.Pointer, bl uint32, t unsafe.Pointer, tl uint32, timeout uint32, token unsafe.Pointer) uint32

//go:wasmimport env proxy_get_status
func proxyGetStatus(code, pp, lp unsafe.Pointer) uint32

//go:wasmimport env proxy_set_effective_context
func proxySetEffectiveContext(id uint32) uint32

//go:wasmimport wasi_snapshot_preview1 poll_oneoff
func wasiPollOneoff(in, out unsafe.Pointer, n uint32, nevents unsafe.Pointer) uint32

func sp(s string) unsafe.Pointer { return unsafe.Pointer(unsafe.StringData(s)) }

func bp(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}

// block copies a host-allocated block out of linear memory.
func block(p, n uint32) []byte {
	if n == 0 {
		return nil
	}
	src := unsafe.Slice((*byte)(unsafe.Pointer(uintptr(p))), n)
	return append([]byte(nil), src...)
}

func logf(level uint32, parts ...string) {
	s := ""
	for i, p := range parts {
		if i > 0 {
			s += " "
		}
		s += p
	}
	proxyLog(level, sp(s), uint32(len(s)))
}

func info(parts ...string) { logf(2, parts...) }

func st(s uint32) string { return "status=" + strconv.Itoa(int(s)) }

func getHeader(t uint32, k string) (string, uint32) {
	var p, n uint32
	s := proxyGetHeaderMapValue(t, sp(k), uint32(len(k)), unsafe.Pointer(&p), unsafe.Pointer(&n))
	return string(block(p, n)), s
}

func getPairs(t uint32) ([][2]string, uint32) {
	var p, n uint32
	s := proxyGetHeaderMapPairs(t, unsafe.Pointer(&p), unsafe.Pointer(&n))
	return parsePairs(block(p, n)), s
}

func addHeader(t uint32, k, v string) uint32 {
	return proxyAddHeaderMapValue(t, sp(k), uint32(len(k)), sp(v), uint32(len(v)))
}

func replaceHeader(t uint32, k, v string) uint32 {
	return proxyReplaceHeaderMapValue(t, sp(k), uint32(len(k)), sp(v), uint32(len(v)))
}

func removeHeader(t uint32, k string) uint32 {
	return proxyRemoveHeaderMapValue(t, sp(k), uint32(len(k)))
}

func getBuffer(t uint32) ([]byte, uint32) {
	var p, n uint32
	s := proxyGetBufferBytes(t, 0, 0x7fffffff, unsafe.Pointer(&p), unsafe.Pointer(&n))
	return block(p, n), s
}

func setBuffer(t, start, n uint32, data string) uint32 {
	return proxySetBufferBytes(t, start, n, sp(data), uint32(len(data)))
}

func getProperty(path string) ([]byte, uint32) {
	var p, n uint32
	s := proxyGetProperty(sp(path), uint32(len(path)), unsafe.Pointer(&p), unsafe.Pointer(&n))
	return block(p, n), s
}

func getShared(k string) ([]byte, uint32, uint32) {
	var p, n, cas uint32
	s := proxyGetSharedData(sp(k), uint32(len(k)), unsafe.Pointer(&p), unsafe.Pointer(&n), unsafe.Pointer(&cas))
	return block(p, n), cas, s
}

func setShared(k string, v []byte, cas uint32) uint32 {
	return proxySetSharedData(sp(k), uint32(len(k)), bp(v), uint32(len(v)), cas)
}

func defineMetric(t uint32, name string) (uint32, uint32) {
	var id uint32
	s := proxyDefineMetric(t, sp(name), uint32(len(name)), unsafe.Pointer(&id))
	return id, s
}

func sendLocal(status uint32, details, body string, headers [][2]string) uint32 {
	h := marshalPairs(headers)
	return proxySendLocalResponse(status, sp(details), uint32(len(details)), sp(body), uint32(len(body)), bp(h), uint32(len(h)), -1)
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func put32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

func parsePairs(b []byte) [][2]string {
	if len(b) < 4 {
		return nil
	}
	n := int(le32(b))
	off := 4 + 8*n
	out := make([][2]string, 0, n)
	for i := 0; i < n; i++ {
		kl := int(le32(b[4+8*i:]))
		vl := int(le32(b[8+8*i:]))
		k := string(b[off : off+kl])
		off += kl + 1
		v := string(b[off : off+vl])
		off += vl + 1
		out = append(out, [2]string{k, v})
	}
	return out
}

func marshalPairs(pairs [][2]string) []byte {
	if len(pairs) == 0 {
		return nil
	}
	size := 4
	for _, p := range pairs {
		size += 8 + len(p[0]) + len(p[1]) + 2
	}
	b := make([]byte, size)
	put32(b, uint32(len(pairs)))
	off := 4
	for i, p := range pairs {
		put32(b[4+8*i:], uint32(len(p[0])))
		put32(b[8+8*i:], uint32(len(p[1])))
		_ = i
	}
	off = 4 + 8*len(pairs)
	for _, p := range pairs {
		off += copy(b[off:], p[0]) + 1
		off += copy(b[off:], p[1]) + 1
	}
	return b
}

func hexs(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func u64le(b []byte) uint64 {
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}
