package abuse

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEnumerationExact(t *testing.T) {
	e := engine(t, `{"distinct":[{"id":"enum","key":["session"],"ref":"param:account_id","endpoints":["get_balance"],
		"window":"1m","limit":5,"action":"block"}]}`, nil)
	get := func(acct string) *Request {
		r := req("get_balance", "10.0.0.1")
		r.Session = "s1"
		r.PathParams = Map{"account_id": acct}
		return r
	}
	for i := 0; i < 5; i++ {
		require.Equal(t, Allow, e.Admit(get(fmt.Sprint(i)), t0).Verdict, i)
		require.Equal(t, Allow, e.Admit(get(fmt.Sprint(i)), t0).Verdict, "repeats are not new values")
	}
	res := e.Admit(get("5"), t0.Add(10*time.Second))
	require.Equal(t, Block, res.Verdict)
	assert.Equal(t, ReasonTooManyDistinct, res.Reason)
	require.Len(t, res.Events, 1)
	assert.Equal(t, int64(6), res.Events[0].Count)
	assert.Equal(t, int64(5), res.Events[0].Limit)
	assert.Equal(t, time.Minute, res.Events[0].Window)
	assert.Equal(t, "50", header(res, "retry-after"))
	assert.Equal(t, Block, e.Admit(get("1"), t0.Add(20*time.Second)).Verdict, "over the limit: refused for the rest of the window")
	// Another session has its own count; the window ends.
	other := get("9")
	other.Session = "s2"
	assert.Equal(t, Allow, e.Admit(other, t0).Verdict)
	assert.Equal(t, Allow, e.Admit(get("7"), t0.Add(time.Minute)).Verdict)
}

func TestCredentialStuffing(t *testing.T) {
	// One client trying many usernames: counted on failures only.
	e := engine(t, `{"distinct":[{"id":"stuffing","key":["client"],"ref":"body:/username","endpoints":["login"],
		"window":"10m","limit":3,"on":{"status":[401]},"action":"block"}]}`, nil)
	for i := 0; i < 3; i++ {
		r := login(fmt.Sprint("user", i), "203.0.113.9:1")
		require.Equal(t, Allow, e.Admit(r, t0).Verdict, i)
		e.Observe(r, &Response{Status: 200}, t0) // successes do not count
		o := e.Observe(r, &Response{Status: 401}, t0)
		e.Observe(r, &Response{Status: 401}, t0) // the same target again
		if i == 2 {
			require.Len(t, o.Events, 1)
			assert.Equal(t, int64(3), o.Events[0].Count)
		}
	}
	res := e.Admit(login("user9", "203.0.113.9:1"), t0.Add(time.Minute))
	require.Equal(t, Block, res.Verdict)
	assert.Equal(t, "540", header(res, "retry-after"))
	assert.Equal(t, Allow, e.Admit(login("user9", "203.0.113.10:1"), t0).Verdict)
}

func TestDistinctSketchTransition(t *testing.T) {
	var p, out []byte
	for i := 0; i < MaxExact; i++ {
		var changed bool
		p, changed = distinctAdd(append([]byte(nil), p...), uint32(i)*2654435761, out)
		require.True(t, changed)
	}
	assert.Equal(t, int64(MaxExact), distinctCount(p))
	assert.Len(t, p, 1+4*MaxExact)
	p, _ = distinctAdd(append([]byte(nil), p...), 12345, out)
	assert.Len(t, p, 1+sketchRegisters, "the 33rd value converts to the sketch, same size")
	assert.InDelta(t, 33, float64(distinctCount(p)), 4)
	_, changed := distinctAdd(p, 12345, nil)
	assert.False(t, changed, "a value already counted does not change the sketch")
}

// TestDistinctErrorAtBound measures the count's error at its memory bound
// (129 bytes per key): exact up to 32, then the 128-register sketch.
// For each n, 200 trials of n random distinct values: mean relative error
// (bias) and RMS relative error. Documented bound: RMS <= ~10%, bias small.
func TestDistinctErrorAtBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 32, 33, 50, 100, 300, 1000, 10000, 100000} {
		trials := 200
		if n >= 10000 {
			trials = 40
		}
		var sum, sq, worst float64
		for tr := 0; tr < trials; tr++ {
			var p []byte
			var out []byte
			for i := 0; i < n; i++ {
				var b [4]byte
				binary.LittleEndian.PutUint32(b[:], rng.Uint32())
				var changed bool
				var next []byte
				next, changed = distinctAdd(p, binary.LittleEndian.Uint32(b[:]), out)
				if changed {
					p, out = append(p[:0:0], next...), next[:0]
				}
			}
			require.LessOrEqual(t, len(p), 1+sketchRegisters)
			rel := (float64(distinctCount(p)) - float64(n)) / float64(n)
			sum += rel
			sq += rel * rel
			worst = math.Max(worst, math.Abs(rel))
		}
		bias, rms := sum/float64(trials), math.Sqrt(sq/float64(trials))
		t.Logf("n=%6d bias %+.3f rms %.3f worst %.3f", n, bias, rms, worst)
		if n <= MaxExact {
			assert.Zero(t, worst, "exact up to 32 (up to 32-bit hash collisions)")
			continue
		}
		assert.Less(t, rms, 0.12, n)
		assert.Less(t, math.Abs(bias), 0.05, n)
	}
}

func TestCapturedList(t *testing.T) {
	p, changed := capturedAdd(nil, []uint32{1, 2, 3}, 4, nil)
	require.True(t, changed)
	p, changed = capturedAdd(append([]byte(nil), p...), []uint32{3, 2}, 4, nil)
	assert.False(t, changed)
	p, _ = capturedAdd(append([]byte(nil), p...), []uint32{4, 5, 6}, 4, nil)
	assert.Len(t, p, 16)
	assert.False(t, capturedHas(p, 1), "the oldest given are forgotten first")
	assert.False(t, capturedHas(p, 2))
	for _, h := range []uint32{3, 4, 5, 6} {
		assert.True(t, capturedHas(p, h))
	}
}
