package policy

import (
	"github.com/apiwarden/apiwarden/policy/kernel"

	"unicode/utf8"

	"github.com/apiwarden/apiwarden/policy/inventory"
)

// Event is what one security event says besides the decision. Field names
// follow OpenTelemetry semantic conventions where one exists (trace_id,
// span_id, http.request.method, url.path, http.route, client.address,
// http.response.status_code); apiwarden's own fields are prefixed
// "apiwarden.". It never carries header values, bodies, credentials or a
// raw session key.
type Event struct {
	TimeUnixNano int64
	TraceID      string
	SpanID       string
	Method       string
	Path         string // normalised path
	Route        string // the matched template
	Operation    string // endpoint id
	Client       string // client address without port
	Session      string // session hash
	Status       int    // the status the client got (0 when still unknown)
	// Shadow is the learned template of an unknown endpoint.
	Shadow string
	// Anomaly is the sequence model's score for this step (bits), when set.
	Anomaly float64
}

// AppendEvent writes one JSON line (without the newline) describing a
// decision.
func AppendEvent(dst []byte, d *Decision, e *Event) []byte {
	o := kernel.OpenObject(dst)
	o.Str("event", "apiwarden.decision")
	if e.TimeUnixNano > 0 {
		o.Int("time_unix_nano", e.TimeUnixNano)
	}
	o.StrOpt("trace_id", e.TraceID)
	o.StrOpt("span_id", e.SpanID)
	o.StrOpt("http.request.method", EventMethod(e.Method))
	o.StrOpt("url.path", clipText(e.Path, MaxEventPath))
	o.StrOpt("http.route", clipText(e.Route, MaxEventPath))
	o.StrOpt("client.address", e.Client)
	if e.Status > 0 {
		o.Int("http.response.status_code", int64(e.Status))
	}
	o.StrOpt("apiwarden.operation", e.Operation)
	o.StrOpt("apiwarden.session", e.Session)
	o.Str("apiwarden.rule", d.Rule)
	o.Str("apiwarden.reason", d.Reason.Slug())
	o.Str("apiwarden.verdict", d.Verdict.String())
	o.Str("apiwarden.mode", d.Mode.String())
	o.StrOpt("apiwarden.detail", d.Detail)
	o.StrOpt("apiwarden.shadow_route", clipText(e.Shadow, MaxEventPath))
	if e.Anomaly > 0 {
		o.Float("apiwarden.anomaly_bits", e.Anomaly)
	}
	if len(d.Violations) > 0 {
		o.Raw("apiwarden.violations", appendViolations(nil, d.Violations))
	}
	if len(d.Evidence) > 0 {
		o.Raw("apiwarden.evidence", d.Evidence)
	}
	return o.Close()
}

// Bounds on what an event copies from a request (the rest is cut and
// marked with "..."): an attacker chooses these bytes.
const (
	// MaxEventMethod: a longer method, or one that is not an HTTP token,
	// is logged as LongMethod.
	MaxEventMethod = 32
	// MaxEventPath bounds url.path, http.route and apiwarden.shadow_route.
	MaxEventPath = 1024
	// MaxEventName bounds violation names and pointers.
	MaxEventName = 256
)

// LongMethod stands for a method longer than MaxEventMethod bytes or not
// an HTTP token, in events and in the inventory.
const LongMethod = inventory.LongMethod

// EventMethod is the method as events and the inventory record it.
func EventMethod(m string) string { return inventory.Method(m) }

// clipText cuts s to at most max bytes at a UTF-8 boundary, marking the
// cut with "...".
func clipText(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max - 3
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
