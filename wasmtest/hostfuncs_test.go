package wasmtest

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostCall drives host functions directly against a real VM's memory and
// allocator (the passthrough module), with a stream set up by hand, so
// every status code can be pinned without a purpose-built guest.
type hostCall struct {
	t  *testing.T
	h  *Host
	vm *VM
	st *stream
}

func newHostCall(t *testing.T, opts Options) *hostCall {
	opts.Module = testModule(t, "passthrough")
	h, err := New(context.Background(), opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	vm := h.VM(0)
	st := vm.newStream(&Request{Method: "POST", Path: "/p", Headers: [][2]string{{"x-a", "1"}, {"x-a", "2"}}}, &Exchange{})
	vm.streams[st.id] = st
	return &hostCall{t: t, h: h, vm: vm, st: st}
}

// in sets the running callback: a stream callback (st != nil) or root.
func (c *hostCall) in(name string, st *stream) {
	c.vm.cur = &callFrame{name: name, st: st, log: name == "proxy_on_log"}
}

func (c *hostCall) put(b []byte) (uint32, uint32) {
	if len(b) == 0 {
		return 0, 0
	}
	p, ok := c.vm.alloc(uint32(len(b)))
	require.True(c.t, ok)
	require.True(c.t, c.vm.mem.Write(p, b))
	return p, uint32(len(b))
}

func (c *hostCall) str(s string) (uint64, uint64) {
	p, n := c.put([]byte(s))
	return uint64(p), uint64(n)
}

func (c *hostCall) slot() uint32 {
	p, ok := c.vm.alloc(16)
	require.True(c.t, ok)
	return p
}

func (c *hostCall) call(name string, args ...uint64) uint32 {
	hf := envByName[name]
	if hf == nil {
		hf = wasiByName[name]
	}
	require.NotNil(c.t, hf, name)
	s := make([]uint64, max(len(args), 1))
	copy(s, args)
	hf.fn(c.vm, s)
	return uint32(s[0])
}

func (c *hostCall) u32(p uint32) uint32 { v, _ := c.vm.mem.ReadUint32Le(p); return v }

func (c *hostCall) bytesAt(pp, lp uint32) []byte {
	b, _ := c.vm.mem.Read(c.u32(pp), c.u32(lp))
	return append([]byte(nil), b...)
}

func TestHostFunctionStatusCodes(t *testing.T) {
	c := newHostCall(t, Options{VMConfig: []byte("vmcfg"), PluginConfig: []byte("plug")})
	pp, lp, cas := c.slot(), c.slot(), c.slot()
	key, keyLen := c.str("k")
	val, valLen := c.str("value")
	d := &c.st.dir[0]

	t.Run("buffers", func(t *testing.T) {
		c.in("proxy_on_request_body", c.st)
		d.buf, d.bufAcc = []byte("0123456789"), true
		for _, tc := range []struct {
			name       string
			typ, start uint64
			n          uint64
			want       uint32
			data       string
		}{
			{"type > 8", 9, 0, 10, uint32(StatusBadArgument), ""},
			{"whole", 0, 0, 100, 0, "0123456789"},
			{"clamped", 0, 8, 100, 0, "89"},
			{"start beyond size", 0, 11, 5, 0, ""},
			{"length 0", 0, 2, 0, 0, ""},
			{"vm config", 6, 0, 100, 0, "vmcfg"},
			{"plugin config outside configure", 7, 0, 100, uint32(StatusNotFound), ""},
			{"call body outside callout", 4, 0, 100, uint32(StatusNotFound), ""},
			{"downstream data", 2, 0, 100, uint32(StatusNotFound), ""},
		} {
			got := c.call("proxy_get_buffer_bytes", tc.typ, tc.start, tc.n, uint64(pp), uint64(lp))
			assert.Equal(t, tc.want, got, tc.name)
			if got == 0 {
				assert.Equal(t, tc.data, string(c.bytesAt(pp, lp)), tc.name)
			}
		}
		c.vm.inConfigure = true
		assert.Equal(t, uint32(0), c.call("proxy_get_buffer_bytes", 7, 0, 100, uint64(pp), uint64(lp)))
		assert.Equal(t, "plug", string(c.bytesAt(pp, lp)))
		c.vm.inConfigure = false
		assert.Equal(t, uint32(0), c.call("proxy_get_buffer_status", 0, uint64(pp), uint64(lp)))
		assert.Equal(t, uint32(10), c.u32(pp))
		assert.Equal(t, uint32(StatusBadArgument), c.call("proxy_set_buffer_bytes", 6, 0, 0, val, valLen), "vm config is read-only")
		assert.Equal(t, uint32(StatusBadArgument), c.call("proxy_set_buffer_bytes", 0, 3, 1, val, valLen), "no mid-buffer splice")
		assert.Equal(t, uint32(0), c.call("proxy_set_buffer_bytes", 0, 0, 2, val, valLen))
		assert.Equal(t, "value23456789", string(d.buf))
		assert.Equal(t, uint32(0), c.call("proxy_set_buffer_bytes", 0, 1000, 0, val, valLen))
		assert.Equal(t, "value23456789value", string(d.buf))
		// Outside the body callback: size 0, read Ok-empty, write BadArgument.
		d.bufAcc = false
		assert.Equal(t, uint32(0), c.call("proxy_get_buffer_bytes", 0, 0, 100, uint64(pp), uint64(lp)))
		assert.Equal(t, uint32(0), c.u32(lp))
		assert.Equal(t, uint32(StatusBadArgument), c.call("proxy_set_buffer_bytes", 0, 0, 0, val, valLen))
		assert.Equal(t, uint32(StatusInvalidMemoryAccess), c.call("proxy_get_buffer_bytes", 6, 0, 100, 1<<31, uint64(lp)))
	})

	t.Run("header maps", func(t *testing.T) {
		c.in("proxy_on_request_headers", c.st)
		d.hdrAcc = true
		hk, hkl := c.str("X-A")
		assert.Equal(t, uint32(StatusBadArgument), c.call("proxy_get_header_map_value", 8, hk, hkl, uint64(pp), uint64(lp)))
		assert.Equal(t, uint32(0), c.call("proxy_get_header_map_value", 0, hk, hkl, uint64(pp), uint64(lp)))
		assert.Equal(t, "1", string(c.bytesAt(pp, lp)), "first value, key lower-cased")
		assert.Equal(t, uint32(StatusNotFound), c.call("proxy_get_header_map_value", 0, key, keyLen, uint64(pp), uint64(lp)))
		assert.Equal(t, uint32(0), c.call("proxy_get_header_map_size", 0, uint64(pp)))
		assert.Equal(t, uint32(d.hdrs.byteSize()), c.u32(pp))
		assert.Equal(t, uint32(0), c.call("proxy_get_header_map_pairs", 0, uint64(pp), uint64(lp)))
		assert.Equal(t, d.hdrs.pairs, UnmarshalPairs(c.bytesAt(pp, lp)))
		assert.Equal(t, uint32(0), c.call("proxy_replace_header_map_value", 0, hk, hkl, val, valLen))
		assert.Equal(t, "value", headerValue(d.hdrs.pairs, "x-a"))
		assert.Equal(t, uint32(0), c.call("proxy_remove_header_map_value", 0, key, keyLen), "absent key is Ok")
		// Unavailable maps.
		for _, typ := range []uint64{1, 2, 3, 4, 6, 7} {
			assert.Equal(t, uint32(StatusBadArgument), c.call("proxy_get_header_map_value", typ, hk, hkl, uint64(pp), uint64(lp)), "type %d", typ)
			assert.Equal(t, uint32(0), c.call("proxy_get_header_map_pairs", typ, uint64(pp), uint64(lp)), "type %d", typ)
			assert.Equal(t, uint32(0), c.u32(pp))
			assert.Equal(t, uint32(StatusBadArgument), c.call("proxy_get_header_map_size", typ, uint64(pp)), "type %d", typ)
			assert.Equal(t, uint32(StatusBadArgument), c.call("proxy_add_header_map_value", typ, hk, hkl, val, valLen), "type %d", typ)
		}
		pairs := MarshalPairs([][2]string{{"A", "b"}})
		p, n := c.put(pairs)
		assert.Equal(t, uint32(0), c.call("proxy_set_header_map_pairs", 0, uint64(p), uint64(n)))
		assert.Equal(t, [][2]string{{"a", "b"}}, d.hdrs.pairs)
		// Root context: no stream maps.
		c.in("proxy_on_tick", nil)
		assert.Equal(t, uint32(StatusBadArgument), c.call("proxy_get_header_map_value", 0, hk, hkl, uint64(pp), uint64(lp)))
		// on_log: NotFound instead of BadArgument for a missing map.
		c.in("proxy_on_log", c.st)
		assert.Equal(t, uint32(StatusNotFound), c.call("proxy_get_header_map_value", 1, hk, hkl, uint64(pp), uint64(lp)))
		assert.Equal(t, uint32(StatusBadArgument), c.call("proxy_add_header_map_value", 0, hk, hkl, val, valLen), "read-only in on_log")
		d.hdrAcc = false
	})

	t.Run("shared data", func(t *testing.T) {
		c.in("proxy_on_tick", nil)
		assert.Equal(t, uint32(StatusNotFound), c.call("proxy_get_shared_data", key, keyLen, uint64(pp), uint64(lp), uint64(cas)))
		assert.Equal(t, uint32(0), c.call("proxy_set_shared_data", key, keyLen, val, valLen, 77), "missing key ignores cas")
		assert.Equal(t, uint32(0), c.call("proxy_get_shared_data", key, keyLen, uint64(pp), uint64(lp), uint64(cas)))
		first := c.u32(cas)
		assert.NotZero(t, first)
		assert.Equal(t, uint32(StatusCasMismatch), c.call("proxy_set_shared_data", key, keyLen, val, valLen, uint64(first+1)))
		assert.Equal(t, uint32(0), c.call("proxy_set_shared_data", key, keyLen, val, valLen, uint64(first)))
		assert.Equal(t, uint32(0), c.call("proxy_set_shared_data", key, keyLen, 0, 0, 0), "cas 0 is unconditional")
		assert.Equal(t, uint32(0), c.call("proxy_get_shared_data", key, keyLen, uint64(pp), uint64(lp), uint64(cas)))
		assert.Equal(t, first+2, c.u32(cas))
		assert.Equal(t, uint32(0), c.u32(pp), "empty value ⇒ (0, 0)")
		// CAS counter skips 0 on wrap.
		c.h.shared.cas = ^uint32(0)
		assert.Equal(t, uint32(0), c.call("proxy_set_shared_data", key, keyLen, val, valLen, 0))
		assert.Equal(t, uint32(1), c.h.shared.data["k"].cas)
	})

	t.Run("queues", func(t *testing.T) {
		q, ql := c.str("q")
		assert.Equal(t, uint32(StatusNotFound), c.call("proxy_resolve_shared_queue", 0, 0, q, ql, uint64(pp)))
		assert.Equal(t, uint32(0), c.call("proxy_register_shared_queue", q, ql, uint64(pp)))
		id := c.u32(pp)
		assert.Equal(t, uint32(1), id)
		assert.Equal(t, uint32(StatusEmpty), c.call("proxy_dequeue_shared_queue", uint64(id), uint64(pp), uint64(lp)))
		assert.Equal(t, uint32(StatusNotFound), c.call("proxy_dequeue_shared_queue", 99, uint64(pp), uint64(lp)))
		assert.Equal(t, uint32(StatusNotFound), c.call("proxy_enqueue_shared_queue", 99, val, valLen))
		other, ol := c.str("other-vm")
		assert.Equal(t, uint32(StatusNotFound), c.call("proxy_resolve_shared_queue", other, ol, q, ql, uint64(pp)))
	})

	t.Run("stream control", func(t *testing.T) {
		c.in("proxy_on_request_headers", c.st)
		assert.Equal(t, uint32(0), c.call("proxy_continue_stream", 0))
		assert.True(t, c.st.dir[0].cont)
		assert.Equal(t, uint32(0), c.call("proxy_continue_stream", 2))
		assert.Equal(t, uint32(StatusUnimplemented), c.call("proxy_continue_stream", 3))
		assert.Equal(t, uint32(StatusBadArgument), c.call("proxy_continue_stream", 4))
		assert.Equal(t, uint32(StatusBadArgument), c.call("proxy_close_stream", 4))
		assert.Equal(t, uint32(0), c.call("proxy_set_effective_context", 1))
		assert.Equal(t, uint32(0), c.call("proxy_set_effective_context", uint64(c.st.id)))
		assert.Equal(t, uint32(StatusBadArgument), c.call("proxy_set_effective_context", 999))
		c.vm.effSet = false
		assert.Equal(t, uint32(StatusNotFound), c.call("proxy_done"))
		name, nl := c.str("clear_route_cache")
		assert.Equal(t, uint32(0), c.call("proxy_call_foreign_function", name, nl, 0, 0, uint64(pp), uint64(lp)))
		assert.Equal(t, uint32(StatusNotFound), c.call("proxy_call_foreign_function", key, keyLen, 0, 0, uint64(pp), uint64(lp)))
		assert.Equal(t, uint32(StatusParseFailure), c.call("proxy_grpc_call"))
		assert.Equal(t, uint32(StatusNotFound), c.call("proxy_grpc_cancel", 4))
		// Local reply from the root context does nothing.
		c.in("proxy_on_tick", nil)
		assert.Equal(t, uint32(0), c.call("proxy_send_local_response", 403, 0, 0, 0, 0, 0, 0, 0))
		assert.Nil(t, c.st.pendingLocal)
	})

	t.Run("properties", func(t *testing.T) {
		c.in("proxy_on_tick", nil)
		path, pl := c.str("plugin_name")
		assert.Equal(t, uint32(0), c.call("proxy_get_property", path, pl, uint64(pp), uint64(lp)))
		assert.Equal(t, "wasmtest", string(c.bytesAt(pp, lp)))
		rp, rpl := c.str("request\x00path")
		assert.Equal(t, uint32(StatusNotFound), c.call("proxy_get_property", rp, rpl, uint64(pp), uint64(lp)), "stream property in root")
		assert.Equal(t, uint32(StatusNotFound), c.call("proxy_set_property", key, keyLen, val, valLen), "set_property needs a stream")
		c.in("proxy_on_request_headers", c.st)
		d.hdrs = newHeaderMap([][2]string{{":path", "/p"}, {":method", "POST"}})
		assert.Equal(t, uint32(0), c.call("proxy_get_property", rp, rpl, uint64(pp), uint64(lp)))
		assert.Equal(t, "/p", string(c.bytesAt(pp, lp)))
		trailing, tl := c.str("request\x00method\x00")
		assert.Equal(t, uint32(0), c.call("proxy_get_property", trailing, tl, uint64(pp), uint64(lp)), "trailing NUL tolerated")
		assert.Equal(t, "POST", string(c.bytesAt(pp, lp)))
	})

	t.Run("metrics", func(t *testing.T) {
		name, nl := c.str("m")
		assert.Equal(t, uint32(StatusBadArgument), c.call("proxy_define_metric", 3, name, nl, uint64(pp)))
		assert.Equal(t, uint32(0), c.call("proxy_define_metric", 0, name, nl, uint64(pp)))
		id := uint64(c.u32(pp))
		assert.Equal(t, uint64(4), id)
		assert.Equal(t, uint32(StatusBadArgument), c.call("proxy_increment_metric", id, 0))
		assert.Equal(t, uint32(StatusBadArgument), c.call("proxy_increment_metric", id, uint64(0xffffffffffffffff)))
		assert.Equal(t, uint32(0), c.call("proxy_increment_metric", id, 5))
		assert.Equal(t, uint32(0), c.call("proxy_record_metric", id, 5))
		assert.Equal(t, uint32(0), c.call("proxy_get_metric", id, uint64(pp)))
		v, _ := c.vm.mem.ReadUint64Le(pp)
		assert.Equal(t, uint64(10), v)
		assert.Equal(t, uint32(StatusNotFound), c.call("proxy_get_metric", 8, uint64(pp)))
		assert.Equal(t, uint32(StatusNotFound), c.call("proxy_record_metric", 8, 1))
	})

	t.Run("http call", func(t *testing.T) {
		cl, cll := c.str("auth")
		ok := MarshalPairs([][2]string{{":method", "GET"}, {":path", "/"}, {":authority", "a"}})
		hp, hl := c.put(ok)
		assert.Equal(t, uint32(StatusBadArgument), c.call("proxy_http_call", cl, cll, uint64(hp), uint64(hl), 0, 0, 0, 0, 100, uint64(pp)),
			"no handler ⇒ unknown cluster")
		c.h.opts.HTTPCallHandler = func(string, CalloutRequest) (CalloutResponse, error) { return CalloutResponse{}, nil }
		defer func() { c.h.opts.HTTPCallHandler = nil; c.vm.pendingCall = nil }()
		assert.Equal(t, uint32(0), c.call("proxy_http_call", cl, cll, uint64(hp), uint64(hl), 0, 0, 0, 0, 100, uint64(pp)))
		assert.Equal(t, uint32(4), c.u32(pp))
		assert.Equal(t, uint32(StatusBadArgument), c.call("proxy_http_call", cl, cll, uint64(hp), uint64(hl), 0, 0, 0, 0, 0xffffffff, uint64(pp)),
			"negative timeout")
		bad := MarshalPairs([][2]string{{":method", "GET"}, {":path", "/"}})
		bp, bl := c.put(bad)
		assert.Equal(t, uint32(StatusBadArgument), c.call("proxy_http_call", cl, cll, uint64(bp), uint64(bl), 0, 0, 0, 0, 100, uint64(pp)))
	})

	t.Run("logging and time", func(t *testing.T) {
		msg, ml := c.str("hello")
		assert.Equal(t, uint32(StatusBadArgument), c.call("proxy_log", 6, msg, ml))
		assert.Equal(t, uint32(0), c.call("proxy_log", 3, msg, ml))
		assert.Equal(t, uint32(StatusInvalidMemoryAccess), c.call("proxy_log", 3, 1<<31, 10))
		assert.Equal(t, uint32(0), c.call("proxy_get_log_level", uint64(pp)))
		assert.Equal(t, uint32(0), c.call("proxy_get_current_time_nanoseconds", uint64(pp)))
		assert.Equal(t, uint32(0), c.call("proxy_set_tick_period_milliseconds", 0))
	})
}

func TestWASIStatusCodes(t *testing.T) {
	for _, p := range []WASIProfile{WASIEnvoy133, WASIApril2026} {
		c := newHostCall(t, Options{WASI: p, Env: map[string]string{"A": "1", "BB": "22"}})
		out := c.slot()
		iov := c.slot()
		msg, ml := c.put([]byte("line\n"))
		binary.LittleEndian.PutUint32(make([]byte, 4), 0)
		c.vm.mem.WriteUint32Le(iov, msg)
		c.vm.mem.WriteUint32Le(iov+4, ml)
		c.vm.TakeLogs()
		assert.Equal(t, errnoSuccess, c.call("fd_write", 1, uint64(iov), 1, uint64(out)))
		assert.Equal(t, uint32(5), c.u32(out))
		assert.Equal(t, errnoSuccess, c.call("fd_write", 2, uint64(iov), 1, uint64(out)))
		assert.Equal(t, errnoBadf, c.call("fd_write", 3, uint64(iov), 1, uint64(out)))
		assert.Equal(t, []LogEntry{{Level: LogInfo, Message: "line"}, {Level: LogError, Message: "line"}}, c.vm.TakeLogs())
		assert.Equal(t, errnoNosys, c.call("fd_read", 0, 0, 0, uint64(out)))
		assert.Equal(t, errnoNoent, c.call("path_open", 3, 0, 0, 0, 0, 0, 0, 0, uint64(out)))
		assert.Equal(t, errnoBadf, c.call("fd_prestat_get", 3, uint64(out)))
		assert.Equal(t, errnoNosys, c.call("fd_prestat_dir_name", 3, 0, 0))
		assert.Equal(t, errnoBadf, c.call("fd_fdstat_get", 5, uint64(out)))
		assert.Equal(t, errnoSuccess, c.call("fd_fdstat_get", 1, uint64(out)))
		assert.Equal(t, errnoNosys, c.call("fd_fdstat_set_flags", 1, 0))
		assert.Equal(t, errnoSuccess, c.call("sched_yield"))
		assert.Equal(t, errnoNotsup, c.call("clock_time_get", 2, 0, uint64(out)))
		assert.Equal(t, errnoSuccess, c.call("clock_time_get", 1, 0, uint64(out)))
		assert.Equal(t, errnoInval, c.call("random_get", uint64(out), 64<<10+1))
		assert.Equal(t, errnoSuccess, c.call("random_get", uint64(out), 0))
		assert.Equal(t, errnoSuccess, c.call("random_get", uint64(out), 8))
		assert.Equal(t, errnoSuccess, c.call("environ_sizes_get", uint64(out), uint64(out+4)))
		assert.Equal(t, uint32(2), c.u32(out))
		assert.Equal(t, uint32(len("A=1\x00BB=22\x00")), c.u32(out+4))
		assert.Equal(t, errnoSuccess, c.call("args_sizes_get", uint64(out), uint64(out+4)))
		assert.Equal(t, uint32(0), c.u32(out))
		c.vm.mem.WriteUint32Le(out, 99)
		if p == WASIEnvoy133 {
			assert.Equal(t, errnoNosys, c.call("poll_oneoff", 0, 0, 1, uint64(out)))
			assert.Equal(t, uint32(99), c.u32(out))
			assert.NotContains(t, WASIFunctions(p), "fd_filestat_get")
			assert.Len(t, WASIFunctions(p), 18)
		} else {
			assert.Equal(t, errnoSuccess, c.call("poll_oneoff", 0, 0, 1, uint64(out)))
			assert.Equal(t, uint32(0), c.u32(out))
			assert.Equal(t, errnoSuccess, c.call("clock_res_get", 0, uint64(out)))
			assert.Equal(t, errnoNotsup, c.call("path_filestat_get", 3, 0, 0, 0, uint64(out)))
			assert.Equal(t, errnoNotdir, c.call("fd_readdir", 3, 0, 0, 0, uint64(out)))
			assert.Equal(t, errnoSuccess, c.call("fd_tell", 1, uint64(out)))
			assert.Equal(t, errnoBadf, c.call("fd_sync", 3))
		}
	}
}

func TestPairsCodec(t *testing.T) {
	pairs := [][2]string{{"a", "1"}, {"bb", ""}}
	b := MarshalPairs(pairs)
	assert.Equal(t, 4+2*8+(1+1+1+1)+(2+1+0+1), len(b))
	assert.Equal(t, pairs, UnmarshalPairs(b))
	assert.Nil(t, MarshalPairs(nil), "empty map is (0, 0)")
	assert.Nil(t, UnmarshalPairs(b[:len(b)-1]), "short buffer")
	assert.Nil(t, UnmarshalPairs(append(append([]byte(nil), b...), 0)), "trailing bytes")
	bad := append([]byte(nil), b...)
	bad[4+16+1] = 'x' // missing NUL after the first key
	assert.Nil(t, UnmarshalPairs(bad))
	many := make([][2]string, 1025)
	assert.Nil(t, UnmarshalPairs(MarshalPairs(many)), "more than 1024 pairs")
}
