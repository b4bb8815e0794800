package exchange

import (
	"errors"

	"github.com/apiwarden/apiwarden/policy"
	"github.com/apiwarden/apiwarden/policy/sequence"
	"github.com/apiwarden/apiwarden/policy/session"
)

// check is one request check, run in Runtime order: on the headers
// (Runtime.head, x.req.Headers readable) or once the request is complete
// (Runtime.complete: on its headers when no body is checked, or after the
// body passed). It may report
// non-blocking findings itself (x.record) and returns the decision that
// blocks, if any; an error is a failure that failure_mode decides.
type check struct {
	name string
	run  func(x *Exchange) (policy.Decision, error)
}

// observer watches the response side; any hook may be nil.
type observer struct {
	// headers runs once the upstream's status is known (x.status).
	headers func(x *Exchange)
	// body runs with the size of a complete response body.
	body func(x *Exchange, n int)
	// done runs when the exchange ends (not for the admin endpoint).
	done func(x *Exchange)
}

// runChecks runs checks in order; the first blocking decision refuses the
// request.
func (x *Exchange) runChecks(checks []check) (Step, bool) {
	for _, c := range checks {
		d, err := c.run(x)
		if err != nil {
			var block bool
			if d, block = x.failure(c.name, err); !block {
				continue
			}
		}
		if d.Verdict == policy.Block {
			return x.block(&d), true
		}
	}
	return Step{}, false
}

// checkSequence evaluates the sequence rules against the session's
// history and, as the policy decides (SessionStep), records the request
// now (one compare-and-swap with the evaluation), later once the upstream
// answered 2xx (recordStep), or never. Non-blocking hits are reported
// here; the first blocking one is returned.
func (x *Exchange) checkSequence() (policy.Decision, error) {
	ep := x.req.Match.Endpoint
	if ep == nil || x.rawSession() == "" {
		return policy.Allowed, nil
	}
	rt := x.rt
	res := &x.seq
	var err error
	step := x.pol().SessionStep(&x.req)
	if step == policy.StepNow {
		err = rt.sequences.ObserveInto(res, rt.store, x.session(), ep.Index, x.now())
	} else {
		err = rt.sequences.Check(res, rt.store, x.session(), ep.Index, x.now())
	}
	if err != nil {
		if errors.Is(err, session.ErrContention) {
			// Contention beyond the retries: failure_mode decides.
			return policy.Allowed, err
		}
		x.logf(LevelWarn, "apiwarden: session history: %v", err)
		return policy.Allowed, nil
	}
	if res.Scored {
		x.anomaly = res.Score
	}
	var blocking policy.Decision
	for i := range res.Hits {
		h := &res.Hits[i]
		d := x.pol().SequenceDecision(h, ep)
		if d.Verdict == policy.Block {
			if blocking.Verdict != policy.Block {
				blocking = d
				x.addEvidence(&blocking, h)
			}
			continue
		}
		if d.Verdict != policy.Allow && x.rt.events.Ready(x.now().UnixNano()) {
			// Only an event that will be logged needs its evidence.
			x.addEvidence(&d, h)
		}
		x.record(&d)
	}
	x.pendingStep = step == policy.StepOnSuccess && blocking.Verdict != policy.Block
	return blocking, nil
}

// addEvidence formats a hit's evidence into the exchange's arena (Begin
// empties it; the decision's Evidence aliases it).
func (x *Exchange) addEvidence(d *policy.Decision, h *sequence.Hit) {
	start := len(x.evidence)
	x.evidence = h.Evidence.AppendJSON(x.evidence)
	d.Evidence = x.evidence[start:len(x.evidence):len(x.evidence)]
}

// recordStep records a pending step once the upstream's status is known.
func (x *Exchange) recordStep() {
	if !x.pendingStep {
		return
	}
	x.pendingStep = false
	if !policy.StepHappened(x.status) {
		return
	}
	rt := x.rt
	if err := rt.sequences.RecordAfter(&x.seq, rt.store, x.session(), x.req.Match.Endpoint.Index, x.now()); err != nil {
		x.inc(rt.metrics.failures, 1)
		x.logf(LevelWarn, "apiwarden: session history: %v", err)
	}
}

// observeSize feeds the operation's response-size model with a 2xx body
// and reports an unusual size.
func (x *Exchange) observeSize(n int) {
	if x.status < 200 || x.status >= 300 {
		return
	}
	ep := x.req.Match.Endpoint
	if anomalous, p99 := x.rt.sizeModel(ep).Observe(n); anomalous {
		d := x.pol().ResponseSizeDecision(ep, n, p99)
		x.countDecision(&d)
		x.emit(&d, x.status)
	}
}

// countInventory records the finished exchange: per operation and status
// class, or per shadow endpoint.
func (x *Exchange) countInventory() {
	status := x.status
	if x.state == StateReplied {
		status = x.decision.Status
	}
	if ep := x.req.Match.Endpoint; ep != nil {
		x.rt.inventory.Count(ep.Index, status)
		return
	}
	if x.shadow != "" {
		x.rt.inventory.CountShadow(x.req.Method, x.shadow, status)
	}
}
