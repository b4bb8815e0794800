package exchange

import (
	"strings"

	"github.com/apiwarden/apiwarden/policy"
	"github.com/apiwarden/apiwarden/policy/redact"
)

// MetricKind is how a metric is defined on the host.
type MetricKind uint8

const (
	Counter MetricKind = iota
	Histogram
)

// Metric is one metric the adapter defines at configure time (never lazily
// on the request path). Envoy shows them as wasmcustom.<name>; the names
// are in the README.
type Metric struct {
	Name string
	Kind MetricKind
}

// MetricID indexes Runtime.Metrics.
type MetricID int32

// noMetric is a metric the configuration does not define.
const noMetric MetricID = -1

// metricIDs is the catalogue of the ids a step may increment.
type metricIDs struct {
	defs []Metric
	// byOp[endpoint index][verdict]; the last row is unknown endpoints.
	byOp     [][3]MetricID
	failures MetricID
	dropped  MetricID
	// Response protection: redacted bodies per operation, detector hits
	// (in total and per operation when bounded), inspected body sizes.
	redacted      []MetricID
	detectors     [redact.NumDetectors]MetricID
	detectorsByOp [][redact.NumDetectors]MetricID
	inspected     MetricID
	// byRule[rule id][verdict] for log and block decisions.
	byRule map[string]*[3]MetricID

	// pending are counter increments not yet published, dirty the
	// counters they touch, in first-touch order (see inc).
	pending []uint64
	dirty   []MetricID
	flushed []Inc
}

const unknownOp = "_unknown"

// maxDetectorMetrics bounds the per-endpoint detector counters: Envoy
// keeps every stat for the life of the process, and a 2,000-operation API
// with eight detectors would define 16,000. Beyond the bound only the
// totals per detector are kept (events still name the operation).
const maxDetectorMetrics = 4096

func (m *metricIDs) define(name string, kind MetricKind) MetricID {
	m.defs = append(m.defs, Metric{Name: name, Kind: kind})
	return MetricID(len(m.defs) - 1)
}

func newMetricIDs(p *policy.Policy) *metricIDs {
	m := &metricIDs{byOp: make([][3]MetricID, len(p.Endpoints)+1)}
	opName := func(i int) string {
		if i < len(p.Endpoints) {
			return p.Endpoints[i].ID
		}
		return unknownOp
	}
	verdicts := [3]policy.Verdict{policy.Allow, policy.Log, policy.Block}
	for i := range m.byOp {
		for _, v := range verdicts {
			m.byOp[i][v] = m.define(p.Name+".requests."+metricSegment(opName(i))+"."+v.String(), Counter)
		}
	}
	m.failures = m.define(p.Name+".failures", Counter)
	m.dropped = m.define(p.Name+".events_dropped", Counter)
	m.redacted = make([]MetricID, len(m.byOp))
	for i := range m.redacted {
		m.redacted[i] = noMetric
		if i < len(p.Endpoints) && p.Endpoints[i].Redactor == nil {
			continue
		}
		m.redacted[i] = m.define(p.Name+".redacted."+metricSegment(opName(i)), Counter)
	}
	for d := redact.Detector(0); d < redact.NumDetectors; d++ {
		m.detectors[d] = m.define(p.Name+".detector."+d.String(), Counter)
	}
	m.defineDetectorsByOp(p)
	m.inspected = m.define(p.Name+".inspected_body_bytes", Histogram)
	m.byRule = map[string]*[3]MetricID{}
	for _, id := range p.RuleIDs() {
		c := [3]MetricID{noMetric}
		for _, v := range verdicts[1:] {
			c[v] = m.define(p.Name+".rule."+metricSegment(id)+"."+v.String(), Counter)
		}
		m.byRule[id] = &c
	}
	m.pending = make([]uint64, len(m.defs))
	return m
}

// add batches a counter increment.
func (m *metricIDs) add(id MetricID, n uint64) {
	if n == 0 {
		return
	}
	if m.pending[id] == 0 {
		m.dirty = append(m.dirty, id)
	}
	m.pending[id] += n
}

// flush returns the batched increments (one per counter touched) and
// clears them. The slice is reused by the next flush.
func (m *metricIDs) flush() []Inc {
	m.flushed = m.flushed[:0]
	for _, id := range m.dirty {
		m.flushed = append(m.flushed, Inc{ID: id, N: m.pending[id]})
		m.pending[id] = 0
	}
	m.dirty = m.dirty[:0]
	return m.flushed
}

func (m *metricIDs) defineDetectorsByOp(p *policy.Policy) {
	var ops []*policy.Endpoint
	for _, ep := range p.Endpoints {
		if ep.Redactor != nil && len(p.Redaction.Detectors) > 0 && p.Redaction.AppliesTo(ep.ID) {
			ops = append(ops, ep)
		}
	}
	if len(ops) == 0 || len(ops)*int(redact.NumDetectors) > maxDetectorMetrics {
		return
	}
	m.detectorsByOp = make([][redact.NumDetectors]MetricID, len(m.byOp))
	for i := range m.detectorsByOp {
		for d := range m.detectorsByOp[i] {
			m.detectorsByOp[i][d] = noMetric
		}
	}
	for _, ep := range ops {
		for d := redact.Detector(0); d < redact.NumDetectors; d++ {
			m.detectorsByOp[ep.Index][d] = m.define(p.Name+".detector_endpoint."+d.String()+"."+metricSegment(ep.ID), Counter)
		}
	}
}

// row is the metrics row of an endpoint (nil: unknown endpoints).
func (m *metricIDs) row(ep *policy.Endpoint) int {
	if ep == nil {
		return len(m.byOp) - 1
	}
	return ep.Index
}

// metricSegment makes an id one segment of a metric name: Envoy's tag
// extractors (the examples' stats_tags) split names at dots, so a dot in
// an endpoint or rule id becomes '_'.
func metricSegment(id string) string { return strings.ReplaceAll(id, ".", "_") }

// inc adds n to a counter, or records n in a histogram. Counters are
// batched per VM and published by the tick, once a second: in Envoy each
// increment is a host call, which would otherwise be paid two or more
// times per request. Histogram records carry their value and go out with
// the step.
func (x *Exchange) inc(id MetricID, n uint64) {
	switch m := x.rt.metrics; {
	case id == noMetric:
	case m.defs[id].Kind == Histogram:
		x.out.Metrics = append(x.out.Metrics, Inc{ID: id, N: n})
	default:
		m.add(id, n)
	}
}

// count counts a request of ep with verdict v.
func (x *Exchange) count(v policy.Verdict) {
	m := x.rt.metrics
	x.inc(m.byOp[m.row(x.req.Match.Endpoint)][v], 1)
}

// countRule counts a decision per rule.
func (x *Exchange) countRule(d *policy.Decision) {
	if c := x.rt.metrics.byRule[d.Rule]; c != nil {
		x.inc(c[d.Verdict], 1)
	}
}

// countDecision counts a reported or blocking decision per operation and
// per rule.
func (x *Exchange) countDecision(d *policy.Decision) {
	x.count(d.Verdict)
	x.countRule(d)
}

func (x *Exchange) countRedaction(res *redact.Result) {
	m := x.rt.metrics
	row := m.row(x.req.Match.Endpoint)
	if res.Verdict == redact.Rewrite {
		x.inc(m.redacted[row], 1)
	}
	for d := redact.Detector(0); d < redact.NumDetectors; d++ {
		if n := res.Report.Count(d); n > 0 {
			x.inc(m.detectors[d], uint64(n))
			if m.detectorsByOp != nil {
				x.inc(m.detectorsByOp[row][d], uint64(n))
			}
		}
	}
}
