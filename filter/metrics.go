package main

import (
	"strings"

	"github.com/apiwarden/apiwarden/filter/internal/abi"
	"github.com/apiwarden/apiwarden/policy"
	"github.com/apiwarden/apiwarden/policy/redact"
)

// metrics are defined once per VM at configure time (never lazily on the
// request path). Envoy shows them as wasmcustom.<name>; the names are in
// the README.
type metrics struct {
	// byOp[endpoint index][verdict]; the last row is unknown endpoints.
	byOp     [][3]abi.MetricCounter
	failures abi.MetricCounter
	dropped  abi.MetricCounter
	// Response protection: redacted bodies per operation, detector hits,
	// and the sizes of the bodies inspected.
	redacted  []abi.MetricCounter
	detectors [redact.NumDetectors]abi.MetricCounter
	// detectorsByOp counts detector hits per endpoint (nil rows for
	// endpoints no detector applies to; nil when the configuration would
	// define more than maxDetectorMetrics of them).
	detectorsByOp [][redact.NumDetectors]abi.MetricCounter
	inspected     abi.MetricHistogram
	// byRule[rule id][verdict] for log and block decisions.
	byRule map[string]*[3]abi.MetricCounter
}

const unknownOp = "_unknown"

func defineMetrics(p *policy.Policy) *metrics {
	m := &metrics{byOp: make([][3]abi.MetricCounter, len(p.Endpoints)+1)}
	verdicts := [3]policy.Verdict{policy.Allow, policy.Log, policy.Block}
	for i := range m.byOp {
		op := unknownOp
		if i < len(p.Endpoints) {
			op = p.Endpoints[i].ID
		}
		for _, v := range verdicts {
			m.byOp[i][v] = abi.DefineCounterMetric(p.Name + ".requests." + metricSegment(op) + "." + v.String())
		}
	}
	m.failures = abi.DefineCounterMetric(p.Name + ".failures")
	m.dropped = abi.DefineCounterMetric(p.Name + ".events_dropped")
	m.redacted = make([]abi.MetricCounter, len(m.byOp))
	for i := range m.redacted {
		if i < len(p.Endpoints) && p.Endpoints[i].Redactor == nil {
			continue
		}
		op := unknownOp
		if i < len(p.Endpoints) {
			op = p.Endpoints[i].ID
		}
		m.redacted[i] = abi.DefineCounterMetric(p.Name + ".redacted." + metricSegment(op))
	}
	for d := redact.Detector(0); d < redact.NumDetectors; d++ {
		m.detectors[d] = abi.DefineCounterMetric(p.Name + ".detector." + d.String())
	}
	m.defineDetectorsByOp(p)
	m.inspected = abi.DefineHistogramMetric(p.Name + ".inspected_body_bytes")
	m.byRule = map[string]*[3]abi.MetricCounter{}
	for _, id := range p.RuleIDs() {
		var c [3]abi.MetricCounter
		for _, v := range verdicts[1:] {
			c[v] = abi.DefineCounterMetric(p.Name + ".rule." + metricSegment(id) + "." + v.String())
		}
		m.byRule[id] = &c
	}
	return m
}

// countDecision counts a reported or blocking decision per operation and
// per rule.
func (m *metrics) countDecision(ep *policy.Endpoint, d *policy.Decision) {
	m.count(ep, d.Verdict)
	m.countRule(d)
}

func (m *metrics) countRule(d *policy.Decision) {
	if c := m.byRule[d.Rule]; c != nil {
		c[d.Verdict].Increment(1)
	}
}

// maxDetectorMetrics bounds the per-endpoint detector counters: Envoy
// keeps every stat for the life of the process, and a 2,000-operation API
// with eight detectors would define 16,000. Beyond the bound only the
// totals per detector are kept (events still name the operation).
const maxDetectorMetrics = 4096

func (m *metrics) defineDetectorsByOp(p *policy.Policy) {
	var ops []*policy.Endpoint
	for _, ep := range p.Endpoints {
		if ep.Redactor != nil && len(p.Redaction.Detectors) > 0 && p.Redaction.AppliesTo(ep.ID) {
			ops = append(ops, ep)
		}
	}
	if len(ops) == 0 || len(ops)*int(redact.NumDetectors) > maxDetectorMetrics {
		return
	}
	m.detectorsByOp = make([][redact.NumDetectors]abi.MetricCounter, len(m.byOp))
	for _, ep := range ops {
		for d := redact.Detector(0); d < redact.NumDetectors; d++ {
			m.detectorsByOp[ep.Index][d] = abi.DefineCounterMetric(p.Name + ".detector_endpoint." + d.String() + "." + metricSegment(ep.ID))
		}
	}
}

func (m *metrics) countRedaction(ep *policy.Endpoint, res *redact.Result) {
	row := len(m.byOp) - 1
	if ep != nil {
		row = ep.Index
	}
	if res.Verdict == redact.Rewrite {
		m.redacted[row].Increment(1)
	}
	for d := redact.Detector(0); d < redact.NumDetectors; d++ {
		if n := res.Report.Count(d); n > 0 {
			m.detectors[d].Increment(uint64(n))
			if m.detectorsByOp != nil {
				m.detectorsByOp[row][d].Increment(uint64(n))
			}
		}
	}
}

func (m *metrics) count(ep *policy.Endpoint, v policy.Verdict) {
	row := len(m.byOp) - 1
	if ep != nil {
		row = ep.Index
	}
	m.byOp[row][v].Increment(1)
}

// metricSegment makes an id one segment of a metric name: Envoy's tag
// extractors (the examples' stats_tags) split names at dots, so a dot in
// an endpoint or rule id becomes '_'.
func metricSegment(id string) string { return strings.ReplaceAll(id, ".", "_") }
