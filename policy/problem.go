package policy

import (
	"strconv"

	"github.com/apiwarden/apiwarden/policy/kernel"
)

// ProblemContentType is the media type of every refusal (RFC 9457).
const ProblemContentType = "application/problem+json"

// AppendProblem writes the RFC 9457 problem document for a blocking
// decision: a stable type URI, title, status, a detail sentence, the rule,
// the trace id and up to MaxViolations violations (locations and keywords,
// never values). A not-found answer (an internal route called from
// outside) names no rule and no detail: it must read like a route that
// does not exist.
func AppendProblem(dst []byte, d *Decision, traceID string) []byte {
	o := kernel.OpenObject(dst)
	o.Str("type", ProblemTypeBase+d.Reason.Slug())
	o.Str("title", d.Reason.Title())
	o.Int("status", int64(d.Status))
	if d.Reason != ReasonNotFound {
		o.StrOpt("detail", d.Detail)
		o.Str("rule", d.Rule)
	}
	o.StrOpt("trace_id", traceID)
	if len(d.Violations) > 0 {
		o.Raw("violations", appendViolations(nil, d.Violations))
	}
	return o.Close()
}

// ProblemHeaders are the headers of a refusal: content type, Allow for a
// 405, Retry-After for a 429, the decision's own fields
// (WWW-Authenticate, RateLimit), and no caching.
func ProblemHeaders(d *Decision, traceparent string) [][2]string {
	h := [][2]string{
		{"content-type", ProblemContentType},
		{"cache-control", "no-store"},
	}
	if d.Allow != "" {
		h = append(h, [2]string{"allow", d.Allow})
	}
	if d.RetryAfter > 0 {
		h = append(h, [2]string{"retry-after", strconv.Itoa(d.RetryAfter)})
	}
	h = append(h, d.Headers...)
	if traceparent != "" {
		h = append(h, [2]string{"traceparent", traceparent})
	}
	return h
}
