package wasmtest

import (
	"fmt"
	"strings"
)

// LogEntry is one log line of a VM: from proxy_log, from fd_write on
// stdout (info) or stderr (error), or from the host itself (Host true).
type LogEntry struct {
	Level   int
	Message string
	Host    bool
}

var levelNames = [...]string{"trace", "debug", "info", "warn", "error", "critical", "off"}

// LevelName is the spdlog name of a level ("info", "error", ...).
func LevelName(l int) string {
	if l >= 0 && l < len(levelNames) {
		return levelNames[l]
	}
	return fmt.Sprintf("level(%d)", l)
}

func (e LogEntry) String() string { return "[" + LevelName(e.Level) + "] " + e.Message }

// Logs returns a copy of the VM's captured log lines.
func (vm *VM) Logs() []LogEntry {
	vm.logMu.Lock()
	defer vm.logMu.Unlock()
	return append([]LogEntry(nil), vm.logs...)
}

// TakeLogs returns the captured lines and forgets them.
func (vm *VM) TakeLogs() []LogEntry {
	vm.logMu.Lock()
	defer vm.logMu.Unlock()
	l := vm.logs
	vm.logs = nil
	return l
}

// Logs returns the lines of every VM, VM by VM.
func (h *Host) Logs() []LogEntry {
	var all []LogEntry
	for _, vm := range h.vms {
		all = append(all, vm.Logs()...)
	}
	return all
}

// logPrefix is Envoy's " <plugin name> <root_id> <vm_id>" (empty parts
// skipped).
func (h *Host) logPrefix() string {
	var b strings.Builder
	for _, p := range []string{h.opts.PluginName, h.opts.RootID, h.opts.VMID} {
		if p != "" {
			b.WriteByte(' ')
			b.WriteString(p)
		}
	}
	return b.String()
}

func (vm *VM) pluginLog(level int, msg string) {
	if level < int(vm.host.logLevel.Load()) {
		return
	}
	vm.addLog(LogEntry{Level: level, Message: msg})
}

func (vm *VM) hostLog(level int, msg string) {
	vm.addLog(LogEntry{Level: level, Message: msg, Host: true})
}

func (vm *VM) addLog(e LogEntry) {
	vm.logMu.Lock()
	vm.logs = append(vm.logs, e)
	vm.logMu.Unlock()
	if w := vm.host.opts.LogWriter; w != nil {
		src := "wasm log" + vm.host.logPrefix()
		if e.Host {
			src = "wasm"
		}
		fmt.Fprintf(w, "[vm %d][%s] %s: %s\n", vm.index, LevelName(e.Level), src, e.Message)
	}
}

// proxy_log(level, msg_ptr, msg_len): level > 5 ⇒ BadArgument; bad
// memory ⇒ InvalidMemoryAccess; else Ok (lines below the log level are
// dropped, still Ok).
func hostLog(vm *VM, s []uint64) {
	level := u32(s, 0)
	if level > LogCritical {
		ret(s, StatusBadArgument)
		return
	}
	msg, ok := vm.readString(u32(s, 1), u32(s, 2))
	if !ok {
		ret(s, StatusInvalidMemoryAccess)
		return
	}
	vm.pluginLog(int(level), msg)
	ret(s, StatusOK)
}

// proxy_get_log_level(ret_level_ptr): writes the host log level (u32).
// Registered for ABI 0.2.1 modules only.
func hostGetLogLevel(vm *VM, s []uint64) {
	if !vm.mem.WriteUint32Le(u32(s, 0), uint32(vm.host.logLevel.Load())) {
		ret(s, StatusInvalidMemoryAccess)
		return
	}
	ret(s, StatusOK)
}
