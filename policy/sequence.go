package policy

import "github.com/apiwarden/apiwarden/policy/sequence"

// SequenceMode is the global mode in the sequence package's terms.
func (p *Policy) SequenceMode() sequence.Mode {
	if p.Mode == Monitor {
		return sequence.ModeMonitor
	}
	return sequence.ModeEnforce
}

// SequenceDecision turns one rule hit of the sequence engine into a
// decision: a forbidden order is a 403, an improbable one too. A rule
// without its own mode takes the mode of the endpoint it fired on (ep, nil
// for the global mode), so an endpoint in monitor mode is only ever
// reported. The hit's evidence (prior operations and their ages, never a
// session key) is left for the caller to format into Decision.Evidence,
// only for an event it will log.
func (p *Policy) SequenceDecision(h *sequence.Hit, ep *Endpoint) Decision {
	reason := ReasonSequence
	detail := "the request does not follow the order real clients use"
	if h.Kind == sequence.KindAnomaly {
		reason = ReasonAnomaly
		detail = "the session's recent requests are improbable"
	}
	inherited := p.SequenceMode()
	if ep != nil && ep.Mode == Monitor {
		inherited = sequence.ModeMonitor
	}
	mode := Enforce
	if h.Mode.Effective(inherited) == sequence.ModeMonitor {
		mode = Monitor
	}
	action := ActionLog
	if h.Action == sequence.ActionBlock {
		action = ActionBlock
	}
	return decide(reason, h.Rule, action, mode, detail)
}

// Step says when a request becomes a step of its session's history.
type Step uint8

const (
	// StepNever: the rules are checked but the request is never recorded
	// (a HEAD routed to a GET endpoint: it reads no resource, so it must
	// not satisfy a "requires" on that endpoint).
	StepNever Step = iota
	// StepNow: recorded as its rules are checked, in one compare-and-swap
	// (sequences.count "any").
	StepNow
	// StepOnSuccess: checked now, recorded once the upstream answered it
	// with a 2xx (sequences.count "success", the default): a balance read
	// answered 404 did not happen.
	StepOnSuccess
)

// SessionStep decides when the request r becomes a step.
func (p *Policy) SessionStep(r *Request) Step {
	ep := r.Match.Endpoint
	if ep == nil || r.Method != ep.Method {
		return StepNever
	}
	if p.Sequences.CountAny {
		return StepNow
	}
	return StepOnSuccess
}

// StepHappened reports whether an upstream status makes a pending
// StepOnSuccess a step.
func StepHappened(status int) bool { return status >= 200 && status < 300 }
