package exchange

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// call is one callback of a table case and what it must return.
type call struct {
	name string
	do   func(x *Exchange) Step
	// Expectations after the call.
	act   Action
	state State
	resp  RespState
	reply int // local reply status, 0: none
	// body: the body replacement ("-": none; "" with replace: emptied).
	body  string
	edits []string // must appear, in order among the step's edits
	log   string   // must appear in the step's logs
	count string   // metric that must be incremented by this step
}

func reqHeaders(h Headers, end bool) func(*Exchange) Step {
	return func(x *Exchange) Step { return x.RequestHeaders(h, end, Addr("192.0.2.7:5555")) }
}
func reqBody(size int, end bool, b string) func(*Exchange) Step {
	return func(x *Exchange) Step { return x.RequestBody(size, end, body{b: b}) }
}
func reqTrailers(b string) func(*Exchange) Step {
	return func(x *Exchange) Step { return x.RequestTrailers(body{b: b}) }
}
func respHdrs(h respHeaders, end bool) func(*Exchange) Step {
	return func(x *Exchange) Step { return x.ResponseHeaders(h, end) }
}
func respBody(size int, end bool, b string) func(*Exchange) Step {
	return func(x *Exchange) Step { return x.ResponseBody(size, end, body{b: b}) }
}
func respTrailers(b string) func(*Exchange) Step {
	return func(x *Exchange) Step { return x.ResponseTrailers(body{b: b}) }
}
func done(x *Exchange) Step { return x.Done() }

var (
	ctJSON   = [2]string{"content-type", "application/json"}
	ctOctet  = [2]string{"content-type", "application/octet-stream"}
	adminTok = [2]string{"authorization", "Bearer 0123456789abcdef0123"}
)

func TestTransitions(t *testing.T) {
	valid := `{"amount":12}`
	cases := []struct {
		name  string
		opts  []string
		calls []call
	}{
		{"header-only request, end of stream on headers", nil, []call{
			{name: "req headers", do: reqHeaders(req("GET", "/balance"), true), state: StateForwarded, edits: []string{"traceparent"}},
			{name: "resp headers", do: respHdrs(status(200), false), state: StateForwarded, resp: RespPassing},
			{name: "resp body", do: respBody(10, true, ""), state: StateForwarded, resp: RespPassing, body: "-"},
			{name: "done", do: done, state: StateClosed, resp: RespPassing, count: "apiwarden.requests.get_balance.allow"},
		}},
		{"headers-only response ends on its headers", nil, []call{
			{name: "req headers", do: reqHeaders(req("GET", "/owner", [2]string{"accept-encoding", "gzip"}), true), state: StateForwarded, edits: []string{"traceparent", "-accept-encoding"}},
			{name: "resp headers", do: respHdrs(status(204), true), state: StateForwarded, resp: RespDone},
			{name: "done", do: done, state: StateClosed, resp: RespDone, count: "apiwarden.requests.get_owner.allow"},
		}},
		{"unknown endpoint enforced: the local reply runs the response path", nil, []call{
			{name: "req headers", do: reqHeaders(req("GET", "/nowhere"), true), act: Pause, state: StateReplied, reply: 403,
				log: `"apiwarden.rule":"unknown-endpoint"`, count: "apiwarden.requests._unknown.block"},
			{name: "our reply's headers", do: respHdrs(status(403), false), state: StateReplied, resp: RespAwaiting},
			{name: "our reply's body", do: respBody(100, true, "{}"), state: StateReplied, resp: RespAwaiting, body: "-"},
			{name: "done", do: done, state: StateClosed},
		}},
		{"unknown endpoint in monitor mode passes, reported", []string{`"mode":"monitor"`}, []call{
			{name: "req headers", do: reqHeaders(req("GET", "/nowhere"), true), state: StateForwarded,
				log: `"apiwarden.verdict":"log"`, count: "apiwarden.requests._unknown.log"},
			{name: "resp headers", do: respHdrs(status(404), true), state: StateForwarded, resp: RespDone},
			{name: "done", do: done, state: StateClosed, resp: RespDone},
		}},
		{"checked body: buffered until end of stream, then accepted", nil, []call{
			{name: "req headers", do: reqHeaders(req("POST", "/transfer", ctJSON), false), state: StateBuffering},
			{name: "first chunk", do: reqBody(5, false, valid[:5]), act: Pause, state: StateBuffering},
			{name: "last chunk", do: reqBody(len(valid), true, valid), state: StateForwarded},
			{name: "later chunk passes", do: reqBody(len(valid), true, valid), state: StateForwarded},
			{name: "done", do: done, state: StateClosed, count: "apiwarden.requests.transfer.allow"},
		}},
		{"checked body refused at end of stream", nil, []call{
			{name: "req headers", do: reqHeaders(req("POST", "/transfer", ctJSON), false), state: StateBuffering},
			{name: "body", do: reqBody(14, true, `{"amount":"x"}`), act: Pause, state: StateReplied, reply: 400,
				log: `"apiwarden.rule":"schema-violation"`, count: "apiwarden.rule.schema-violation.block"},
		}},
		{"checked body ended by trailers", nil, []call{
			{name: "req headers", do: reqHeaders(req("POST", "/transfer", ctJSON), false), state: StateBuffering},
			{name: "chunk without end", do: reqBody(len(valid), false, valid), act: Pause, state: StateBuffering},
			{name: "trailers", do: reqTrailers(valid), state: StateForwarded},
		}},
		{"checked body crosses the limit mid-stream: refused at once", nil, []call{
			{name: "req headers", do: reqHeaders(req("POST", "/transfer", ctJSON), false), state: StateBuffering},
			{name: "under", do: reqBody(60, false, ""), act: Pause, state: StateBuffering},
			{name: "crossing", do: reqBody(65, false, ""), act: Pause, state: StateReplied, reply: 413,
				log: `"apiwarden.rule":"body-too-large"`},
		}},
		{"checked body crosses the limit in monitor mode: passes unchecked", []string{`"mode":"monitor"`}, []call{
			{name: "req headers", do: reqHeaders(req("POST", "/transfer", ctJSON), false), state: StateBuffering},
			{name: "crossing", do: reqBody(65, false, ""), state: StateForwarded, log: `"apiwarden.mode":"monitor"`},
			{name: "rest", do: reqBody(200, true, ""), state: StateForwarded},
		}},
		{"streamed body: chunks add up to the limit", nil, []call{
			{name: "req headers", do: reqHeaders(req("PUT", "/upload", ctOctet), false), state: StateStreaming},
			{name: "10 bytes", do: reqBody(10, false, ""), state: StateStreaming},
			{name: "6 more: at the limit", do: reqBody(6, false, ""), state: StateStreaming},
			{name: "1 more: over", do: reqBody(1, true, ""), act: Pause, state: StateReplied, reply: 413},
		}},
		{"body sent to an endpoint that declares none", nil, []call{
			{name: "req headers", do: reqHeaders(req("GET", "/balance"), false), state: StateStreaming},
			{name: "first byte", do: reqBody(1, true, "x"), act: Pause, state: StateReplied, reply: 400, log: "unexpected-body"},
		}},
		{"held request headers wait for the body check", []string{`"host":{"allow_on_headers_stop_iteration":true}`}, []call{
			{name: "req headers", do: reqHeaders(req("POST", "/transfer", ctJSON), false), act: Pause, state: StateBuffering},
			{name: "body", do: reqBody(len(valid), true, valid), state: StateForwarded},
		}},
		{"redacted response: buffered, content-length dropped, body replaced", nil, []call{
			{name: "req headers", do: reqHeaders(req("GET", "/owner"), true), state: StateForwarded},
			{name: "resp headers", do: respHdrs(status(200, ctJSON, [2]string{"content-length", "30"}), false),
				state: StateForwarded, resp: RespBuffering, edits: []string{"-content-length"}},
			{name: "chunk", do: respBody(10, false, ""), act: Pause, state: StateForwarded, resp: RespBuffering},
			{name: "end", do: respBody(30, true, `{"ssn":"123-45-6789","n":1}`), state: StateForwarded, resp: RespDone,
				body: `{"ssn":"[REDACTED]","n":1}`, count: "apiwarden.redacted.get_owner"},
		}},
		{"redacted response with held headers: content-length set", []string{`"host":{"allow_on_headers_stop_iteration":true}`}, []call{
			{name: "req headers", do: reqHeaders(req("GET", "/owner"), true), state: StateForwarded},
			{name: "resp headers", do: respHdrs(status(200, ctJSON), false), act: Pause, state: StateForwarded, resp: RespHolding},
			{name: "trailers end it", do: respTrailers(`{"ssn":"1"}`), state: StateForwarded, resp: RespDone,
				body: `{"ssn":"[REDACTED]"}`, edits: []string{"content-length=20"}},
		}},
		{"response over the bound, blocked after its headers left", []string{`"redaction":{"max_body_bytes":8,"over_limit":"block"}`}, []call{
			{name: "req headers", do: reqHeaders(req("GET", "/owner"), true), state: StateForwarded},
			{name: "resp headers", do: respHdrs(status(200, ctJSON), false), state: StateForwarded, resp: RespBuffering},
			{name: "over", do: respBody(9, false, ""), state: StateForwarded, resp: RespRefused,
				body: `"rule":"response-not-inspected"`, log: "response-not-inspected"},
			{name: "later chunk dropped", do: respBody(5, true, ""), state: StateForwarded, resp: RespRefused, body: ""},
		}},
		{"response over the bound with held headers: replaced by a 502", []string{
			`"redaction":{"max_body_bytes":8,"over_limit":"block"}`, `"host":{"allow_on_headers_stop_iteration":true}`}, []call{
			{name: "req headers", do: reqHeaders(req("GET", "/owner"), true), state: StateForwarded},
			{name: "resp headers", do: respHdrs(status(200, ctJSON), false), act: Pause, state: StateForwarded, resp: RespHolding},
			{name: "over", do: respBody(9, false, ""), state: StateReplied, resp: RespPassing, reply: 502},
			{name: "our reply's headers", do: respHdrs(status(502), false), state: StateReplied, resp: RespPassing},
			{name: "done: no allow counted", do: done, state: StateClosed, resp: RespPassing},
		}},
		{"response over the bound in monitor mode passes, reported", []string{`"mode":"monitor"`, `"redaction":{"max_body_bytes":8,"over_limit":"block"}`}, []call{
			{name: "req headers", do: reqHeaders(req("GET", "/owner"), true), state: StateForwarded},
			{name: "resp headers", do: respHdrs(status(200, ctJSON), false), state: StateForwarded, resp: RespBuffering},
			{name: "over", do: respBody(9, false, ""), state: StateForwarded, resp: RespPassing, body: "-", log: `"apiwarden.verdict":"log"`},
			{name: "rest passes", do: respBody(9, true, ""), state: StateForwarded, resp: RespPassing, body: "-"},
		}},
		{"unreadable response headers: the body is left alone", nil, []call{
			{name: "req headers", do: reqHeaders(req("GET", "/owner"), true), state: StateForwarded},
			{name: "resp headers", do: respHdrs(respHeaders{err: errHost}, false), state: StateForwarded, resp: RespPassing},
			{name: "body passes", do: respBody(9, true, ""), state: StateForwarded, resp: RespPassing, body: "-"},
		}},
		{"unreadable request body, fail open", nil, []call{
			{name: "req headers", do: reqHeaders(req("POST", "/transfer", ctJSON), false), state: StateBuffering},
			{name: "body", do: func(x *Exchange) Step { return x.RequestBody(5, true, body{err: errHost}) },
				state: StateForwarded, log: "cannot read the request body", count: "apiwarden.failures"},
		}},
		{"unreadable request body, fail closed", []string{`"failure_mode":"closed"`}, []call{
			{name: "req headers", do: reqHeaders(req("POST", "/transfer", ctJSON), false), state: StateBuffering},
			{name: "body", do: func(x *Exchange) Step { return x.RequestBody(5, true, body{err: errHost}) },
				act: Pause, state: StateReplied, reply: 503, log: "failure-mode"},
		}},
		{"adapter failure after a local reply never replies twice", []string{`"failure_mode":"closed"`}, []call{
			{name: "req headers", do: reqHeaders(req("GET", "/nowhere"), true), act: Pause, state: StateReplied, reply: 403},
			{name: "fail", do: func(x *Exchange) Step { return x.Fail("recovered panic", errHost) }, state: StateReplied, count: "apiwarden.failures"},
		}},
		{"admin inventory is answered, never counted", nil, []call{
			{name: "req headers", do: reqHeaders(req("GET", "/.apiwarden/inventory", adminTok), true), act: Pause, state: StateAdmin, reply: 200},
			{name: "our reply", do: respHdrs(status(200), false), state: StateAdmin},
			{name: "done", do: done, state: StateClosed},
		}},
		{"admin without the token", nil, []call{
			{name: "req headers", do: reqHeaders(req("GET", "/.apiwarden/inventory"), true), act: Pause, state: StateAdmin, reply: 401},
			{name: "done", do: done, state: StateClosed},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rt, _ := newRuntime(t, testConfig(c.opts...))
			var x Exchange
			rt.Begin(&x)
			for _, k := range c.calls {
				st := k.do(&x)
				assert.Equal(t, k.act, st.Action, "%s: action", k.name)
				assert.Equal(t, k.state, x.State(), "%s: state", k.name)
				assert.Equal(t, k.resp, x.RespState(), "%s: response state", k.name)
				if k.reply == 0 {
					assert.Nil(t, st.Reply, "%s: reply", k.name)
				} else if assert.NotNil(t, st.Reply, "%s: reply", k.name) {
					assert.Equal(t, k.reply, st.Reply.Status, "%s: reply status", k.name)
				}
				switch {
				case k.body == "-":
					assert.False(t, st.ReplaceBody, "%s: body replaced", k.name)
				case k.body == "":
					if st.ReplaceBody {
						assert.Empty(t, st.Body, "%s: body", k.name)
					}
				default:
					require.True(t, st.ReplaceBody, "%s: body replaced", k.name)
					assert.Contains(t, string(st.Body), k.body, "%s: body", k.name)
				}
				if k.edits != nil {
					assert.Subset(t, edits(st), k.edits, "%s: edits", k.name)
				}
				if k.log != "" {
					assert.Contains(t, logsText(st), k.log, "%s: logs", k.name)
				}
				if k.count != "" {
					assert.NotZero(t, metricValue(rt, st, k.count), "%s: metric %s in %v", k.name, k.count, st.Metrics)
				}
			}
		})
	}
}

// TestEveryStateIgnoresWhatItDoesNotExpect: callbacks that do not apply
// to a state continue and change nothing.
func TestEveryStateIgnoresWhatItDoesNotExpect(t *testing.T) {
	rt, _ := newRuntime(t, testConfig())
	var x Exchange
	rt.Begin(&x)
	st := x.RequestTrailers(body{})
	assert.Equal(t, Continue, st.Action)
	assert.Equal(t, StateHeaders, x.State())
	x.RequestHeaders(req("GET", "/balance"), true, Addr(""))
	again := x.RequestHeaders(req("GET", "/nowhere"), true, Addr(""))
	assert.Nil(t, again.Reply, "the headers are decided once")
	assert.Equal(t, StateForwarded, x.State())
	x.Done()
	assert.Equal(t, Step{}, stripSlices(x.Done()), "done twice does nothing")
}

func stripSlices(s Step) Step {
	s.Edits, s.Logs, s.Metrics = nil, nil, nil
	return s
}

func TestStateNames(t *testing.T) {
	for s := StateHeaders; s <= StateClosed; s++ {
		assert.NotEmpty(t, s.String())
	}
	for s := RespAwaiting; s <= RespDone; s++ {
		assert.NotEmpty(t, s.String())
	}
	assert.Equal(t, "pause", Pause.String())
	assert.True(t, strings.HasPrefix(StateReplied.String(), "replied"))
}
