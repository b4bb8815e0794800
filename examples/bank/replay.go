package bank

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Client sends one request through the protected API and returns the
// status and body the client got. Advance moves the clock the filter sees
// (a no-op against a real-time gateway).
type Client interface {
	Do(method, path string, headers [][2]string, body string) (status int, respBody []byte, err error)
	Advance(d time.Duration) error
}

// Outcome is what happened to one replayed request.
type Outcome struct {
	Actor   string // "legit" or "attacker"
	Session string
	Step    string
	Status  int
	Body    []byte
}

// Blocked reports a refusal by the filter (a problem+json answer).
func (o Outcome) Blocked() bool { return o.Status >= 400 }

// Scenario is the design seed's story: legitimate banking sessions (list
// accounts, read balances, transfer) and an attacker who transfers without
// reading balances first, then replays the same transfer with modified
// bodies.
type Scenario struct {
	LegitSessions int
	// Spacing is the simulated time between two requests of a session.
	Spacing time.Duration
}

// DefaultScenario is what `make demo` plays.
var DefaultScenario = Scenario{LegitSessions: 120, Spacing: 2 * time.Second}

// Run replays the scenario through c. Legitimate sessions are interleaved
// the way concurrent clients would be; the attacker comes last, after the
// analytics have warmed up.
func (s Scenario) Run(c Client) ([]Outcome, error) {
	var out []Outcome
	do := func(actor, session, step, method, path, body string) error {
		h := [][2]string{{"x-session-id", session}}
		if body != "" {
			h = append(h, [2]string{"content-type", "application/json"})
		}
		st, b, err := c.Do(method, path, h, body)
		if err != nil {
			return fmt.Errorf("%s %s %s: %w", actor, step, path, err)
		}
		out = append(out, Outcome{Actor: actor, Session: session, Step: step, Status: st, Body: b})
		return nil
	}
	for i := 0; i < s.LegitSessions; i++ {
		sid := fmt.Sprintf("legit-%04d", i)
		user := 100 + i
		acc := fmt.Sprintf("ACC-%d", 1000+i)
		steps := []struct{ step, method, path, body string }{
			{"list_accounts", "GET", fmt.Sprintf("/api/v1/users/%d/accounts", user), ""},
			{"get_balance", "GET", "/api/v1/accounts/" + acc + "/balance", ""},
		}
		if i%3 != 0 {
			steps = append(steps, struct{ step, method, path, body string }{
				"transfer_funds", "POST", "/api/v1/transferFunds",
				fmt.Sprintf(`{"from":%q,"to":"ACC-%d","amount":%d.50,"currency":"EUR"}`, acc, 2000+i, 10+i%90)})
		}
		steps = append(steps, struct{ step, method, path, body string }{"get_balance", "GET", "/api/v1/accounts/" + acc + "/balance", ""})
		for _, st := range steps {
			if err := do("legit", sid, st.step, st.method, st.path, st.body); err != nil {
				return out, err
			}
			if err := c.Advance(s.Spacing); err != nil {
				return out, err
			}
		}
	}
	// The attacker of the seed.
	atk := "attacker-1"
	attack := []struct{ step, method, path, body string }{
		{"transfer without balance", "POST", "/api/v1/transferFunds", `{"from":"ACC-1000","to":"ACC-6666","amount":900.00}`},
		{"read a balance", "GET", "/api/v1/accounts/ACC-1000/balance", ""},
		{"transfer", "POST", "/api/v1/transferFunds", `{"from":"ACC-1000","to":"ACC-6666","amount":900.00}`},
		{"replay with modified amount", "POST", "/api/v1/transferFunds", `{"from":"ACC-1000","to":"ACC-6666","amount":9000.00}`},
		{"replay with amount as text", "POST", "/api/v1/transferFunds", `{"from":"ACC-1000","to":"ACC-6666","amount":"9000"}`},
		{"probe an internal route", "GET", "/internal/debug/config", ""},
	}
	for i := 0; i < 6; i++ {
		attack = append(attack, struct{ step, method, path, body string }{
			"enumerate balances", "GET", fmt.Sprintf("/api/v1/accounts/ACC-%d/balance", 1001+i), ""})
	}
	for _, st := range attack {
		if err := do("attacker", atk, st.step, st.method, st.path, st.body); err != nil {
			return out, err
		}
		if err := c.Advance(time.Second); err != nil {
			return out, err
		}
	}
	return out, nil
}

// Summarize writes what was allowed and blocked, per actor and step.
func Summarize(w io.Writer, outs []Outcome) {
	type key struct{ actor, step string }
	type tally struct{ allowed, blocked int }
	counts := map[key]*tally{}
	var keys []key
	for _, o := range outs {
		k := key{o.Actor, o.Step}
		if counts[k] == nil {
			counts[k] = &tally{}
			keys = append(keys, k)
		}
		if o.Blocked() {
			counts[k].blocked++
		} else {
			counts[k].allowed++
		}
	}
	sort.SliceStable(keys, func(i, j int) bool { return keys[i].actor > keys[j].actor })
	fmt.Fprintf(w, "%-9s %-30s %8s %8s\n", "actor", "step", "allowed", "blocked")
	for _, k := range keys {
		fmt.Fprintf(w, "%-9s %-30s %8d %8d\n", k.actor, k.step, counts[k].allowed, counts[k].blocked)
	}
	fmt.Fprintln(w)
	for _, o := range outs {
		if o.Actor == "attacker" {
			verdict := "allowed"
			if o.Blocked() {
				verdict = "BLOCKED " + ruleOf(o.Body)
			}
			fmt.Fprintf(w, "attacker  %-30s %d %s\n", o.Step, o.Status, verdict)
		}
	}
}

// ruleOf extracts the "rule" member of a problem document for display.
func ruleOf(body []byte) string {
	s := string(body)
	i := strings.Index(s, `"rule":"`)
	if i < 0 {
		return ""
	}
	s = s[i+8:]
	if j := strings.IndexByte(s, '"'); j >= 0 {
		return "(" + s[:j] + ")"
	}
	return ""
}
