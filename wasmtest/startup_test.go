package wasmtest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStartupOrder(t *testing.T) {
	h := newProbe(t, Options{VMConfig: []byte("vmconf"), PluginConfig: []byte("a=b"), Workers: 2,
		PluginName: "probe-plugin", LogLevel: LogInfo})
	for _, vm := range h.VMs() {
		var msgs []string
		for _, l := range vm.Logs() {
			msgs = append(msgs, l.Message)
		}
		require.GreaterOrEqual(t, len(msgs), 4, msgs)
		assert.Equal(t, "create_root id=1", msgs[0])
		assert.Equal(t, "vm_start root=1 size=6 vmconfig=vmconf status=0 plugin_config_status=1", msgs[1])
		assert.Equal(t, "configure size=3 status=0", msgs[2])
		assert.Equal(t, "root_props plugin_name=probe-plugin status=0 request_path_status=1", msgs[3])
		assert.Equal(t, "log_level 2", msgs[4])
	}
}

func TestLoadFailures(t *testing.T) {
	probe := testModule(t, "probe")
	cases := []struct {
		name string
		opts Options
		want []string
	}{
		{"configure returns false", Options{PluginConfig: []byte("fail=1")},
			[]string{"proxy_on_configure: returned false", "configure failed on purpose"}},
		{"vm_start returns false", Options{VMConfig: []byte("fail")},
			[]string{"proxy_on_vm_start: returned false", "vmconfig=fail"}},
		// Under Envoy 1.33-1.38 the panic path of the Go runtime sleeps
		// (poll_oneoff), gets NOSYS and aborts before printing the panic.
		{"trap in configure (envoy 1.33)", Options{PluginConfig: []byte("trap=1")},
			[]string{"proxy_on_configure", "wasm error: unreachable", "wasi_snapshot_preview1.poll_oneoff", "panic during panic"}},
		{"trap in configure (april 2026)", Options{PluginConfig: []byte("trap=1"), WASI: WASIApril2026},
			[]string{"proxy_on_configure", "wasm error: unreachable", "probe: trap in configure"}},
		{"define_metric in _initialize", Options{Env: map[string]string{"PROBE_INIT": "define_metric"}},
			[]string{"restricted_callback", "env.proxy_define_metric"}},
		{"get_property in _initialize", Options{Env: map[string]string{"PROBE_INIT": "get_property"}},
			[]string{"restricted_callback", "env.proxy_get_property"}},
		{"set_tick_period in _initialize", Options{Env: map[string]string{"PROBE_INIT": "tick"}},
			[]string{"restricted_callback", "env.proxy_set_tick_period_milliseconds"}},
		{"define_metric in allocator", Options{Env: map[string]string{"PROBE_ALLOC": "define_metric"}},
			[]string{"restricted_callback", "env.proxy_define_metric", "in allocator"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.opts.Module = probe
			_, err := New(context.Background(), c.opts)
			require.Error(t, err)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestRestrictedPhasesAllowLogging(t *testing.T) {
	h := newProbe(t, Options{Env: map[string]string{"PROBE_INIT": "log", "PROBE_ALLOC": "log"}})
	assert.NotEmpty(t, events(h.VM(0), "init"))
	assert.NotEmpty(t, events(h.VM(0), "alloc"), "allocator may log")
}

func TestWASIProfiles(t *testing.T) {
	fs := testModule(t, "fsimport")
	_, err := New(context.Background(), Options{Module: fs})
	require.Error(t, err)
	assert.Regexp(t, `Failed to load Wasm module due to a missing import: wasi_snapshot_preview1\.(fd|path)_filestat_get`, err.Error())

	h, err := New(context.Background(), Options{Module: fs, WASI: WASIApril2026})
	require.NoError(t, err)
	require.NoError(t, h.Close(context.Background()))

	for _, c := range []struct {
		p    WASIProfile
		want string
	}{{WASIEnvoy133, "poll errno=52 nevents=99"}, {WASIApril2026, "poll errno=0 nevents=0"}} {
		h := newProbe(t, Options{WASI: c.p})
		_, err := h.RoundTrip(probeReq("poll"), nil)
		require.NoError(t, err)
		assert.Equal(t, c.want, oneEvent(t, h.VM(0), "poll"), c.p.String())
	}
}

func TestModuleValidation(t *testing.T) {
	// A module without an ABI marker.
	_, err := New(context.Background(), Options{Module: wasmModule(nil, []string{"malloc"})})
	require.ErrorContains(t, err, "Missing or unknown Proxy-Wasm ABI version")
	// No allocator.
	_, err = New(context.Background(), Options{Module: wasmModule(nil, []string{"proxy_abi_version_0_2_1"})})
	require.ErrorContains(t, err, "malloc/proxy_on_memory_allocate")
	// proxy_get_log_level exists only for ABI 0.2.1.
	_, err = New(context.Background(), Options{Module: wasmModule([]string{"proxy_get_log_level"}, []string{"proxy_abi_version_0_2_0", "malloc"})})
	require.ErrorContains(t, err, "missing import: env.proxy_get_log_level")
	// ABI 0.1.0-only host functions are not linked for 0.2.x.
	_, err = New(context.Background(), Options{Module: wasmModule([]string{"proxy_continue_request"}, []string{"proxy_abi_version_0_2_1", "malloc"})})
	require.ErrorContains(t, err, "missing import: env.proxy_continue_request")
	// The minimal valid module loads; malloc is preferred to
	// proxy_on_memory_allocate.
	h, err := New(context.Background(), Options{Module: wasmModule([]string{"proxy_get_log_level"}, []string{"proxy_abi_version_0_2_1", "malloc", "proxy_on_memory_allocate"})})
	require.NoError(t, err)
	assert.Equal(t, "malloc", h.VM(0).malloc.Definition().ExportNames()[0])
	require.NoError(t, h.Close(context.Background()))
}

func TestModuleImportsAndCheck(t *testing.T) {
	ctx := context.Background()
	imps, err := ModuleImports(ctx, testModule(t, "passthrough"))
	require.NoError(t, err)
	// The Go runtime's baseline WASI imports, nothing from env.
	assert.Contains(t, imps, "wasi_snapshot_preview1.fd_write")
	assert.Contains(t, imps, "wasi_snapshot_preview1.poll_oneoff")
	for _, i := range imps {
		assert.NotContains(t, i, "env.")
	}
	require.NoError(t, CheckModule(ctx, testModule(t, "probe"), WASIEnvoy133))
	require.Error(t, CheckModule(ctx, testModule(t, "fsimport"), WASIEnvoy133))
	require.NoError(t, CheckModule(ctx, testModule(t, "fsimport"), WASIApril2026))
}

func TestPassthroughMemoryIsStable(t *testing.T) {
	h, err := New(context.Background(), Options{Module: testModule(t, "passthrough"), DisableTrace: true})
	require.NoError(t, err)
	defer h.Close(context.Background())
	req := &Request{Method: "POST", Path: "/", Body: make([]byte, 4096), ChunkSize: 1024}
	run := func(n int) {
		for i := 0; i < n; i++ {
			_, err := h.RoundTrip(req, nil)
			require.NoError(t, err)
		}
	}
	run(200)
	before := h.VM(0).MemoryBytes()
	run(3000)
	assert.Equal(t, before, h.VM(0).MemoryBytes(), "linear memory must not grow per request")
}
