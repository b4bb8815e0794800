package abi

import (
	"time"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// api is the binding's surface, spelled once for both builds: the wasip1
// half (hostcall_wasip1.go) and the native half (hostcall_native.go) must
// each provide every function below with exactly this signature, or the
// build of the half that drifted fails here. A host call the filter does
// not use is not part of the binding.
var _ = struct {
	SetVMContext func(types.VMContext)

	LogDebug, LogInfo, LogWarn, LogError, LogCritical func(string)
	LogWarnf, LogErrorf, LogCriticalf                 func(string, ...any)

	SetTickPeriodMilliSeconds func(uint32) error
	GetPluginConfiguration    func() ([]byte, error)

	GetHttpRequestBody, GetHttpResponseBody         func(start, maxSize int) ([]byte, error)
	ReplaceHttpRequestBody, ReplaceHttpResponseBody func([]byte) error

	GetHttpRequestHeaders, GetHttpResponseHeaders       func() ([][2]string, error)
	GetHttpResponseHeader                               func(string) (string, error)
	ReplaceHttpRequestHeader, ReplaceHttpResponseHeader func(key, value string) error
	RemoveHttpRequestHeader, RemoveHttpResponseHeader   func(string) error

	SendHttpResponse func(status uint32, headers [][2]string, body []byte, grpcStatus int32) error

	DispatchHttpCall func(cluster string, headers [][2]string, body []byte, trailers [][2]string,
		timeoutMillisecond uint32, cb func(numHeaders, bodySize, numTrailers int)) (uint32, error)
	GetHttpCallResponseHeaders func() ([][2]string, error)
	GetHttpCallResponseBody    func(start, maxSize int) ([]byte, error)

	GetSharedData func(string) ([]byte, uint32, error)
	SetSharedData func(key string, data []byte, cas uint32) error
	GetProperty   func([]string) ([]byte, error)
	Now           func() time.Time

	DefineCounterMetric   func(string) MetricCounter
	DefineHistogramMetric func(string) MetricHistogram
	Increment             func(MetricCounter, uint64)
	Record                func(MetricHistogram, uint64)
}{
	SetVMContext: SetVMContext,

	LogDebug: LogDebug, LogInfo: LogInfo, LogWarn: LogWarn, LogError: LogError, LogCritical: LogCritical,
	LogWarnf: LogWarnf, LogErrorf: LogErrorf, LogCriticalf: LogCriticalf,

	SetTickPeriodMilliSeconds: SetTickPeriodMilliSeconds,
	GetPluginConfiguration:    GetPluginConfiguration,

	GetHttpRequestBody: GetHttpRequestBody, GetHttpResponseBody: GetHttpResponseBody,
	ReplaceHttpRequestBody: ReplaceHttpRequestBody, ReplaceHttpResponseBody: ReplaceHttpResponseBody,

	GetHttpRequestHeaders: GetHttpRequestHeaders, GetHttpResponseHeaders: GetHttpResponseHeaders,
	GetHttpResponseHeader:    GetHttpResponseHeader,
	ReplaceHttpRequestHeader: ReplaceHttpRequestHeader, ReplaceHttpResponseHeader: ReplaceHttpResponseHeader,
	RemoveHttpRequestHeader: RemoveHttpRequestHeader, RemoveHttpResponseHeader: RemoveHttpResponseHeader,

	SendHttpResponse: SendHttpResponse,

	DispatchHttpCall:           DispatchHttpCall,
	GetHttpCallResponseHeaders: GetHttpCallResponseHeaders,
	GetHttpCallResponseBody:    GetHttpCallResponseBody,

	GetSharedData: GetSharedData,
	SetSharedData: SetSharedData,
	GetProperty:   GetProperty,
	Now:           Now,

	DefineCounterMetric:   DefineCounterMetric,
	DefineHistogramMetric: DefineHistogramMetric,
	Increment:             MetricCounter.Increment,
	Record:                MetricHistogram.Record,
}
