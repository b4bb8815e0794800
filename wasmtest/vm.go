package wasmtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"

	"github.com/tetratelabs/wazero/api"
)

// VM is one worker VM: an instance of the compiled module with its root
// context (id 1) and its stream contexts (2, 3, ...). Calls into one VM are
// serialized by its mutex, like Envoy's worker thread; different VMs run in
// parallel.
type VM struct {
	host  *Host
	index int
	mod   api.Module
	mem   api.Memory
	ctx   context.Context
	mu    sync.Mutex

	fns    callbacks
	malloc api.Function
	stack  []uint64
	astack []uint64

	failed error

	// restrict is the allow-list of the current restricted phase
	// (_initialize, allocator); nil when unrestricted.
	restrict          map[string]struct{}
	restrictViolation string

	nextContextID uint32
	streams       map[uint32]*stream
	// cur is the context the host is calling into; effective overrides it
	// after proxy_set_effective_context until the host call returns.
	cur       *callFrame
	effective *stream
	effSet    bool

	inConfigure bool
	callout     *calloutResult

	statusCode uint32
	statusMsg  string

	// metrics: id -> definition, per VM.
	metricIDs   map[uint32]*metricValue
	nextMetric  [3]uint32
	calloutSeq  uint32
	pendingCall []*pendingCallout

	tick tickState

	rng *rand.Rand

	logMu sync.Mutex
	logs  []LogEntry

	trace *[]string
}

// callFrame describes the callback currently running.
type callFrame struct {
	name string
	st   *stream // nil for the root context
	log  bool    // inside proxy_on_log
}

type callbacks struct {
	initialize, start, mainVoid, main api.Function
	contextCreate, vmStart, configure api.Function
	tick, requestHeaders, requestBody api.Function
	requestTrailers, responseHeaders  api.Function
	responseBody, responseTrailers    api.Function
	httpCallResponse, queueReady      api.Function
	log, done, delete                 api.Function
	foreign                           api.Function
}

func (vm *VM) lookupCallbacks() {
	f := func(name string) api.Function {
		if vm.mod.ExportedFunctionDefinitions()[name] == nil {
			return nil
		}
		return vm.mod.ExportedFunction(name)
	}
	vm.fns = callbacks{
		initialize: f("_initialize"), start: f("_start"), mainVoid: f("__main_void"), main: f("main"),
		contextCreate: f("proxy_on_context_create"), vmStart: f("proxy_on_vm_start"),
		configure: f("proxy_on_configure"), tick: f("proxy_on_tick"),
		requestHeaders: f("proxy_on_request_headers"), requestBody: f("proxy_on_request_body"),
		requestTrailers: f("proxy_on_request_trailers"), responseHeaders: f("proxy_on_response_headers"),
		responseBody: f("proxy_on_response_body"), responseTrailers: f("proxy_on_response_trailers"),
		httpCallResponse: f("proxy_on_http_call_response"), queueReady: f("proxy_on_queue_ready"),
		log: f("proxy_on_log"), done: f("proxy_on_done"), delete: f("proxy_on_delete"),
		foreign: f("proxy_on_foreign_function"),
	}
	// cpp-host looks up malloc first, then proxy_on_memory_allocate.
	if m := f("malloc"); m != nil {
		vm.malloc = m
	} else {
		vm.malloc = f("proxy_on_memory_allocate")
	}
}

// Index is the worker number of the VM (0-based).
func (vm *VM) Index() int { return vm.index }

// Failed returns the error that took the VM down, or nil.
func (vm *VM) Failed() error {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	return vm.failed
}

// MemoryBytes is the current size of the VM's linear memory.
func (vm *VM) MemoryBytes() uint32 {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	return vm.mem.Size()
}

// ErrVMFailed wraps every trap reported by wasmtest.
var ErrVMFailed = errors.New("wasmtest: vm failed")

func (vm *VM) fail(where string, err error) {
	if vm.failed != nil {
		return
	}
	var rt restrictedTrap
	if errors.As(err, &rt) || vm.restrictViolation != "" {
		name := vm.restrictViolation
		if name == "" {
			name = rt.name
		}
		err = fmt.Errorf("restricted_callback: %s may not be called here: %w", name, err)
	}
	vm.failed = fmt.Errorf("%w: vm %d: %s: %w", ErrVMFailed, vm.index, where, err)
	vm.hostLog(LogCritical, "Function: "+where+" failed: "+firstLine(err.Error()))
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// call invokes a guest export with up to 5 i32 arguments; it returns the
// first result (0 when the function returns nothing) and false when the
// VM is failed or the call trapped.
func (vm *VM) call(fn api.Function, name string, st *stream, args ...uint32) (uint32, bool) {
	if vm.failed != nil {
		return 0, false
	}
	if fn == nil {
		return 0, true
	}
	if p := vm.host.opts.Profile; p != nil {
		p.export(name)
	}
	prev := vm.cur
	frame := callFrame{name: name, st: st, log: name == "proxy_on_log"}
	vm.cur = &frame
	vm.effective, vm.effSet = nil, false
	for i, a := range args {
		vm.stack[i] = uint64(a)
	}
	err := fn.CallWithStack(vm.ctx, vm.stack)
	ret := uint32(vm.stack[0])
	vm.cur = prev
	vm.effective, vm.effSet = nil, false
	if vm.trace != nil && !vm.host.opts.DisableTrace {
		*vm.trace = append(*vm.trace, traceLine(name, args, fn, ret, err))
	}
	if err != nil {
		vm.fail(name, err)
		return 0, false
	}
	return ret, true
}

func traceLine(name string, args []uint32, fn api.Function, ret uint32, err error) string {
	var b strings.Builder
	b.WriteString(strings.TrimPrefix(name, "proxy_"))
	b.WriteByte('(')
	for i, a := range args {
		if i > 0 {
			b.WriteByte(',')
		}
		// The last argument of the header/body callbacks is end_of_stream.
		if i == 2 && len(args) == 3 && (strings.HasSuffix(name, "_headers") || strings.HasSuffix(name, "_body")) {
			if a != 0 {
				b.WriteString("true")
			} else {
				b.WriteString("false")
			}
			continue
		}
		b.WriteString(itoa(int64(a)))
	}
	b.WriteByte(')')
	if err != nil {
		b.WriteString("=trap")
	} else if len(fn.Definition().ResultTypes()) > 0 {
		b.WriteByte('=')
		b.WriteString(itoa(int64(ret)))
	}
	return b.String()
}

var allocAllowEnvoy133 = setOf("env.proxy_log", "wasi_snapshot_preview1.fd_write", "wasi_unstable.fd_write",
	"wasi_snapshot_preview1.clock_time_get", "wasi_unstable.clock_time_get")

var allocAllowApril2026 = setOf("env.proxy_log", "wasi_snapshot_preview1.fd_write", "wasi_unstable.fd_write",
	"wasi_snapshot_preview1.clock_time_get", "wasi_unstable.clock_time_get",
	"wasi_snapshot_preview1.poll_oneoff", "wasi_unstable.poll_oneoff")

func setOf(names ...string) map[string]struct{} {
	m := make(map[string]struct{}, len(names))
	for _, n := range names {
		m[n] = struct{}{}
	}
	return m
}

// alloc calls the plugin allocator in its restricted phase. A trap inside
// the allocator is re-raised so the calling export traps too (the VM is
// unusable afterwards either way).
func (vm *VM) alloc(size uint32) (uint32, bool) {
	if vm.malloc == nil {
		return 0, false
	}
	if p := vm.host.opts.Profile; p != nil {
		p.export("proxy_on_memory_allocate")
	}
	prev := vm.restrict
	if vm.host.opts.WASI == WASIApril2026 {
		vm.restrict = allocAllowApril2026
	} else {
		vm.restrict = allocAllowEnvoy133
	}
	vm.astack[0] = uint64(size)
	err := vm.malloc.CallWithStack(vm.ctx, vm.astack)
	vm.restrict = prev
	if err != nil {
		panic(fmt.Errorf("in allocator: %w", err))
	}
	p := uint32(vm.astack[0])
	if p == 0 {
		return 0, false
	}
	return p, true
}

// copyOut allocates len(data) bytes in the guest, copies data there and
// writes (ptr, len) to the two result slots; empty data writes (0, 0)
// without calling the allocator.
func (vm *VM) copyOut(data []byte, ptrPtr, lenPtr uint32) Status {
	var p uint32
	if len(data) > 0 {
		var ok bool
		p, ok = vm.alloc(uint32(len(data)))
		if !ok || !vm.mem.Write(p, data) {
			return StatusInvalidMemoryAccess
		}
		if prof := vm.host.opts.Profile; prof != nil {
			prof.copied(len(data), 0)
		}
	}
	if !vm.mem.WriteUint32Le(ptrPtr, p) || !vm.mem.WriteUint32Le(lenPtr, uint32(len(data))) {
		return StatusInvalidMemoryAccess
	}
	return StatusOK
}

func (vm *VM) read(ptr, n uint32) ([]byte, bool) {
	if n == 0 {
		if ptr > vm.mem.Size() {
			return nil, false
		}
		return nil, true
	}
	if p := vm.host.opts.Profile; p != nil {
		p.copied(0, int(n))
	}
	return vm.mem.Read(ptr, n)
}

func (vm *VM) readString(ptr, n uint32) (string, bool) {
	b, ok := vm.read(ptr, n)
	return string(b), ok
}

// target is the stream host calls act on: the effective context if the
// plugin set one, else the context of the running callback (nil = root).
func (vm *VM) target() *stream {
	if vm.effSet {
		return vm.effective
	}
	if vm.cur != nil {
		return vm.cur.st
	}
	return nil
}

func (vm *VM) inLog() bool {
	return !vm.effSet && vm.cur != nil && vm.cur.log
}

func u32(stack []uint64, i int) uint32 { return uint32(stack[i]) }

func ret(stack []uint64, s Status) { stack[0] = uint64(s) }

type apiFunction = api.Function
