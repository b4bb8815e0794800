package policy

// Mode says whether a check that fires blocks the request or only reports
// it. Every check has one, globally and per rule, because nobody switches a
// positive model on in production without watching it first.
type Mode uint8

const (
	// Enforce blocks what a check refuses.
	Enforce Mode = iota
	// Monitor decides and reports, and lets the request through.
	Monitor
)

func (m Mode) String() string {
	if m == Monitor {
		return "monitor"
	}
	return "enforce"
}

func parseMode(s string) Mode {
	if s == "monitor" {
		return Monitor
	}
	return Enforce
}

// Verdict is what happens to the request.
type Verdict uint8

const (
	// Allow lets the request through without an event.
	Allow Verdict = iota
	// Log lets the request through and reports it.
	Log
	// Block answers the request locally.
	Block
)

func (v Verdict) String() string {
	switch v {
	case Log:
		return "log"
	case Block:
		return "block"
	}
	return "allow"
}

// Action is what a rule asks for when it fires, before the mode applies.
type Action uint8

const (
	ActionAllow Action = iota
	ActionLog
	ActionBlock
)

func parseAction(s string) Action {
	switch s {
	case "log":
		return ActionLog
	case "block":
		return ActionBlock
	}
	return ActionAllow
}

func (a Action) String() string { return Verdict(a).String() }

// verdictFor applies a mode to a rule's action: in monitor mode a block is
// reported as a log.
func verdictFor(a Action, m Mode) Verdict {
	switch a {
	case ActionBlock:
		if m == Monitor {
			return Log
		}
		return Block
	case ActionLog:
		return Log
	}
	return Allow
}

// FailureMode is what the filter does when it cannot decide (an internal
// error, a recovered panic, shared-data contention beyond retries).
type FailureMode uint8

const (
	// FailOpen lets the request through and logs.
	FailOpen FailureMode = iota
	// FailClosed answers 503.
	FailClosed
)

func (f FailureMode) String() string {
	if f == FailClosed {
		return "closed"
	}
	return "open"
}

// FailureDecision is the refusal failure_mode "closed" answers with when
// the filter cannot decide: a 503 with the rule "failure-mode".
func FailureDecision() Decision {
	return Decision{Verdict: Block, Reason: ReasonInternal, Rule: "failure-mode",
		Status: ReasonInternal.Status(), Detail: "the security filter failed and is configured to fail closed"}
}
