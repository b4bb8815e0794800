package session

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBadWayCostsOnlyItself: a damaged or foreign way in a bucket is
// dropped and counted; the other sessions of the bucket keep their
// histories.
func TestBadWayCostsOnlyItself(t *testing.T) {
	s := New(Config{MaxSessions: Ways})
	st := NewMemStore()
	var tx Txn
	require.NoError(t, s.Record(st, "victim-a", 1, t0, &tx))
	require.NoError(t, s.Record(st, "victim-b", 2, t0, &tx))
	raw, cas, _, _ := st.Get(s.BucketKey(0))
	bad := append([]byte(nil), raw...)
	bad[1]++ // one more way: a record with a bad version
	bad = binary.LittleEndian.AppendUint64(bad, 42)
	bad = append(bad, 2, 9, 9)
	require.NoError(t, st.Set(s.BucketKey(0), bad, cas))

	require.NoError(t, s.Begin(st, "victim-a", t0, &tx))
	assert.True(t, tx.Corrupt)
	assert.Equal(t, 1, tx.Dropped)
	assert.Equal(t, []uint16{1}, ops(tx.Prior), "the session's own history survives")
	require.NoError(t, s.Commit(st, &tx, 3, t0))
	hb, err := s.Load(st, "victim-b", t0)
	require.NoError(t, err)
	assert.Equal(t, []uint16{2}, ops(hb), "the neighbour's history survives")
	require.NoError(t, s.Begin(st, "victim-a", t0, &tx))
	assert.Zero(t, tx.Dropped, "the rewrite left the bad way out")
}

// FuzzSessionBucket stores two histories in one bucket, adds arbitrary
// bytes (as an extra way, or as a raw tail) and plays arbitrary traffic:
// the stored histories must survive every step.
func FuzzSessionBucket(f *testing.F) {
	f.Add([]byte{1, 9, 9}, "attacker", uint16(3), false)
	f.Add([]byte{0xff}, "x", uint16(0), true)
	f.Add([]byte{}, "", uint16(9999), false)
	f.Fuzz(func(t *testing.T, foreign []byte, attacker string, op uint16, rawTail bool) {
		s := New(Config{MaxSessions: Ways * 64})
		st := NewMemStore()
		var tx Txn
		a, b := "victim-a", ""
		ba, _ := s.locate(a)
		for i := 0; b == ""; i++ { // a neighbour in the same bucket
			if c := "victim-" + string(rune('b'+i%20)) + string(rune('0'+i/20)); c != a {
				if bc, _ := s.locate(c); bc == ba {
					b = c
				}
			}
		}
		require.NoError(t, s.Record(st, a, 1, t0, &tx))
		require.NoError(t, s.Record(st, b, 2, t0, &tx))
		key := s.BucketKey(ba)
		raw, cas, _, _ := st.Get(key)
		v := append([]byte(nil), raw...)
		if rawTail {
			v = append(v, foreign...)
		} else {
			v[1]++
			v = binary.LittleEndian.AppendUint64(v, 7)
			v = binary.AppendUvarint(v, uint64(len(foreign)))
			v = append(v, foreign...)
		}
		require.NoError(t, st.Set(key, v, cas))

		if bx, _ := s.locate(attacker); bx != ba {
			require.NoError(t, s.Record(st, attacker, int(op), t0, &tx))
		}
		require.NoError(t, s.Record(st, a, 3, t0, &tx))
		ha, err := s.Load(st, a, t0)
		require.NoError(t, err)
		hb, err := s.Load(st, b, t0)
		require.NoError(t, err)
		if got := ops(ha); len(got) != 2 || got[0] != 1 || got[1] != 3 {
			t.Fatalf("victim a: %v", got)
		}
		if got := ops(hb); len(got) != 1 || got[0] != 2 {
			t.Fatalf("victim b: %v", got)
		}
		_, _, err = s.Sweep(st, t0, 0, s.Buckets())
		require.NoError(t, err)
		hb, _ = s.Load(st, b, t0)
		if got := ops(hb); len(got) != 1 {
			t.Fatalf("victim b after sweep: %v", got)
		}
	})
}
