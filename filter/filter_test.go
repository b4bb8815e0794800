package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/apiwarden/apiwarden/examples/bank"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// bankConfig is the example configuration the module ships with, its
// positive model: these tests send requests without tokens
// (security_test.go runs the whole policy).
func bankConfig(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("../examples/bank/apiwarden.json")
	require.NoError(t, err)
	b, err = bank.PositiveModel(b)
	require.NoError(t, err)
	return b
}

// validationConfig is the bank configuration without its sequence rules,
// for tests of request validation alone (every request there comes from
// one client, which the sequence rules would rightly find suspicious).
func validationConfig(t testing.TB) []byte {
	t.Helper()
	var c map[string]any
	require.NoError(t, json.Unmarshal(bankConfig(t), &c))
	delete(c, "sequences")
	b, err := json.Marshal(c)
	require.NoError(t, err)
	return b
}

func newHost(t testing.TB, config []byte) (proxytest.HostEmulator, func()) {
	t.Helper()
	opt := proxytest.NewEmulatorOption().WithVMContext(&vmContext{}).WithPluginConfiguration(config).
		WithProperty([]string{"source", "address"}, []byte("192.0.2.7:51234"))
	host, reset := proxytest.NewHostEmulator(opt)
	if st := host.StartPlugin(); st != types.OnPluginStartStatusOK {
		// Release the emulator's global lock, or every later test waits.
		reset()
		t.Fatalf("the plugin did not start: %v", st)
	}
	return host, reset
}

func reqHeaders(method, path string, extra ...[2]string) [][2]string {
	h := [][2]string{{":method", method}, {":path", path}, {":authority", "bank.example"}, {":scheme", "http"}}
	return append(h, extra...)
}

type problem struct {
	Type       string `json:"type"`
	Status     int    `json:"status"`
	Rule       string `json:"rule"`
	TraceID    string `json:"trace_id"`
	Violations []struct {
		In, Pointer, Keyword string
	} `json:"violations"`
}

func localReply(t *testing.T, host proxytest.HostEmulator, id uint32) (*proxytest.LocalHttpResponse, problem) {
	t.Helper()
	r := host.GetSentLocalResponse(id)
	require.NotNil(t, r, "expected a local reply")
	var p problem
	require.NoError(t, json.Unmarshal(r.Data, &p), string(r.Data))
	return r, p
}

func TestKnownEndpointPasses(t *testing.T) {
	host, reset := newHost(t, validationConfig(t))
	defer reset()
	id := host.InitializeHttpContext()
	act := host.CallOnRequestHeaders(id, reqHeaders("GET", "/api/v1/accounts/ACC-123/balance"), true)
	assert.Equal(t, types.ActionContinue, act)
	assert.Nil(t, host.GetSentLocalResponse(id))
	host.CompleteHttpContext(id)
	n, err := host.GetCounterMetric("apiwarden.requests.get_balance.allow")
	require.NoError(t, err)
	assert.Zero(t, n, "counters are batched: nothing before the tick")
	host.Tick()
	n, err = host.GetCounterMetric("apiwarden.requests.get_balance.allow")
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
}

func TestUnknownEndpointBlockedWithProblemJSON(t *testing.T) {
	host, reset := newHost(t, validationConfig(t))
	defer reset()
	id := host.InitializeHttpContext()
	tp := "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	act := host.CallOnRequestHeaders(id, reqHeaders("GET", "/api/v1/admin/users", [2]string{"traceparent", tp}), true)
	assert.Equal(t, types.ActionPause, act)
	r, p := localReply(t, host, id)
	assert.EqualValues(t, 403, r.StatusCode)
	assert.Contains(t, r.Headers, [2]string{"content-type", "application/problem+json"})
	assert.Equal(t, "unknown-endpoint", p.Rule)
	assert.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", p.TraceID)
	events := host.GetWarnLogs()
	require.Len(t, events, 1)
	var ev map[string]any
	require.NoError(t, json.Unmarshal([]byte(events[0]), &ev))
	assert.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", ev["trace_id"])
	assert.Equal(t, "block", ev["apiwarden.verdict"])
	assert.Equal(t, "192.0.2.7", ev["client.address"])
	host.Tick()
	n, err := host.GetCounterMetric("apiwarden.requests._unknown.block")
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
	n, err = host.GetCounterMetric("apiwarden.rule.unknown-endpoint.block")
	require.NoError(t, err)
	assert.EqualValues(t, 1, n, "per-rule counter")
}

func TestStartsATraceWhenNoneIsSent(t *testing.T) {
	host, reset := newHost(t, validationConfig(t))
	defer reset()
	id := host.InitializeHttpContext()
	host.CallOnRequestHeaders(id, reqHeaders("GET", "/nope"), true)
	_, p := localReply(t, host, id)
	assert.Len(t, p.TraceID, 32)
	assert.NotEqual(t, strings.Repeat("0", 32), p.TraceID)
}

func TestBodyValidatedAtEndOfStream(t *testing.T) {
	host, reset := newHost(t, validationConfig(t))
	defer reset()
	post := func(body string) uint32 {
		id := host.InitializeHttpContext()
		act := host.CallOnRequestHeaders(id, reqHeaders("POST", "/api/v1/transferFunds", [2]string{"content-type", "application/json"}), false)
		require.Equal(t, types.ActionContinue, act)
		half := len(body) / 2
		require.Equal(t, types.ActionPause, host.CallOnRequestBody(id, []byte(body[:half]), false))
		host.CallOnRequestBody(id, []byte(body[half:]), true)
		return id
	}
	ok := post(`{"from":"ACC-1","to":"ACC-2","amount":10.5}`)
	assert.Nil(t, host.GetSentLocalResponse(ok))

	bad := post(`{"from":"ACC-1","to":"ACC-2","amount":"10.5"}`)
	r, p := localReply(t, host, bad)
	assert.EqualValues(t, 400, r.StatusCode)
	require.Len(t, p.Violations, 1)
	assert.Equal(t, "/amount", p.Violations[0].Pointer)
	assert.Equal(t, "type", p.Violations[0].Keyword)
}

func TestOversizedBodyRefusedWhileStreaming(t *testing.T) {
	host, reset := newHost(t, validationConfig(t))
	defer reset()
	id := host.InitializeHttpContext()
	host.CallOnRequestHeaders(id, reqHeaders("POST", "/api/v1/transferFunds", [2]string{"content-type", "application/json"}), false)
	chunk := []byte(strings.Repeat(" ", 3000))
	require.Equal(t, types.ActionPause, host.CallOnRequestBody(id, chunk, false))
	host.CallOnRequestBody(id, chunk, false) // 6000 bytes buffered, over the 4096 limit
	r, p := localReply(t, host, id)
	assert.EqualValues(t, 413, r.StatusCode)
	assert.Equal(t, "body-too-large", p.Rule)
}

func TestUnsupportedMediaType(t *testing.T) {
	host, reset := newHost(t, validationConfig(t))
	defer reset()
	id := host.InitializeHttpContext()
	host.CallOnRequestHeaders(id, reqHeaders("POST", "/api/v1/transferFunds", [2]string{"content-type", "text/plain"}), false)
	r, _ := localReply(t, host, id)
	assert.EqualValues(t, 415, r.StatusCode)
}

func TestInvalidConfigurationRefusedWithJSONPath(t *testing.T) {
	opt := proxytest.NewEmulatorOption().WithVMContext(&vmContext{}).
		WithPluginConfiguration([]byte(`{"unknown_endpoints":"deny","endpoints":[{"id":"a","method":"GET","path":"/a/{id"}]}`))
	host, reset := proxytest.NewHostEmulator(opt)
	defer reset()
	assert.Equal(t, types.OnPluginStartStatusFailed, host.StartPlugin())
	logs := host.GetCriticalLogs()
	require.Len(t, logs, 1, "one log line")
	assert.Contains(t, logs[0], `unknown_endpoints: want one of "allow", "log", "block", got "deny"`)
	assert.Contains(t, logs[0], `endpoints[0].path:`)
	assert.NotContains(t, logs[0], "\n")
}

func panicking(s *stream) (act types.Action) {
	defer s.recoverInto(&act)
	act = types.ActionContinue
	panic("boom")
}

func TestPanicAppliesFailureMode(t *testing.T) {
	for _, mode := range []string{"open", "closed"} {
		t.Run(mode, func(t *testing.T) {
			cfg := []byte(`{"failure_mode":"` + mode + `"}`)
			host, reset := newHost(t, cfg)
			defer reset()
			id := host.InitializeHttpContext()
			host.CallOnRequestHeaders(id, reqHeaders("GET", "/x"), true) // makes id the active stream
			p := &pluginContext{}
			require.Equal(t, types.OnPluginStartStatusOK, p.OnPluginStart(len(cfg)))
			s := p.NewHttpContext(id).(*stream)
			act := panicking(s)
			assert.Contains(t, strings.Join(host.GetErrorLogs(), "\n"), "recovered panic")
			if mode == "open" {
				assert.Equal(t, types.ActionContinue, act)
				assert.Nil(t, host.GetSentLocalResponse(id))
				return
			}
			assert.Equal(t, types.ActionPause, act)
			r, p2 := localReply(t, host, id)
			assert.EqualValues(t, 503, r.StatusCode)
			assert.Equal(t, "failure-mode", p2.Rule)
		})
	}
}
