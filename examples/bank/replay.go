package bank

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apiwarden/apiwarden/policy"
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

// Blocked reports a refusal by the filter: apiwarden's problem+json
// answer (the upstream's own 401 for a wrong password is not one).
func (o Outcome) Blocked() bool {
	return o.Status >= 400 && strings.Contains(string(o.Body), `"type":"`+policy.ProblemTypeBase)
}

// Scenario is the story `make demo` tells. Legitimate banking sessions
// log in (a real ES256 token from the demo upstream) and use their own
// accounts: list them, read a balance, transfer, read it again. Then come
// the attackers, each with a token of its own: the seed's (a transfer
// without reading a balance first, replays with modified bodies, probes),
// a brute force of one user's password from 30 addresses, a session
// reading the balances of 25 different accounts, and one listing the
// accounts of 40 different users.
type Scenario struct {
	LegitSessions int
	// Spacing is the simulated time between two requests of a session.
	Spacing time.Duration
}

// DefaultScenario is what `make demo` plays.
var DefaultScenario = Scenario{LegitSessions: 120, Spacing: 2 * time.Second}

// Attacker steps, as Outcome.Step names them.
const (
	StepBruteForce    = "guess user7's password"
	StepBalanceScrape = "read another account's balance"
	StepUserScrape    = "list another user's accounts"
)

type player struct {
	c   Client
	out []Outcome
}

func (p *player) do(actor, session, step, method, path, body string, extra ...[2]string) (int, []byte, error) {
	var h [][2]string
	if session != "" {
		h = append(h, [2]string{"x-session-id", session})
	}
	if body != "" {
		h = append(h, [2]string{"content-type", "application/json"})
	}
	h = append(h, extra...)
	st, b, err := p.c.Do(method, path, h, body)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s %s: %w", actor, step, path, err)
	}
	p.out = append(p.out, Outcome{Actor: actor, Session: session, Step: step, Status: st, Body: b})
	return st, b, nil
}

// login logs user n in and returns the authorization header.
func (p *player) login(actor, session string, n int) ([2]string, error) {
	st, b, err := p.do(actor, session, "login", "POST", "/api/v1/auth",
		fmt.Sprintf(`{"username":"user%d","password":"correct-horse-%d"}`, n, n))
	if err != nil {
		return [2]string{}, err
	}
	var tok struct{ Token string }
	if st != 200 || json.Unmarshal(b, &tok) != nil || tok.Token == "" {
		return [2]string{}, fmt.Errorf("%s %s: login of user%d answered %d: %s", actor, session, n, st, b)
	}
	return [2]string{"authorization", "Bearer " + tok.Token}, nil
}

// Run replays the scenario through c. Legitimate sessions are interleaved
// the way concurrent clients would be; the attackers come last, after the
// analytics have warmed up.
func (s Scenario) Run(c Client) ([]Outcome, error) {
	p := &player{c: c}
	type step struct{ step, method, path, body string }
	for i := 0; i < s.LegitSessions; i++ {
		sid := fmt.Sprintf("legit-%04d", i)
		n := 1 + i%Users
		authz, err := p.login("legit", sid, n)
		if err != nil {
			return p.out, err
		}
		accs := accountsOf(strconv.Itoa(n))
		steps := []step{
			{"list_accounts", "GET", fmt.Sprintf("/api/v1/users/%d/accounts", n), ""},
			{"get_balance", "GET", "/api/v1/accounts/" + accs[0] + "/balance", ""},
		}
		if i%3 != 0 {
			steps = append(steps, step{"transfer_funds", "POST", "/api/v1/transferFunds",
				fmt.Sprintf(`{"from":%q,"to":%q,"amount":%d.50,"currency":"EUR"}`, accs[0], accs[1], 10+i%90)})
		}
		steps = append(steps, step{"get_balance", "GET", "/api/v1/accounts/" + accs[0] + "/balance", ""})
		for _, st := range steps {
			if _, _, err := p.do("legit", sid, st.step, st.method, st.path, st.body, authz); err != nil {
				return p.out, err
			}
			if err := c.Advance(s.Spacing); err != nil {
				return p.out, err
			}
		}
	}
	if err := s.seedAttacker(p); err != nil {
		return p.out, err
	}
	if err := s.abuseAttackers(p); err != nil {
		return p.out, err
	}
	return p.out, nil
}

// seedAttacker is the attacker of the design seed, with its own token
// and accounts: a transfer without a balance read, replays, probes.
func (s Scenario) seedAttacker(p *player) error {
	const atk, n = "attacker-1", 42
	authz, err := p.login("attacker", atk, n)
	if err != nil {
		return err
	}
	accs := accountsOf(strconv.Itoa(n))
	transfer := func(amount string) string {
		return fmt.Sprintf(`{"from":%q,"to":"ACC-6666","amount":%s}`, accs[0], amount)
	}
	attack := []struct{ step, method, path, body string }{
		{"transfer without balance", "POST", "/api/v1/transferFunds", transfer("900.00")},
		{"read a balance", "GET", "/api/v1/accounts/" + accs[0] + "/balance", ""},
		{"transfer", "POST", "/api/v1/transferFunds", transfer("900.00")},
		{"replay with modified amount", "POST", "/api/v1/transferFunds", transfer("9000.00")},
		{"replay with amount as text", "POST", "/api/v1/transferFunds", transfer(`"9000"`)},
		{"probe an internal route", "GET", "/internal/debug/config", ""},
		{"call the back-office export", "GET", "/api/v1/internal/customers", ""},
	}
	for i := 0; i < 5; i++ {
		attack = append(attack, struct{ step, method, path, body string }{
			"read its balance again", "GET", "/api/v1/accounts/" + accs[i%2] + "/balance", ""})
	}
	for _, st := range attack {
		if _, _, err := p.do("attacker", atk, st.step, st.method, st.path, st.body, authz); err != nil {
			return err
		}
		if err := p.c.Advance(time.Second); err != nil {
			return err
		}
	}
	return nil
}

// abuseAttackers brute-force one user's password from 30 addresses (no
// session, no token), then scrape balances and account lists with a
// token of their own.
func (s Scenario) abuseAttackers(p *player) error {
	for i := 0; i < 30; i++ {
		xff := [2]string{"x-forwarded-for", fmt.Sprintf("198.51.100.%d", 1+i)}
		if _, _, err := p.do("attacker", "", StepBruteForce, "POST", "/api/v1/auth",
			fmt.Sprintf(`{"username":"user7","password":"guess-%04d"}`, i), xff); err != nil {
			return err
		}
		if err := p.c.Advance(200 * time.Millisecond); err != nil {
			return err
		}
	}
	const scraper, n = "attacker-2", 43
	authz, err := p.login("attacker", scraper, n)
	if err != nil {
		return err
	}
	for i := 0; i < 25; i++ {
		if _, _, err := p.do("attacker", scraper, StepBalanceScrape, "GET", fmt.Sprintf("/api/v1/accounts/ACC-%d/balance", 3000+i), "", authz); err != nil {
			return err
		}
		if err := p.c.Advance(time.Second); err != nil {
			return err
		}
	}
	const lister, m = "attacker-3", 44
	if authz, err = p.login("attacker", lister, m); err != nil {
		return err
	}
	for u := 1; u <= 40; u++ {
		if _, _, err := p.do("attacker", lister, StepUserScrape, "GET", fmt.Sprintf("/api/v1/users/%d/accounts", u), "", authz); err != nil {
			return err
		}
		if err := p.c.Advance(time.Second); err != nil {
			return err
		}
	}
	return nil
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
			if o.Status >= 400 {
				verdict = "refused by the upstream"
			}
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
