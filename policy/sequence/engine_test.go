package sequence

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/apiwarden/apiwarden/policy/session"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const bankRules = `{"sequences":{"rules":[
  {"id":"transfer-after-balance","endpoint":"transfer_funds","requires":["get_balance"],"within":"5m","action":"block"},
  {"id":"no-repeated-transfer","endpoint":"transfer_funds","max_consecutive":1,"action":"log"},
  {"id":"no-enumeration","kind":"deny","sequence":["get_balance","get_balance","get_balance"],"action":"block"}
]}}`

func TestObserveEvaluatesBeforeAppending(t *testing.T) {
	e := mustEngine(t, bankRules, session.Config{})
	st := session.NewMemStore()
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

	r, err := e.Observe(st, "s1", opTransfer, at(0))
	require.NoError(t, err)
	require.Len(t, r.Hits, 1)
	assert.Equal(t, "transfer-after-balance", r.Hits[0].Rule)
	assert.Empty(t, r.Prior)
	assert.Equal(t, 1, r.Attempts)

	r, err = e.Observe(st, "s1", opBalance, at(1))
	require.NoError(t, err)
	assert.Empty(t, r.Hits)
	assert.Equal(t, []session.Entry{{Op: opTransfer, At: session.Millis(at(0))}}, r.Prior)

	r, err = e.Observe(st, "s1", opTransfer, at(2))
	require.NoError(t, err)
	assert.Empty(t, r.Hits)

	r, err = e.Observe(st, "s1", opTransfer, at(3))
	require.NoError(t, err)
	require.Len(t, r.Hits, 1)
	assert.Equal(t, "no-repeated-transfer", r.Hits[0].Rule)

	for i := 0; i < 2; i++ {
		r, err = e.Observe(st, "s1", opBalance, at(4+i))
		require.NoError(t, err)
		assert.Empty(t, r.Hits)
	}
	r, err = e.Observe(st, "s1", opBalance, at(6))
	require.NoError(t, err)
	require.Len(t, r.Hits, 1)
	assert.Equal(t, "no-enumeration", r.Hits[0].Rule)
	_, blocks := r.Blocking(ModeEnforce)
	assert.True(t, blocks)

	// Another session is independent; idle expiry forgets the history.
	r, _ = e.Observe(st, "s2", opBalance, at(7))
	assert.Empty(t, r.Prior)
	r, _ = e.Observe(st, "s1", opBalance, at(7+11*60))
	assert.Empty(t, r.Prior)
	assert.Empty(t, r.Hits)

	_, err = e.Observe(st, "s1", -1, at(0))
	assert.EqualError(t, err, "sequence: operation index -1 out of range")
}

type flakyStore struct {
	*session.MemStore
	fail int
}

func (f *flakyStore) Set(k string, v []byte, cas uint32) error {
	if f.fail > 0 {
		f.fail--
		return session.ErrCASMismatch
	}
	return f.MemStore.Set(k, v, cas)
}

func TestObserveRetriesAndContention(t *testing.T) {
	e := mustEngine(t, bankRules, session.Config{Retries: 3})
	st := &flakyStore{MemStore: session.NewMemStore(), fail: 2}
	r, err := e.Observe(st, "s", opTransfer, t0)
	require.NoError(t, err)
	assert.Equal(t, 3, r.Attempts)
	assert.Len(t, r.Hits, 1)

	st.fail = 3
	r, err = e.Observe(st, "s", opBalance, t0)
	assert.ErrorIs(t, err, session.ErrContention)
	assert.Empty(t, r.Hits)
}

// TestObserveConcurrent is a hammer test: 8 goroutines interleave requests
// of the same sessions. No history entry is lost, and every successful
// Observe evaluated exactly the history its compare-and-swap replaced.
func TestObserveConcurrent(t *testing.T) {
	e := mustEngine(t, bankRules, session.Config{History: session.MaxHistory, Retries: 10000})
	st := session.NewMemStore()
	const workers, per, sessions = 8, 7, 3 // 56 <= 64 ops per session
	type obs struct {
		prior []session.Entry
		op    int
	}
	var mu sync.Mutex
	seen := map[string][]obs{}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var r Result
			for i := 0; i < per; i++ {
				for s := 0; s < sessions; s++ {
					op := w*per + i // unique per session
					name := fmt.Sprint("sess", s)
					if err := e.ObserveInto(&r, st, name, op, t0); err != nil {
						t.Error(err)
						continue
					}
					mu.Lock()
					seen[name] = append(seen[name], obs{append([]session.Entry(nil), r.Prior...), op})
					mu.Unlock()
				}
			}
		}(w)
	}
	wg.Wait()
	sess := session.New(session.Config{History: session.MaxHistory})
	for s := 0; s < sessions; s++ {
		name := fmt.Sprint("sess", s)
		h, err := sess.Load(st, name, t0)
		require.NoError(t, err)
		require.Len(t, h.Entries, workers*per, "no entry lost")
		for _, o := range seen[name] {
			// The op sits right after the prior it was evaluated against.
			pos := len(o.prior)
			require.Less(t, pos, len(h.Entries))
			assert.Equal(t, uint16(o.op), h.Entries[pos].Op)
			if pos > 0 {
				assert.Equal(t, o.prior, h.Entries[:pos])
			}
		}
	}
}

func BenchmarkObserve(b *testing.B) {
	e := mustEngine(b, bankRules, session.Config{})
	st := session.NewMemStore()
	hashes := make([]string, 1000)
	for i := range hashes {
		hashes[i] = session.Hash("", fmt.Sprint(i))
	}
	flow := []int{opLogin, opList, opBalance, opTransfer, opBalance, opLogout}
	var r Result
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := e.ObserveInto(&r, st, hashes[i%len(hashes)], flow[(i/len(hashes))%len(flow)], t0.Add(time.Duration(i)*time.Millisecond)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkObserveAnalytics(b *testing.B) {
	e := mustEngine(b, `{"sequences":{"rules":[
	  {"id":"transfer-after-balance","endpoint":"transfer_funds","requires":["get_balance"],"within":"5m","action":"block"},
	  {"id":"odd","kind":"anomaly","threshold":8,"warmup":100,"action":"log"}],"analytics":{}}}`, session.Config{})
	st := session.NewMemStore()
	hashes := make([]string, 1000)
	for i := range hashes {
		hashes[i] = session.Hash("", fmt.Sprint(i))
	}
	flow := []int{opLogin, opList, opBalance, opTransfer, opBalance, opLogout}
	var r Result
	for i := 0; i < 20000; i++ {
		_ = e.ObserveInto(&r, st, hashes[i%len(hashes)], flow[(i/len(hashes))%len(flow)], t0)
	}
	_, _ = e.Analytics().Flush(st)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := e.ObserveInto(&r, st, hashes[i%len(hashes)], flow[(i/len(hashes))%len(flow)], t0.Add(time.Duration(i)*time.Millisecond)); err != nil {
			b.Fatal(err)
		}
	}
}
