package wasmtest

// Numeric values of the proxy-wasm ABI 0.2.1 enumerations (ABI.md §1).

// Status is a proxy_status_t / WasmResult returned by every env host function.
type Status uint32

// Status values. BadExpression, ResultMismatch and BrokenConnection exist
// only in the C++ SDK enums Envoy compiles against.
const (
	StatusOK                  Status = 0
	StatusNotFound            Status = 1
	StatusBadArgument         Status = 2
	StatusSerializationFail   Status = 3
	StatusParseFailure        Status = 4
	StatusBadExpression       Status = 5
	StatusInvalidMemoryAccess Status = 6
	StatusEmpty               Status = 7
	StatusCasMismatch         Status = 8
	StatusResultMismatch      Status = 9
	StatusInternalFailure     Status = 10
	StatusBrokenConnection    Status = 11
	StatusUnimplemented       Status = 12
)

var statusNames = [...]string{"Ok", "NotFound", "BadArgument", "SerializationFailure", "ParseFailure",
	"BadExpression", "InvalidMemoryAccess", "Empty", "CasMismatch", "ResultMismatch",
	"InternalFailure", "BrokenConnection", "Unimplemented"}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "Status(" + itoa(int64(s)) + ")"
}

// Actions a plugin returns from stream callbacks.
const (
	actionContinue uint32 = 0
	actionPause    uint32 = 1
)

// Header map types.
const (
	mapRequestHeaders   uint32 = 0
	mapRequestTrailers  uint32 = 1
	mapResponseHeaders  uint32 = 2
	mapResponseTrailers uint32 = 3
	mapGrpcInitial      uint32 = 4
	mapGrpcTrailing     uint32 = 5
	mapCallHeaders      uint32 = 6
	mapCallTrailers     uint32 = 7
	mapMax              uint32 = 7
)

// Buffer types.
const (
	bufRequestBody   uint32 = 0
	bufResponseBody  uint32 = 1
	bufDownstream    uint32 = 2
	bufUpstream      uint32 = 3
	bufCallBody      uint32 = 4
	bufGrpcReceive   uint32 = 5
	bufVMConfig      uint32 = 6
	bufPluginConfig  uint32 = 7
	bufCallData      uint32 = 8
	bufMax           uint32 = 8
	streamHTTPReq    uint32 = 0
	streamHTTPResp   uint32 = 1
	streamDownstream uint32 = 2
	streamUpstream   uint32 = 3
)

// WASI errno values used by Envoy's host (ABI.md §1).
const (
	errnoSuccess uint32 = 0
	errnoBadf    uint32 = 8
	errnoNotdir  uint32 = 20
	errnoFault   uint32 = 21
	errnoInval   uint32 = 28
	errnoNoent   uint32 = 44
	errnoNosys   uint32 = 52
	errnoNotsup  uint32 = 58
)

// rootContextID is the id Envoy gives the single root context of each VM.
const rootContextID = 1

func itoa(v int64) string {
	if v == 0 {
		return "0"
	}
	var b [24]byte
	i := len(b)
	neg := v < 0
	u := uint64(v)
	if neg {
		u = uint64(-v)
	}
	for u > 0 {
		i--
		b[i] = byte('0' + u%10)
		u /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
