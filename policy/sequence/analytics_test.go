package sequence

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/apiwarden/apiwarden/policy/session"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// play drives whole sessions through the engine, one request per second.
func play(t testing.TB, e *Engine, st session.Store, name string, flow []int, start time.Time) []Result {
	var out []Result
	for i, op := range flow {
		r, err := e.Observe(st, name, op, start.Add(time.Duration(i)*time.Second))
		require.NoError(t, err)
		out = append(out, r)
	}
	return out
}

// TestRankingRareConsistentFlowFirst: sessions wander randomly over six
// operations (frequent, no structure); a few sessions do update_profile
// then export_data (rare, always in that order). The rare consistent
// bigram must rank above every frequent random one.
func TestRankingRareConsistentFlowFirst(t *testing.T) {
	e := mustEngine(t, `{"sequences":{"analytics":{"max_length":3,"min_support":5}}}`, session.Config{})
	st := session.NewMemStore()
	rng := rand.New(rand.NewSource(1))
	random := []int{opLogin, opList, opBalance, opTransfer, opLogout, opProfile}
	for s := 0; s < 300; s++ {
		flow := make([]int, 10)
		for i := range flow {
			flow[i] = random[rng.Intn(len(random))]
		}
		if s%20 == 0 {
			flow = append(flow, opUpdate, opExport)
		}
		play(t, e, st, fmt.Sprint("s", s), flow, t0)
	}
	_, err := e.Analytics().Flush(st)
	require.NoError(t, err)
	top := e.Analytics().Top(5)
	require.NotEmpty(t, top)
	assert.Equal(t, []string{"update_profile", "export_data"}, top[0].Ops[len(top[0].Ops)-2:], "%+v", top)
	assert.Equal(t, 1.0, top[0].Confidence)
	var bigram Sequence
	for _, s := range e.Analytics().Top(1000) {
		if len(s.Ops) == 2 && s.Ops[0] == "update_profile" {
			bigram = s
		}
	}
	assert.Equal(t, uint64(15), bigram.Count)
	for _, s := range e.Analytics().Top(1000) {
		if len(s.Ops) == 2 && s.Ops[1] != "export_data" && s.Ops[1] != "update_profile" {
			assert.Greater(t, bigram.Score, s.Score+2, "random bigram %v", s.Ops)
			assert.Greater(t, s.Count, bigram.Count, "random bigrams are the frequent ones")
		}
	}
}

// bankFlow is the legitimate flow: look, then move money, then leave.
var bankFlow = []int{opLogin, opList, opBalance, opTransfer, opBalance, opLogout}

func TestProposals(t *testing.T) {
	e := mustEngine(t, `{"sequences":{"analytics":{"min_support":10,"min_confidence":0.95}}}`, session.Config{})
	st := session.NewMemStore()
	for s := 0; s < 100; s++ {
		play(t, e, st, fmt.Sprint("s", s), bankFlow, t0)
	}
	_, err := e.Analytics().Flush(st)
	require.NoError(t, err)
	ps := e.Analytics().Proposals(100)
	var found *Proposal
	for i, p := range ps {
		if p.Endpoint == "transfer_funds" && p.Requires == "get_balance" {
			found = &ps[i]
		}
	}
	require.NotNil(t, found, "%+v", ps)
	assert.Equal(t, time.Minute, found.Within)
	assert.Equal(t, 1.0, found.Confidence)
	assert.Equal(t, uint64(100), found.Support)
	assert.Equal(t, "transfer_funds was preceded by get_balance within 1m in 100.0% of 100 requests", found.Text())
	rule := found.AppendRule(nil)
	assert.Equal(t, `{"id":"proposed-transfer_funds-after-get_balance","endpoint":"transfer_funds","requires":["get_balance"],"within":"1m","action":"log","mode":"monitor"}`, string(rule))
	// The proposed rule compiles as is.
	_, err = compile(t, `{"sequences":{"rules":[`+string(rule)+`]}}`)
	require.NoError(t, err)
	// login precedes transfer only in 100% too, but balance never precedes
	// login: no such proposal.
	for _, p := range ps {
		assert.NotEqual(t, "login", p.Endpoint)
	}

	js := e.Analytics().AppendJSON(nil)
	require.True(t, json.Valid(js), string(js))
	var doc struct {
		Requests  int
		Top       []map[string]any
		Proposals []struct {
			Text string
			Rule map[string]any
		}
		Model map[string]any
	}
	require.NoError(t, json.Unmarshal(js, &doc))
	assert.Equal(t, 600, doc.Requests)
	assert.NotEmpty(t, doc.Top)
	assert.NotEmpty(t, doc.Proposals)
	mj, err := e.Analytics().MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, js, mj)
	sum := e.Analytics().Summary()
	assert.True(t, strings.HasPrefix(sum, "sequences: 600 requests, "), sum)
	assert.NotContains(t, sum, "\n")
}

// TestAnomalyScoresAttackersHigher learns the legitimate flow and checks
// that attacker sequences score higher, and that the anomaly rule only
// fires after the warm-up.
func TestAnomalyScoresAttackersHigher(t *testing.T) {
	e := mustEngine(t, `{"sequences":{"rules":[{"id":"odd","kind":"anomaly","threshold":4,"warmup":1000,"window":4,"action":"log"}],"analytics":{}}}`, session.Config{})
	st := session.NewMemStore()
	a := e.Analytics()
	// Before the warm-up nothing fires, however odd.
	rs := play(t, e, st, "early", []int{opExport, opExport, opExport, opExport}, t0)
	for _, r := range rs {
		assert.Empty(t, r.Hits)
	}
	rng := rand.New(rand.NewSource(2))
	for s := 0; s < 300; s++ {
		flow := bankFlow
		if rng.Intn(3) == 0 {
			flow = []int{opLogin, opProfile, opUpdate, opProfile, opLogout}
		}
		play(t, e, st, fmt.Sprint("legit", s), flow, t0.Add(time.Hour))
		if s%50 == 0 {
			_, err := a.Flush(st)
			require.NoError(t, err)
		}
	}
	_, err := a.Flush(st)
	require.NoError(t, err)
	require.GreaterOrEqual(t, a.Requests(), uint64(1000))

	mean := func(rs []Result) float64 {
		sum := 0.0
		for _, r := range rs {
			require.True(t, r.Scored)
			sum += r.Score
		}
		return sum / float64(len(rs))
	}
	legit := play(t, e, st, "check-legit", bankFlow, t0.Add(2*time.Hour))
	enum := play(t, e, st, "enum", []int{opLogin, opBalance, opBalance, opBalance, opBalance, opBalance}, t0.Add(2*time.Hour))
	blind := play(t, e, st, "blind", []int{opTransfer, opTransfer, opExport, opTransfer, opExport, opTransfer}, t0.Add(2*time.Hour))
	ml, me, mb := mean(legit), mean(enum), mean(blind)
	t.Logf("mean surprise: legit %.2f, enumeration %.2f, blind %.2f bits", ml, me, mb)
	assert.Greater(t, me, ml+2)
	assert.Greater(t, mb, ml+2)
	for _, r := range legit {
		assert.Empty(t, r.Hits, "the learned flow never trips the rule (score %.2f)", r.Score)
	}
	last := blind[len(blind)-1]
	require.Len(t, last.Hits, 1)
	assert.Equal(t, KindAnomaly, last.Hits[0].Kind)
	assert.Greater(t, last.Hits[0].Evidence.Score, 4.0)
}

func TestFlushBoundsTheSharedTable(t *testing.T) {
	e := mustEngine(t, `{"sequences":{"analytics":{"max_ngrams":200,"shards":4,"max_length":4}}}`, session.Config{Prefix: "p/"})
	st := session.NewMemStore()
	rng := rand.New(rand.NewSource(3))
	var bytes []int
	for round := 0; round < 6; round++ {
		for s := 0; s < 200; s++ {
			flow := make([]int, 8)
			for i := range flow {
				flow[i] = rng.Intn(len(bankOps))
			}
			play(t, e, st, fmt.Sprint("r", round, "s", s), flow, t0.Add(time.Duration(round)*time.Hour))
		}
		stats, err := e.Analytics().Flush(st)
		require.NoError(t, err)
		assert.LessOrEqual(t, stats.Entries, 200)
		keys := 0
		total := 0
		for _, k := range st.Keys() {
			if strings.HasPrefix(k, "p/ng/") {
				keys++
				v, _, _, _ := st.Get(k)
				total += len(k) + len(v)
			}
		}
		assert.Equal(t, 4, keys)
		bytes = append(bytes, total)
	}
	// Entries are bounded; bytes only grow with the varint width of counts
	// (an entry is at most 2 + 6*3 + 10 bytes).
	for _, b := range bytes {
		assert.LessOrEqual(t, b, 200*30+4*16, "table bytes: %v", bytes)
	}
	// Unigrams, the heavy hitters, survive eviction exactly.
	assert.Equal(t, uint64(6*200*8), e.Analytics().Requests())
}

func TestFlushContentionKeepsCounts(t *testing.T) {
	e := mustEngine(t, `{"sequences":{"analytics":{"shards":1}}}`, session.Config{Retries: 2})
	st := session.NewMemStore()
	play(t, e, st, "s", bankFlow, t0)
	fl := &flakyStore{MemStore: st, fail: 2}
	stats, err := e.Analytics().Flush(fl)
	assert.ErrorIs(t, err, ErrFlushContention)
	assert.Equal(t, 1, stats.Contended)
	_, err = e.Analytics().Flush(st)
	require.NoError(t, err)
	assert.Equal(t, uint64(len(bankFlow)), e.Analytics().Requests(), "counts retried, not lost")
}

func TestMergeSpaceSaving(t *testing.T) {
	k := func(op uint16) ckey { return ckey{kind: kindGram, n: 1, ops: [MaxLength]uint16{op}} }
	table := []centry{{k(1), 10}, {k(2), 3}, {k(3), 7}}
	out := mergeSpaceSaving(table, []centry{{k(1), 5}, {k(9), 2}}, 3)
	assert.Equal(t, []centry{{k(1), 15}, {k(3), 7}, {k(9), 5}}, out, "the smallest (2:3) is replaced; the newcomer starts at 3+2")
	b := appendShard(nil, out)
	back, dropped := decodeShard(b, nil)
	require.Zero(t, dropped)
	assert.Equal(t, out, back)
}

func FuzzDecodeShard(f *testing.F) {
	f.Add(appendShard(nil, []centry{{ckey{kind: kindGram, n: 2, ops: [MaxLength]uint16{1, 2}}, 4}, {ckey{kind: kindPrec, n: 3, ops: [MaxLength]uint16{1, 2, 4}}, 1}}))
	f.Add([]byte{1, 0})
	f.Add([]byte{1, 2, 0, 1, 5, 1, 0, 1, 5, 2})
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, _ := decodeShard(data, nil)
		again, dropped := decodeShard(appendShard(nil, entries), nil)
		if dropped != 0 || len(again) != len(entries) {
			t.Fatalf("re-encoding a decoded shard: %d dropped", dropped)
		}
		m := buildModel(entries, 4)
		_ = m.prob([]uint16{1, 2}, 3)
	})
}
