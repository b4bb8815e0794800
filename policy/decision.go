package policy

import "github.com/apiwarden/apiwarden/policy/kernel"

// The terms every engine shares live in policy/kernel; these aliases keep
// policy's callers (and its tests) spelling them policy.X.
type (
	Reason    = kernel.Reason
	Decision  = kernel.Decision
	Violation = kernel.Violation
	Mode      = kernel.Mode
	Verdict   = kernel.Verdict
	Action    = kernel.Action
)

const (
	ReasonNone                 = kernel.ReasonNone
	ReasonInvalidPath          = kernel.ReasonInvalidPath
	ReasonUnknownEndpoint      = kernel.ReasonUnknownEndpoint
	ReasonMethodNotAllowed     = kernel.ReasonMethodNotAllowed
	ReasonInvalidParameter     = kernel.ReasonInvalidParameter
	ReasonUnknownParameter     = kernel.ReasonUnknownParameter
	ReasonUnsupportedMediaType = kernel.ReasonUnsupportedMediaType
	ReasonBodyTooLarge         = kernel.ReasonBodyTooLarge
	ReasonInvalidJSON          = kernel.ReasonInvalidJSON
	ReasonSchema               = kernel.ReasonSchema
	ReasonUnexpectedBody       = kernel.ReasonUnexpectedBody
	ReasonMethodOverride       = kernel.ReasonMethodOverride
	ReasonSequence             = kernel.ReasonSequence
	ReasonAnomaly              = kernel.ReasonAnomaly
	ReasonUnauthenticated      = kernel.ReasonUnauthenticated
	ReasonRateLimited          = kernel.ReasonRateLimited
	ReasonSensitiveData        = kernel.ReasonSensitiveData
	ReasonResponseSchema       = kernel.ReasonResponseSchema
	ReasonResponseSize         = kernel.ReasonResponseSize
	ReasonResponseUninspected  = kernel.ReasonResponseUninspected
	ReasonForbidden            = kernel.ReasonForbidden
	ReasonNotFound             = kernel.ReasonNotFound
	ReasonInternal             = kernel.ReasonInternal

	Enforce = kernel.Enforce
	Monitor = kernel.Monitor

	Allow = kernel.Allow
	Log   = kernel.Log
	Block = kernel.Block

	ActionAllow = kernel.ActionAllow
	ActionLog   = kernel.ActionLog
	ActionBlock = kernel.ActionBlock

	MaxViolations = kernel.MaxViolations
)

// Allowed is the zero decision.
var Allowed = kernel.Allowed

// Worse returns the decision that wins when two checks fire (kernel.Worse).
func Worse(a, b Decision) Decision { return kernel.Worse(a, b) }

var (
	decide      = kernel.Decide
	verdictFor  = kernel.VerdictFor
	parseMode   = kernel.ParseMode
	parseAction = kernel.ParseAction
)

// ProblemTypeBase prefixes every problem+json "type" (RFC 9457 §3.1.1: a URI
// identifying the problem type, stable across releases).
const ProblemTypeBase = "https://apiwarden.dev/problems/"

// RuleIDs lists every rule id a decision of this policy can carry: the
// built-in checks (reason slugs) and the configured sequence rules, so
// per-rule metrics are defined once at configure time.
func (p *Policy) RuleIDs() []string {
	ids := make([]string, 0, int(ReasonInternal)+1+len(p.Sequences.Rules)+2)
	for r := ReasonInvalidPath; r <= ReasonInternal; r++ {
		if r != ReasonSequence && r != ReasonAnomaly {
			ids = append(ids, r.Slug())
		}
	}
	ids = append(ids, "admin", "failure-mode", "path-not-normal")
	for _, rule := range p.Sequences.Rules {
		ids = append(ids, rule.ID)
	}
	return append(ids, p.securityRuleIDs()...)
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
