package kernel

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
	// ReasonForbidden: the caller is known but may not do this (a missing
	// scope or role, an object that is not theirs, one never given).
	ReasonForbidden
	// ReasonNotFound answers an internal route called from outside as if it
	// did not exist.
	ReasonNotFound
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
	ReasonForbidden:            {"forbidden", "Access denied", 403},
	ReasonNotFound:             {"not-found", "Not found", 404},
	ReasonInternal:             {"internal-error", "The security filter could not decide", 503},
}

// Slug is the stable short name of the reason (problem type suffix, metric
// label).
func (r Reason) Slug() string { return reasons[r].slug }

// Title is the problem+json title.
func (r Reason) Title() string { return reasons[r].title }

// Status is the HTTP status of a refusal with this reason.
func (r Reason) Status() int { return reasons[r].status }

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
	// Headers are further fields of the refusal's answer
	// (WWW-Authenticate, RateLimit-Policy, RateLimit).
	Headers [][2]string
}

// Allowed is the zero decision.
var Allowed = Decision{}

// IsAllow reports whether the decision lets the request through silently.
func (d Decision) IsAllow() bool { return d.Verdict == Allow }

// Decide builds a decision for reason with the rule's action and mode (the
// reason's slug is the rule id when rule is empty).
func Decide(r Reason, rule string, a Action, m Mode, detail string) Decision {
	v := VerdictFor(a, m)
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

// Mode says whether a check that fires blocks the request or only reports
// it. Every check has one, globally and per rule, because nobody switches a
// positive model on in production without watching it first.
type Mode uint8

const (
	// Enforce blocks what a check refuses.
	Enforce Mode = iota
	// Monitor decides and reports, and lets the request through.
	Monitor
	// ModeInherit is a rule's mode when it sets none: the mode of where
	// it applies (Effective). Never a policy's or an endpoint's mode.
	ModeInherit
)

// Effective resolves ModeInherit to the mode of where a rule applies.
func (m Mode) Effective(inherited Mode) Mode {
	if m == ModeInherit {
		return inherited
	}
	return m
}

func (m Mode) String() string {
	switch m {
	case Monitor:
		return "monitor"
	case ModeInherit:
		return "inherit"
	}
	return "enforce"
}

// ParseMode reads a configured mode ("monitor"; anything else enforces).
func ParseMode(s string) Mode {
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

// ParseAction reads a configured action ("log", "block"; else allow).
func ParseAction(s string) Action {
	switch s {
	case "log":
		return ActionLog
	case "block":
		return ActionBlock
	}
	return ActionAllow
}

func (a Action) String() string { return Verdict(a).String() }

// VerdictFor applies a mode to a rule's action: in monitor mode a block is
// reported as a log.
func VerdictFor(a Action, m Mode) Verdict {
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
