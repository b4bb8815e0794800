package bench

import (
	"github.com/apiwarden/apiwarden/policy/openapi/openapitest"

	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/apiwarden/apiwarden/examples/bank"
	"github.com/apiwarden/apiwarden/policy/openapi"
	"github.com/apiwarden/apiwarden/wasmtest"
)

// The modules are built once per test binary into a temporary directory:
// apiwarden from the filter package, the baseline from wasmtest's
// pass-through module. A failed build fails the test or benchmark that
// needed it (never a skip).
var (
	buildDir  string
	buildOnce sync.Once
	buildErr  error
	wasm      = map[string][]byte{}
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "apiwarden-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

const (
	modApiwarden   = "apiwarden"
	modPassthrough = "passthrough"
)

// module returns the bytes of a built module.
func module(tb testing.TB, name string) []byte {
	tb.Helper()
	buildOnce.Do(func() {
		for name, dir := range map[string]string{modApiwarden: "..", modPassthrough: "../../wasmtest/testdata/passthrough"} {
			out := filepath.Join(buildDir, name+".wasm")
			if err := wasmtest.BuildModule(dir, out); err != nil {
				buildErr = err
				return
			}
			b, err := os.ReadFile(out)
			if err != nil {
				buildErr = err
				return
			}
			wasm[name] = b
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return wasm[name]
}

// setup is one module with one plugin configuration.
type setup struct {
	name   string
	module string
	config []byte
	// sessionFlow: the policy has sequence rules, so the traffic must
	// follow the bank's flow (get_balance before transfer_funds, never
	// two transfers in a row) for every request to be allowed.
	sessionFlow bool
	// clock, when set, is the manual clock of the host (Advance fires
	// ticks); nil runs on real time.
	clock *wasmtest.Clock
}

func passthrough() setup { return setup{name: "passthrough", module: modPassthrough} }

func apiwardenEmpty() setup {
	return setup{name: "apiwarden-empty", module: modApiwarden, config: []byte(`{}`)}
}

func bankNoSequences(tb testing.TB) setup {
	return setup{name: "bank-nosequences", module: modApiwarden, config: bankConfig(tb, func(m map[string]any) {
		delete(m, "sequences")
	})}
}

func bankFull(tb testing.TB) setup {
	return setup{name: "bank-full", module: modApiwarden, config: bankConfig(tb, nil), sessionFlow: true}
}

// bankOneRule keeps the bank's endpoints and sessions (max_sessions 10000)
// with a single sequence rule and no analytics or response protection:
// the footprint benchmarks measure the session table, nothing else.
func bankOneRule(tb testing.TB) setup {
	return setup{name: "bank-one-rule", module: modApiwarden, sessionFlow: true, config: bankConfig(tb, func(m map[string]any) {
		delete(m, "redaction")
		seq := m["sequences"].(map[string]any)
		rules := seq["rules"].([]any)
		m["sequences"] = map[string]any{"rules": rules[:1]}
		m["session"].(map[string]any)["max_sessions"] = maxSessions
	})}
}

const maxSessions = 10000

// bankConfig is examples/bank/apiwarden.json, optionally edited.
func bankConfig(tb testing.TB, edit func(map[string]any)) []byte {
	tb.Helper()
	raw, err := os.ReadFile("../../examples/bank/apiwarden.json")
	if err == nil {
		// Benchmarks of the positive model send no tokens.
		raw, err = bank.PositiveModel(raw)
	}
	if err != nil {
		tb.Fatal(err)
	}
	if edit == nil {
		return raw
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		tb.Fatal(err)
	}
	edit(m)
	out, err := json.Marshal(m)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// benchWASI is the WASI profile of every benchmark host: Envoy 1.33-1.38's
// set (poll_oneoff answers NOSYS), the project's compatibility floor and
// wasmtest's default. Any trap there fails the benchmark that hit it
// (TestEnvoy133Floor pins the two that were found).
const benchWASI = wasmtest.WASIEnvoy133

// newHost starts one worker VM of the setup's module.
func newHost(tb testing.TB, s setup, edit ...func(*wasmtest.Options)) *wasmtest.Host {
	tb.Helper()
	opts := wasmtest.Options{
		Module: module(tb, s.module), PluginConfig: s.config,
		PluginName: "apiwarden", RootID: "apiwarden", VMID: "apiwarden",
		DisableTrace: true, LogLevel: wasmtest.LogInfo, Clock: s.clock, WASI: benchWASI,
	}
	for _, e := range edit {
		e(&opts)
	}
	h, err := wasmtest.New(context.Background(), opts)
	if err != nil {
		tb.Fatalf("%s: %v", s.name, err)
	}
	tb.Cleanup(func() { _ = h.Close(context.Background()) })
	return h
}

// driver plays exchanges through one host and checks every outcome.
type driver struct {
	h        *wasmtest.Host
	n        int
	logLines int
}

func newDriver(tb testing.TB, s setup, edit ...func(*wasmtest.Options)) *driver {
	return &driver{h: newHost(tb, s, edit...)}
}

// housekeepingEvery is how often (in exchanges) due ticks are fired and
// captured log lines taken.
const housekeepingEvery = 256

// do plays one exchange and fails unless the client got status want.
func (d *driver) do(tb testing.TB, req *wasmtest.Request, up wasmtest.Upstream, want int) *wasmtest.Exchange {
	ex, err := d.h.RoundTrip(req, up)
	if err != nil || ex.Trapped != nil || ex.Response == nil || ex.Response.Status != want {
		fail(tb, "%s %s: want %d, got %s", req.Method, req.Path, want, describe(ex, err))
	}
	d.n++
	if d.n%housekeepingEvery == 0 {
		d.housekeeping(tb)
	}
	return ex
}

func (d *driver) housekeeping(tb testing.TB) {
	if !d.h.Clock().Manual() {
		if err := d.h.FireDueTicks(); err != nil {
			fail(tb, "tick: %v", err)
		}
	}
	for _, vm := range d.h.VMs() {
		d.logLines += len(vm.TakeLogs())
	}
}

// memory is the linear memory of the (single) VM.
func (d *driver) memory() uint32 { return d.h.VM(0).MemoryBytes() }

func fail(tb testing.TB, format string, args ...any) {
	tb.Helper()
	tb.Fatalf(format, args...)
}

func describe(ex *wasmtest.Exchange, err error) string {
	switch {
	case err != nil:
		return err.Error()
	case ex.Trapped != nil:
		return "trap: " + ex.Trapped.Error()
	case ex.Response == nil:
		return "no response (reset)"
	}
	body := ex.Response.Body
	if len(body) > 300 {
		body = body[:300]
	}
	return fmt.Sprintf("%d %s", ex.Response.Status, body)
}

// Requests. Headers are what a browser-less API client sends; the session
// header is replaced per exchange.

const sessionHeader = 1 // index of x-session-id in the header lists

func balanceRequest() wasmtest.Request {
	return wasmtest.Request{Method: "GET", Path: "/api/v1/accounts/ACC-1/balance", Authority: "bank.example",
		SourceAddress: "192.0.2.7:51234",
		Headers: [][2]string{
			{"user-agent", "bank-app/4.2 (android 14)"},
			{"x-session-id", "s-0"},
			{"accept", "application/json"},
			{"x-request-id", "6f1c9a3e-2b7d-4c1e-9f0a-3d5b8e7c1a2f"},
			{"authorization", "Bearer " + demoToken},
		}}
}

// demoToken is the bearer token the bank demo's auth operation returns.
const demoToken = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJkZW1vIn0.c2lnbmF0dXJlLW5vdC1yZWFs"

func transferRequest() wasmtest.Request {
	body := transferBody()
	return wasmtest.Request{Method: "POST", Path: "/api/v1/transferFunds", Authority: "bank.example",
		SourceAddress: "192.0.2.7:51234", Body: body,
		Headers: [][2]string{
			{"user-agent", "bank-app/4.2 (android 14)"},
			{"x-session-id", "s-0"},
			{"accept", "application/json"},
			{"x-request-id", "6f1c9a3e-2b7d-4c1e-9f0a-3d5b8e7c1a2f"},
			{"authorization", "Bearer " + demoToken},
			{"content-type", "application/json"},
			{"content-length", strconv.Itoa(len(body))},
		}}
}

// transferBodySize is the size of the POST body. The bank schema closes
// the object (additionalProperties false) and bounds every string (from
// and to are account ids "ACC-" + at most 10 digits, the memo 140
// characters), so ASCII text cannot reach 1 KiB. A
// memo of 140 non-Latin characters escaped as \uXXXX (what Python's
// json.dumps sends by default) can: the schema counts characters, the
// wire carries 6 bytes (12 for an emoji) per character.
const transferBodySize = 1024

var transferBody = sync.OnceValue(func() []byte {
	head := `{"from": "ACC-4711000001", "to": "ACC-1000000042", "amount": 1250.75, "currency": "EUR", "memo": "`
	tail := `"}`
	text := []rune("十一月房租及物业管理费，含水电燃气分摊🏠💡，请于月底前确认到账，谢谢🙏。")
	var memo strings.Builder
	for i := 0; i < 140; i++ {
		r := text[i%len(text)]
		var esc string
		if r > 0xFFFF {
			r -= 0x10000
			esc = fmt.Sprintf(`\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
		} else {
			esc = fmt.Sprintf(`\u%04x`, r)
		}
		if len(head)+memo.Len()+len(esc)+len(tail) > transferBodySize {
			break
		}
		memo.WriteString(esc)
	}
	b := []byte(head + memo.String() + `"`)
	// Pad with JSON whitespace to the exact size.
	for len(b) < transferBodySize-1 {
		b = append(b, ' ')
	}
	return append(b, '}')
})

// sessionIDs are the x-session-id values of the many-session workloads.
var sessionIDs = sync.OnceValue(func() []string {
	ids := make([]string, 10000)
	for i := range ids {
		ids[i] = fmt.Sprintf("sess-%08x-%04d", uint32(i)*2654435761, i)
	}
	return ids
})

// bankResponses are the demo upstream's answers, computed once.
var bankResponses = sync.OnceValue(func() map[string]*wasmtest.Response {
	m := map[string]*wasmtest.Response{}
	for _, r := range []wasmtest.Request{balanceRequest(), transferRequest()} {
		m[r.Method+" "+r.Path] = bank.ServeUpstream(r.Method, r.Path, r.Headers, r.Body)
	}
	return m
})

// bankUpstream answers every request with the demo's fixed response for
// its route (the balance answer for anything else).
func bankUpstream() wasmtest.Upstream {
	m := bankResponses()
	balance := m["GET /api/v1/accounts/ACC-1/balance"]
	return func(r *wasmtest.UpstreamRequest) *wasmtest.Response {
		if res, ok := m[r.Method+" "+r.Path]; ok {
			return res
		}
		return balance
	}
}

// The 2,000-operation policies come from openapitest.GenerateSynthetic(2000),
// a document shaped like the APIs of large payment and code-hosting
// services (path, query and header parameters, JSON bodies and responses
// through $refs), with unknown endpoints blocked:
//
//   - "2000-ops": its operations written as hand-written endpoints (id,
//     method, path, and the path, query and header parameters with their
//     schemas; no bodies or response schemas, which the hand-written form
//     does not take as $refs). Used for routing and start-up.
//   - "2000-ops-openapi": the document itself, inline under "openapi".
//     Used for start-up only: compiling it takes minutes (see RESULTS.md).
var syntheticDoc = sync.OnceValue(func() []byte { return openapitest.GenerateSynthetic(2000) })

var synthetic = sync.OnceValues(func() (*openapi.Document, error) {
	return openapi.Parse(syntheticDoc(), openapi.Options{SkipSchemas: true})
})

func syntheticOpenAPISetup() setup {
	cfg := append([]byte(`{"unknown_endpoints":"block","openapi":`), syntheticDoc()...)
	return setup{name: "apiwarden-2000-ops-openapi", module: modApiwarden, config: append(cfg, '}')}
}

var syntheticEndpoints = sync.OnceValues(func() ([]byte, error) {
	doc, err := synthetic()
	if err != nil {
		return nil, err
	}
	var root any
	if err := json.Unmarshal(doc.Raw, &root); err != nil {
		return nil, err
	}
	eps := make([]any, 0, len(doc.Operations))
	for _, op := range doc.Operations {
		var params []any
		for _, p := range op.Params {
			prm := map[string]any{"name": p.Name, "in": p.In}
			if p.Required {
				prm["required"] = true
			}
			if sch := pointer(root, p.SchemaPointer); sch != nil {
				prm["schema"] = sch
			}
			params = append(params, prm)
		}
		ep := map[string]any{"id": op.ID, "method": op.Method, "path": op.Path}
		if params != nil {
			ep["request"] = map[string]any{"parameters": params}
		}
		eps = append(eps, ep)
	}
	return json.Marshal(map[string]any{"unknown_endpoints": "block", "endpoints": eps})
})

func syntheticSetup(tb testing.TB) setup {
	tb.Helper()
	cfg, err := syntheticEndpoints()
	if err != nil {
		tb.Fatal(err)
	}
	return setup{name: "apiwarden-2000-ops", module: modApiwarden, config: cfg}
}

// pointer resolves a JSON pointer in a decoded document.
func pointer(v any, ptr string) any {
	if ptr == "" {
		return nil
	}
	for _, tok := range strings.Split(ptr, "/")[1:] {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch x := v.(type) {
		case map[string]any:
			v = x[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// operation1000 is operation #1000 (1-based) of the synthetic document as
// a concrete request.
func operation1000(tb testing.TB) wasmtest.Request {
	tb.Helper()
	doc, err := synthetic()
	if err != nil {
		tb.Fatal(err)
	}
	op := doc.Operations[999]
	path := op.Path
	for {
		i := strings.IndexByte(path, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(path[i:], '}')
		path = path[:i] + "sub_4fQ9x2LmZ8" + path[i+j+1:]
	}
	for _, p := range op.Params {
		if p.In == "query" && p.Name == "limit" {
			path += "?limit=25"
		}
	}
	return wasmtest.Request{Method: op.Method, Path: path, Authority: "api.example.com",
		SourceAddress: "192.0.2.7:51234",
		Headers: [][2]string{
			{"user-agent", "sdk-go/1.8"},
			{"x-session-id", "s-0"},
			{"accept", "application/json"},
			{"x-request-id", "6f1c9a3e-2b7d-4c1e-9f0a-3d5b8e7c1a2f"},
			{"authorization", "Bearer sk_test_4eC39HqLyjWDarjtT1zdp7dc"},
		}}
}

// tinyJSON is the fixed upstream answer of the routing benchmarks.
func tinyJSON() wasmtest.Upstream {
	res := &wasmtest.Response{Status: 200, Headers: [][2]string{{"content-type", "application/json"}, {"content-length", "11"}},
		Body: []byte(`{"ok":true}`)}
	return func(*wasmtest.UpstreamRequest) *wasmtest.Response { return res }
}
