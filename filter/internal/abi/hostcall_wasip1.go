//go:build wasip1

package abi

import (
	"fmt"
	"time"
	"unsafe"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// The functions below keep the names and signatures of the SDK's proxywasm
// package. Byte slices they return point into the binding's arena and are
// valid until the current callback returns; strings are copies.

func strPtr(s string) unsafe.Pointer   { return unsafe.Pointer(unsafe.StringData(s)) }
func bytesPtr(b []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b)) }

// result reads back memory the host allocated through the arena.
func result(ptr, n uint32) []byte { return mem.lookup(uintptr(ptr), int(n)) }

func status(s uint32) error { return Status(s).Err() }

func logAt(level uint32, msg string) { proxyLog(level, strPtr(msg), uint32(len(msg))) }

func LogDebug(msg string)                { logAt(logDebug, msg) }
func LogInfo(msg string)                 { logAt(logInfo, msg) }
func LogWarn(msg string)                 { logAt(logWarn, msg) }
func LogWarnf(f string, args ...any)     { logAt(logWarn, fmt.Sprintf(f, args...)) }
func LogError(msg string)                { logAt(logError, msg) }
func LogErrorf(f string, args ...any)    { logAt(logError, fmt.Sprintf(f, args...)) }
func LogCritical(msg string)             { logAt(logCritical, msg) }
func LogCriticalf(f string, args ...any) { logAt(logCritical, fmt.Sprintf(f, args...)) }
func SetVMContext(ctx types.VMContext)   { disp.vm = ctx }

func SetTickPeriodMilliSeconds(ms uint32) error {
	return status(proxySetTickPeriodMilliseconds(ms))
}

func getBuffer(typ uint32, start, maxSize int) ([]byte, error) {
	var ptr, n uint32
	if err := status(proxyGetBufferBytes(typ, uint32(start), uint32(maxSize), unsafe.Pointer(&ptr), unsafe.Pointer(&n))); err != nil {
		return nil, err
	}
	return result(ptr, n), nil
}

func setBuffer(typ uint32, start, length int, data []byte) error {
	return status(proxySetBufferBytes(typ, uint32(start), uint32(length), bytesPtr(data), uint32(len(data))))
}

// GetPluginConfiguration returns the plugin configuration in memory the
// caller owns (unlike the other buffers): the arena's slab reserved for
// it, taken over, or else a copy.
func GetPluginConfiguration() ([]byte, error) {
	b, err := getBuffer(bufPluginConfig, 0, 1<<30)
	if err != nil || len(b) == 0 {
		return b, err
	}
	if own := mem.own(b); own != nil {
		return own, nil
	}
	return append([]byte(nil), b...), nil
}

func GetHttpRequestBody(start, maxSize int) ([]byte, error) {
	return getBuffer(bufRequestBody, start, maxSize)
}
func GetHttpResponseBody(start, maxSize int) ([]byte, error) {
	return getBuffer(bufResponseBody, start, maxSize)
}

// The (start, length) pairs follow the SDK and Envoy's narrow
// proxy_set_buffer_bytes semantics (wasmtest/ABI.md §6).
const maxInt32 = 1<<31 - 1

func ReplaceHttpRequestBody(b []byte) error  { return setBuffer(bufRequestBody, 0, maxInt32, b) }
func ReplaceHttpResponseBody(b []byte) error { return setBuffer(bufResponseBody, 0, maxInt32, b) }

func getPairs(typ uint32) ([][2]string, error) { return appendPairs(nil, typ) }

func appendPairs(dst [][2]string, typ uint32) ([][2]string, error) {
	var ptr, n uint32
	if err := status(proxyGetHeaderMapPairs(typ, unsafe.Pointer(&ptr), unsafe.Pointer(&n))); err != nil {
		return nil, err
	}
	return AppendParsedPairs(dst, result(ptr, n)), nil
}

// headerList is the list the stream's header maps are read into, reused:
// the filter reads one map per callback and keeps none (the exchange
// copies what it needs), so the list costs no allocation per request.
var headerList [][2]string

func streamPairs(typ uint32) ([][2]string, error) {
	l, err := appendPairs(headerList, typ)
	if cap(l) > cap(headerList) && cap(l) <= maxReusedPairs {
		headerList = l[:0]
	}
	return l, err
}

// maxReusedPairs bounds the list kept between callbacks.
const maxReusedPairs = 256

func getValue(typ uint32, key string) (string, error) {
	var ptr, n uint32
	if err := status(proxyGetHeaderMapValue(typ, strPtr(key), uint32(len(key)), unsafe.Pointer(&ptr), unsafe.Pointer(&n))); err != nil {
		return "", err
	}
	return string(result(ptr, n)), nil
}

func replaceValue(typ uint32, key, value string) error {
	return status(proxyReplaceHeaderMapValue(typ, strPtr(key), uint32(len(key)), strPtr(value), uint32(len(value))))
}

func removeValue(typ uint32, key string) error {
	return status(proxyRemoveHeaderMapValue(typ, strPtr(key), uint32(len(key))))
}

// GetHttpRequestHeaders reads the request headers. The list is valid until
// the next read of a stream's header map (its strings stay valid).
func GetHttpRequestHeaders() ([][2]string, error) { return streamPairs(mapRequestHeaders) }
func ReplaceHttpRequestHeader(key, value string) error {
	return replaceValue(mapRequestHeaders, key, value)
}
func RemoveHttpRequestHeader(key string) error         { return removeValue(mapRequestHeaders, key) }
func GetHttpResponseHeaders() ([][2]string, error)     { return streamPairs(mapResponseHeaders) }
func GetHttpResponseHeader(key string) (string, error) { return getValue(mapResponseHeaders, key) }
func ReplaceHttpResponseHeader(key, value string) error {
	return replaceValue(mapResponseHeaders, key, value)
}
func RemoveHttpResponseHeader(key string) error { return removeValue(mapResponseHeaders, key) }

// SendHttpResponse sends a local reply. The host sends it after the current
// callback returns; the plugin should return Pause.
func SendHttpResponse(statusCode uint32, headers [][2]string, body []byte, grpcStatus int32) error {
	hs, ok := AppendPairs(nil, headers)
	if !ok {
		return types.ErrorStatusBadArgument
	}
	return status(proxySendLocalResponse(statusCode, nil, 0, bytesPtr(body), uint32(len(body)), bytesPtr(hs), uint32(len(hs)), grpcStatus))
}

// GetSharedData returns the value and its CAS. The value points into the
// arena: copy it to keep it beyond the callback.
func GetSharedData(key string) ([]byte, uint32, error) {
	var ptr, n, cas uint32
	if err := status(proxyGetSharedData(strPtr(key), uint32(len(key)), unsafe.Pointer(&ptr), unsafe.Pointer(&n), unsafe.Pointer(&cas))); err != nil {
		return nil, 0, err
	}
	return result(ptr, n), cas, nil
}

func SetSharedData(key string, data []byte, cas uint32) error {
	return status(proxySetSharedData(strPtr(key), uint32(len(key)), bytesPtr(data), uint32(len(data)), cas))
}

// GetProperty reads a host attribute; path segments are joined with NUL.
func GetProperty(path []string) ([]byte, error) {
	if len(path) == 0 {
		return nil, types.ErrorStatusBadArgument
	}
	p := PropertyPath(path)
	var ptr, n uint32
	if err := status(proxyGetProperty(strPtr(p), uint32(len(p)), unsafe.Pointer(&ptr), unsafe.Pointer(&n))); err != nil {
		return nil, err
	}
	return result(ptr, n), nil
}

func defineMetric(typ uint32, name string) (uint32, error) {
	var id uint32
	err := status(proxyDefineMetric(typ, strPtr(name), uint32(len(name)), unsafe.Pointer(&id)))
	return id, err
}

// Metric definitions never panic (the SDK's do): a plugin that cannot define
// a metric still filters traffic; the zero id makes later updates no-ops.
func DefineCounterMetric(name string) MetricCounter {
	id, _ := defineMetric(metricCounter, name)
	return MetricCounter(id)
}
func DefineHistogramMetric(name string) MetricHistogram {
	id, _ := defineMetric(metricHistogram, name)
	return MetricHistogram(id)
}

func (m MetricCounter) Increment(offset uint64) {
	if m != 0 && offset > 0 {
		proxyIncrementMetric(uint32(m), int64(offset))
	}
}
func (m MetricHistogram) Record(value uint64) {
	if m != 0 {
		proxyRecordMetric(uint32(m), value)
	}
}

// DispatchHttpCall sends a callout to an Envoy cluster; cb runs on the root
// context when the answer arrives, or with all sizes 0 when it failed
// (timeout, reset, no healthy host).
func DispatchHttpCall(cluster string, headers [][2]string, body []byte, trailers [][2]string,
	timeoutMillisecond uint32, cb func(numHeaders, bodySize, numTrailers int)) (uint32, error) {
	hs, ok := AppendPairs(nil, headers)
	ts, ok2 := AppendPairs(nil, trailers)
	if !ok || !ok2 {
		return 0, types.ErrorStatusBadArgument
	}
	var token uint32
	err := status(proxyHttpCall(strPtr(cluster), uint32(len(cluster)), bytesPtr(hs), uint32(len(hs)),
		bytesPtr(body), uint32(len(body)), bytesPtr(ts), uint32(len(ts)), timeoutMillisecond, unsafe.Pointer(&token)))
	if err != nil {
		return 0, err
	}
	disp.awaitCallout(token, cb)
	return token, nil
}

func GetHttpCallResponseHeaders() ([][2]string, error) { return getPairs(mapCalloutHeaders) }
func GetHttpCallResponseBody(start, maxSize int) ([]byte, error) {
	return getBuffer(bufCalloutBody, start, maxSize)
}

// Now is the host's wall clock, read in one host call: time.Now reads the
// wall and the monotonic clock, two calls, and the filter needs only one
// instant per callback (rate limits and sessions are kept in wall time,
// the only time every VM shares). Falls back to time.Now if the call fails.
func Now() time.Time {
	var ns uint64
	if wasiClockTimeGet(clockRealtime, 1, unsafe.Pointer(&ns)) != 0 {
		return time.Now()
	}
	return time.Unix(0, int64(ns))
}

const clockRealtime = 0
