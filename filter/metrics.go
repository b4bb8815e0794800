package main

import (
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
	inspected abi.MetricHistogram
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
			m.byOp[i][v] = abi.DefineCounterMetric(p.Name + ".requests." + op + "." + v.String())
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
		m.redacted[i] = abi.DefineCounterMetric(p.Name + ".redacted." + op)
	}
	for d := redact.Detector(0); d < redact.NumDetectors; d++ {
		m.detectors[d] = abi.DefineCounterMetric(p.Name + ".detector." + d.String())
	}
	m.inspected = abi.DefineHistogramMetric(p.Name + ".inspected_body_bytes")
	m.byRule = map[string]*[3]abi.MetricCounter{}
	for _, id := range p.RuleIDs() {
		var c [3]abi.MetricCounter
		for _, v := range verdicts[1:] {
			c[v] = abi.DefineCounterMetric(p.Name + ".rule." + id + "." + v.String())
		}
		m.byRule[id] = &c
	}
	return m
}

// countDecision counts a reported or blocking decision per operation and
// per rule.
func (m *metrics) countDecision(ep *policy.Endpoint, d *policy.Decision) {
	m.count(ep, d.Verdict)
	if c := m.byRule[d.Rule]; c != nil {
		c[d.Verdict].Increment(1)
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
