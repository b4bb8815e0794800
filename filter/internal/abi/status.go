package abi

import "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

// Status is a proxy-wasm host call status (proxy_status_t).
type Status uint32

// Host call statuses used by ABI 0.2.1 hosts.
const (
	StatusOK                  Status = 0
	StatusNotFound            Status = 1
	StatusBadArgument         Status = 2
	StatusSerializationFailed Status = 3
	StatusParseFailure        Status = 4
	StatusInvalidMemoryAccess Status = 6
	StatusEmpty               Status = 7
	StatusCasMismatch         Status = 8
	StatusInternalFailure     Status = 10
	StatusUnimplemented       Status = 12
)

// Err maps a status onto the SDK's error values so callers compare with
// errors.Is(err, types.ErrorStatusNotFound) in both builds.
func (s Status) Err() error {
	switch s {
	case StatusOK:
		return nil
	case StatusNotFound:
		return types.ErrorStatusNotFound
	case StatusBadArgument:
		return types.ErrorStatusBadArgument
	case StatusEmpty:
		return types.ErrorStatusEmpty
	case StatusCasMismatch:
		return types.ErrorStatusCasMismatch
	default:
		return types.ErrorInternalFailure
	}
}

// The enumeration values the binding uses (wasmtest/ABI.md §1).
const (
	mapRequestHeaders  = 0
	mapResponseHeaders = 2
	mapCalloutHeaders  = 6

	bufRequestBody  = 0
	bufResponseBody = 1
	bufCalloutBody  = 4
	bufPluginConfig = 7

	metricCounter   = 0
	metricHistogram = 2

	logTrace    = 0
	logDebug    = 1
	logInfo     = 2
	logWarn     = 3
	logError    = 4
	logCritical = 5
)

// Metric handles. They are plain ids in both builds so plugin code is the
// same natively and in wasm.
type (
	MetricCounter   uint32
	MetricHistogram uint32
)
