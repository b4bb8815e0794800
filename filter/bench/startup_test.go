package bench

import (
	"context"
	"testing"

	"github.com/tetratelabs/wazero"

	"github.com/apiwarden/apiwarden/wasmtest"
)

// startupSetups are the configurations whose start-up is measured.
func startupSetups(tb testing.TB) []setup {
	return append([]setup{passthrough(), apiwardenEmpty(), bankFull(tb), syntheticSetup(tb), syntheticOpenAPISetup()}, openapiStartupSetups(tb)...)
}

// startup measures one VM start: instantiate the (already compiled)
// module, _initialize, proxy_on_vm_start and proxy_on_configure with the
// setup's configuration, then close it.
func startup(b *testing.B, s setup) {
	code := module(b, s.module)
	opts := wasmtest.Options{Module: code, PluginConfig: s.config, DisableTrace: true, LogLevel: wasmtest.LogInfo,
		PluginName: "apiwarden", RootID: "apiwarden", VMID: "apiwarden", WASI: benchWASI}
	ctx := context.Background()
	compileOnce(b, s.module)
	var mem uint32
	b.ReportAllocs()
	for b.Loop() {
		h, err := wasmtest.New(ctx, opts)
		if err != nil {
			fail(b, "%s: %v", s.name, err)
		}
		mem = h.VM(0).MemoryBytes()
		_ = h.Close(ctx)
	}
	b.ReportMetric(float64(len(code)), "module-bytes")
	b.ReportMetric(float64(len(s.config)), "config-bytes")
	b.ReportMetric(float64(mem)/(1<<20), "vm-MiB")
}

// compileOnce makes wasmtest compile the module (once per process) with
// an empty configuration, so that start-up measurements do not include it.
func compileOnce(tb testing.TB, mod string) {
	h, err := wasmtest.New(context.Background(), wasmtest.Options{Module: module(tb, mod), DisableTrace: true})
	if err != nil {
		fail(tb, "%s: %v", mod, err)
	}
	_ = h.Close(context.Background())
}

// BenchmarkStartup is the module size and the start-up time of one VM
// (sub-benchmarks named after the configuration: passthrough,
// apiwarden-empty, bank, 2000-ops, 2000-ops-openapi), and the one-time compilation of each
// module by wazero (compile/...), which wasmtest does once per process.
func BenchmarkStartup(b *testing.B) {
	names := map[string]string{"bank-full": "bank", "apiwarden-2000-ops": "2000-ops", "apiwarden-2000-ops-openapi": "2000-ops-openapi"}
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
