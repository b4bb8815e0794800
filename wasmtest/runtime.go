package wasmtest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// The process shares one wazero runtime (with one compilation cache) for
// every Host: a module is compiled once per process, keyed by its sha256,
// and each Host instantiates fresh copies of it. Host functions find their
// VM through the call's context, so one set of host modules serves all.

type vmKey struct{}

var (
	rtOnce     sync.Once
	rtErr      error
	sharedRT   wazero.Runtime
	compileMu  sync.Mutex
	compiled   = map[[32]byte]*compiledEntry{}
	moduleSeq  uint64
	moduleSeqM sync.Mutex
)

type compiledEntry struct {
	once sync.Once
	mod  wazero.CompiledModule
	err  error
}

// v8MaxPages is V8's 1 GiB linear memory cap in Envoy (ABI.md §5).
const v8MaxPages = 16384

func sharedRuntime() (wazero.Runtime, error) {
	rtOnce.Do(func() {
		ctx := context.Background()
		cfg := wazero.NewRuntimeConfig().
			WithCompilationCache(wazero.NewCompilationCache()).
			WithMemoryLimitPages(v8MaxPages).
			WithCloseOnContextDone(false)
		rt := wazero.NewRuntimeWithConfig(ctx, cfg)
		if err := registerHostModules(ctx, rt); err != nil {
			rtErr = err
			return
		}
		sharedRT = rt
	})
	return sharedRT, rtErr
}

func registerHostModules(ctx context.Context, rt wazero.Runtime) error {
	env := rt.NewHostModuleBuilder("env")
	for i := range envFuncs {
		addHostFunc(env, &envFuncs[i], "env."+envFuncs[i].name)
	}
	if _, err := env.Instantiate(ctx); err != nil {
		return fmt.Errorf("wasmtest: env host module: %w", err)
	}
	for _, modName := range []string{"wasi_snapshot_preview1", "wasi_unstable"} {
		b := rt.NewHostModuleBuilder(modName)
		for i := range wasiFuncs {
			addHostFunc(b, &wasiFuncs[i], modName+"."+wasiFuncs[i].name)
		}
		if _, err := b.Instantiate(ctx); err != nil {
			return fmt.Errorf("wasmtest: %s host module: %w", modName, err)
		}
	}
	return nil
}

// hostFunc is one imported function the host provides.
type hostFunc struct {
	name    string
	params  []api.ValueType
	results []api.ValueType
	fn      func(vm *VM, stack []uint64)
}

// restrictedTrap is the panic value of a call made in a restricted phase.
type restrictedTrap struct{ name string }

func (r restrictedTrap) Error() string {
	return "restricted_callback: call to " + r.name + " is not allowed in this phase"
}

func addHostFunc(b wazero.HostModuleBuilder, hf *hostFunc, qualified string) {
	fn := hf.fn
	b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
		vm, _ := ctx.Value(vmKey{}).(*VM)
		if vm == nil {
			panic(fmt.Errorf("wasmtest: host function %s called outside a VM call", qualified))
		}
		if vm.restrict != nil {
			if _, ok := vm.restrict[qualified]; !ok {
				vm.restrictViolation = qualified
				panic(restrictedTrap{qualified})
			}
		}
		if p := vm.host.opts.Profile; p != nil {
			p.hostCall(qualified)
		}
		if w := vm.host.opts.HostCallTrace; w != nil {
			args := append([]uint64(nil), stack[:len(hf.params)]...)
			fn(vm, stack)
			res := ""
			if len(hf.results) > 0 {
				res = " = " + itoa(int64(uint32(stack[0])))
				if strings.HasPrefix(qualified, "env.proxy_") {
					res += " (" + Status(uint32(stack[0])).String() + ")"
				}
			}
			fmt.Fprintf(w, "[vm %d] %s%v%s\n", vm.index, qualified, args, res)
			return
		}
		fn(vm, stack)
	}), hf.params, hf.results).Export(hf.name)
}

// compile returns the process-wide compiled module for code.
func compile(ctx context.Context, code []byte) (wazero.CompiledModule, [32]byte, error) {
	rt, err := sharedRuntime()
	if err != nil {
		return nil, [32]byte{}, err
	}
	sum := sha256.Sum256(code)
	compileMu.Lock()
	e := compiled[sum]
	if e == nil {
		e = &compiledEntry{}
		compiled[sum] = e
	}
	compileMu.Unlock()
	e.once.Do(func() {
		e.mod, e.err = rt.CompileModule(ctx, code)
		if e.err != nil {
			e.err = fmt.Errorf("wasmtest: compile module: %w", e.err)
		}
	})
	return e.mod, sum, e.err
}

func nextModuleName() string {
	moduleSeqM.Lock()
	defer moduleSeqM.Unlock()
	moduleSeq++
	return "proxy-wasm-vm-" + itoa(int64(moduleSeq))
}

// abiVersion is the ABI a module declares through its marker export.
type abiVersion int

const (
	abi010 abiVersion = iota + 1
	abi020
	abi021
)

var (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

// exportSignatures are the callbacks whose signature V8/cpp-host checks
// when the export exists ("Bad function signature" otherwise).
var exportSignatures = map[string][2][]api.ValueType{
	"_initialize":                             {nil, nil},
	"_start":                                  {nil, nil},
	"__main_void":                             {nil, {i32}},
	"main":                                    {{i32, i32}, {i32}},
	"malloc":                                  {{i32}, {i32}},
	"proxy_on_memory_allocate":                {{i32}, {i32}},
	"proxy_on_context_create":                 {{i32, i32}, nil},
	"proxy_on_vm_start":                       {{i32, i32}, {i32}},
	"proxy_on_configure":                      {{i32, i32}, {i32}},
	"proxy_validate_configuration":            {{i32, i32}, {i32}},
	"proxy_on_tick":                           {{i32}, nil},
	"proxy_on_request_headers":                {{i32, i32, i32}, {i32}},
	"proxy_on_request_body":                   {{i32, i32, i32}, {i32}},
	"proxy_on_request_trailers":               {{i32, i32}, {i32}},
	"proxy_on_request_metadata":               {{i32, i32}, {i32}},
	"proxy_on_response_headers":               {{i32, i32, i32}, {i32}},
	"proxy_on_response_body":                  {{i32, i32, i32}, {i32}},
	"proxy_on_response_trailers":              {{i32, i32}, {i32}},
	"proxy_on_response_metadata":              {{i32, i32}, {i32}},
	"proxy_on_http_call_response":             {{i32, i32, i32, i32, i32}, nil},
	"proxy_on_grpc_receive_initial_metadata":  {{i32, i32, i32}, nil},
	"proxy_on_grpc_receive_trailing_metadata": {{i32, i32, i32}, nil},
	"proxy_on_grpc_receive":                   {{i32, i32, i32}, nil},
	"proxy_on_grpc_close":                     {{i32, i32, i32}, nil},
	"proxy_on_queue_ready":                    {{i32, i32}, nil},
	"proxy_on_foreign_function":               {{i32, i32, i32}, nil},
	"proxy_on_new_connection":                 {{i32}, {i32}},
	"proxy_on_downstream_data":                {{i32, i32, i32}, {i32}},
	"proxy_on_upstream_data":                  {{i32, i32, i32}, {i32}},
	"proxy_on_downstream_connection_close":    {{i32, i32}, nil},
	"proxy_on_upstream_connection_close":      {{i32, i32}, nil},
	"proxy_on_done":                           {{i32}, {i32}},
	"proxy_on_log":                            {{i32}, nil},
	"proxy_on_delete":                         {{i32}, nil},
}

func sameTypes(a, b []api.ValueType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// validateModule applies cpp-host's load-time checks: ABI marker, export
// signatures, allocator, and the import allow-list of the WASI profile.
// Messages follow Envoy's where Envoy has one.
func validateModule(cm wazero.CompiledModule, profile WASIProfile) (abiVersion, error) {
	exports := cm.ExportedFunctions()
	var abi abiVersion
	switch {
	case exports["proxy_abi_version_0_2_1"] != nil:
		abi = abi021
	case exports["proxy_abi_version_0_2_0"] != nil:
		abi = abi020
	case exports["proxy_abi_version_0_1_0"] != nil:
		abi = abi010
	default:
		return 0, fmt.Errorf("wasmtest: Missing or unknown Proxy-Wasm ABI version")
	}
	if abi == abi010 {
		return 0, fmt.Errorf("wasmtest: Proxy-Wasm ABI 0.1.0 modules are not supported by wasmtest")
	}
	names := make([]string, 0, len(exports))
	for n := range exports {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		sig, ok := exportSignatures[n]
		if !ok {
			continue
		}
		d := exports[n]
		if !sameTypes(d.ParamTypes(), sig[0]) || !sameTypes(d.ResultTypes(), sig[1]) {
			return 0, fmt.Errorf("wasmtest: Bad function signature for: %s", n)
		}
	}
	if exports["malloc"] == nil && exports["proxy_on_memory_allocate"] == nil {
		return 0, fmt.Errorf("wasmtest: Wasm module is missing malloc/proxy_on_memory_allocate")
	}
	wasiSet := wasiProfileSet(profile)
	for _, d := range cm.ImportedFunctions() {
		mod, name, _ := d.Import()
		ok := false
		switch mod {
		case "env":
			ok = envImportAllowed(name, abi)
		case "wasi_snapshot_preview1", "wasi_unstable":
			_, ok = wasiSet[name]
		}
		if !ok {
			return 0, fmt.Errorf("wasmtest: Failed to load Wasm module due to a missing import: %s.%s", mod, name)
		}
		if sig := importSignature(mod, name); sig != nil {
			if !sameTypes(d.ParamTypes(), sig.params) || !sameTypes(d.ResultTypes(), sig.results) {
				return 0, fmt.Errorf("wasmtest: Failed to load Wasm module due to an import type mismatch: %s.%s", mod, name)
			}
		}
	}
	return abi, nil
}

var envByName = func() map[string]*hostFunc {
	m := map[string]*hostFunc{}
	for i := range envFuncs {
		m[envFuncs[i].name] = &envFuncs[i]
	}
	return m
}()

var wasiByName = func() map[string]*hostFunc {
	m := map[string]*hostFunc{}
	for i := range wasiFuncs {
		m[wasiFuncs[i].name] = &wasiFuncs[i]
	}
	return m
}()

func importSignature(mod, name string) *hostFunc {
	if mod == "env" {
		return envByName[name]
	}
	return wasiByName[name]
}

// envImportAllowed reports whether cpp-host registers name in module env
// for the ABI version: the 0.2.x host functions, plus proxy_get_log_level
// for 0.2.1 only, plus the Emscripten/Envoy extras.
func envImportAllowed(name string, abi abiVersion) bool {
	if name == "proxy_get_log_level" {
		return abi == abi021
	}
	_, ok := envByName[name]
	return ok && !strings.HasPrefix(name, "wasmtest_")
}

// CheckModule applies the load-time checks of New (ABI marker, export
// signatures, allocator, imports allowed by the WASI profile) without
// instantiating the module.
func CheckModule(ctx context.Context, code []byte, profile WASIProfile) error {
	cm, _, err := compile(ctx, code)
	if err != nil {
		return err
	}
	_, err = validateModule(cm, profile)
	return err
}

// ModuleImports lists a module's imported functions as "module.name",
// sorted, so a test can pin the import section of a build.
func ModuleImports(ctx context.Context, code []byte) ([]string, error) {
	cm, _, err := compile(ctx, code)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range cm.ImportedFunctions() {
		mod, name, _ := d.Import()
		out = append(out, mod+"."+name)
	}
	sort.Strings(out)
	return out, nil
}
