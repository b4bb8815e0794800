package abuse

import (
	"strconv"
	"time"

	"github.com/apiwarden/apiwarden/policy/kernel"
)

// Verdict is what the engine asks for a request: the kernel's verdict,
// the one every engine of the policy decides with.
type Verdict = kernel.Verdict

// Verdicts, in increasing severity.
const (
	Allow = kernel.Allow
	Log   = kernel.Log   // report (an event), let through
	Block = kernel.Block // refuse with Result.Status
)

// Reason is the machine-readable reason of a non-allow result: the
// problem+json type suffix, metric label and event field.
type Reason string

// Reasons.
const (
	ReasonRateLimited     Reason = "rate-limited"                // 429
	ReasonTooManyFailures Reason = "too-many-failures"           // 429, the target is locked out
	ReasonTooManyDistinct Reason = "too-many-distinct"           // 429, enumeration / credential stuffing
	ReasonObjectNotGiven  Reason = "object-not-given"            // 403
	ReasonInternalRoute   Reason = "internal-route-from-outside" // 404, as if the route did not exist
	ReasonContention      Reason = "shared-data-contention"      // Result.Err is ErrContention: apply failure_mode
)

// Status is the HTTP status of a refusal for a reason.
func (r Reason) Status() int {
	switch r {
	case ReasonRateLimited, ReasonTooManyFailures, ReasonTooManyDistinct:
		return 429
	case ReasonObjectNotGiven:
		return 403
	case ReasonInternalRoute:
		return 404
	case ReasonContention:
		return 503
	}
	return 0
}

// Kind names the rule family of an event.
type Kind string

// Rule kinds.
const (
	KindRateLimit Kind = "rate_limit"
	KindFailures  Kind = "failures"
	KindDistinct  Kind = "distinct"
	KindCapture   Kind = "capture"
	KindInternal  Kind = "internal"
)

// InternalRule is the rule id of internal-route refusals (rule ids of the
// configuration may not take it).
const InternalRule = "internal"

// Event is the evidence of one rule that fired (or, from Observe, of a
// lock-out that started). It never holds a raw key, id or header value:
// Key is the salted hash of the rule's key as 16 hex digits.
type Event struct {
	Kind    Kind
	Rule    string
	Reason  Reason
	Verdict Verdict
	Mode    Mode
	Key     string
	// Count is what was counted (requests in the burst, failures,
	// distinct values), Limit the rule's bound, Window its period.
	Count  int64
	Limit  int64
	Window time.Duration
	// RetryAfter is how long the refusal lasts; Level the lock-out level
	// (1 for the first lock-out of a target, doubling the lock-out each).
	RetryAfter time.Duration
	Level      int
}

// Header is one response header field the glue adds.
type Header struct {
	Name, Value string
}

// Result is the outcome of Admit.
type Result struct {
	Verdict Verdict
	// Status, Reason and Rule describe the refusal when Verdict is Block
	// (the first rule that blocked); the glue answers Status with a
	// problem+json body of type Reason.
	Status int
	Reason Reason
	Rule   string
	// RetryAfter is the refusal's Retry-After (also in Headers).
	RetryAfter time.Duration
	// Headers are the fields to add to the refusal (Retry-After,
	// RateLimit-Policy, RateLimit), or, with headers_on_allow, to the
	// upstream's response of an allowed request.
	Headers []Header
	// Events are the rules that fired (block or log), for the event log.
	Events []Event
	// Err is set when the engine could not decide: ErrContention (the
	// compare-and-swap retries were exhausted) or a shared-data error. The
	// caller applies failure_mode (open: let through and log; closed: 503).
	// Rules evaluated before the failure are in Verdict and Events.
	Err error
}

func (r *Result) reset() {
	*r = Result{Headers: r.Headers[:0], Events: r.Events[:0]}
}

func (r *Result) fire(ev Event, retry time.Duration) {
	r.Events = append(r.Events, ev)
	if ev.Verdict > r.Verdict {
		r.Verdict = ev.Verdict
	}
	if ev.Verdict == Block && r.Status == 0 {
		r.Status, r.Reason, r.Rule, r.RetryAfter = ev.Reason.Status(), ev.Reason, ev.Rule, retry
	}
}

// ObserveResult is the outcome of Observe.
type ObserveResult struct {
	// Events report lock-outs that started and distinct counts that
	// crossed their limit on failures.
	Events []Event
	// Err is ErrContention or a shared-data error: what this response
	// should have counted was not counted.
	Err error
}

// rateField is one rule's contribution to the RateLimit fields.
type rateField struct {
	rule      *rateRule
	remaining int64
	reset     time.Duration
}

// appendPolicy writes one RateLimit-Policy item
// (draft-ietf-httpapi-ratelimit-headers-11: a String policy name with the
// Integer parameters q, the quota, and w, the window in seconds).
func appendPolicy(b []byte, id string, quota int64, window time.Duration) []byte {
	return appendItem(b, id, "q", quota, "w", max(ceilSeconds(window), 1))
}

// appendLimit writes one RateLimit item: the policy name with r, the
// remaining quota, and t, the seconds until the quota is fully restored.
func appendLimit(b []byte, id string, remaining int64, reset time.Duration) []byte {
	return appendItem(b, id, "r", remaining, "t", ceilSeconds(reset))
}

// appendItem writes a structured-field item: a String and two Integer
// parameters.
func appendItem(b []byte, id, k1 string, v1 int64, k2 string, v2 int64) []byte {
	b = append(b, '"')
	b = append(b, id...)
	b = append(append(append(b, `";`...), k1...), '=')
	b = strconv.AppendInt(b, v1, 10)
	b = append(append(append(b, ';'), k2...), '=')
	return strconv.AppendInt(b, v2, 10)
}
