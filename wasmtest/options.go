package wasmtest

import "io"

// WASIProfile selects which wasi_snapshot_preview1 functions the host
// provides and how they behave (ABI.md §12).
type WASIProfile int

const (
	// WASIEnvoy133 is the set of Envoy 1.33 to 1.38 (proxy-wasm-cpp-host
	// c4d7bb0, Dec 2024): poll_oneoff answers NOSYS, and any other WASI
	// import fails the load.
	WASIEnvoy133 WASIProfile = iota
	// WASIApril2026 is the set of proxy-wasm-cpp-host 94091cd (Apr 2026):
	// poll_oneoff succeeds with zero events, many filesystem and socket
	// stubs exist, and the _initialize allow-list is wide.
	WASIApril2026
)

func (p WASIProfile) String() string {
	if p == WASIApril2026 {
		return "april-2026"
	}
	return "envoy-1.33"
}

// FailurePolicy is what a stream gets when its VM has failed (trap, panic).
type FailurePolicy int

const (
	// FailClosed answers 503 with details "wasm_fail_stream" (Envoy's
	// default, FAIL_CLOSED and UNSPECIFIED).
	FailClosed FailurePolicy = iota
	// FailOpen lets the stream continue as if the filter were absent.
	FailOpen
)

// Log levels of proxy_log (trace 0 ... critical 5); LogOff (6) is only a
// value proxy_get_log_level may report.
const (
	LogTrace    = 0
	LogDebug    = 1
	LogInfo     = 2
	LogWarn     = 3
	LogError    = 4
	LogCritical = 5
	LogOff      = 6
)

// Options configure a Host. The zero value of every field is usable.
type Options struct {
	// Module is the .wasm bytes; ModulePath is read when Module is nil.
	Module     []byte
	ModulePath string

	// PluginConfig is the PLUGIN_CONFIGURATION buffer (type 7), readable
	// only during proxy_on_configure; VMConfig is the VM_CONFIGURATION
	// buffer (type 6), readable at any time.
	PluginConfig []byte
	VMConfig     []byte

	// Workers is the number of worker VMs (default 1). Each is a fresh
	// instance of the compiled module with its own root context (id 1).
	Workers int

	// PluginName, RootID and VMID are the plugin_name, plugin_root_id and
	// plugin_vm_id properties and the proxy_log prefix. Defaults:
	// PluginName "wasmtest", RootID "", VMID "".
	PluginName, RootID, VMID string

	// WASI selects the WASI profile (default WASIEnvoy133).
	WASI WASIProfile

	// FailurePolicy applies to streams of a failed VM (default FailClosed).
	FailurePolicy FailurePolicy

	// AllowOnHeadersStopIteration is Envoy's allow_on_headers_stop_iteration
	// (>= 1.35): Pause on headers holds the headers but body callbacks
	// still run. Without it, Pause on headers stops everything until
	// proxy_continue_stream.
	AllowOnHeadersStopIteration bool

	// BufferLimit is the per-stream buffer limit in bytes (default 1 MiB).
	// Exceeding it while the plugin buffers a body answers 413 (request) or
	// 500 (response).
	BufferLimit int

	// Clock drives proxy_get_current_time_nanoseconds, clock_time_get and
	// ticks. Nil means real time (Advance is then unavailable).
	Clock *Clock

	// RandomSeed makes random_get (and generated x-request-id values)
	// deterministic; nil uses crypto/rand.
	RandomSeed *uint64

	// HTTPCallHandler answers proxy_http_call. It runs after the VM call
	// that made the callout returns, on the goroutine driving that VM and
	// with that VM locked (it must not call back into the same VM). A
	// non-nil error is a failed callout (on_http_call_response(0,0,0) and
	// proxy_get_status code 11 "reset"). Nil handler: every cluster is
	// unknown (BadArgument).
	HTTPCallHandler func(cluster string, req CalloutRequest) (CalloutResponse, error)

	// Clusters, when non-nil, lists the cluster names proxy_http_call
	// accepts; others are BadArgument. When nil every name is accepted if
	// HTTPCallHandler is set.
	Clusters []string

	// LogLevel is what proxy_get_log_level reports and the minimum level
	// captured by VM.Logs. Envoy's default is LogInfo; the zero value here
	// is LogTrace so tests see everything.
	LogLevel int

	// LogWriter, when set, receives every captured log line as text.
	LogWriter io.Writer

	// Env is the environment exposed through environ_get (Envoy's
	// vm_config.environment_variables).
	Env map[string]string

	// DestinationAddress is destination.address (default "127.0.0.1:10000").
	DestinationAddress string

	// DisableTrace stops recording Exchange.Calls (benchmarks).
	DisableTrace bool

	// HostCallTrace, when set, receives one line per host function call
	// ("[vm 0] env.proxy_get_header_map_value[0 ...] = 0 (Ok)"), for
	// debugging a failing test. With several workers it must be safe for
	// concurrent writes (as must LogWriter).
	HostCallTrace io.Writer

	// Profile, when set, counts host calls, exports entered and bytes
	// copied across the ABI (see Profile).
	Profile *Profile
}
