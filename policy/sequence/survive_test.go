package sequence

import (
	"encoding/binary"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apiwarden/apiwarden/policy/session"
)

// shardCounts reads every shard and returns the counts by key.
func shardCounts(t testing.TB, st session.Store, shards int) map[ckey]uint64 {
	out := map[ckey]uint64{}
	for s := 0; s < shards; s++ {
		raw, _, found, err := st.Get("apiwarden/ng/" + strconv.Itoa(s))
		require.NoError(t, err)
		if !found {
			continue
		}
		entries, _ := decodeShard(raw, nil)
		for _, e := range entries {
			out[e.key] += e.count
		}
	}
	return out
}

func TestBadShardEntryCostsOnlyItself(t *testing.T) {
	e := mustEngine(t, `{"sequences":{"analytics":{"shards":1}}}`, session.Config{Prefix: "apiwarden/"})
	st := session.NewMemStore()
	play(t, e, st, "s", bankFlow, t0)
	_, err := e.Analytics().Flush(st)
	require.NoError(t, err)
	before := shardCounts(t, st, 1)
	raw, cas, _, _ := st.Get("apiwarden/ng/0")
	bad := binary.AppendUvarint(append([]byte(nil), raw...), 3)
	bad = append(bad, 7, 7, 7) // kind 7 does not exist
	require.NoError(t, st.Set("apiwarden/ng/0", bad, cas))
	play(t, e, st, "t", []int{opLogin}, t0)
	stats, err := e.Analytics().Flush(st)
	require.NoError(t, err)
	assert.Equal(t, 1, stats.Corrupt)
	after := shardCounts(t, st, 1)
	for k, c := range before {
		assert.GreaterOrEqual(t, after[k], c, "%v", k)
	}
}

// FuzzAnalyticsShards: counts flushed before survive arbitrary bytes added
// to the shards (as a framed entry or a raw tail) and arbitrary traffic.
func FuzzAnalyticsShards(f *testing.F) {
	f.Add([]byte{7, 7, 7}, []byte{1, 2, 3}, false)
	f.Add([]byte{0xff, 0xff}, []byte{}, true)
	f.Add([]byte{0, 1, 2, 9}, []byte{7, 7, 7, 7, 7, 7, 7}, false)
	f.Fuzz(func(t *testing.T, foreign, traffic []byte, rawTail bool) {
		const shards = 2
		e := mustEngine(t, `{"sequences":{"analytics":{"shards":2,"max_length":3}}}`, session.Config{Prefix: "apiwarden/"})
		st := session.NewMemStore()
		play(t, e, st, "legit", bankFlow, t0)
		if _, err := e.Analytics().Flush(st); err != nil {
			t.Fatal(err)
		}
		before := shardCounts(t, st, shards)
		for s := 0; s < shards; s++ {
			key := "apiwarden/ng/" + strconv.Itoa(s)
			raw, cas, _, _ := st.Get(key)
			b := append([]byte(nil), raw...)
			if rawTail {
				b = append(b, foreign...)
			} else {
				b = binary.AppendUvarint(b, uint64(len(foreign)))
				b = append(b, foreign...)
			}
			require.NoError(t, st.Set(key, b, cas))
		}
		flow := make([]int, len(traffic))
		for i, c := range traffic {
			flow[i] = int(c) % len(bankOps)
		}
		if len(flow) > 64 {
			flow = flow[:64]
		}
		play(t, e, st, "fuzz", flow, t0)
		if _, err := e.Analytics().Flush(st); err != nil {
			t.Fatal(err)
		}
		after := shardCounts(t, st, shards)
		for k, c := range before {
			if after[k] < c {
				t.Fatalf("%v: %d counted before, %d after", k, c, after[k])
			}
		}
		for s := 0; s < shards; s++ {
			raw, _, _, _ := st.Get("apiwarden/ng/" + strconv.Itoa(s))
			if _, dropped := decodeShard(raw, nil); dropped != 0 {
				t.Fatalf("shard %d was written with %d bad entries", s, dropped)
			}
		}
	})
}
