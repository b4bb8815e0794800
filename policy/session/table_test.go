package session

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Unix(1_700_000_000, 0)

func ops(h History) []uint16 {
	out := make([]uint16, len(h.Entries))
	for i, e := range h.Entries {
		out[i] = e.Op
	}
	return out
}

func TestRecordLoadAndExpiry(t *testing.T) {
	s := New(Config{History: 3, IdleTimeout: time.Minute, Prefix: "p/"})
	st := NewMemStore()
	var tx Txn
	for i := 0; i < 5; i++ {
		require.NoError(t, s.Record(st, "sess", i, t0.Add(time.Duration(i)*time.Second), &tx))
	}
	h, err := s.Load(st, "sess", t0.Add(10*time.Second))
	require.NoError(t, err)
	assert.Equal(t, []uint16{2, 3, 4}, ops(h))
	assert.Equal(t, Millis(t0.Add(4*time.Second)), h.LastSeen)
	assert.Equal(t, Millis(t0.Add(2*time.Second)), h.Entries[0].At)

	h, err = s.Load(st, "sess", t0.Add(4*time.Second+time.Minute+time.Millisecond))
	require.NoError(t, err)
	assert.Empty(t, h.Entries, "idle longer than idle_timeout reads as empty")

	// After expiry a new request starts a fresh history.
	require.NoError(t, s.Record(st, "sess", 9, t0.Add(5*time.Minute), &tx))
	h, _ = s.Load(st, "sess", t0.Add(5*time.Minute))
	assert.Equal(t, []uint16{9}, ops(h))

	for _, k := range st.Keys() {
		assert.True(t, strings.HasPrefix(k, "p/s/"), k)
	}
	assert.Error(t, s.Commit(st, &tx, MaxOp+1, t0))
}

// TestBucketEviction fills one bucket (max_sessions = 4 = one bucket) with
// more sessions than it has ways: the least recently seen is evicted, an
// expired one is reclaimed first.
func TestBucketEviction(t *testing.T) {
	s := New(Config{MaxSessions: Ways, IdleTimeout: time.Minute})
	require.Equal(t, 1, s.Buckets())
	st := NewMemStore()
	var tx Txn
	for i := 0; i < Ways; i++ {
		require.NoError(t, s.Record(st, fmt.Sprint("s", i), 1, t0.Add(time.Duration(i)*time.Second), &tx))
	}
	// s0 is touched again: s1 is now the least recently seen.
	require.NoError(t, s.Record(st, "s0", 2, t0.Add(10*time.Second), &tx))
	require.NoError(t, s.Record(st, "new", 1, t0.Add(11*time.Second), &tx))
	now := t0.Add(12 * time.Second)
	for name, want := range map[string]int{"s0": 2, "s1": 0, "s2": 1, "s3": 1, "new": 1} {
		h, err := s.Load(st, name, now)
		require.NoError(t, err)
		assert.Len(t, h.Entries, want, name)
	}
	// Much later, everyone expired: a new session drops them all.
	require.NoError(t, s.Record(st, "late", 1, t0.Add(time.Hour), &tx))
	v, _, _, _ := st.Get(s.BucketKey(0))
	assert.Equal(t, 1, int(v[1]), "expired residents are dropped on write")
}

func TestCorruptBucketIsOverwritten(t *testing.T) {
	s := New(Config{MaxSessions: Ways})
	st := NewMemStore()
	require.NoError(t, st.Set(s.BucketKey(0), []byte{1, 3, 0xff}, 0))
	var tx Txn
	require.NoError(t, s.Begin(st, "x", t0, &tx))
	assert.True(t, tx.Corrupt)
	assert.Empty(t, tx.Prior.Entries)
	require.NoError(t, s.Commit(st, &tx, 5, t0))
	h, err := s.Load(st, "x", t0)
	require.NoError(t, err)
	assert.Equal(t, []uint16{5}, ops(h))
}

func TestCreateRaceIsDetected(t *testing.T) {
	s := New(Config{MaxSessions: Ways})
	st := NewMemStore()
	var a, b Txn
	require.NoError(t, s.Begin(st, "a", t0, &a))
	require.NoError(t, s.Begin(st, "b", t0, &b))
	require.NoError(t, s.Commit(st, &a, 1, t0))
	assert.ErrorIs(t, s.Commit(st, &b, 2, t0), ErrCASMismatch, "a create must not overwrite a racing create")
}

type failingStore struct{ MemStore }

func (f *failingStore) Set(string, []byte, uint32) error { return ErrCASMismatch }

func TestContentionExhaustsRetries(t *testing.T) {
	s := New(Config{Retries: 3})
	var tx Txn
	err := s.Record(&failingStore{}, "x", 1, t0, &tx)
	assert.ErrorIs(t, err, ErrContention)
	assert.EqualError(t, err, "session: shared data contention: compare-and-swap retries exhausted")
}

// TestConcurrentRecordLosesNothing is a hammer test: 8 goroutines interleave
// requests of the same sessions; every op must be in the final history.
func TestConcurrentRecordLosesNothing(t *testing.T) {
	s := New(Config{History: MaxHistory, MaxSessions: 64, Retries: 1000})
	st := NewMemStore()
	const workers, perWorker, sessions = 8, 6, 4
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var tx Txn
			for i := 0; i < perWorker; i++ {
				for k := 0; k < sessions; k++ {
					op := w*perWorker + i
					if err := s.Record(st, fmt.Sprint("sess", k), op, t0.Add(time.Duration(i)*time.Millisecond), &tx); err != nil {
						t.Error(err)
					}
				}
			}
		}(w)
	}
	wg.Wait()
	for k := 0; k < sessions; k++ {
		h, err := s.Load(st, fmt.Sprint("sess", k), t0)
		require.NoError(t, err)
		require.Len(t, h.Entries, workers*perWorker)
		seen := map[uint16]bool{}
		for _, e := range h.Entries {
			seen[e.Op] = true
		}
		assert.Len(t, seen, workers*perWorker, "every op recorded exactly once")
	}
}

func TestSweep(t *testing.T) {
	s := New(Config{MaxSessions: 40, IdleTimeout: time.Minute})
	st := NewMemStore()
	var tx Txn
	for i := 0; i < 30; i++ {
		require.NoError(t, s.Record(st, fmt.Sprint("s", i), 1, t0, &tx))
	}
	require.NoError(t, s.Record(st, "fresh", 1, t0.Add(2*time.Minute), &tx))
	resident := 0
	for _, k := range st.Keys() {
		v, _, _, _ := st.Get(k)
		resident += int(v[1])
	}
	_, before := st.Stats()
	next, dropped, err := s.Sweep(st, t0.Add(2*time.Minute), 0, 4)
	require.NoError(t, err)
	assert.Equal(t, 4, next)
	next, d2, err := s.Sweep(st, t0.Add(2*time.Minute), next, 100)
	require.NoError(t, err)
	assert.Equal(t, 4, next, "wraps around")
	assert.Equal(t, resident-1, dropped+d2)
	assert.Greater(t, resident, 20)
	_, after := st.Stats()
	assert.Less(t, after, before)
	h, _ := s.Load(st, "fresh", t0.Add(2*time.Minute))
	assert.Len(t, h.Entries, 1, "live sessions survive a sweep")
}

// TestFootprintPlateaus drives many more distinct sessions than
// max_sessions through Record: the number of keys never exceeds the bound
// and the bytes stop growing.
func TestFootprintPlateaus(t *testing.T) {
	s := New(Config{MaxSessions: 1000, History: 16})
	st := NewMemStore()
	var tx Txn
	var bytesAt []int
	for i := 1; i <= 50_000; i++ {
		now := t0.Add(time.Duration(i) * time.Millisecond)
		require.NoError(t, s.Record(st, Hash("", fmt.Sprint(i)), i%7, now, &tx))
		if i == 10_000 || i == 25_000 || i == 50_000 {
			keys, bytes := st.Stats()
			assert.LessOrEqual(t, keys, 1000)
			bytesAt = append(bytesAt, bytes)
		}
	}
	assert.InDelta(t, float64(bytesAt[0]), float64(bytesAt[2]), float64(bytesAt[0])/20, "bytes plateau: %v", bytesAt)
}

func BenchmarkRecordPlateau(b *testing.B) {
	s := New(Config{MaxSessions: DefaultMaxSessions, History: DefaultHistory})
	for i := 0; i < b.N; i++ {
		st := NewMemStore()
		var tx Txn
		for n := 1; n <= 1_000_000; n++ {
			now := t0.Add(time.Duration(n) * time.Millisecond)
			if err := s.Record(st, Hash("", fmt.Sprint(n)), n%13, now, &tx); err != nil {
				b.Fatal(err)
			}
			switch n {
			case 10_000, 100_000, 1_000_000:
				keys, bytes := st.Stats()
				b.ReportMetric(float64(keys), fmt.Sprintf("keys@%d", n))
				b.ReportMetric(float64(bytes), fmt.Sprintf("bytes@%d", n))
			}
		}
	}
}

func BenchmarkRecord(b *testing.B) {
	s := New(Config{})
	st := NewMemStore()
	var tx Txn
	hashes := make([]string, 1024)
	for i := range hashes {
		hashes[i] = Hash("", fmt.Sprint(i))
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := s.Record(st, hashes[i%len(hashes)], i%13, t0.Add(time.Duration(i)*time.Millisecond), &tx); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkKey(b *testing.B) {
	var from []KeySource
	for _, x := range []string{"header:x-session-id", "jwt:sub", "ip"} {
		k, _ := ParseKeySource(x)
		from = append(from, k)
	}
	s := New(Config{From: from, Salt: "salt"})
	h := hdrs{"authorization": jwt(`{"sub":"alice","iat":1700000000}`)}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_, _ = s.Key(h, "10.0.0.1:80")
	}
}

// FuzzBucket stores arbitrary bytes as a bucket: Begin and Commit never
// panic, and what Commit writes always decodes with the new entry.
func FuzzBucket(f *testing.F) {
	f.Add([]byte{1, 0})
	f.Add([]byte{1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 3, 1, 10, 0})
	f.Add([]byte{1, 4})
	f.Fuzz(func(t *testing.T, raw []byte) {
		s := New(Config{MaxSessions: Ways})
		st := NewMemStore()
		if err := st.Set(s.BucketKey(0), raw, 0); err != nil {
			t.Fatal(err)
		}
		var tx Txn
		if err := s.Begin(st, "x", t0, &tx); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(st, &tx, 7, t0); err != nil {
			t.Fatal(err)
		}
		h, err := s.Load(st, "x", t0)
		if err != nil || len(h.Entries) == 0 || h.Entries[len(h.Entries)-1].Op != 7 {
			t.Fatalf("after commit: %v %+v", err, h)
		}
	})
}

// BenchmarkFullHistoryBytes fills max_sessions sessions with full 16-entry
// histories (one request every 2 s) and reports the shared-data bytes per
// session.
func BenchmarkFullHistoryBytes(b *testing.B) {
	s := New(Config{MaxSessions: DefaultMaxSessions, History: DefaultHistory})
	for i := 0; i < b.N; i++ {
		st := NewMemStore()
		var tx Txn
		hashes := make([]string, DefaultMaxSessions*3/4) // below capacity: few evictions
		for n := range hashes {
			hashes[n] = Hash("", fmt.Sprint(n))
		}
		for step := 0; step < DefaultHistory; step++ {
			for n, h := range hashes {
				if err := s.Record(st, h, (n+step)%13, t0.Add(time.Duration(step)*2*time.Second), &tx); err != nil {
					b.Fatal(err)
				}
			}
		}
		keys, bytes := st.Stats()
		resident := 0
		for _, k := range st.Keys() {
			v, _, _, _ := st.Get(k)
			resident += int(v[1])
		}
		b.ReportMetric(float64(keys), "keys")
		b.ReportMetric(float64(resident), "sessions")
		b.ReportMetric(float64(bytes)/float64(resident), "bytes/session")
	}
}
