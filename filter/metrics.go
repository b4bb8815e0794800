package main

import (
	"github.com/apiwarden/apiwarden/filter/internal/abi"
	"github.com/apiwarden/apiwarden/policy"
)

// metrics are defined once per VM at configure time (never lazily on the
// request path). Envoy shows them as wasmcustom.<name>; the names are in
// the README.
type metrics struct {
	// byOp[endpoint index][verdict]; the last row is unknown endpoints.
	byOp     [][3]abi.MetricCounter
	failures abi.MetricCounter
	dropped  abi.MetricCounter
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
	return m
}

func (m *metrics) count(ep *policy.Endpoint, v policy.Verdict) {
	row := len(m.byOp) - 1
	if ep != nil {
		row = ep.Index
	}
	m.byOp[row][v].Increment(1)
}
