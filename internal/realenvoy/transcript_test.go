package realenvoy_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apiwarden/apiwarden/examples/bank"
	"github.com/apiwarden/apiwarden/internal/realenvoy"
	"github.com/apiwarden/apiwarden/wasmtest"
)

// transcript is what one exchange looked like from outside the proxy: the
// answer the client got and what the upstream received. Everything that
// differs by design between two runs (trace ids, Envoy's own request
// headers, dates) is left out.
type transcript struct {
	Status      int
	ContentType string
	// Problem is the problem+json body without its trace id.
	Problem map[string]any `json:",omitempty"`
	// Headers are the answer headers the module sets or removes.
	Headers map[string]string `json:",omitempty"`
	// BodySHA identifies a non-problem body.
	BodySHA string `json:",omitempty"`
	// Upstream is nil when the request did not reach it.
	Upstream *upstreamSaw `json:",omitempty"`
}

type upstreamSaw struct {
	Method, Target, ContentType, BodySHA string
	// Aborted: the request's body never completed (the proxy reset it).
	Aborted bool `json:",omitempty"`
	// Headers are request headers the module adds, removes or rewrites.
	Headers map[string]string `json:",omitempty"`
}

// moduleAnswerHeaders and moduleRequestHeaders are the headers whose
// presence or value the module decides.
var (
	moduleAnswerHeaders  = []string{"allow", "retry-after", "cache-control", "server", "x-powered-by", "set-cookie", "www-authenticate"}
	moduleRequestHeaders = []string{"x-http-method-override", "x-http-method", "x-method-override", "x-session-id"}
)

// recorder is the bank upstream, noting what each case delivered to it.
type recorder struct {
	mu   sync.Mutex
	saw  map[string]*upstreamSaw
	next http.Handler
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	s := &upstreamSaw{Method: req.Method, Target: req.RequestURI, ContentType: req.Header.Get("content-type"), BodySHA: sha(body), Aborted: err != nil}
	for _, h := range moduleRequestHeaders {
		if v := req.Header.Values(h); len(v) > 0 {
			if s.Headers == nil {
				s.Headers = map[string]string{}
			}
			s.Headers[h] = strings.Join(v, ",")
		}
	}
	if req.Header.Get("traceparent") != "" {
		if s.Headers == nil {
			s.Headers = map[string]string{}
		}
		s.Headers["traceparent"] = "present"
	}
	r.mu.Lock()
	r.saw[req.Header.Get("x-case")] = s
	r.mu.Unlock()
	req.Body = io.NopCloser(strings.NewReader(string(body)))
	r.next.ServeHTTP(w, req)
}

func (r *recorder) take(id string) *upstreamSaw {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.saw[id]
	delete(r.saw, id)
	return s
}

func sha(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:6])
}

// rawCase is one HTTP/1.1 request written byte for byte, so that path
// tricks and odd request lines reach the proxy as a client would send
// them.
type rawCase struct {
	name, method, target string
	headers              []string // "name: value"
	body                 string
	// raw, when set, is the whole request head (without the x-case line
	// and the final CRLF).
	raw string
	// shapeOnly compares a JSON answer's top-level keys, not its bytes
	// (the shadow inventory's counts depend on when each worker flushed;
	// a login's token is signed with a key made at the upstream's start).
	shapeOnly bool
}

func (c rawCase) bytes() []byte {
	var b strings.Builder
	if c.raw != "" {
		b.WriteString(c.raw + "\r\n")
	} else {
		fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nhost: bank.example\r\n", c.method, c.target)
		for _, h := range c.headers {
			b.WriteString(h + "\r\n")
		}
		if c.body != "" || c.method == "POST" {
			fmt.Fprintf(&b, "content-length: %d\r\n", len(c.body))
		}
	}
	fmt.Fprintf(&b, "x-case: %s\r\nconnection: close\r\n\r\n%s", c.name, c.body)
	return []byte(b.String())
}

const transfer = `{"from":"ACC-1001","to":"ACC-2002","amount":12.5,"currency":"EUR"}`

// transcriptCases are schema, content types, path tricks, methods,
// encodings, sequences, redaction, admin, shadow endpoints, method
// overrides and codec limits. Cases of one session run in order.
func transcriptCases() []rawCase {
	json := "content-type: application/json"
	return []rawCase{
		{name: "balance", method: "GET", target: "/api/v1/accounts/ACC-1001/balance", headers: []string{"x-session-id: s1"}},
		{name: "transfer-after-balance", method: "POST", target: "/api/v1/transferFunds", headers: []string{"x-session-id: s1", json}, body: transfer},
		{name: "repeated-transfer", method: "POST", target: "/api/v1/transferFunds", headers: []string{"x-session-id: s1", json}, body: transfer},
		{name: "transfer-without-balance", method: "POST", target: "/api/v1/transferFunds", headers: []string{"x-session-id: s2", json}, body: transfer},
		{name: "schema-string-amount", method: "POST", target: "/api/v1/transferFunds", headers: []string{"x-session-id: s3", json}, body: `{"from":"ACC-1","to":"ACC-2","amount":"12"}`},
		{name: "schema-missing", method: "POST", target: "/api/v1/transferFunds", headers: []string{"x-session-id: s3", json}, body: `{"from":"ACC-1"}`},
		{name: "malformed-json", method: "POST", target: "/api/v1/transferFunds", headers: []string{"x-session-id: s3", json}, body: `{"from":`},
		{name: "tiny-number", method: "POST", target: "/api/v1/transferFunds", headers: []string{"x-session-id: s3", json}, body: `{"from":"ACC-1","to":"ACC-2","amount":1e-400}`},
		{name: "lone-surrogate", method: "POST", target: "/api/v1/transferFunds", headers: []string{"x-session-id: s3", json}, body: `{"from":"\ud800","to":"ACC-2","amount":1}`},
		{name: "wrong-content-type", method: "POST", target: "/api/v1/transferFunds", headers: []string{"x-session-id: s3", "content-type: text/plain"}, body: transfer},
		{name: "no-content-type", method: "POST", target: "/api/v1/transferFunds", headers: []string{"x-session-id: s3"}, body: transfer},
		{name: "json-charset", method: "POST", target: "/api/v1/transferFunds", headers: []string{"x-session-id: s4", "content-type: application/json; charset=utf-8"}, body: transfer},
		{name: "gzip-request", method: "POST", target: "/api/v1/transferFunds", headers: []string{"x-session-id: s3", json, "content-encoding: gzip"}, body: "\x1f\x8b\x08\x00"},
		{name: "chunked-body", raw: "POST /api/v1/transferFunds HTTP/1.1\r\nhost: bank.example\r\nx-session-id: s5\r\ncontent-type: application/json\r\ntransfer-encoding: chunked", body: fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(transfer), transfer)},
		{name: "body-on-get", method: "GET", target: "/api/v1/accounts/ACC-1001/balance", headers: []string{"x-session-id: s6", json}, body: transfer},
		{name: "list-accounts", method: "GET", target: "/api/v1/users/7/accounts", headers: []string{"x-session-id: s7"}},
		{name: "list-accounts-gzip", method: "GET", target: "/api/v1/users/8/accounts", headers: []string{"x-session-id: s7", "accept-encoding: gzip"}},
		{name: "integer-spelling", method: "GET", target: "/api/v1/users/1e0/accounts", headers: []string{"x-session-id: s7"}},
		{name: "unknown-query", method: "GET", target: "/api/v1/accounts/ACC-1001/balance?debug=1", headers: []string{"x-session-id: s8"}},
		{name: "dot-segments", method: "GET", target: "/api/v1/accounts/ACC-1001/../ACC-1002/balance", headers: []string{"x-session-id: s8"}},
		{name: "encoded-dots", method: "GET", target: "/internal/%2e%2e/api/v1/users/1/accounts", headers: []string{"x-session-id: s8"}},
		{name: "double-slash", method: "GET", target: "//api//v1/accounts/ACC-1001/balance", headers: []string{"x-session-id: s8"}},
		{name: "encoded-slash", method: "GET", target: "/api/v1/accounts/ACC-1001%2Fbalance", headers: []string{"x-session-id: s8"}},
		{name: "encoded-letters", method: "GET", target: "/api/v1/%61ccounts/ACC-1001/balance", headers: []string{"x-session-id: s8"}},
		{name: "backslash", method: "GET", target: "/api/v1/accounts/ACC-1001\\balance", headers: []string{"x-session-id: s8"}},
		{name: "trailing-slash", method: "GET", target: "/api/v1/accounts/ACC-1001/balance/", headers: []string{"x-session-id: s8"}},
		{name: "fragment", method: "GET", target: "/api/v1/accounts/ACC-1001/balance#x", headers: []string{"x-session-id: s8"}},
		{name: "absolute-form", method: "GET", target: "http://bank.example/api/v1/accounts/ACC-1001/balance", headers: []string{"x-session-id: s8"}},
		{name: "head", method: "HEAD", target: "/api/v1/accounts/ACC-1001/balance", headers: []string{"x-session-id: s9"}},
		{name: "wrong-method", method: "DELETE", target: "/api/v1/accounts/ACC-1001/balance", headers: []string{"x-session-id: s9"}},
		{name: "options", method: "OPTIONS", target: "/api/v1/accounts/ACC-1001/balance", headers: []string{"x-session-id: s9"}},
		{name: "method-override", method: "POST", target: "/api/v1/transferFunds", headers: []string{"x-session-id: s10", json, "x-http-method-override: DELETE"}, body: transfer},
		{name: "long-method", method: strings.Repeat("G", 300), target: "/api/v1/accounts/ACC-1001/balance"},
		{name: "shadow-cards", method: "GET", target: "/api/v1/users/7/cards", headers: []string{"x-session-id: s11"}},
		{name: "internal-debug", method: "GET", target: "/internal/debug/config", headers: []string{"x-session-id: s11"}},
		{name: "probe-git", method: "GET", target: "/.git/config"},
		{name: "login", method: "POST", target: "/api/v1/auth", headers: []string{json}, body: `{"username":"user1","password":"correct-horse-1"}`, shapeOnly: true},
		{name: "admin-no-token", method: "GET", target: "/.apiwarden/inventory"},
		{name: "admin-token", method: "GET", target: "/.apiwarden/inventory", headers: []string{"authorization: Bearer demo-admin-token-change-me"}, shapeOnly: true},
		{name: "oversized-header", method: "GET", target: "/api/v1/accounts/ACC-1001/balance", headers: []string{"x-big: " + strings.Repeat("b", 70<<10)}},
	}
}

// play sends c to addr over a fresh connection and returns the answer's
// transcript (with what the upstream saw).
func play(t *testing.T, addr string, rec *recorder, c rawCase) transcript {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	_, err = conn.Write(c.bytes())
	require.NoError(t, err)
	req := &http.Request{Method: c.method}
	if c.raw != "" {
		req.Method = strings.Fields(c.raw)[0]
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		return transcript{Status: -1, Upstream: rec.take(c.name)}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	tr := transcript{Status: resp.StatusCode, ContentType: resp.Header.Get("content-type"), Upstream: rec.take(c.name)}
	for _, h := range moduleAnswerHeaders {
		if v := resp.Header.Values(h); len(v) > 0 {
			if tr.Headers == nil {
				tr.Headers = map[string]string{}
			}
			tr.Headers[h] = strings.Join(v, ",")
		}
	}
	if strings.HasPrefix(tr.ContentType, "application/problem+json") {
		require.NoError(t, json.Unmarshal(body, &tr.Problem), "%s: %s", c.name, body)
		delete(tr.Problem, "trace_id")
	} else if strings.HasPrefix(tr.ContentType, "application/json") {
		tr.BodySHA = sha(body)
		if c.shapeOnly {
			tr.BodySHA = shape(body)
		}
	}
	return tr
}

// TestTranscriptsWasmtestAgainstRealEnvoy plays the same exchanges through
// wasmtest's gateway and through each pinned Envoy (the example
// bootstrap: normalize_path, merge_slashes, KEEP_UNCHANGED), both with
// the bank configuration, and compares what clients and the upstream saw.
// A difference is a bug in wasmtest unless gatewayDifferences names it
// (and wasmtest/doc.go says why).
func TestTranscriptsWasmtestAgainstRealEnvoy(t *testing.T) {
	cases := transcriptCases()
	cfg := bankConfig(t)

	gwAddr, gwRec := gatewayHost(t, cfg, wasmtest.ExampleGatewayOptions)
	want := map[string]transcript{}
	for _, c := range cases {
		want[c.name] = play(t, gwAddr, gwRec, c)
	}

	for _, v := range realenvoy.Versions() {
		t.Run(v, func(t *testing.T) {
			addr, rec := envoyHost(t, v, cfg)
			var report []string
			aborted := 0
			for _, c := range cases {
				got := play(t, addr, rec, c)
				if got.Upstream != nil && got.Upstream.Aborted && want[c.name].Upstream == nil {
					// Envoy released the headers upstream before the body
					// was refused, then reset the request: the upstream
					// never got a request to act on (wasmtest/doc.go).
					got.Upstream = nil
					aborted++
				}
				w := want[c.name]
				if why, known := gatewayDifferences[c.name]; known {
					assert.NotEqual(t, js(w), js(got), "%s: listed as a difference (%s) but now equal: remove it", c.name, why)
					report = append(report, fmt.Sprintf("%-26s known difference: %s", c.name, why))
					continue
				}
				if !assert.Equal(t, js(w), js(got), "%s: wasmtest (want) and Envoy %s (got) differ", c.name, v) {
					continue
				}
				report = append(report, fmt.Sprintf("%-26s %d same", c.name, got.Status))
			}
			sort.Strings(report)
			t.Logf("Envoy %s: %d cases, %d refused bodies whose headers Envoy had released upstream", v, len(cases), aborted)
			if os.Getenv("APIWARDEN_TRANSCRIPTS") != "" {
				t.Logf("\n%s", strings.Join(report, "\n"))
			}
		})
	}
}

// gatewayHost serves the module with cfg through wasmtest's gateway, with
// the example bootstrap's connection-manager options, in front of a
// recording bank upstream.
func gatewayHost(t *testing.T, cfg []byte, opts wasmtest.GatewayOptions) (string, *recorder) {
	t.Helper()
	rec := &recorder{saw: map[string]*upstreamSaw{}, next: bank.Upstream()}
	up := httptest.NewServer(rec)
	t.Cleanup(up.Close)
	host, err := wasmtest.New(context.Background(), wasmtest.Options{ModulePath: module(t), PluginConfig: cfg, Workers: 2,
		PluginName: "apiwarden", RootID: "apiwarden", VMID: "apiwarden"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = host.Close(context.Background()) })
	upURL, _ := url.Parse(up.URL)
	gw := httptest.NewServer(wasmtest.NewGatewayWith(host, upURL, opts))
	t.Cleanup(gw.Close)
	return strings.TrimPrefix(gw.URL, "http://"), rec
}

// envoyHost is the same through real Envoy version v (two workers).
func envoyHost(t *testing.T, v string, cfg []byte) (string, *recorder) {
	t.Helper()
	rec := &recorder{saw: map[string]*upstreamSaw{}, next: bank.Upstream()}
	up := httptest.NewServer(rec)
	t.Cleanup(up.Close)
	e, err := realenvoy.Start(context.Background(), realenvoy.Options{Bin: binary(t, v), Concurrency: 2,
		Bootstrap: realenvoy.Bootstrap{Upstream: strings.TrimPrefix(up.URL, "http://"), Module: module(t), PluginConfig: cfg}})
	require.NoError(t, err)
	t.Cleanup(e.Stop)
	return e.Addr(), rec
}

// shape is the sorted top-level keys of a JSON object.
func shape(body []byte) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return "not an object"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return "keys:" + strings.Join(keys, ",")
}

func js(v any) string {
	b, _ := json.MarshalIndent(v, "", " ")
	return string(b)
}

// gatewayDifferences are the cases where wasmtest's gateway and Envoy
// differ on purpose (each explained in wasmtest/doc.go, "Gateway and
// Envoy").
var gatewayDifferences = map[string]string{}

// frontProbes are request targets, methods and header sets that Envoy's
// codec and connection manager (normalize_path, merge_slashes,
// KEEP_UNCHANGED) rewrite or refuse before any HTTP filter runs.
func frontProbes() []rawCase {
	var cs []rawCase
	for i, p := range []string{"/a/b", `/a\b`, "/a/%2e%2e/b", "/a/%2E/b", "/a/.%2e/b", "/a/%2e./b", "/%61b", "/a%2Fb", "/a%2fb",
		"/a%5Cb", "/a b", "/a%20b", "/a/%zz", "/a/%", "/ä", `/a"b`, "/a<b>", "/a{b}", "/a|b", "/a^b", "/a`b", "/a;b",
		"/a/./b/../c", "/..", "/../a", "//a//b/", "/a/b?x=../y", "/a/b?x=%2e", "/a?b#c", "/a#c", "/a/%7Eb", "/a/~b", "/A/%41",
		"/a/%2e%2E/b", "/a/..;/b", "/a/%252e%252e/b", "/a//../b", "*", "/a%00b", "/a%3fb", "/a%23b", "/a/b/..", "/a/b/.",
		"/a/[b]", "/a/'b'", "/a/%c3%a9", "/a/..;x/b", "/a/.;/b", "/a/b;c/../d", "/a/..%3b/b", "/a/%2e%2e;/b", "/a;/b", "/a/..;"} {
		cs = append(cs, rawCase{name: fmt.Sprint("path-", i), method: "GET", target: p})
	}
	for i, m := range []string{"GET", "get", "FOO", "PROPFIND", "PATCH", strings.Repeat("G", 20), "M-SEARCH", "MSEARCH", "PURGE", "QUERY", "SOURCE"} {
		cs = append(cs, rawCase{name: fmt.Sprint("method-", i), method: m, target: "/a"})
	}
	for _, n := range []int{96, 97, 98} {
		var hs []string
		for j := 0; j < n; j++ {
			hs = append(hs, fmt.Sprintf("x-h%d: v", j))
		}
		cs = append(cs, rawCase{name: fmt.Sprint("headers-", n), method: "GET", target: "/a", headers: hs})
	}
	for _, kb := range []int{59, 61} {
		cs = append(cs, rawCase{name: fmt.Sprint("header-kib-", kb), method: "GET", target: "/a", headers: []string{"x-big: " + strings.Repeat("b", kb<<10-200)}})
	}
	return cs
}

// TestPathsAndCodecAgainstRealEnvoy holds wasmtest's emulation of Envoy's
// front (codec limits, normalize_path, merge_slashes) to each pinned
// Envoy: the same answer status and content type, and the same target at
// the upstream. The module forwards :path as it got it (path_integrity
// off), so what differs is the host's.
func TestPathsAndCodecAgainstRealEnvoy(t *testing.T) {
	cases := frontProbes()
	for _, v := range realenvoy.Versions() {
		t.Run(v, func(t *testing.T) {
			cfg := []byte(`{"request":{"path_integrity":"off"}}`)
			gwAddr, gwRec := gatewayHost(t, cfg, wasmtest.ExampleGatewayOptionsFor(v))
			addr, rec := envoyHost(t, v, cfg)
			for _, c := range cases {
				want, got := play(t, gwAddr, gwRec, c), play(t, addr, rec, c)
				if why, ok := frontDifferences[c.method+" "+c.target]; ok && (why.version == "" || why.version == v) {
					assert.Equal(t, want.Status, got.Status, "%s %q: a known difference in the body only", c.method, c.target)
					assert.NotEqual(t, front(want), front(got), "%s %q: listed as a difference (%s) but now equal: remove it", c.method, c.target, why.reason)
					continue
				}
				assert.Equal(t, front(want), front(got), "%s %q: wasmtest (want) and Envoy %s (got)", c.method, c.target, v)
			}
		})
	}
}

// frontDifferences are where the gateway answers with the same status as
// Envoy but another body (wasmtest/doc.go, "Gateway and Envoy").
var frontDifferences = map[string]struct{ version, reason string }{
	"GET /a/%zz": {"", "Go's net/http refuses an invalid escape in the request target itself (400 text/plain); Envoy passes it on and apiwarden answers 400 problem+json"},
	"GET /a/%":   {"", "as /a/%zz"},
	"QUERY /a":   {"1.40.0", "Envoy 1.40's codec accepts QUERY and its connection manager answers 400 without a body; 1.36's codec refuses it (400 text/plain), as the gateway does"},
}

func front(tr transcript) string {
	ct, _, _ := mime.ParseMediaType(tr.ContentType)
	s := fmt.Sprintf("%d %q", tr.Status, ct)
	if tr.Upstream != nil {
		s += " upstream " + tr.Upstream.Method + " " + tr.Upstream.Target
	}
	return s
}
