package wasmtest

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tetratelabs/wazero"
)

// Host is an Envoy-like proxy-wasm host running N worker VMs of one module
// that share one shared-data store, one set of shared queues and one set of
// metrics.
type Host struct {
	opts   Options
	code   [32]byte
	cm     wazero.CompiledModule
	vms    []*VM
	clock  *Clock
	shared *sharedStore
	stats  *metricStore
	rr     atomic.Uint32
	connID atomic.Uint64
	abi    abiVersion

	logLevel atomic.Int32
	closed   atomic.Bool
	closeMu  sync.Mutex
}

// New compiles (once per process) and instantiates the module Workers
// times, then starts each VM like Envoy: _initialize (restricted), then
// proxy_on_context_create(1, 0), proxy_on_vm_start(1, len(VMConfig)),
// proxy_on_configure(1, len(PluginConfig)). A false return or a trap is
// an error that includes the VM's captured log lines.
func New(ctx context.Context, opts Options) (*Host, error) {
	code := opts.Module
	if code == nil {
		if opts.ModulePath == "" {
			return nil, errors.New("wasmtest: Options.Module or Options.ModulePath is required")
		}
		b, err := os.ReadFile(opts.ModulePath)
		if err != nil {
			return nil, fmt.Errorf("wasmtest: read module: %w", err)
		}
		code = b
	}
	if opts.Workers <= 0 {
		opts.Workers = 1
	}
	if opts.BufferLimit <= 0 {
		opts.BufferLimit = 1 << 20
	}
	if opts.PluginName == "" {
		opts.PluginName = "wasmtest"
	}
	if opts.DestinationAddress == "" {
		opts.DestinationAddress = "127.0.0.1:10000"
	}
	cm, sum, err := compile(ctx, code)
	if err != nil {
		return nil, err
	}
	abi, err := validateModule(cm, opts.WASI)
	if err != nil {
		return nil, err
	}
	h := &Host{opts: opts, code: sum, cm: cm, clock: opts.Clock, abi: abi,
		shared: newSharedStore(), stats: newMetricStore()}
	if h.clock == nil {
		h.clock = realClock()
	}
	h.logLevel.Store(int32(opts.LogLevel))
	for i := 0; i < opts.Workers; i++ {
		vm, err := h.startVM(ctx, i)
		if vm != nil {
			h.vms = append(h.vms, vm)
		}
		if err != nil {
			_ = h.Close(ctx)
			return nil, err
		}
	}
	return h, nil
}

var initAllowEnvoy133 = func() map[string]struct{} {
	m := map[string]struct{}{"env.proxy_log": {}}
	for _, n := range []string{"fd_write", "args_sizes_get", "args_get", "environ_sizes_get", "environ_get",
		"fd_prestat_get", "fd_prestat_dir_name", "clock_time_get", "random_get", "fd_fdstat_get", "fd_fdstat_set_flags"} {
		m["wasi_snapshot_preview1."+n] = struct{}{}
		m["wasi_unstable."+n] = struct{}{}
	}
	return m
}()

var initAllowApril2026 = func() map[string]struct{} {
	m := map[string]struct{}{"env.proxy_log": {}, "env.emscripten_notify_memory_growth": {}}
	for _, n := range []string{"fd_write", "args_sizes_get", "args_get", "environ_sizes_get", "environ_get",
		"clock_time_get", "clock_res_get", "random_get", "poll_oneoff", "fd_fdstat_get", "fd_fdstat_set_flags",
		"fd_advise", "fd_allocate", "fd_datasync", "fd_fdstat_set_rights", "fd_filestat_get", "fd_filestat_set_size",
		"fd_filestat_set_times", "fd_pread", "fd_prestat_dir_name", "fd_prestat_get", "fd_pwrite", "fd_readdir",
		"fd_renumber", "fd_sync", "fd_tell", "path_create_directory", "path_filestat_get", "path_filestat_set_times",
		"path_link", "path_readlink", "path_remove_directory", "path_rename", "path_symlink", "path_unlink_file",
		"sock_accept", "sock_recv", "sock_send", "sock_shutdown"} {
		m["wasi_snapshot_preview1."+n] = struct{}{}
		m["wasi_unstable."+n] = struct{}{}
	}
	return m
}()

func (h *Host) startVM(ctx context.Context, i int) (*VM, error) {
	rt, err := sharedRuntime()
	if err != nil {
		return nil, err
	}
	vm := &VM{host: h, index: i, nextContextID: 2, streams: map[uint32]*stream{},
		metricIDs: map[uint32]*metricValue{}, stack: make([]uint64, 8), astack: make([]uint64, 1)}
	vm.nextMetric = [3]uint32{0, 1, 2}
	if h.opts.RandomSeed != nil {
		vm.rng = mrand.New(mrand.NewPCG(*h.opts.RandomSeed, uint64(i)))
	}
	vm.ctx = context.WithValue(context.Background(), vmKey{}, vm)
	mod, err := rt.InstantiateModule(ctx, h.cm, wazero.NewModuleConfig().WithName(nextModuleName()).WithStartFunctions())
	if err != nil {
		return nil, fmt.Errorf("wasmtest: vm %d: instantiate: %w", i, err)
	}
	vm.mod = mod
	vm.mem = mod.Memory()
	if vm.mem == nil {
		_ = mod.Close(ctx)
		return nil, fmt.Errorf("wasmtest: vm %d: module exports no memory", i)
	}
	vm.lookupCallbacks()

	vm.mu.Lock()
	defer vm.mu.Unlock()
	// startVm: _initialize then main(0,0) / __main_void, or _start.
	if h.opts.WASI == WASIApril2026 {
		vm.restrict = initAllowApril2026
	} else {
		vm.restrict = initAllowEnvoy133
	}
	if vm.fns.initialize != nil {
		vm.call(vm.fns.initialize, "_initialize", nil)
		if vm.failed == nil && vm.fns.main != nil {
			vm.call(vm.fns.main, "main", nil, 0, 0)
		} else if vm.failed == nil && vm.fns.mainVoid != nil {
			vm.call(vm.fns.mainVoid, "__main_void", nil)
		}
	} else if vm.fns.start != nil {
		vm.call(vm.fns.start, "_start", nil)
	}
	vm.restrict = nil
	if vm.failed != nil {
		return vm, vm.loadError("start", vm.failed)
	}
	vm.call(vm.fns.contextCreate, "proxy_on_context_create", nil, rootContextID, 0)
	if vm.failed != nil {
		return vm, vm.loadError("proxy_on_context_create", vm.failed)
	}
	if vm.fns.vmStart != nil {
		ok, alive := vm.call(vm.fns.vmStart, "proxy_on_vm_start", nil, rootContextID, uint32(len(h.opts.VMConfig)))
		if !alive {
			return vm, vm.loadError("proxy_on_vm_start", vm.failed)
		}
		if ok == 0 {
			return vm, vm.loadError("proxy_on_vm_start", errors.New("returned false"))
		}
	}
	vm.drain()
	if vm.fns.configure != nil {
		vm.inConfigure = true
		ok, alive := vm.call(vm.fns.configure, "proxy_on_configure", nil, rootContextID, uint32(len(h.opts.PluginConfig)))
		vm.inConfigure = false
		if !alive {
			return vm, vm.loadError("proxy_on_configure", vm.failed)
		}
		if ok == 0 {
			return vm, vm.loadError("proxy_on_configure", errors.New("returned false"))
		}
	}
	vm.drain()
	return vm, nil
}

func (vm *VM) loadError(phase string, err error) error {
	var b strings.Builder
	fmt.Fprintf(&b, "wasmtest: vm %d: Unable to create Wasm plugin: %s: %v", vm.index, phase, err)
	vm.logMu.Lock()
	for _, l := range vm.logs {
		b.WriteString("\n  ")
		b.WriteString(l.String())
	}
	vm.logMu.Unlock()
	return errors.New(b.String())
}

// Close destroys every VM (no proxy_on_done: Envoy does not call it at
// process exit either) and releases the instances. The compiled module
// stays cached for the process.
func (h *Host) Close(ctx context.Context) error {
	h.closeMu.Lock()
	defer h.closeMu.Unlock()
	if h.closed.Swap(true) {
		return nil
	}
	var errs []error
	for _, vm := range h.vms {
		vm.mu.Lock()
		if vm.mod != nil {
			errs = append(errs, vm.mod.Close(ctx))
		}
		vm.mu.Unlock()
	}
	return errors.Join(errs...)
}

// VMs returns the worker VMs.
func (h *Host) VMs() []*VM { return h.vms }

// VM returns worker i.
func (h *Host) VM(i int) *VM { return h.vms[i] }

// Clock returns the host clock.
func (h *Host) Clock() *Clock { return h.clock }

// SetLogLevel changes what proxy_get_log_level reports and what is captured.
func (h *Host) SetLogLevel(level int) { h.logLevel.Store(int32(level)) }

// RoundTrip plays one exchange through the next VM (round-robin).
func (h *Host) RoundTrip(req *Request, up Upstream) (*Exchange, error) {
	i := int(h.rr.Add(1)-1) % len(h.vms)
	return h.vms[i].RoundTrip(req, up)
}

// randomBytes fills b from the VM's seeded source or crypto/rand.
func (vm *VM) randomBytes(b []byte) {
	if vm.rng == nil {
		_, _ = rand.Read(b)
		return
	}
	for i := 0; i < len(b); i += 8 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], vm.rng.Uint64())
		copy(b[i:], w[:])
	}
}

// drain delivers what Envoy posts to run after the current VM call
// returns: HTTP callout results and shared-queue notifications.
func (vm *VM) drain() {
	for vm.failed == nil {
		if len(vm.pendingCall) > 0 {
			pc := vm.pendingCall[0]
			vm.pendingCall = vm.pendingCall[1:]
			vm.deliverCallout(pc)
			continue
		}
		if vm.deliverQueueReady() {
			continue
		}
		return
	}
}
