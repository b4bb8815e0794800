package policy

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
