package inventory

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apiwarden/apiwarden/policy/session"
)

// seedShadow stores three learned shadow endpoints and returns the store.
func seedShadow(t testing.TB) *session.MemStore {
	st := session.NewMemStore()
	inv := New(st, Config{Ops: []string{"a"}})
	for _, p := range []string{"/probe/1/x", "/probe/2/x", "/admin", "/debug/vars"} {
		inv.Learn("GET", p)
	}
	inv.Count(0, 200)
	if _, err := inv.Flush(); err != nil {
		t.Fatal(err)
	}
	return st
}

func shadowTemplates(t testing.TB, st session.Store) map[string]uint64 {
	raw, _, _, err := st.Get("inv/shadow")
	require.NoError(t, err)
	tab, _ := decodeShadow(raw)
	out := map[string]uint64{}
	for _, e := range tab.entries {
		out[e.method+" "+e.template] = e.hits
	}
	return out
}

var seeded = map[string]uint64{"GET /probe/{id}/x": 2, "GET /admin": 1, "GET /debug/vars": 1}

// TestLongMethodKeepsTheShadowTable is the regression of issue 9 item 7:
// one request with a 50-byte method made the decoder refuse the whole
// shared table, which was then replaced (every learned endpoint lost).
func TestLongMethodKeepsTheShadowTable(t *testing.T) {
	st := seedShadow(t)
	inv := New(st, Config{Ops: []string{"a"}})
	for _, m := range []string{strings.Repeat("X", 50), strings.Repeat("M", 50<<10), "GE T", "G\x00T", ""} {
		tpl := inv.Learn(m, "/x")
		inv.CountShadow(m, tpl, 404)
	}
	stats, err := inv.Flush()
	require.NoError(t, err)
	assert.Zero(t, stats.Dropped)
	got := shadowTemplates(t, st)
	for k, v := range seeded {
		assert.Equal(t, v, got[k], k)
	}
	assert.Equal(t, uint64(5), got["_LONG /x"], "long and non-token methods are one bounded token")
}

// TestBadEntryIsDroppedNotTheTable: a foreign or damaged entry (another
// writer, a future version's field) costs that entry only.
func TestBadEntryIsDroppedNotTheTable(t *testing.T) {
	st := seedShadow(t)
	raw, cas, _, _ := st.Get("inv/shadow")
	bad := appendFrame(append([]byte(nil), raw...), []byte{0xff, 0xff, 0xff})
	require.NoError(t, st.Set("inv/shadow", bad, cas))
	opsRaw, cas, _, _ := st.Get("inv/ops")
	require.NoError(t, st.Set("inv/ops", appendFrame(append([]byte(nil), opsRaw...), []byte("\x05ab")), cas))

	inv := New(st, Config{Ops: []string{"a"}})
	inv.Learn("GET", "/new")
	inv.Count(0, 500)
	stats, err := inv.Flush()
	require.NoError(t, err)
	assert.Equal(t, 2, stats.Dropped)
	assert.Equal(t, 2, stats.Corrupt)
	assert.Equal(t, uint64(2), inv.DroppedEntries())
	got := shadowTemplates(t, st)
	for k, v := range seeded {
		assert.Equal(t, v, got[k], k)
	}
	assert.Equal(t, uint64(1), got["GET /new"])
	opsRaw, _, _, _ = st.Get("inv/ops")
	ops, dropped := decodeOps(opsRaw)
	assert.Zero(t, dropped, "the bad entry is gone after the rewrite")
	require.Len(t, ops, 1)
	assert.Equal(t, uint64(1), ops[0].classes[ClassOf(200)])
	assert.Equal(t, uint64(1), ops[0].classes[ClassOf(500)])
}

// FuzzSharedInventory feeds the shared tables arbitrary bytes (appended as
// a foreign entry, or as an impossible frame) and arbitrary traffic, and
// checks that the endpoints stored before survive every flush.
func FuzzSharedInventory(f *testing.F) {
	f.Add([]byte{0xff, 0xff, 0xff}, "GET", "/x", false)
	f.Add([]byte("\x05GET\x03/ab"), strings.Repeat("M", 40), "/a/../b", true)
	f.Add([]byte{}, "", "", false)
	f.Add([]byte{0x80}, "PROPFIND", "/"+strings.Repeat("s/", 40), true)
	f.Fuzz(func(t *testing.T, foreign []byte, method, path string, rawTail bool) {
		st := seedShadow(t)
		for _, key := range []string{"inv/shadow", "inv/ops"} {
			raw, cas, _, _ := st.Get(key)
			b := append([]byte(nil), raw...)
			if rawTail {
				b = append(b, foreign...)
			} else {
				b = appendFrame(b, foreign)
			}
			if err := st.Set(key, b, cas); err != nil {
				t.Fatal(err)
			}
		}
		inv := New(st, Config{Ops: []string{"a"}})
		if path == "" || path[0] != '/' {
			path = "/" + path
		}
		for i := 0; i < 3; i++ {
			tpl := inv.Learn(method, path)
			inv.CountShadow(method, tpl, 200+i*100)
			inv.Count(0, 200)
		}
		if _, err := inv.Flush(); err != nil {
			t.Fatal(err)
		}
		got := shadowTemplates(t, st)
		for k, v := range seeded {
			if got[k] < v {
				t.Fatalf("%s lost: %v (foreign %q)", k, got, foreign)
			}
		}
		raw, _, _, _ := st.Get("inv/shadow")
		if _, dropped := decodeShadow(raw); dropped != 0 {
			t.Fatalf("the flush wrote a value its own decoder refuses (%d dropped)", dropped)
		}
		opsRaw, _, _, _ := st.Get("inv/ops")
		ops, _ := decodeOps(opsRaw)
		var n uint64
		for _, e := range ops {
			if e.id == "a" {
				n = e.classes[ClassOf(200)]
			}
		}
		if n < 4 {
			t.Fatalf("known operation counts lost: %v", ops)
		}
	})
}

var _ = binary.AppendUvarint
