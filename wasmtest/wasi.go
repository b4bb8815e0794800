package wasmtest

import (
	"sort"

	"github.com/tetratelabs/wazero/api"
)

// WASI functions, implemented here (not with wazero's WASI package) so
// each profile answers exactly like proxy-wasm-cpp-host (ABI.md §11,
// §12). Both wasi_snapshot_preview1 and wasi_unstable provide them; which
// ones a module may import is decided by the profile at load time.

var wasiEnvoy133 = setOf("fd_write", "fd_read", "fd_seek", "fd_close", "fd_fdstat_get", "fd_fdstat_set_flags",
	"environ_get", "environ_sizes_get", "args_get", "args_sizes_get", "clock_time_get", "random_get",
	"sched_yield", "poll_oneoff", "proc_exit", "path_open", "fd_prestat_get", "fd_prestat_dir_name")

var wasiApril2026 = setOf("fd_write", "fd_read", "fd_seek", "fd_close", "fd_fdstat_get", "fd_fdstat_set_flags",
	"fd_fdstat_set_rights", "environ_get", "environ_sizes_get", "args_get", "args_sizes_get", "clock_time_get",
	"clock_res_get", "fd_advise", "fd_allocate", "fd_datasync", "fd_filestat_set_size", "fd_filestat_set_times",
	"fd_pread", "fd_pwrite", "fd_readdir", "fd_renumber", "fd_sync", "fd_tell", "path_create_directory",
	"path_filestat_set_times", "path_link", "path_readlink", "path_remove_directory", "path_rename",
	"path_symlink", "path_unlink_file", "sock_accept", "sock_recv", "sock_send", "sock_shutdown", "random_get",
	"sched_yield", "poll_oneoff", "proc_exit", "path_open", "fd_prestat_get", "fd_prestat_dir_name",
	"path_filestat_get", "fd_filestat_get")

func wasiProfileSet(p WASIProfile) map[string]struct{} {
	if p == WASIApril2026 {
		return wasiApril2026
	}
	return wasiEnvoy133
}

// WASIFunctions lists the WASI functions a profile provides, sorted.
func WASIFunctions(p WASIProfile) []string {
	var out []string
	for n := range wasiProfileSet(p) {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func types(spec string) []api.ValueType {
	t := make([]api.ValueType, len(spec))
	for i, c := range spec {
		if c == 'J' {
			t[i] = api.ValueTypeI64
		} else {
			t[i] = api.ValueTypeI32
		}
	}
	return t
}

func errno(n uint32) func(*VM, []uint64) { return func(_ *VM, s []uint64) { s[0] = uint64(n) } }

func isStdio(fd uint32) bool { return fd == 1 || fd == 2 }

// stdioOr returns SUCCESS for fd 1/2 and BADF otherwise.
func stdioOr(_ *VM, s []uint64) {
	if isStdio(u32(s, 0)) {
		s[0] = uint64(errnoSuccess)
	} else {
		s[0] = uint64(errnoBadf)
	}
}

func setErrno(s []uint64, n uint32) { s[0] = uint64(n) }

// wasiWrite is cpp-host's writevImpl: fd 1 ⇒ info, fd 2 ⇒ error, other
// fds ⇒ BADF; the iovecs become one log line with one trailing newline
// removed; bad memory ⇒ FAULT.
func wasiWrite(vm *VM, fd, iovs, n uint32) (uint32, uint32) {
	level := LogInfo
	switch fd {
	case 1:
	case 2:
		level = LogError
	default:
		return 0, errnoBadf
	}
	var msg []byte
	for i := uint32(0); i < n; i++ {
		base, ok1 := vm.mem.ReadUint32Le(iovs + 8*i)
		l, ok2 := vm.mem.ReadUint32Le(iovs + 8*i + 4)
		if !ok1 || !ok2 {
			return 0, errnoFault
		}
		if l == 0 {
			continue
		}
		b, ok := vm.mem.Read(base, l)
		if !ok {
			return 0, errnoFault
		}
		msg = append(msg, b...)
	}
	written := uint32(len(msg))
	if written > 0 {
		if msg[len(msg)-1] == '\n' {
			msg = msg[:len(msg)-1]
		}
		vm.pluginLog(level, string(msg))
	}
	return written, errnoSuccess
}

func wasiFdWrite(vm *VM, s []uint64) {
	w, e := wasiWrite(vm, u32(s, 0), u32(s, 1), u32(s, 2))
	if e == errnoSuccess && !vm.mem.WriteUint32Le(u32(s, 3), w) {
		e = errnoFault
	}
	setErrno(s, e)
}

func wasiFdPwrite(vm *VM, s []uint64) {
	if !isStdio(u32(s, 0)) {
		setErrno(s, errnoBadf)
		return
	}
	w, e := wasiWrite(vm, u32(s, 0), u32(s, 1), u32(s, 2))
	if e == errnoSuccess && !vm.mem.WriteUint32Le(u32(s, 4), w) {
		e = errnoFault
	}
	setErrno(s, e)
}

func (vm *VM) environ() []string {
	env := vm.host.opts.Env
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k + "=" + env[k] + "\x00"
	}
	return out
}

func wasiEnvironGet(vm *VM, s []uint64) {
	arr, buf := u32(s, 0), u32(s, 1)
	for _, e := range vm.environ() {
		if !vm.mem.WriteUint32Le(arr, buf) || !vm.mem.WriteString(buf, e) {
			setErrno(s, errnoFault)
			return
		}
		arr += 4
		buf += uint32(len(e))
	}
	setErrno(s, errnoSuccess)
}

func wasiEnvironSizesGet(vm *VM, s []uint64) {
	env := vm.environ()
	size := 0
	for _, e := range env {
		size += len(e)
	}
	if !vm.mem.WriteUint32Le(u32(s, 0), uint32(len(env))) || !vm.mem.WriteUint32Le(u32(s, 1), uint32(size)) {
		setErrno(s, errnoFault)
		return
	}
	setErrno(s, errnoSuccess)
}

func wasiArgsSizesGet(vm *VM, s []uint64) {
	if !vm.mem.WriteUint32Le(u32(s, 0), 0) || !vm.mem.WriteUint32Le(u32(s, 1), 0) {
		setErrno(s, errnoFault)
		return
	}
	setErrno(s, errnoSuccess)
}

// clock_time_get(id, precision, ret_ptr): 0 realtime, 1 monotonic (both
// from the host clock); other clocks ⇒ NOTSUP.
func wasiClockTimeGet(vm *VM, s []uint64) {
	var v uint64
	switch u32(s, 0) {
	case 0:
		v = uint64(vm.host.clock.Now().UnixNano())
	case 1:
		v = vm.host.clock.Monotonic()
	default:
		setErrno(s, errnoNotsup)
		return
	}
	if !vm.mem.WriteUint64Le(u32(s, 2), v) {
		setErrno(s, errnoFault)
		return
	}
	setErrno(s, errnoSuccess)
}

func wasiClockResGet(vm *VM, s []uint64) {
	if id := u32(s, 0); id > 1 {
		setErrno(s, errnoNotsup)
		return
	}
	if !vm.mem.WriteUint64Le(u32(s, 1), 1) {
		setErrno(s, errnoFault)
		return
	}
	setErrno(s, errnoSuccess)
}

// maxRandomGet is cpp-host's PROXY_WASM_HOST_WASI_RANDOM_GET_MAX_SIZE_BYTES.
const maxRandomGet = 64 << 10

// random_get(buf, len): > 64 KiB ⇒ INVAL; 0 ⇒ SUCCESS; deterministic when
// Options.RandomSeed is set.
func wasiRandomGet(vm *VM, s []uint64) {
	n := u32(s, 1)
	if n > maxRandomGet {
		setErrno(s, errnoInval)
		return
	}
	if n == 0 {
		setErrno(s, errnoSuccess)
		return
	}
	b := make([]byte, n)
	vm.randomBytes(b)
	if !vm.mem.Write(u32(s, 0), b) {
		setErrno(s, errnoFault)
		return
	}
	setErrno(s, errnoSuccess)
}

// poll_oneoff: NOSYS in the Envoy 1.33 profile; the April 2026 profile
// writes nevents = 0 and succeeds (Go's usleep needs success).
func wasiPollOneoff(vm *VM, s []uint64) {
	if vm.host.opts.WASI != WASIApril2026 {
		setErrno(s, errnoNosys)
		return
	}
	if !vm.mem.WriteUint32Le(u32(s, 3), 0) {
		setErrno(s, errnoFault)
		return
	}
	setErrno(s, errnoSuccess)
}

func wasiFdFdstatGet(vm *VM, s []uint64) {
	if !isStdio(u32(s, 0)) {
		setErrno(s, errnoBadf)
		return
	}
	var st [24]byte
	st[8] = 64 // fs_rights_base = FD_WRITE
	vm.mem.Write(u32(s, 1), st[:])
	setErrno(s, errnoSuccess)
}

func logErrorReturn(msg string) func(*VM, []uint64) {
	return func(vm *VM, s []uint64) {
		vm.pluginLog(LogError, msg)
		setErrno(s, errnoSuccess)
	}
}

func wasiFdTell(vm *VM, s []uint64) {
	if !isStdio(u32(s, 0)) {
		setErrno(s, errnoBadf)
		return
	}
	if !vm.mem.WriteUint64Le(u32(s, 1), 0) {
		setErrno(s, errnoFault)
		return
	}
	setErrno(s, errnoSuccess)
}

// writeZeroThen writes a zero u32 to the result slot at index i, then
// answers errno (cpp-host's readdir/readlink/sock stubs).
func writeZeroThen(i int, n uint32, wide bool) func(*VM, []uint64) {
	return func(vm *VM, s []uint64) {
		ok := false
		if wide {
			ok = vm.mem.WriteUint64Le(u32(s, i), 0)
		} else {
			ok = vm.mem.WriteUint32Le(u32(s, i), 0)
		}
		if !ok {
			setErrno(s, errnoFault)
			return
		}
		setErrno(s, n)
	}
}

var wasiFuncs = []hostFunc{
	{name: "fd_write", params: types("IIII"), results: one, fn: wasiFdWrite},
	{name: "fd_pwrite", params: types("IIIJI"), results: one, fn: wasiFdPwrite},
	{name: "fd_read", params: types("IIII"), results: one, fn: errno(errnoNosys)},
	{name: "fd_pread", params: types("IIIJI"), results: one, fn: errno(errnoNosys)},
	{name: "fd_seek", params: types("IJII"), results: one, fn: logErrorReturn("wasi_unstable fd_seek")},
	{name: "fd_close", params: types("I"), results: one, fn: logErrorReturn("wasi_unstable fd_close")},
	{name: "fd_fdstat_get", params: types("II"), results: one, fn: wasiFdFdstatGet},
	{name: "fd_fdstat_set_flags", params: types("II"), results: one, fn: errno(errnoNosys)},
	{name: "fd_fdstat_set_rights", params: types("IJJ"), results: one, fn: stdioOr},
	{name: "environ_get", params: types("II"), results: one, fn: wasiEnvironGet},
	{name: "environ_sizes_get", params: types("II"), results: one, fn: wasiEnvironSizesGet},
	{name: "args_get", params: types("II"), results: one, fn: errno(errnoSuccess)},
	{name: "args_sizes_get", params: types("II"), results: one, fn: wasiArgsSizesGet},
	{name: "clock_time_get", params: types("IJI"), results: one, fn: wasiClockTimeGet},
	{name: "clock_res_get", params: types("II"), results: one, fn: wasiClockResGet},
	{name: "random_get", params: types("II"), results: one, fn: wasiRandomGet},
	{name: "sched_yield", params: nil, results: one, fn: errno(errnoSuccess)},
	{name: "poll_oneoff", params: types("IIII"), results: one, fn: wasiPollOneoff},
	{name: "proc_exit", params: types("I"), results: nil, fn: func(vm *VM, s []uint64) {
		vm.pluginLog(LogError, "wasi_unstable proc_exit")
	}},
	{name: "path_open", params: types("IIIIIJJII"), results: one, fn: errno(errnoNoent)},
	{name: "fd_prestat_get", params: types("II"), results: one, fn: errno(errnoBadf)},
	{name: "fd_prestat_dir_name", params: types("III"), results: one, fn: errno(errnoNosys)},
	{name: "fd_filestat_get", params: types("II"), results: one, fn: errno(errnoBadf)},
	{name: "path_filestat_get", params: types("IIIII"), results: one, fn: errno(errnoNotsup)},
	{name: "fd_advise", params: types("IJJI"), results: one, fn: errno(errnoSuccess)},
	{name: "fd_allocate", params: types("IJJ"), results: one, fn: stdioOr},
	{name: "fd_datasync", params: types("I"), results: one, fn: stdioOr},
	{name: "fd_filestat_set_size", params: types("IJ"), results: one, fn: stdioOr},
	{name: "fd_filestat_set_times", params: types("IJJI"), results: one, fn: stdioOr},
	{name: "fd_sync", params: types("I"), results: one, fn: stdioOr},
	{name: "fd_tell", params: types("II"), results: one, fn: wasiFdTell},
	{name: "fd_readdir", params: types("IIIJI"), results: one, fn: writeZeroThen(4, errnoNotdir, false)},
	{name: "fd_renumber", params: types("II"), results: one, fn: func(_ *VM, s []uint64) {
		if !isStdio(u32(s, 0)) || !isStdio(u32(s, 1)) {
			setErrno(s, errnoBadf)
			return
		}
		setErrno(s, errnoNotsup)
	}},
	{name: "path_create_directory", params: types("III"), results: one, fn: errno(errnoNotsup)},
	{name: "path_filestat_set_times", params: types("IIIIJJI"), results: one, fn: errno(errnoNotsup)},
	{name: "path_link", params: types("IIIIIII"), results: one, fn: errno(errnoNotsup)},
	{name: "path_readlink", params: types("IIIIII"), results: one, fn: writeZeroThen(5, errnoNotsup, false)},
	{name: "path_remove_directory", params: types("III"), results: one, fn: errno(errnoNotsup)},
	{name: "path_rename", params: types("IIIIII"), results: one, fn: errno(errnoNotsup)},
	{name: "path_symlink", params: types("IIIII"), results: one, fn: errno(errnoNotsup)},
	{name: "path_unlink_file", params: types("III"), results: one, fn: errno(errnoNotsup)},
	// cpp-host writes 8 bytes into sock_accept's 4-byte fd slot.
	{name: "sock_accept", params: types("III"), results: one, fn: writeZeroThen(2, errnoNotsup, true)},
	{name: "sock_recv", params: types("IIIIII"), results: one, fn: func(vm *VM, s []uint64) {
		if !vm.mem.WriteUint32Le(u32(s, 4), 0) || !vm.mem.WriteUint16Le(u32(s, 5), 0) {
			setErrno(s, errnoFault)
			return
		}
		setErrno(s, errnoNotsup)
	}},
	{name: "sock_send", params: types("IIIII"), results: one, fn: writeZeroThen(4, errnoNotsup, false)},
	{name: "sock_shutdown", params: types("II"), results: one, fn: errno(errnoNotsup)},
}
