package policy

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every place a request value reaches JSON (events, problem documents,
// rule ids, details, violations, evidence) stays valid JSON whatever the
// bytes: control characters, quotes, backslashes, invalid UTF-8.
func TestHostileValuesStayValidJSON(t *testing.T) {
	for _, v := range []string{"q\"uote", `back\slash`, "ctl\x00\x01\n\t\x7f", "bad\xffutf8", "</x>&", "a/b~c"} {
		d := Decision{Verdict: Block, Reason: ReasonSchema, Rule: "rule-" + v, Status: 400, Detail: v,
			Violations: []Violation{{In: "query", Name: v, Pointer: "/" + v, Keyword: v, Message: v}},
			Evidence:   []byte(`{"prior":["` + "x" + `"]}`)}
		e := Event{TimeUnixNano: 1, TraceID: v, SpanID: v, Method: v, Path: "/" + v, Route: v, Operation: v,
			Client: v, Session: v, Status: 400, Shadow: v, Anomaly: 1.5}
		ev := AppendEvent(nil, &d, &e)
		require.True(t, json.Valid(ev), "event %q: %s", v, ev)
		pr := AppendProblem(nil, &d, v)
		require.True(t, json.Valid(pr), "problem %q: %s", v, pr)
		var m map[string]any
		require.NoError(t, json.Unmarshal(ev, &m))
		require.Equal(t, string([]rune("rule-"+v)), m["apiwarden.rule"])
	}
}
