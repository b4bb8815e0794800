package bench

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/apiwarden/apiwarden/wasmtest"
)

// TestCasesBehave plays a few iterations of every benchmark case and
// checks that each takes the path it claims to measure; negative controls
// show that the checks being measured are really active.
func TestCasesBehave(t *testing.T) {
	var scs []*scenario
	scs = append(scs, requestScenarios(t)...)
	scs = append(scs, sessionFlowScenarios(t)...)
	scs = append(scs, routeScenarios(t)...)
	scs = append(scs, responseScenarios(t)...)
	for _, sc := range scs {
		t.Run(sc.name(), func(t *testing.T) {
			d := newDriver(t, sc.setup, sc.edit...)
			for i := 0; i < 24; i++ {
				sc.iteration(t, d, i, nil)
			}
			events := warnings(d.h)
			rule := expectedRule(sc)
			for _, e := range events {
				if rule == "" || !strings.Contains(e, `"apiwarden.rule":"`+rule+`"`) {
					t.Fatalf("unexpected event (want only %q): %s", rule, e)
				}
			}
			if rule != "" && len(events) == 0 {
				t.Errorf("expected %q events, got none", rule)
			}
		})
	}
}

// expectedRule is the only rule a case may report: "{}" logs every
// request as an unknown endpoint, the 2,000-operation policy refuses the
// unknown route, and the bank's detectors report the customer's email in
// list_accounts answers (the bank demo's own answers carry one too).
func expectedRule(sc *scenario) string {
	switch {
	case sc.setup.name == "apiwarden-empty":
		return "unknown-endpoint"
	case sc.group == "route-unknown" && sc.setup.module == modApiwarden:
		return "unknown-endpoint"
	case strings.HasPrefix(sc.group, "response-") && sc.setup.name == "bank-nosequences":
		return "sensitive-data"
	}
	return ""
}

func warnings(h *wasmtest.Host) []string {
	var out []string
	for _, vm := range h.VMs() {
		for _, l := range vm.TakeLogs() {
			if l.Level >= wasmtest.LogWarn {
				out = append(out, l.String())
			}
		}
	}
	return out
}

// TestTransferBodyIsValidAndChecked: the 1 KiB body is exactly 1024 bytes
// of valid JSON whose memo is within the schema's 140 characters, the bank
// policy validates it (a 141-character memo is refused), and it reaches
// the upstream unchanged.
func TestTransferBodyIsValidAndChecked(t *testing.T) {
	body := transferBody()
	if len(body) != transferBodySize {
		t.Fatalf("body is %d bytes, want %d", len(body), transferBodySize)
	}
	var v struct {
		From     string  `json:"from"`
		To       string  `json:"to"`
		Amount   float64 `json:"amount"`
		Currency string  `json:"currency"`
		Memo     string  `json:"memo"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	if n := utf8.RuneCountInString(v.Memo); n < 130 || n > 140 {
		t.Fatalf("memo has %d characters, want 130..140", n)
	}
	d := newDriver(t, bankNoSequences(t))
	req := transferRequest()
	var got []byte
	d.do(t, &req, func(r *wasmtest.UpstreamRequest) *wasmtest.Response {
		got = r.Body
		return bankUpstream()(r)
	}, 200)
	if !bytes.Equal(got, body) {
		t.Errorf("upstream got a different body")
	}
	// Negative control: one character more than maxLength.
	long := v
	long.Memo = strings.Repeat("字", 141)
	b, _ := json.Marshal(long)
	req.Body = b
	req.Headers = req.Headers[:len(req.Headers)-1] // drop content-length
	ex := d.do(t, &req, bankUpstream(), 400)
	if !bytes.Contains(ex.Response.Body, []byte("/memo")) {
		t.Errorf("refusal does not point at /memo: %s", ex.Response.Body)
	}
}

// TestSequenceRulesAreActive: with the full bank policy a second transfer
// in a row is refused, so the session-flow benchmarks run the rules.
func TestSequenceRulesAreActive(t *testing.T) {
	d := newDriver(t, bankFull(t))
	up := bankUpstream()
	bal, tr := balanceRequest(), transferRequest()
	bal.Headers[sessionHeader][1], tr.Headers[sessionHeader][1] = "control", "control"
	d.do(t, &bal, up, 200)
	d.do(t, &tr, up, 200)
	ex, err := d.h.RoundTrip(&tr, up)
	if err != nil || ex.Response == nil || !ex.LocalReply || ex.Response.Status < 400 {
		t.Fatalf("second transfer in a row: want a refusal, got %s", describe(ex, err))
	}
	if !bytes.Contains(ex.Response.Body, []byte("no-repeated-transfer")) {
		t.Errorf("refused by another rule: %s", ex.Response.Body)
	}
}

// TestRouteCasesMatch: operation #1000 is matched and its parameters are
// validated (limit above its maximum is refused), so the route benchmark
// measures a real match, not an unknown-endpoint refusal.
func TestRouteCasesMatch(t *testing.T) {
	d := newDriver(t, syntheticSetup(t))
	req := operation1000(t)
	if !strings.Contains(req.Path, "limit=") {
		t.Fatalf("operation #1000 (%s %s) has no limit parameter any more: update the control", req.Method, req.Path)
	}
	d.do(t, &req, tinyJSON(), 200)
	req.Path = strings.Replace(req.Path, "limit=25", "limit=1000", 1)
	ex := d.do(t, &req, tinyJSON(), 400)
	if !bytes.Contains(ex.Response.Body, []byte("limit")) {
		t.Errorf("refusal does not name the parameter: %s", ex.Response.Body)
	}
}

// TestResponseCasesRedact: the bank policy rewrites the list_accounts
// answer (IBANs, national id and email gone, still JSON); the
// pass-through module and "{}" deliver it unchanged.
func TestResponseCasesRedact(t *testing.T) {
	body := accountsBody(64 << 10)
	if len(body) != 64<<10 || !json.Valid(body) {
		t.Fatalf("fixture: %d bytes, valid %v", len(body), json.Valid(body))
	}
	for _, s := range []setup{passthrough(), apiwardenEmpty(), bankNoSequences(t)} {
		t.Run(s.name, func(t *testing.T) {
			d := newDriver(t, s)
			req := accountsRequest()
			ex := d.do(t, &req, accountsUpstream(body), 200)
			out := ex.Response.Body
			if s.name != "bank-nosequences" {
				if !bytes.Equal(out, body) {
					t.Errorf("body changed (%d -> %d bytes)", len(body), len(out))
				}
				return
			}
			if !json.Valid(out) {
				t.Fatalf("redacted body is not JSON")
			}
			for _, secret := range []string{"DE89370400440532013", "123-45-6789", "customer42@example.com"} {
				if bytes.Contains(out, []byte(secret)) {
					t.Errorf("%q still in the response", secret)
				}
			}
			if ex.Response.Header("server") != "" {
				t.Errorf("server header not removed")
			}
		})
	}
}
