package exchange

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEventsAreRateLimitedAndCounted(t *testing.T) {
	rt, _ := newRuntime(t, testConfig(`"events":{"per_second":1,"burst":1}`))
	var x Exchange
	rt.Begin(&x)
	s := x.RequestHeaders(req("GET", "/nowhere"), true, Addr(""))
	require.Len(t, s.Logs, 1)
	x.Done()
	rt.Begin(&x)
	s = x.RequestHeaders(req("GET", "/nowhere"), true, Addr(""))
	assert.Empty(t, s.Logs, "over the event budget")
	assert.Empty(t, s.Metrics, "batched, published by the tick")
	require.NotNil(t, s.Reply, "the refusal itself is not rate-limited")
	ts := rt.Tick()
	assert.EqualValues(t, 1, metricValue(rt, Step{Metrics: ts.Metrics}, "apiwarden.events_dropped"))
	assert.Empty(t, rt.Tick().Metrics, "and only once")
}

// TestEvidenceOnlyForLoggedEvents: a sequence rule that only logs
// formats its evidence for an event that the budget lets through, not for
// one it drops.
func TestEvidenceOnlyForLoggedEvents(t *testing.T) {
	rt, _ := newRuntime(t, testConfig(`"events":{"per_second":1,"burst":1}`, `"session":{"from":["header:x-session-id"]}`,
		`"sequences":{"rules":[{"id":"no-balance-loop","endpoint":"get_balance","max_consecutive":1,"action":"log"}]}`))
	var x Exchange
	sid := [2]string{"x-session-id", "s1"}
	balance := func() Step {
		rt.Begin(&x)
		st := x.RequestHeaders(req("GET", "/balance", sid), true, Addr("192.0.2.1:1"))
		resp := status(200)
		x.ResponseHeaders(&resp, true)
		x.Done()
		return st
	}
	balance()
	st := balance()
	require.Len(t, st.Logs, 1, "the second balance in a row logs")
	assert.Contains(t, string(st.Logs[0].Text), `"apiwarden.evidence":{"prior":["get_balance"]`)
	assert.NotEmpty(t, x.evidence)
	st = balance()
	assert.Empty(t, st.Logs, "over the budget")
	assert.Empty(t, x.evidence, "no evidence formatted for a dropped event")
	assert.Equal(t, "no-balance-loop", x.Decision().Rule, "the finding still counts")
}

func TestMonitorModeReportsEveryFindingOnce(t *testing.T) {
	rt, _ := newRuntime(t, testConfig(`"mode":"monitor"`))
	var x Exchange
	rt.Begin(&x)
	// An unexpected body announced by content-length on a header-only
	// endpoint and an undeclared method override: two findings.
	s := x.RequestHeaders(req("GET", "/balance", [2]string{"content-length", "3"}, [2]string{"x-http-method-override", "DELETE"}), false, Addr(""))
	assert.Nil(t, s.Reply)
	lines := strings.Count(logsText(s), "apiwarden.decision")
	assert.GreaterOrEqual(t, lines, 2, logsText(s))
	assert.EqualValues(t, 1, metricValue(rt, s, "apiwarden.requests.get_balance.log"), "the request is counted once")
}

func TestEventLinesAreJSONWithTraceAndClient(t *testing.T) {
	rt, _ := newRuntime(t, testConfig())
	var x Exchange
	rt.Begin(&x)
	s := x.RequestHeaders(req("GET", "/nowhere\"\\\x01"), true, Addr("192.0.2.9:4242"))
	require.Len(t, s.Logs, 1)
	var ev map[string]any
	require.NoError(t, json.Unmarshal(s.Logs[0].Text, &ev), string(s.Logs[0].Text))
	assert.Equal(t, "192.0.2.9", ev["client.address"])
	assert.Regexp(t, "^[0-9a-f]{32}$", ev["trace_id"])
	assert.Regexp(t, "^[0-9a-f]{16}$", ev["span_id"])
	var p map[string]any
	require.NoError(t, json.Unmarshal(s.Reply.Body, &p))
	assert.Equal(t, ev["trace_id"], p["trace_id"], "the problem document names the same trace")
}

func TestAdminSequencesWithoutRules(t *testing.T) {
	rt, _ := newRuntime(t, testConfig())
	var x Exchange
	rt.Begin(&x)
	s := x.RequestHeaders(req("GET", "/.apiwarden/sequences", adminTok), true, Addr(""))
	require.NotNil(t, s.Reply)
	assert.JSONEq(t, `{"enabled":false}`, string(s.Reply.Body))
}

func TestFailureWhileBufferingTheResponse(t *testing.T) {
	rt, _ := newRuntime(t, testConfig(`"failure_mode":"closed"`))
	var x Exchange
	rt.Begin(&x)
	x.RequestHeaders(req("GET", "/owner"), true, Addr(""))
	x.ResponseHeaders(status(200, ctJSON), false)
	s := x.ResponseBody(10, true, body{err: errHost})
	assert.Equal(t, RespDone, x.RespState())
	require.NotNil(t, s.Reply, "closed: the refusal replaces what the host can still replace")
	assert.Equal(t, 503, s.Reply.Status)
	assert.Contains(t, logsText(s), "cannot read the response body")
}
