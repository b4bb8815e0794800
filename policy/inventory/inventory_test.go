package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/apiwarden/apiwarden/policy/session"
)

var update = flag.Bool("update", false, "rewrite golden files")

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

var bankOps = []KnownOp{
	{ID: "list_accounts", Method: "GET", Path: "/api/v1/users/{user_id}/accounts"},
	{ID: "get_balance", Method: "GET", Path: "/api/v1/accounts/{account_id}/balance"},
	{ID: "transfer_funds", Method: "POST", Path: "/api/v1/transferFunds"},
	{ID: "auth", Method: "POST", Path: "/api/v1/auth"},
}

func ids(ops []KnownOp) []string {
	var out []string
	for _, o := range ops {
		out = append(out, o.ID)
	}
	return out
}

func decodeJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("invalid JSON %s: %v", b, err)
	}
	return v
}

func TestLearnCountsAndTemplates(t *testing.T) {
	st := session.NewMemStore()
	clk := &clock{time.Unix(1767323045, 0)}
	inv := New(st, Config{Prefix: "aw/", Ops: ids(bankOps), Now: clk.now})
	for _, p := range []string{"/api/v1/users/42/cards", "/api/v1/users/77/cards", "/api/v1/users/42/cards"} {
		if got := inv.Learn("GET", p); got != "/api/v1/users/{id}/cards" {
			t.Fatalf("Learn(%q) = %q", p, got)
		}
	}
	inv.CountShadow("GET", "/api/v1/users/{id}/cards", 404)
	if _, err := inv.Flush(); err != nil {
		t.Fatal(err)
	}
	out, err := inv.AppendJSON(nil, bankOps)
	if err != nil {
		t.Fatal(err)
	}
	v := decodeJSON(t, out)
	sh := v["shadow"].([]any)
	if len(sh) != 1 {
		t.Fatalf("shadow = %v", sh)
	}
	e := sh[0].(map[string]any)
	if e["hits"].(float64) != 3 || e["examples"].(float64) != 2 || e["template"] != "/api/v1/users/{id}/cards" ||
		e["status"].(map[string]any)["4xx"].(float64) != 1 {
		t.Errorf("shadow entry = %v", e)
	}
	if bytes.Contains(out, []byte("42")) || bytes.Contains(out, []byte("77")) {
		t.Errorf("output keeps a raw id: %s", out)
	}
	keys := st.Keys()
	if len(keys) != 1 || keys[0] != "aw/inv/shadow" {
		t.Errorf("keys = %v", keys)
	}
	raw, _, _, _ := st.Get("aw/inv/shadow")
	if bytes.Contains(raw, []byte("42")) || bytes.Contains(raw, []byte("77")) {
		t.Errorf("shared data keeps a raw id: %q", raw)
	}
}

func TestLearnDoesNotAllocate(t *testing.T) {
	inv := New(session.NewMemStore(), Config{})
	inv.Learn("GET", "/api/v1/users/42/cards")
	allocs := testing.AllocsPerRun(1000, func() {
		inv.Learn("GET", "/api/v1/users/42/cards")
		inv.CountShadow("GET", "/api/v1/users/{id}/cards", 200)
		inv.Count(0, 200)
	})
	if allocs != 0 {
		t.Errorf("Learn allocates %v times per call", allocs)
	}
}

func TestTwoVMsMerge(t *testing.T) {
	st := session.NewMemStore()
	clk := &clock{time.Unix(1767323045, 0)}
	vm1 := New(st, Config{Prefix: "aw/", Ops: ids(bankOps), Now: clk.now})
	vm2 := New(st, Config{Prefix: "aw/", Ops: ids(bankOps), Now: clk.now})
	vm1.Count(1, 200)
	vm1.Count(1, 200)
	vm2.Count(1, 404)
	vm2.Count(2, 0)
	vm1.Learn("GET", "/old/api/1")
	clk.t = clk.t.Add(time.Minute)
	vm2.Learn("GET", "/old/api/2")
	vm2.Learn("DELETE", "/old/api/2")
	for _, vm := range []*Inventory{vm1, vm2, vm1} {
		if _, err := vm.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	out, err := vm2.AppendJSON(nil, bankOps)
	if err != nil {
		t.Fatal(err)
	}
	v := decodeJSON(t, out)
	known := v["known"].([]any)
	gb := known[1].(map[string]any)
	if gb["requests"].(float64) != 3 || gb["status"].(map[string]any)["2xx"].(float64) != 2 || gb["status"].(map[string]any)["4xx"].(float64) != 1 {
		t.Errorf("get_balance = %v", gb)
	}
	if tf := known[2].(map[string]any); tf["status"].(map[string]any)["other"].(float64) != 1 {
		t.Errorf("transfer_funds = %v", tf)
	}
	sh := v["shadow"].([]any)
	get := sh[0].(map[string]any)
	if get["method"] != "GET" || get["hits"].(float64) != 2 || get["first_seen"] != "2026-01-02T03:04:05Z" || get["last_seen"] != "2026-01-02T03:05:05Z" {
		t.Errorf("merged shadow = %v", get)
	}
}

// racyStore lets another writer change a key between a Get and the Set
// that follows, a given number of times.
type racyStore struct {
	*session.MemStore
	races int
	other func()
}

func (s *racyStore) Get(key string) ([]byte, uint32, bool, error) {
	v, cas, found, err := s.MemStore.Get(key)
	if s.races > 0 {
		s.races--
		s.other()
	}
	return v, cas, found, err
}

func TestFlushRetriesOnCASMismatch(t *testing.T) {
	mem := session.NewMemStore()
	other := New(mem, Config{Ops: []string{"a"}})
	rs := &racyStore{MemStore: mem, races: 3, other: func() {
		other.Count(0, 200)
		other.Learn("GET", "/x/1")
		if _, err := other.Flush(); err != nil {
			t.Error(err)
		}
	}}
	inv := New(rs, Config{Ops: []string{"a"}})
	inv.Count(0, 500)
	inv.Learn("GET", "/x/2")
	stats, err := inv.Flush()
	if err != nil {
		t.Fatal(err)
	}
	if stats.Written != 2 {
		t.Errorf("stats = %+v", stats)
	}
	out, _ := inv.AppendJSON(nil, []KnownOp{{ID: "a"}})
	v := decodeJSON(t, out)
	a := v["known"].([]any)[0].(map[string]any)
	if a["requests"].(float64) != 4 || a["status"].(map[string]any)["5xx"].(float64) != 1 {
		t.Errorf("a = %v", a)
	}
	if h := v["shadow"].([]any)[0].(map[string]any)["hits"].(float64); h != 4 {
		t.Errorf("shadow hits = %v", h)
	}

	// A key that never settles: the counts stay for the next flush.
	rs.races = 1 << 30
	inv.Count(0, 201)
	if _, err := inv.Flush(); !errors.Is(err, ErrContention) {
		t.Fatalf("err = %v, want ErrContention", err)
	}
	rs.races = 0
	if _, err := inv.Flush(); err != nil {
		t.Fatal(err)
	}
	out, _ = inv.AppendJSON(nil, []KnownOp{{ID: "a"}})
	if v := decodeJSON(t, out); v["known"].([]any)[0].(map[string]any)["status"].(map[string]any)["2xx"].(float64) < 4 {
		t.Errorf("lost counts after contention: %s", out)
	}
}

func TestHammer(t *testing.T) {
	st := session.NewMemStore()
	const vms, rounds, per = 4, 20, 50
	var wg sync.WaitGroup
	for v := 0; v < vms; v++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inv := New(st, Config{Ops: []string{"op"}})
			for r := 0; r < rounds; r++ {
				for i := 0; i < per; i++ {
					inv.Count(0, 200)
					inv.Learn("GET", fmt.Sprintf("/s/%d/x", i))
				}
				for {
					if _, err := inv.Flush(); err == nil {
						break
					}
				}
			}
		}()
	}
	wg.Wait()
	out, _ := New(st, Config{Ops: []string{"op"}}).AppendJSON(nil, []KnownOp{{ID: "op"}})
	v := decodeJSON(t, out)
	if got := v["known"].([]any)[0].(map[string]any)["requests"].(float64); got != vms*rounds*per {
		t.Errorf("requests = %v, want %d", got, vms*rounds*per)
	}
	if got := v["shadow"].([]any)[0].(map[string]any)["hits"].(float64); got != vms*rounds*per {
		t.Errorf("shadow hits = %v, want %d", got, vms*rounds*per)
	}
}

func TestEvictionBound(t *testing.T) {
	st := session.NewMemStore()
	clk := &clock{time.Unix(1000, 0)}
	inv := New(st, Config{MaxShadow: 3, Now: clk.now})
	hit := func(path string, n int) {
		for i := 0; i < n; i++ {
			inv.Learn("GET", path)
		}
	}
	hit("/a", 5)
	hit("/b", 1)
	hit("/c", 3)
	if _, err := inv.Flush(); err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(time.Second)
	hit("/d", 1) // /d, /e, /f tie with /b on hits but are seen later: /b
	hit("/e", 1) // goes first, then /f and /e (ties broken by template)
	hit("/f", 1)
	hit("/g", 1) // beyond the local bound of 3 between flushes: dropped
	stats, err := inv.Flush()
	if err != nil {
		t.Fatal(err)
	}
	if stats.Evicted != 3 {
		t.Errorf("evicted = %d", stats.Evicted)
	}
	out, _ := inv.AppendJSON(nil, nil)
	v := decodeJSON(t, out)
	var got []string
	for _, e := range v["shadow"].([]any) {
		got = append(got, e.(map[string]any)["template"].(string))
	}
	if fmt.Sprint(got) != "[/a /c /d]" {
		t.Errorf("kept %v, want [/a /c /d]", got)
	}
	ev := v["shadow_evicted"].(map[string]any)
	if ev["endpoints"].(float64) != 3 || ev["hits"].(float64) != 4 {
		t.Errorf("evicted = %v", ev)
	}
}

func TestCorruptValueIsReplaced(t *testing.T) {
	st := session.NewMemStore()
	st.Set("inv/ops", []byte("garbage"), 0)
	st.Set("inv/shadow", []byte{shadowKind, 9}, 0)
	inv := New(st, Config{Ops: []string{"a"}})
	inv.Count(0, 200)
	inv.Learn("GET", "/z")
	stats, err := inv.Flush()
	if err != nil || stats.Corrupt != 2 || stats.Written != 2 {
		t.Fatalf("stats = %+v, %v", stats, err)
	}
}

func TestCodecRoundTrip(t *testing.T) {
	ops := []opEntry{{id: "a", classes: [numClasses]uint64{1, 2, 3, 4, 5, 6}}, {id: "b"}}
	if got, bad := decodeOps(appendOps(nil, ops)); bad != 0 || fmt.Sprint(got) != fmt.Sprint(ops) {
		t.Errorf("ops round trip = %v %v", got, bad)
	}
	sh := shadowTable{evictedEndpoints: 2, evictedHits: 9, entries: []shadowEntry{
		{method: "GET", template: "/a/{id}", hits: 7, classes: [numClasses]uint64{0, 0, 7}, first: 1, last: -2, sketch: 1<<63 | 5}}}
	if got, bad := decodeShadow(appendShadow(nil, sh)); bad != 0 || fmt.Sprint(got) != fmt.Sprint(sh) {
		t.Errorf("shadow round trip = %v %v", got, bad)
	}
	b := appendShadow(nil, sh)
	for i := 1; i < len(b); i++ {
		if got, bad := decodeShadow(b[:i]); len(got.entries) != 0 || bad == 0 && i > 4 {
			t.Errorf("truncated value of %d bytes decodes to %v (%d dropped)", i, got, bad)
		}
	}
}

func TestExamplesEstimate(t *testing.T) {
	for _, n := range []int{1, 2, 5, 20} {
		var e shadowEntry
		for i := 0; i < n; i++ {
			e.sketch |= 1 << (fnv64(fmt.Sprintf("/u/%d", i)) & 63)
		}
		if got := e.Examples(); got < uint64(n)/2 || got > uint64(n)*2 {
			t.Errorf("%d distinct paths: estimate %d", n, got)
		}
	}
}

func TestJSONGolden(t *testing.T) {
	st := session.NewMemStore()
	clk := &clock{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	vm1 := New(st, Config{Prefix: "apiwarden/", Ops: ids(bankOps), Now: clk.now})
	vm2 := New(st, Config{Prefix: "apiwarden/", Ops: ids(bankOps), Now: clk.now})
	vm1.Count(0, 200)
	vm1.Count(1, 200)
	vm2.Count(1, 200)
	vm2.Count(2, 403)
	vm2.Count(3, 401)
	vm2.Count(3, 200)
	for _, p := range []string{"/api/v1/users/42/cards", "/api/v1/users/77/cards"} {
		tpl := vm1.Learn("GET", p)
		vm1.CountShadow("GET", tpl, 404)
	}
	clk.t = clk.t.Add(90 * time.Second)
	vm2.Learn("GET", "/api/v1/users/1234/cards")
	vm2.Learn("POST", "/api/v2/transferFunds")
	vm2.Learn("GET", "/internal/debug/\"vars\"")
	vm1.Flush()
	// vm2 does not flush: AppendJSON adds its own local counts.
	out, err := vm2.AppendJSON(nil, bankOps)
	if err != nil {
		t.Fatal(err)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, out, "", "  "); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, out)
	}
	pretty.WriteByte('\n')
	const golden = "testdata/inventory.golden.json"
	if *update {
		os.WriteFile(golden, pretty.Bytes(), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pretty.Bytes(), want) {
		t.Errorf("output differs from %s (go test -update):\n%s", golden, pretty.Bytes())
	}
}

func BenchmarkLearnKnownTemplate(b *testing.B) {
	inv := New(session.NewMemStore(), Config{})
	b.ReportAllocs()
	for b.Loop() {
		inv.Learn("GET", "/api/v1/users/42/cards/550e8400-e29b-41d4-a716-446655440000")
	}
}

func BenchmarkAppendTemplate(b *testing.B) {
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendTemplate(buf[:0], "/v1/customers/cus_9s6XKzkNRiz8i3/payment_methods/pm_1NqTzT2eZvKYlo2C")
	}
}

func BenchmarkCount(b *testing.B) {
	inv := New(session.NewMemStore(), Config{Ops: []string{"a", "b"}})
	b.ReportAllocs()
	for b.Loop() {
		inv.Count(1, 200)
	}
}

func BenchmarkFlush500Shadow(b *testing.B) {
	st := session.NewMemStore()
	inv := New(st, Config{Ops: ids(bankOps)})
	paths := make([]string, 500)
	for i := range paths {
		paths[i] = fmt.Sprintf("/api/v%d/things/42/sub%d", i%7, i)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range paths {
			inv.Learn("GET", p)
		}
		inv.Count(1, 200)
		if _, err := inv.Flush(); err != nil {
			b.Fatal(err)
		}
	}
}
