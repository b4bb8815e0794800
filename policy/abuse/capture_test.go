package abuse

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apiwarden/apiwarden/policy/session"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestObjectsNeverGiven(t *testing.T) {
	st := session.NewMemStore()
	e := engine(t, `{"capture":[{"id":"accounts","from":["list_accounts"],"path":"accounts.#.id",
		"check":["get_balance"],"ref":"param:account_id","max_ids":3,"ttl":"10m","action":"block"}]}`, st)
	assert.True(t, e.NeedsResponseBody("list_accounts"))
	assert.False(t, e.NeedsResponseBody("get_balance"))
	list := req("list_accounts", "10.0.0.1")
	list.Session = "s1"
	o := e.Observe(list, &Response{Status: 200, Body: JSONBytes(`{"accounts":[{"id":"A-1"},{"id":42},{"id":"A-3"}]}`)}, t0)
	require.NoError(t, o.Err)
	get := func(sess, acct string) Result {
		r := req("get_balance", "10.0.0.1")
		r.Session, r.PathParams = sess, Map{"account_id": acct}
		return e.Admit(r, t0.Add(time.Minute))
	}
	assert.Equal(t, Allow, get("s1", "A-1").Verdict)
	assert.Equal(t, Allow, get("s1", "42").Verdict, "a number id matches its text")
	res := get("s1", "A-2")
	require.Equal(t, Block, res.Verdict)
	assert.Equal(t, 403, res.Status)
	assert.Equal(t, ReasonObjectNotGiven, res.Reason)
	assert.Equal(t, Block, get("s2", "A-1").Verdict, "given to another session")
	// Bounded per session: the oldest given are forgotten.
	e.Observe(list, &Response{Status: 200, Body: JSONBytes(`{"accounts":[{"id":"B-1"}]}`)}, t0)
	assert.Equal(t, Block, get("s1", "A-1").Verdict)
	assert.Equal(t, Allow, get("s1", "B-1").Verdict)
	// Errors are not captured; the ids expire with ttl.
	e.Observe(list, &Response{Status: 500, Body: JSONBytes(`{"accounts":[{"id":"C-1"}]}`)}, t0)
	assert.Equal(t, Block, get("s1", "C-1").Verdict)
	r := req("get_balance", "10.0.0.1")
	r.Session, r.PathParams = "s1", Map{"account_id": "B-1"}
	assert.Equal(t, Block, e.Admit(r, t0.Add(11*time.Minute)).Verdict)
	for _, k := range st.Keys() {
		v, _, _, _ := st.Get(k)
		assert.NotContains(t, string(v), "A-1", "ids are stored hashed")
		assert.NotContains(t, k, "s1")
	}
}

// TestSweepExpiry: records past their expiry are dropped by Sweep,
// buckets shrink to tombstones, and live ones stay.
func TestSweepExpiry(t *testing.T) {
	st := session.NewMemStore()
	e := engine(t, `{"rate_limits":[{"id":"a","key":["header:k"],"rate":"1/s","max_keys":400}],
		"distinct":[{"id":"d","key":["header:k"],"ref":"query:q","window":"1m","limit":5,"max_keys":400}]}`, st)
	for i := 0; i < 300; i++ {
		r := req("e", "")
		r.Headers = HeaderMap{"k": fmt.Sprint(i)}
		r.Query = Map{"q": "x"}
		e.Admit(r, t0)
	}
	live := req("e", "")
	live.Headers = HeaderMap{"k": "live"}
	live.Query = Map{"q": "x"}
	_, before := st.Stats()
	total := 0
	for i := 0; i < 4; i++ { // 100 + 200 buckets, 64 per table per sweep
		e.Admit(live, t0.Add(2*time.Minute))
		n, err := e.Sweep(t0.Add(2 * time.Minute))
		require.NoError(t, err)
		total += n
	}
	// Every record written at t0 is dead at t0+2m: all but those evicted
	// from full buckets meanwhile are swept, except the dead neighbours the
	// live key's own writes dropped (at most ways-1 per table: 3 + 1).
	want := 600 - int(e.Stats().Evicted)
	assert.True(t, total <= want && total >= want-4, "swept %d, want %d-4..%d", total, want, want)
	assert.Equal(t, uint64(total), e.Stats().Swept)
	_, after := st.Stats()
	t.Logf("bytes before sweep %d, after %d", before, after)
	assert.Less(t, after, before/3)
	// The live key kept its state: its budget of 1/s is spent.
	assert.Equal(t, Block, e.Admit(live, t0.Add(2*time.Minute)).Verdict)
}

// TestFootprintPlateau: 10^6 distinct keys through three rules; the
// shared-data keys and bytes stop growing once the tables are full.
func TestFootprintPlateau(t *testing.T) {
	if testing.Short() {
		t.Skip("10^6 requests")
	}
	st := session.NewMemStore()
	e := engine(t, `{"rate_limits":[{"id":"rl","key":["client"],"rate":"10/s","max_keys":10000}],
		"distinct":[{"id":"enum","key":["client"],"ref":"param:id","window":"10m","limit":100,"max_keys":10000}],
		"failures":[{"id":"login","key":["client"],"on":{"status":[401]},"max_failures":5,"window":"10m","lockout":"1m","max_keys":10000}]}`, st)
	r := req("e", "")
	params := Map{"id": ""}
	r.PathParams = params
	var lines []string
	var keysAt, bytesAt [2]int
	for i := 1; i <= 1_000_000; i++ {
		r.Source = fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		params["id"] = fmt.Sprint(i % 7)
		now := t0.Add(time.Duration(i) * time.Millisecond)
		e.Admit(r, now)
		e.Observe(r, &Response{Status: 401}, now)
		if i == 500_000 || i == 1_000_000 {
			k, b := st.Stats()
			keysAt[i/500_001], bytesAt[i/500_001] = k, b
			lines = append(lines, fmt.Sprintf("after %d keys: %d shared-data keys, %d bytes", i, k, b))
		}
	}
	t.Log(strings.Join(lines, "; "))
	assert.Equal(t, keysAt[0], keysAt[1])
	assert.InDelta(t, bytesAt[0], bytesAt[1], float64(bytesAt[0])/20)
	info := e.Tables()
	maxBytes := 0
	for _, ti := range info {
		maxBytes += ti.Buckets * (len(ti.Prefix) + 5 + ti.MaxValueBytes)
	}
	assert.LessOrEqual(t, bytesAt[1], maxBytes)
}
