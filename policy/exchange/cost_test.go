package exchange

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A policy pays only for what it uses.
func TestNoSequenceRulesReadNoHistory(t *testing.T) {
	rt, st := newRuntime(t, testConfig())
	var x Exchange
	rt.Begin(&x)
	x.RequestHeaders(req("GET", "/balance", [2]string{"x-session-id", "s1"}), true, Addr("192.0.2.1:1"))
	x.ResponseHeaders(status(200), true)
	x.Done()
	assert.Zero(t, st.gets, "no sequence rules: no shared-data read on the request path")
}

func TestUnprotectedResponseReadsOnlyTheStatus(t *testing.T) {
	rt, _ := newRuntime(t, testConfig())
	var x Exchange
	rt.Begin(&x)
	x.RequestHeaders(req("GET", "/balance"), true, Addr(""))
	all := 0
	st := x.ResponseHeaders(respHeaders{h: Headers{{":status", "200"}}, all: &all}, false)
	assert.Zero(t, all, "nothing to rewrite: the header map is not read")
	assert.Empty(t, st.Edits)
	assert.Equal(t, RespPassing, x.RespState(), "no protection: the body is not buffered")
}

func TestNoEventFormatsNoTraceID(t *testing.T) {
	rt, _ := newRuntime(t, testConfig())
	var x Exchange
	rt.Begin(&x)
	st := x.RequestHeaders(req("GET", "/balance"), true, Addr(""))
	assert.Empty(t, st.Logs)
	assert.Empty(t, x.traceID, "the trace id is formatted only for an event or a refusal")
	st = x.Done()
	assert.Empty(t, st.Metrics, "counters wait for the tick")
	rt.Begin(&x)
	x.RequestHeaders(req("GET", "/balance"), true, Addr(""))
	x.Done()
	ts := rt.Tick()
	require.Len(t, ts.Metrics, 1, "two requests, one batched increment: the allow counter")
	assert.Equal(t, "apiwarden.requests.get_balance.allow", rt.Metrics()[ts.Metrics[0].ID].Name)
	assert.EqualValues(t, 2, ts.Metrics[0].N)
	assert.Empty(t, rt.Tick().Metrics, "published once")
}

func TestSequenceRuleBlocksAndRecordsOnSuccess(t *testing.T) {
	rt, st := newRuntime(t, testConfig(`"session":{"from":["header:x-session-id"]}`,
		`"sequences":{"rules":[{"id":"transfer-after-balance","endpoint":"transfer","requires":["get_balance"],"within":"5m","action":"block"}]}`))
	sid := [2]string{"x-session-id", "alice"}
	var x Exchange
	rt.Begin(&x)
	s := x.RequestHeaders(req("POST", "/transfer", ctJSON, sid), false, Addr(""))
	assert.Equal(t, StateBuffering, x.State(), "a checked body defers the sequence check")
	s = x.RequestBody(13, true, body{b: `{"amount":12}`})
	require.NotNil(t, s.Reply)
	assert.Equal(t, 403, s.Reply.Status)
	assert.Contains(t, logsText(s), `"apiwarden.rule":"transfer-after-balance"`)
	assert.Positive(t, st.gets, "sequence rules read the history")
	x.Done()

	// A balance read answered 2xx becomes a step; then the transfer passes.
	rt.Begin(&x)
	x.RequestHeaders(req("GET", "/balance", sid), true, Addr(""))
	assert.True(t, x.pendingStep)
	x.ResponseHeaders(status(200), true)
	assert.False(t, x.pendingStep)
	x.Done()
	rt.Begin(&x)
	x.RequestHeaders(req("POST", "/transfer", ctJSON, sid), false, Addr(""))
	s = x.RequestBody(13, true, body{b: `{"amount":12}`})
	assert.Nil(t, s.Reply, logsText(s))
	assert.Equal(t, StateForwarded, x.State())
}

// TestStepRecordedFromTheCheckedRead: a step recorded on the 2xx answer
// starts from the history its request was checked against, so a request
// reads the session's bucket once; when another request wrote the bucket
// in between, the compare-and-swap fails, the bucket is read again and
// both steps are kept.
func TestStepRecordedFromTheCheckedRead(t *testing.T) {
	rt, st := newRuntime(t, testConfig(`"session":{"from":["header:x-session-id"]}`,
		`"sequences":{"rules":[{"id":"transfer-after-balance","endpoint":"transfer","requires":["get_balance"],"within":"5m","action":"block"}]}`))
	sid := [2]string{"x-session-id", "alice"}
	var x, y Exchange
	rt.Begin(&x)
	x.RequestHeaders(req("GET", "/balance", sid), true, Addr(""))
	x.ResponseHeaders(status(200), true)
	x.Done()
	assert.Equal(t, 1, st.gets, "one read for the check and the step")

	// Two balance reads of one session in flight at once.
	st.gets = 0
	rt.Begin(&x)
	x.RequestHeaders(req("GET", "/balance", sid), true, Addr(""))
	rt.Begin(&y)
	y.RequestHeaders(req("GET", "/balance", sid), true, Addr(""))
	y.ResponseHeaders(status(200), true)
	y.Done()
	x.ResponseHeaders(status(200), true)
	x.Done()
	assert.Equal(t, 3, st.gets, "x's read was overwritten by y's step: read again")
	h, err := rt.sessions.Load(rt.store, rt.sessions.Hash("alice"), time.Unix(1_700_000_100, 0))
	require.NoError(t, err)
	assert.Len(t, h.Entries, 3, "every step is in the history")
}

func TestShadowEndpointsAreLearned(t *testing.T) {
	rt, _ := newRuntime(t, testConfig(`"unknown_endpoints":"log"`))
	var x Exchange
	rt.Begin(&x)
	s := x.RequestHeaders(req("GET", "/api/users/123"), true, Addr(""))
	assert.Contains(t, logsText(s), `"apiwarden.shadow_route"`)
	x.ResponseHeaders(status(200), true)
	x.Done()
	b, err := rt.InventoryJSON(nil)
	require.NoError(t, err)
	assert.Contains(t, string(b), "/api/users/")
}

func TestMetricsCatalogue(t *testing.T) {
	rt, _ := newRuntime(t, testConfig())
	names := map[string]bool{}
	for _, m := range rt.Metrics() {
		assert.False(t, names[m.Name], "defined twice: %s", m.Name)
		names[m.Name] = true
	}
	for _, n := range []string{"apiwarden.requests.get_balance.allow", "apiwarden.requests._unknown.block",
		"apiwarden.failures", "apiwarden.events_dropped", "apiwarden.redacted.get_owner", "apiwarden.inspected_body_bytes",
		"apiwarden.rule.failure-mode.block"} {
		assert.True(t, names[n], n)
	}
	assert.False(t, names["apiwarden.redacted.get_balance"], "no redaction metric for an endpoint nothing protects")
}

func TestRuntimeNeedsItsPorts(t *testing.T) {
	_, _, err := NewRuntime(Config{})
	assert.ErrorContains(t, err, "exchange: runtime needs")
}

// countedAddress counts the reads of the downstream address.
type countedAddress struct {
	addr  string
	reads int
}

func (a *countedAddress) SourceAddress() string { a.reads++; return a.addr }

// TestAddressAndSessionOnDemand: the downstream address (a host call in
// Envoy) is read only for an event or a key that needs it, once; the
// session key is hashed only when the session is used.
func TestAddressAndSessionOnDemand(t *testing.T) {
	rt, _ := newRuntime(t, testConfig(`"session": {"from": ["header:x-session-id", "ip"]}`))
	var x Exchange
	addr := &countedAddress{addr: "192.0.2.7:4242"}
	st := headersOnly(rt, &x, req("GET", "/balance", [2]string{"x-session-id", "s1"}), addr)
	require.Empty(t, st.Logs)
	assert.Zero(t, addr.reads, "no event, session from a header: the address is not read")
	assert.Empty(t, x.sessionHash, "the session was not used: not hashed")

	st = headersOnly(rt, &x, req("GET", "/balance"), addr)
	require.Empty(t, st.Logs)
	assert.Zero(t, addr.reads, "the key falls back on the client address, but nothing uses the session: not read")

	// With a sequence rule the session is used: the address is read once
	// and is the key.
	seq, store := newRuntime(t, testConfig(`"session": {"from": ["header:x-session-id", "ip"]}`,
		`"sequences":{"rules":[{"id":"transfer-after-balance","endpoint":"transfer","requires":["get_balance"],"within":"5m","action":"block"}]}`))
	headersOnly(seq, &x, req("GET", "/balance"), addr)
	assert.Equal(t, 1, addr.reads, "the history is keyed by the client address: read once")
	assert.Equal(t, seq.sessions.Hash("192.0.2.7"), x.sessionHash)
	assert.NotZero(t, store.gets, "the history was read")
	addr.reads = 0

	rt.Begin(&x)
	st = x.RequestHeaders(req("GET", "/nowhere", [2]string{"x-session-id", "s1"}), true, addr)
	require.NotNil(t, st.Reply)
	assert.Contains(t, logsText(st), `"client.address":"192.0.2.7"`)
	assert.Contains(t, logsText(st), `"apiwarden.session":"`+rt.sessions.Hash("s1")+`"`)
	assert.Equal(t, 1, addr.reads, "the event names the client: read once")
}

// TestHeaderOnlyExchangeAllocatesNothing: a known endpoint's header-only
// exchange allocates nothing per request once the Exchange is warm (each
// allocation is collector work in Wasm), and the traceparent edit, which
// aliases the Exchange's buffer, carries this exchange's span.
func TestHeaderOnlyExchangeAllocatesNothing(t *testing.T) {
	rt, _ := newRuntime(t, testConfig())
	h := req("GET", "/balance", [2]string{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})
	resp := status(200)
	var x Exchange
	exchange := func() Step {
		rt.Begin(&x)
		st := x.RequestHeaders(h, true, Addr("192.0.2.1:41000"))
		x.ResponseHeaders(&resp, true)
		x.Done()
		return st
	}
	var spans []string
	for range 2 {
		st := exchange()
		require.Len(t, st.Edits, 1)
		tp := st.Edits[0].Value
		assert.Equal(t, x.trace.String(), tp)
		assert.True(t, strings.HasPrefix(tp, "00-4bf92f3577b34da6a3ce929d0e0e4736-"), tp)
		spans = append(spans, strings.Clone(tp))
	}
	assert.NotEqual(t, spans[0], spans[1], "each exchange propagates a span of its own")
	assert.Zero(t, testing.AllocsPerRun(200, func() { exchange() }))
}

// TestInternalRouteReadsTheAddressOnlyForItsRoutes: with the internal
// route as the only abuse control, a request to another endpoint does
// not read the downstream address; one to the internal route does, to
// check it against the allowed networks.
func TestInternalRouteReadsTheAddressOnlyForItsRoutes(t *testing.T) {
	rt, _ := newRuntime(t, testConfig(`"session": {"from": ["header:x-session-id"]}`,
		`"abuse":{"internal":{"endpoints":["get_owner"],"cidrs":["10.0.0.0/8"]}}`))
	var x Exchange
	addr := &countedAddress{addr: "10.1.2.3:4242"}
	st := headersOnly(rt, &x, req("GET", "/balance", [2]string{"x-session-id", "s1"}), addr)
	require.Nil(t, st.Reply)
	assert.Zero(t, addr.reads, "not an internal route: the client is not needed")

	st = headersOnly(rt, &x, req("GET", "/owner", [2]string{"x-session-id", "s1"}), addr)
	assert.Nil(t, st.Reply, "10.1.2.3 is inside the allowed network")
	assert.Equal(t, 1, addr.reads)

	outside := &countedAddress{addr: "192.0.2.9:4242"}
	st = headersOnly(rt, &x, req("GET", "/owner", [2]string{"x-session-id", "s1"}), outside)
	require.NotNil(t, st.Reply)
	assert.Equal(t, 404, st.Reply.Status, "an internal route is not found from outside")
}
