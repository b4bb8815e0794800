package bench

import (
	"context"
	"testing"

	"github.com/tetratelabs/wazero"

	"github.com/apiwarden/apiwarden/wasmtest"
)

// startupSetups are the configurations whose start-up is measured.
func startupSetups(tb testing.TB) []setup {
	return []setup{passthrough(), apiwardenEmpty(), bankFull(tb), syntheticSetup(tb)}
}

// startup measures one VM start: instantiate the (already compiled)
// module, _initialize, proxy_on_vm_start and proxy_on_configure with the
// setup's configuration, then close it.
func startup(b *testing.B, s setup) {
	code := module(b, s.module)
	opts := wasmtest.Options{Module: code, PluginConfig: s.config, DisableTrace: true, LogLevel: wasmtest.LogInfo,
		PluginName: "apiwarden", RootID: "apiwarden", VMID: "apiwarden"}
	ctx := context.Background()
	// The first New compiles the module (once per process); not measured.
	h, err := wasmtest.New(ctx, opts)
	if err != nil {
		fail(b, "%s: %v", s.name, err)
	}
	mem := h.VM(0).MemoryBytes()
	_ = h.Close(ctx)
	b.ReportAllocs()
	for b.Loop() {
		h, err := wasmtest.New(ctx, opts)
		if err != nil {
			fail(b, "%s: %v", s.name, err)
		}
		_ = h.Close(ctx)
	}
	b.ReportMetric(float64(len(code)), "module-bytes")
	b.ReportMetric(float64(len(s.config)), "config-bytes")
	b.ReportMetric(float64(mem)/(1<<20), "vm-MiB")
}

// BenchmarkStartup is the module size and the start-up time of one VM
// (sub-benchmarks named after the configuration: passthrough,
// apiwarden-empty, bank, 2000-ops), and the one-time compilation of each
// module by wazero (compile/...), which wasmtest does once per process.
func BenchmarkStartup(b *testing.B) {
	names := map[string]string{"bank-full": "bank", "apiwarden-2000-ops": "2000-ops"}
	for _, s := range startupSetups(b) {
		name := s.name
		if n, ok := names[name]; ok {
			name = n
		}
		b.Run(name, func(b *testing.B) { startup(b, s) })
	}
	for _, m := range []string{modPassthrough, modApiwarden} {
		b.Run("compile/"+m, func(b *testing.B) {
			code := module(b, m)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig())
				if _, err := rt.CompileModule(ctx, code); err != nil {
					b.Fatal(err)
				}
				_ = rt.Close(ctx)
			}
			b.ReportMetric(float64(len(code)), "module-bytes")
		})
	}
}
