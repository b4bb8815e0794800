//go:build !wasip1

package abi

import (
	"time"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// Native builds forward every host call to the SDK's proxywasm package, whose
// proxytest emulator then plays the host in unit tests.

func SetVMContext(ctx types.VMContext)   { proxywasm.SetVMContext(ctx) }
func LogDebug(msg string)                { proxywasm.LogDebug(msg) }
func LogInfo(msg string)                 { proxywasm.LogInfo(msg) }
func LogWarn(msg string)                 { proxywasm.LogWarn(msg) }
func LogWarnf(f string, args ...any)     { proxywasm.LogWarnf(f, args...) }
func LogError(msg string)                { proxywasm.LogError(msg) }
func LogErrorf(f string, args ...any)    { proxywasm.LogErrorf(f, args...) }
func LogCritical(msg string)             { proxywasm.LogCritical(msg) }
func LogCriticalf(f string, args ...any) { proxywasm.LogCriticalf(f, args...) }

func SetTickPeriodMilliSeconds(ms uint32) error { return proxywasm.SetTickPeriodMilliSeconds(ms) }

func GetPluginConfiguration() ([]byte, error) { return proxywasm.GetPluginConfiguration() }
func GetHttpRequestBody(start, maxSize int) ([]byte, error) {
	return proxywasm.GetHttpRequestBody(start, maxSize)
}
func GetHttpResponseBody(start, maxSize int) ([]byte, error) {
	return proxywasm.GetHttpResponseBody(start, maxSize)
}
func ReplaceHttpRequestBody(b []byte) error  { return proxywasm.ReplaceHttpRequestBody(b) }
func ReplaceHttpResponseBody(b []byte) error { return proxywasm.ReplaceHttpResponseBody(b) }

func GetHttpRequestHeaders() ([][2]string, error) { return proxywasm.GetHttpRequestHeaders() }
func ReplaceHttpRequestHeader(key, value string) error {
	return proxywasm.ReplaceHttpRequestHeader(key, value)
}
func RemoveHttpRequestHeader(key string) error     { return proxywasm.RemoveHttpRequestHeader(key) }
func GetHttpResponseHeaders() ([][2]string, error) { return proxywasm.GetHttpResponseHeaders() }
func GetHttpResponseHeader(key string) (string, error) {
	return proxywasm.GetHttpResponseHeader(key)
}
func ReplaceHttpResponseHeader(key, value string) error {
	return proxywasm.ReplaceHttpResponseHeader(key, value)
}
func RemoveHttpResponseHeader(key string) error { return proxywasm.RemoveHttpResponseHeader(key) }

func SendHttpResponse(statusCode uint32, headers [][2]string, body []byte, grpcStatus int32) error {
	return proxywasm.SendHttpResponse(statusCode, headers, body, grpcStatus)
}
func GetSharedData(key string) ([]byte, uint32, error) { return proxywasm.GetSharedData(key) }
func SetSharedData(key string, data []byte, cas uint32) error {
	return proxywasm.SetSharedData(key, data, cas)
}
func GetProperty(path []string) ([]byte, error) { return proxywasm.GetProperty(path) }
func DefineCounterMetric(name string) MetricCounter {
	return MetricCounter(proxywasm.DefineCounterMetric(name))
}
func DefineHistogramMetric(name string) MetricHistogram {
	return MetricHistogram(proxywasm.DefineHistogramMetric(name))
}
func (m MetricCounter) Increment(offset uint64) {
	if offset > 0 {
		proxywasm.MetricCounter(m).Increment(offset)
	}
}
func (m MetricHistogram) Record(value uint64) { proxywasm.MetricHistogram(m).Record(value) }

func DispatchHttpCall(cluster string, headers [][2]string, body []byte, trailers [][2]string,
	timeoutMillisecond uint32, cb func(numHeaders, bodySize, numTrailers int)) (uint32, error) {
	return proxywasm.DispatchHttpCall(cluster, headers, body, trailers, timeoutMillisecond, cb)
}
func GetHttpCallResponseHeaders() ([][2]string, error) { return proxywasm.GetHttpCallResponseHeaders() }
func GetHttpCallResponseBody(start, maxSize int) ([]byte, error) {
	return proxywasm.GetHttpCallResponseBody(start, maxSize)
}

// Now is the wall clock.
func Now() time.Time { return time.Now() }
