//go:build wasip1

// Command probe is wasmtest's test plugin. Its behaviour is chosen by the
// plugin configuration ("key=value;..."), by the x-probe request header
// (comma-separated actions) and, for what runs inside _initialize or the
// allocator, by the PROBE_INIT / PROBE_ALLOC environment variables. It
// logs what it observes ("<event> k=v ...") so tests can assert on the
// host's behaviour.
package main

import (
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

func main() {}

//go:wasmexport proxy_abi_version_0_2_1
func abiVersion() {}

const arenaSize = 1 << 20

var (
	arena     [arenaSize]byte
	arenaOff  uint32
	overflow  [][]byte
	allocMode string
)

func reset() {
	arenaOff = 0
	clear(overflow)
	overflow = overflow[:0]
}

func init() {
	allocMode, _ = syscall.Getenv("PROBE_ALLOC")
	mode, _ := syscall.Getenv("PROBE_INIT")
	switch mode {
	case "log":
		info("init", "log-only")
	case "define_metric":
		defineMetric(0, "probe.init")
	case "get_property":
		getProperty("plugin_name")
	case "tick":
		proxySetTickPeriod(100)
	}
}

//go:wasmexport proxy_on_memory_allocate
func onMemoryAllocate(size uint32) uint32 {
	switch allocMode {
	case "log":
		info("alloc", strconv.Itoa(int(size)))
	case "define_metric":
		defineMetric(0, "probe.alloc")
	}
	n := (size + 7) &^ 7
	if arenaOff+n <= arenaSize && n >= size {
		p := uint32(uintptr(unsafe.Pointer(&arena[arenaOff])))
		arenaOff += n
		return p
	}
	b := make([]byte, size+1)
	overflow = append(overflow, b)
	return uint32(uintptr(unsafe.Pointer(&b[0])))
}

type stream struct {
	id   uint32
	acts map[string]bool
}

var (
	cfg       = map[string]string{}
	streams   = map[uint32]*stream{}
	callouts  = map[uint32]uint32{}
	mRequests uint32
	mGauge    uint32
	mHist     uint32
	mTicks    uint32
	queueID   uint32
)

func (s *stream) has(a string) bool { return s != nil && s.acts[a] }

//go:wasmexport proxy_on_context_create
func onContextCreate(id, parent uint32) {
	reset()
	if parent == 0 {
		info("create_root", "id="+strconv.Itoa(int(id)))
		return
	}
	streams[id] = &stream{id: id, acts: map[string]bool{}}
}

//go:wasmexport proxy_on_vm_start
func onVMStart(root, size uint32) uint32 {
	reset()
	vmc, s := getBuffer(6)
	_, s7 := getBuffer(7)
	info("vm_start", "root="+strconv.Itoa(int(root)), "size="+strconv.Itoa(int(size)), "vmconfig="+string(vmc), st(s), "plugin_config_status="+strconv.Itoa(int(s7)))
	if string(vmc) == "fail" {
		return 0
	}
	return 1
}

//go:wasmexport proxy_on_configure
func onConfigure(root, size uint32) uint32 {
	reset()
	pc, s := getBuffer(7)
	info("configure", "size="+strconv.Itoa(int(size)), st(s))
	for _, kv := range strings.Split(string(pc), ";") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			cfg[k] = v
		}
	}
	if cfg["fail"] == "1" {
		logf(4, "configure failed on purpose")
		return 0
	}
	if cfg["trap"] == "1" {
		panic("probe: trap in configure")
	}
	if cfg["metrics"] == "1" {
		mRequests, _ = defineMetric(0, "probe.requests")
		mGauge, _ = defineMetric(1, "probe.gauge")
		mHist, _ = defineMetric(2, "probe.hist")
		mTicks, _ = defineMetric(0, "probe.ticks")
		again, _ := defineMetric(0, "probe.requests")
		_, bad := defineMetric(3, "probe.bad")
		info("metrics", "requests="+strconv.Itoa(int(mRequests)), "gauge="+strconv.Itoa(int(mGauge)),
			"hist="+strconv.Itoa(int(mHist)), "ticks="+strconv.Itoa(int(mTicks)), "again="+strconv.Itoa(int(again)),
			"bad_type_status="+strconv.Itoa(int(bad)))
	}
	if t := cfg["tick"]; t != "" {
		ms, _ := strconv.Atoi(t)
		proxySetTickPeriod(uint32(ms))
	}
	if q := cfg["queue"]; q != "" {
		s := proxyRegisterSharedQueue(sp(q), uint32(len(q)), unsafe.Pointer(&queueID))
		info("queue_registered", "id="+strconv.Itoa(int(queueID)), st(s))
	}
	v, s1 := getProperty("plugin_name")
	_, s2 := getProperty("request\x00path")
	info("root_props", "plugin_name="+string(v), st(s1), "request_path_status="+strconv.Itoa(int(s2)))
	var lvl uint32
	proxyGetLogLevel(unsafe.Pointer(&lvl))
	info("log_level", strconv.Itoa(int(lvl)))
	return 1
}

//go:wasmexport proxy_on_tick
func onTick(root uint32) {
	reset()
	if mTicks != 0 {
		proxyIncrementMetric(mTicks, 1)
	}
	var now uint64
	proxyGetCurrentTime(unsafe.Pointer(&now))
	info("tick", "now="+strconv.FormatUint(now, 10))
	if cfg["tick_off"] == "1" {
		proxySetTickPeriod(0)
	}
}

//go:wasmexport proxy_on_queue_ready
func onQueueReady(root, id uint32) {
	reset()
	var p, n uint32
	s := proxyDequeueSharedQueue(id, unsafe.Pointer(&p), unsafe.Pointer(&n))
	item := string(block(p, n))
	s2 := proxyDequeueSharedQueue(id, unsafe.Pointer(&p), unsafe.Pointer(&n))
	info("queue_ready", "id="+strconv.Itoa(int(id)), "item="+item, st(s), "again_status="+strconv.Itoa(int(s2)))
}

func props(s *stream) {
	for _, p := range []string{"source.address", "source.port", "destination.address", "destination.port",
		"request.path", "request.url_path", "request.host", "request.scheme", "request.method",
		"request.id", "request.protocol", "request.query", "request.time", "request.headers",
		"request.headers.x-probe", "connection.id", "plugin_name", "plugin_root_id", "plugin_vm_id",
		"response.code", "nope.nothing", "request.path.extra"} {
		v, s := getProperty(strings.ReplaceAll(p, ".", "\x00"))
		info("prop", p, st(s), "hex="+hexs(v))
	}
	v, s1 := getProperty("request.path")
	info("prop_dotted", st(s1), "hex="+hexs(v))
}

//go:wasmexport proxy_on_request_headers
func onRequestHeaders(id, n, eos uint32) uint32 {
	reset()
	s := streams[id]
	acts, _ := getHeader(0, "x-probe")
	for _, a := range strings.Split(acts, ",") {
		if a = strings.TrimSpace(a); a != "" {
			s.acts[a] = true
		}
	}
	path, _ := getHeader(0, ":path")
	info("req_headers", "id="+strconv.Itoa(int(id)), "n="+strconv.Itoa(int(n)), "eos="+strconv.Itoa(int(eos)), "path="+path)
	if s.has("dump") {
		pairs, _ := getPairs(0)
		for _, p := range pairs {
			info("hdr", p[0]+"="+p[1])
		}
	}
	if s.has("size") {
		var sz uint32
		r := proxyGetHeaderMapSize(0, unsafe.Pointer(&sz))
		info("size", strconv.Itoa(int(sz)), st(r))
	}
	if s.has("metric") {
		r1 := proxyIncrementMetric(mRequests, 1)
		r2 := proxyIncrementMetric(mRequests, 0)
		r3 := proxyIncrementMetric(mRequests, -1)
		r4 := proxyRecordMetric(mRequests, 2)
		r5 := proxyRecordMetric(mHist, 42)
		r6 := proxyRecordMetric(mGauge, 7)
		r7 := proxyIncrementMetric(mGauge, -2)
		r8 := proxyIncrementMetric(mHist, 1)
		var v, hv uint64
		r9 := proxyGetMetric(mRequests, unsafe.Pointer(&v))
		r10 := proxyGetMetric(mHist, unsafe.Pointer(&hv))
		r11 := proxyIncrementMetric(1000, 1)
		info("metric", "inc="+strconv.Itoa(int(r1)), "inc0="+strconv.Itoa(int(r2)), "incneg="+strconv.Itoa(int(r3)),
			"rec_counter="+strconv.Itoa(int(r4)), "rec_hist="+strconv.Itoa(int(r5)), "rec_gauge="+strconv.Itoa(int(r6)),
			"inc_gauge="+strconv.Itoa(int(r7)), "inc_hist="+strconv.Itoa(int(r8)), "get="+strconv.Itoa(int(r9)),
			"value="+strconv.FormatUint(v, 10), "get_hist="+strconv.Itoa(int(r10)), "unknown="+strconv.Itoa(int(r11)))
	}
	if s.has("props") {
		props(s)
	}
	if s.has("set-prop") {
		k, v := "probe_key", "probe_value"
		r := proxySetProperty(sp(k), uint32(len(k)), sp(v), uint32(len(v)))
		got, r2 := getProperty(k)
		info("set_prop", st(r), "get_status="+strconv.Itoa(int(r2)), "value="+string(got))
	}
	if s.has("mutate") {
		r1 := addHeader(0, "X-Added", "1")
		r2 := replaceHeader(0, ":path", "/rewritten")
		r3 := removeHeader(0, "x-remove")
		r4 := removeHeader(0, "x-absent")
		info("mutate", "add="+strconv.Itoa(int(r1)), "replace="+strconv.Itoa(int(r2)), "remove="+strconv.Itoa(int(r3)), "remove_absent="+strconv.Itoa(int(r4)))
	}
	if s.has("set-pairs") {
		pairs := marshalPairs([][2]string{{":method", "PUT"}, {":path", "/p"}, {":authority", "a"}, {":scheme", "http"}, {"X-Set", "yes"}})
		r := proxySetHeaderMapPairs(0, bp(pairs), uint32(len(pairs)))
		info("set_pairs", st(r))
	}
	if s.has("set-pairs-malformed") {
		junk := []byte{9, 0, 0, 0, 1, 2}
		r := proxySetHeaderMapPairs(0, bp(junk), uint32(len(junk)))
		pairs, _ := getPairs(0)
		info("set_pairs_malformed", st(r), "left="+strconv.Itoa(len(pairs)))
	}
	if s.has("shared-set") {
		r1 := setShared("probe.k", []byte("v1"), 0)
		v, cas, r2 := getShared("probe.k")
		r3 := setShared("probe.k", []byte("v2"), cas+1000)
		r4 := setShared("probe.k", []byte("v2"), cas)
		_, cas2, _ := getShared("probe.k")
		r5 := setShared("probe.missing."+strconv.Itoa(int(id)), []byte("x"), 12345)
		_, _, r6 := getShared("probe.never")
		info("shared", "set="+strconv.Itoa(int(r1)), "get="+strconv.Itoa(int(r2)), "value="+string(v), "cas="+strconv.Itoa(int(cas)),
			"wrong_cas="+strconv.Itoa(int(r3)), "right_cas="+strconv.Itoa(int(r4)), "cas2="+strconv.Itoa(int(cas2)),
			"missing_with_cas="+strconv.Itoa(int(r5)), "get_missing="+strconv.Itoa(int(r6)))
	}
	if s.has("shared-inc") {
		key, _ := getHeader(0, "x-probe-key")
		for tries := 0; ; tries++ {
			v, cas, r := getShared(key)
			n := 0
			if r == 0 {
				n, _ = strconv.Atoi(string(v))
			}
			if setShared(key, []byte(strconv.Itoa(n+1)), cas) == 0 {
				break
			}
		}
	}
	if s.has("enqueue") {
		var qid uint32
		q := "probe-q"
		r := proxyResolveSharedQueue(nil, 0, sp(q), uint32(len(q)), unsafe.Pointer(&qid))
		item := "hello-" + strconv.Itoa(int(id))
		r2 := proxyEnqueueSharedQueue(qid, sp(item), uint32(len(item)))
		info("enqueue", "resolve="+strconv.Itoa(int(r)), "id="+strconv.Itoa(int(qid)), "enqueue="+strconv.Itoa(int(r2)))
	}
	if s.has("poll") {
		var nev uint32 = 99
		r := wasiPollOneoff(nil, nil, 0, unsafe.Pointer(&nev))
		info("poll", "errno="+strconv.Itoa(int(r)), "nevents="+strconv.Itoa(int(nev)))
	}
	if s.has("callout-bad") {
		c := "auth"
		h := marshalPairs([][2]string{{":method", "GET"}, {":authority", "auth"}})
		var tok uint32
		r := proxyHTTPCall(sp(c), uint32(len(c)), bp(h), uint32(len(h)), nil, 0, nil, 0, 1000, unsafe.Pointer(&tok))
		c2 := "unknown-cluster"
		h2 := marshalPairs([][2]string{{":method", "GET"}, {":path", "/"}, {":authority", "auth"}})
		r2 := proxyHTTPCall(sp(c2), uint32(len(c2)), bp(h2), uint32(len(h2)), nil, 0, nil, 0, 1000, unsafe.Pointer(&tok))
		_, r3 := getBuffer(4)
		info("callout_bad", "missing_path="+strconv.Itoa(int(r)), "unknown_cluster="+strconv.Itoa(int(r2)), "buffer4_outside="+strconv.Itoa(int(r3)))
	}
	if s.has("callout") {
		c := "auth"
		h := marshalPairs([][2]string{{":method", "POST"}, {":path", "/check"}, {":authority", "auth.local"}, {"x-from", path}})
		body := "ping"
		var tok uint32
		r := proxyHTTPCall(sp(c), uint32(len(c)), bp(h), uint32(len(h)), sp(body), uint32(len(body)), nil, 0, 5000, unsafe.Pointer(&tok))
		info("callout", st(r), "token="+strconv.Itoa(int(tok)))
		callouts[tok] = id
		return 1
	}
	if s.has("local-reply-headers") {
		r := sendLocal(403, "denied by probe", "nope", [][2]string{{"X-Probe-Local", "1"}})
		info("local_reply", st(r))
	}
	if s.has("close") {
		proxyCloseStream(0)
	}
	if s.has("trap-req-headers") {
		panic("probe: trap in request headers")
	}
	if s.has("pause-headers-continue") {
		proxyContinueStream(0)
		return 1
	}
	if s.has("pause-headers") {
		return 1
	}
	return 0
}

//go:wasmexport proxy_on_request_body
func onRequestBody(id, size, eos uint32) uint32 {
	reset()
	s := streams[id]
	var bl, fl uint32
	proxyGetBufferStatus(0, unsafe.Pointer(&bl), unsafe.Pointer(&fl))
	info("req_body", "size="+strconv.Itoa(int(size)), "eos="+strconv.Itoa(int(eos)), "buffer="+strconv.Itoa(int(bl)))
	if s.has("read-headers-in-body") {
		v, r := getHeader(0, ":path")
		info("hdr_in_body", st(r), "value="+v)
	}
	if s.has("trap-req-body") {
		panic("probe: trap in request body")
	}
	if s.has("pause-body-always") {
		return 1
	}
	if s.has("buffer-body") && eos == 0 {
		return 1
	}
	if eos == 1 || s.has("each-chunk") {
		b, r := getBuffer(0)
		info("req_body_data", st(r), "data="+string(b))
	}
	if eos == 1 {
		if s.has("body-replace") {
			info("body_replace", st(setBuffer(0, 0, 0x7fffffff, "REPLACED")))
		}
		if s.has("body-prepend") {
			info("body_prepend", st(setBuffer(0, 0, 0, "PRE-")))
		}
		if s.has("body-append") {
			info("body_append", st(setBuffer(0, 0x7fffffff, 0, "-POST")))
		}
		if s.has("body-head") {
			info("body_head", st(setBuffer(0, 0, 2, "XY")))
		}
		if s.has("body-mid") {
			info("body_mid", st(setBuffer(0, 1, 1, "x")))
		}
		if s.has("add-trailers") {
			info("add_trailers", st(addHeader(1, "x-added-trailer", "yes")))
		}
		if s.has("local-reply-body") {
			sendLocal(400, "bad body", "bad", nil)
		}
	}
	return 0
}

//go:wasmexport proxy_on_request_trailers
func onRequestTrailers(id, n uint32) uint32 {
	reset()
	s := streams[id]
	v, r := getHeader(1, "x-t")
	info("req_trailers", "n="+strconv.Itoa(int(n)), "x-t="+v, st(r))
	if s.has("pause-trailers") {
		return 1
	}
	return 0
}

//go:wasmexport proxy_on_response_headers
func onResponseHeaders(id, n, eos uint32) uint32 {
	reset()
	s := streams[id]
	status, _ := getHeader(2, ":status")
	_, rq := getHeader(0, ":path")
	info("resp_headers", "n="+strconv.Itoa(int(n)), "eos="+strconv.Itoa(int(eos)), "status="+status, "req_path_status="+strconv.Itoa(int(rq)))
	if s.has("mutate") {
		addHeader(2, "x-resp-added", "1")
	}
	if s.has("trap-resp-headers") {
		panic("probe: trap in response headers")
	}
	if s.has("local-reply-resp-headers") {
		sendLocal(418, "teapot", "short and stout", nil)
	}
	if s.has("pause-resp-headers") {
		return 1
	}
	return 0
}

//go:wasmexport proxy_on_response_body
func onResponseBody(id, size, eos uint32) uint32 {
	reset()
	s := streams[id]
	_, rh := getHeader(2, ":status")
	info("resp_body", "size="+strconv.Itoa(int(size)), "eos="+strconv.Itoa(int(eos)), "resp_hdr_status="+strconv.Itoa(int(rh)))
	if s.has("pause-resp-body-always") {
		return 1
	}
	if s.has("buffer-resp-body") && eos == 0 {
		return 1
	}
	if eos == 1 {
		b, _ := getBuffer(1)
		info("resp_body_data", "data="+string(b))
		if s.has("resp-body-replace") {
			setBuffer(1, 0, 0x7fffffff, "REDACTED")
		}
		if s.has("local-reply-resp-body") {
			sendLocal(500, "late", "late", nil)
		}
	}
	return 0
}

//go:wasmexport proxy_on_response_trailers
func onResponseTrailers(id, n uint32) uint32 {
	reset()
	info("resp_trailers", "n="+strconv.Itoa(int(n)))
	return 0
}

//go:wasmexport proxy_on_http_call_response
func onHTTPCallResponse(root, token, nh, bs, nt uint32) {
	reset()
	pairs, _ := getPairs(6)
	body, rb := getBuffer(4)
	status := ""
	for _, p := range pairs {
		if p[0] == ":status" {
			status = p[1]
		}
	}
	var code, mp, ml uint32
	proxyGetStatus(unsafe.Pointer(&code), unsafe.Pointer(&mp), unsafe.Pointer(&ml))
	info("callout_response", "root="+strconv.Itoa(int(root)), "token="+strconv.Itoa(int(token)), "nh="+strconv.Itoa(int(nh)),
		"bs="+strconv.Itoa(int(bs)), "nt="+strconv.Itoa(int(nt)), "status="+status, "body="+string(body),
		"body_status="+strconv.Itoa(int(rb)), "code="+strconv.Itoa(int(code)), "msg="+string(block(mp, ml)))
	id, ok := callouts[token]
	if !ok {
		return
	}
	delete(callouts, token)
	r := proxySetEffectiveContext(id)
	rbad := proxySetEffectiveContext(999999)
	proxySetEffectiveContext(id)
	if status == "200" {
		ra := addHeader(0, "x-auth", string(body))
		info("callout_effective", st(r), "bad="+strconv.Itoa(int(rbad)), "add="+strconv.Itoa(int(ra)))
		proxyContinueStream(0)
		return
	}
	sendLocal(403, "callout denied", "denied", nil)
}

//go:wasmexport proxy_on_log
func onLog(id uint32) {
	reset()
	path, r1 := getHeader(0, ":path")
	status, r2 := getHeader(2, ":status")
	_, r3 := getHeader(1, "x-t")
	r4 := addHeader(0, "x-late", "1")
	info("log", "path="+path, "path_status="+strconv.Itoa(int(r1)), "status="+status, "status_status="+strconv.Itoa(int(r2)),
		"req_trailer_status="+strconv.Itoa(int(r3)), "add_status="+strconv.Itoa(int(r4)))
}

//go:wasmexport proxy_on_done
func onDone(id uint32) uint32 {
	reset()
	info("done")
	return 1
}

//go:wasmexport proxy_on_delete
func onDelete(id uint32) {
	reset()
	info("delete")
	delete(streams, id)
}
