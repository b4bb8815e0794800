package policy

// Reason is the machine-readable cause of a decision. One table (reasons)
// maps it to the HTTP status, the problem type, and the metric/event label,
// so every layer names a refusal the same way.
type Reason uint8

const (
	ReasonNone Reason = iota
	ReasonInvalidPath
	ReasonUnknownEndpoint
	ReasonMethodNotAllowed
	ReasonInvalidParameter
	ReasonUnknownParameter
	ReasonUnsupportedMediaType
	ReasonBodyTooLarge
	ReasonInvalidJSON
	ReasonSchema
	ReasonUnexpectedBody
	ReasonMethodOverride
	ReasonSequence
	ReasonAnomaly
	ReasonUnauthenticated
	ReasonRateLimited
	ReasonSensitiveData
	ReasonResponseSchema
	ReasonResponseSize
	ReasonResponseUninspected
	ReasonInternal
)

type reasonInfo struct {
	slug   string // problem type suffix, metric label, default rule id
	title  string
	status int
}

var reasons = [...]reasonInfo{
	ReasonNone:                 {"none", "", 200},
	ReasonInvalidPath:          {"invalid-path", "Invalid request path", 400},
	ReasonUnknownEndpoint:      {"unknown-endpoint", "Unknown endpoint", 403},
	ReasonMethodNotAllowed:     {"method-not-allowed", "Method not allowed", 405},
	ReasonInvalidParameter:     {"invalid-parameter", "Invalid parameter", 400},
	ReasonUnknownParameter:     {"unknown-parameter", "Unknown parameter", 400},
	ReasonUnsupportedMediaType: {"unsupported-media-type", "Unsupported media type", 415},
	ReasonBodyTooLarge:         {"body-too-large", "Request body too large", 413},
	ReasonInvalidJSON:          {"invalid-json", "Request body is not valid JSON", 400},
	ReasonSchema:               {"schema-violation", "Request does not match the schema", 400},
	ReasonUnexpectedBody:       {"unexpected-body", "The endpoint accepts no request body", 400},
	ReasonMethodOverride:       {"method-override", "Method override refused", 400},
	ReasonSequence:             {"forbidden-sequence", "Request out of the expected order", 403},
	ReasonAnomaly:              {"anomalous-sequence", "Improbable request sequence", 403},
	ReasonUnauthenticated:      {"unauthenticated", "Authentication required", 401},
	ReasonRateLimited:          {"rate-limited", "Too many requests", 429},
	ReasonSensitiveData:        {"sensitive-data", "Response carries sensitive data", 502},
	ReasonResponseSchema:       {"undeclared-response-fields", "Response carries undeclared fields", 502},
	ReasonResponseSize:         {"response-size-anomaly", "Unusual response size", 502},
	ReasonResponseUninspected:  {"response-not-inspected", "Response could not be inspected", 502},
	ReasonInternal:             {"internal-error", "The security filter could not decide", 503},
}

// Slug is the stable short name of the reason (problem type suffix, metric
// label).
func (r Reason) Slug() string { return reasons[r].slug }

// Title is the problem+json title.
func (r Reason) Title() string { return reasons[r].title }

// Status is the HTTP status of a refusal with this reason.
func (r Reason) Status() int { return reasons[r].status }

// ProblemTypeBase prefixes every problem+json "type" (RFC 9457 §3.1.1: a URI
// identifying the problem type, stable across releases).
const ProblemTypeBase = "https://apiwarden.dev/problems/"

// MaxViolations bounds the violations a decision carries (and so the size
// of a problem+json body and of an event).
const MaxViolations = 10

// Decision is the outcome of one check: a value, applied by the filter.
type Decision struct {
	Verdict Verdict
	Reason  Reason
	// Rule is the id of the rule that decided ("unknown-endpoint",
	// "transfer-after-balance").
	Rule   string
	Mode   Mode
	Status int
	// Detail is a human sentence without request values.
	Detail string
	// Allow lists the methods of the path for a 405.
	Allow string
	// RetryAfter is the Retry-After of a 429, in seconds.
	RetryAfter int
	// Violations are JSON pointers and keywords, never values.
	Violations []Violation
	// Evidence is a JSON object with rule-specific facts (prior operations
	// and their ages for a sequence rule), or nil.
	Evidence []byte
}

// Allowed is the zero decision.
var Allowed = Decision{}

// IsAllow reports whether the decision lets the request through silently.
func (d Decision) IsAllow() bool { return d.Verdict == Allow }

// decide builds a decision for reason with the rule's action and mode.
func decide(r Reason, rule string, a Action, m Mode, detail string) Decision {
	v := verdictFor(a, m)
	if v == Allow {
		return Allowed
	}
	if rule == "" {
		rule = r.Slug()
	}
	return Decision{Verdict: v, Reason: r, Rule: rule, Mode: m, Status: r.Status(), Detail: detail}
}

// Worse returns the decision that wins when two checks fire: a block beats
// a log beats an allow; the first one wins ties, so checks run in the order
// that names the most specific cause.
func Worse(a, b Decision) Decision {
	if b.Verdict > a.Verdict {
		return b
	}
	return a
}

// Violation locates one problem in a request: where (In: "body", "path",
// "query", "header", "cookie"; Name for parameters), a JSON pointer inside
// that value, the schema keyword that failed and a message. It never holds
// the offending value.
type Violation struct {
	In      string
	Name    string
	Pointer string
	Keyword string
	Message string
}

// RuleIDs lists every rule id a decision of this policy can carry: the
// built-in checks (reason slugs) and the configured sequence rules, so
// per-rule metrics are defined once at configure time.
func (p *Policy) RuleIDs() []string {
	ids := make([]string, 0, len(reasons)+len(p.Sequences.Rules)+2)
	for r := ReasonInvalidPath; r <= ReasonInternal; r++ {
		if r != ReasonSequence && r != ReasonAnomaly {
			ids = append(ids, r.Slug())
		}
	}
	ids = append(ids, "admin", "failure-mode", "path-not-normal")
	for _, rule := range p.Sequences.Rules {
		ids = append(ids, rule.ID)
	}
	return ids
}

// IsResponseRule reports whether a rule id names a response-protection
// finding (what a response carried) rather than something a client did.
func IsResponseRule(rule string) bool {
	for _, r := range []Reason{ReasonSensitiveData, ReasonResponseSchema, ReasonResponseSize, ReasonResponseUninspected} {
		if rule == r.Slug() {
			return true
		}
	}
	return false
}
