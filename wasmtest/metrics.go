package wasmtest

import (
	"sort"
	"sync"
)

// Metric types.
const (
	MetricCounter   = 0
	MetricGauge     = 1
	MetricHistogram = 2
)

// metricStore holds the process-wide stats by Envoy name
// ("wasmcustom.<name>"); every VM's ids point into it.
type metricStore struct {
	mu     sync.Mutex
	byName map[string]*metricValue
}

type metricValue struct {
	name  string
	kind  uint32
	value int64
	hist  Histogram
}

// Histogram keeps every recorded value of a histogram metric.
type Histogram struct {
	Count  uint64
	Sum    uint64
	Values []uint64
}

func newMetricStore() *metricStore { return &metricStore{byName: map[string]*metricValue{}} }

const metricPrefix = "wasmcustom."

// Metric returns a counter or gauge by the name Envoy shows internally,
// e.g. "wasmcustom.apiwarden.requests" (histograms report their count).
func (h *Host) Metric(name string) (int64, bool) {
	h.stats.mu.Lock()
	defer h.stats.mu.Unlock()
	m := h.stats.byName[name]
	if m == nil {
		return 0, false
	}
	if m.kind == MetricHistogram {
		return int64(m.hist.Count), true
	}
	return m.value, true
}

// Metrics returns every counter and gauge value (histograms: count).
func (h *Host) Metrics() map[string]int64 {
	h.stats.mu.Lock()
	defer h.stats.mu.Unlock()
	out := make(map[string]int64, len(h.stats.byName))
	for n, m := range h.stats.byName {
		if m.kind == MetricHistogram {
			out[n] = int64(m.hist.Count)
		} else {
			out[n] = m.value
		}
	}
	return out
}

// MetricNames returns the defined stat names, sorted.
func (h *Host) MetricNames() []string {
	h.stats.mu.Lock()
	defer h.stats.mu.Unlock()
	names := make([]string, 0, len(h.stats.byName))
	for n := range h.stats.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// MetricType returns the type of a defined stat.
func (h *Host) MetricType(name string) (int, bool) {
	h.stats.mu.Lock()
	defer h.stats.mu.Unlock()
	m := h.stats.byName[name]
	if m == nil {
		return 0, false
	}
	return int(m.kind), true
}

// HistogramValues returns a copy of a histogram's recorded values.
func (h *Host) HistogramValues(name string) (Histogram, bool) {
	h.stats.mu.Lock()
	defer h.stats.mu.Unlock()
	m := h.stats.byName[name]
	if m == nil || m.kind != MetricHistogram {
		return Histogram{}, false
	}
	hv := m.hist
	hv.Values = append([]uint64(nil), hv.Values...)
	return hv, true
}

// proxy_define_metric(type, name, name_len, ret_id_ptr): type > 2 ⇒
// BadArgument; else a new per-VM id whose low 2 bits are the type
// (counters 4, 8, ...; gauges 5, 9, ...; histograms 6, 10, ...), bound to
// the process-wide stat "wasmcustom.<name>" (same name ⇒ same stat).
func hostDefineMetric(vm *VM, s []uint64) {
	kind := u32(s, 0)
	if kind > MetricHistogram {
		ret(s, StatusBadArgument)
		return
	}
	name, ok := vm.readString(u32(s, 1), u32(s, 2))
	if !ok {
		ret(s, StatusInvalidMemoryAccess)
		return
	}
	full := metricPrefix + name
	st := vm.host.stats
	st.mu.Lock()
	m := st.byName[full]
	if m == nil {
		m = &metricValue{name: full, kind: kind}
		st.byName[full] = m
	}
	st.mu.Unlock()
	vm.nextMetric[kind] += 4
	id := vm.nextMetric[kind]
	if m.kind != kind {
		// Envoy would create a different stat type under the same name;
		// keep them apart by type.
		m = &metricValue{name: full, kind: kind}
	}
	vm.metricIDs[id] = m
	if !vm.mem.WriteUint32Le(u32(s, 3), id) {
		ret(s, StatusInvalidMemoryAccess)
		return
	}
	ret(s, StatusOK)
}

// proxy_increment_metric(id, i64 delta): unknown id ⇒ NotFound; counter
// with delta <= 0 ⇒ BadArgument; counter adds; gauge adds (may be
// negative); histogram ⇒ BadArgument.
func hostIncrementMetric(vm *VM, s []uint64) {
	m := vm.metricIDs[u32(s, 0)]
	delta := int64(s[1])
	if m == nil {
		ret(s, StatusNotFound)
		return
	}
	st := vm.host.stats
	st.mu.Lock()
	defer st.mu.Unlock()
	switch m.kind {
	case MetricCounter:
		if delta <= 0 {
			ret(s, StatusBadArgument)
			return
		}
		m.value += delta
	case MetricGauge:
		m.value += delta
	default:
		ret(s, StatusBadArgument)
		return
	}
	ret(s, StatusOK)
}

// proxy_record_metric(id, u64 value): unknown ⇒ NotFound; counter ⇒ adds
// value; gauge ⇒ sets; histogram ⇒ records the value.
func hostRecordMetric(vm *VM, s []uint64) {
	m := vm.metricIDs[u32(s, 0)]
	v := s[1]
	if m == nil {
		ret(s, StatusNotFound)
		return
	}
	st := vm.host.stats
	st.mu.Lock()
	defer st.mu.Unlock()
	switch m.kind {
	case MetricCounter:
		m.value += int64(v)
	case MetricGauge:
		m.value = int64(v)
	default:
		m.hist.Count++
		m.hist.Sum += v
		m.hist.Values = append(m.hist.Values, v)
	}
	ret(s, StatusOK)
}

// proxy_get_metric(id, ret_u64_ptr): unknown ⇒ NotFound; histogram ⇒
// BadArgument; else the value as u64.
func hostGetMetric(vm *VM, s []uint64) {
	m := vm.metricIDs[u32(s, 0)]
	if m == nil {
		ret(s, StatusNotFound)
		return
	}
	if m.kind == MetricHistogram {
		ret(s, StatusBadArgument)
		return
	}
	st := vm.host.stats
	st.mu.Lock()
	v := m.value
	st.mu.Unlock()
	if !vm.mem.WriteUint64Le(u32(s, 1), uint64(v)) {
		ret(s, StatusInvalidMemoryAccess)
		return
	}
	ret(s, StatusOK)
}
