package abuse

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGCRABurstAndSteadyRate(t *testing.T) {
	// 10 per second, burst 3: three at once, then one every 100ms.
	g := gcra{interval: int64(100 * time.Millisecond), burst: 3}
	now := t0.UnixNano()
	var tat int64
	found := false
	for i := 0; i < 3; i++ {
		d := g.decide(tat, found, now)
		require.True(t, d.allowed, i)
		assert.Equal(t, int64(2-i), d.remaining)
		tat, found = d.tat, true
	}
	d := g.decide(tat, found, now)
	require.False(t, d.allowed)
	assert.Equal(t, 100*time.Millisecond, d.retryAfter)
	assert.Equal(t, 300*time.Millisecond, d.reset)
	// 99ms later still refused, 100ms later one more.
	assert.False(t, g.decide(tat, found, now+int64(99*time.Millisecond)).allowed)
	d = g.decide(tat, found, now+int64(100*time.Millisecond))
	require.True(t, d.allowed)
	assert.Equal(t, int64(0), d.remaining)
	tat = d.tat
	// Steady: one per interval for a long time is always allowed.
	at := now + int64(100*time.Millisecond)
	for i := 0; i < 1000; i++ {
		at += int64(100 * time.Millisecond)
		d = g.decide(tat, true, at)
		require.True(t, d.allowed, i)
		tat = d.tat
	}
	// After an idle period the full burst is back (and no more).
	at += int64(10 * time.Second)
	n := 0
	for g.decide(tat, true, at).allowed {
		tat = g.decide(tat, true, at).tat
		n++
	}
	assert.Equal(t, 3, n)
}

func TestGCRAAdmitsExactlyRateOverWindow(t *testing.T) {
	// 100/60s with burst 100: over any 60s at most 100 + (60s/600ms) = 200
	// requests, and over 10 minutes of hammering 100 + 1000 - the bound
	// GCRA guarantees: burst + elapsed/T.
	g := gcra{interval: int64(600 * time.Millisecond), burst: 100}
	now := t0.UnixNano()
	var tat int64
	found := false
	allowed := 0
	for ms := int64(0); ms <= 600_000; ms += 10 {
		d := g.decide(tat, found, now+ms*int64(time.Millisecond))
		if d.allowed {
			allowed++
			tat, found = d.tat, true
		}
	}
	assert.Equal(t, 100+1000, allowed)
}

func TestCeilSeconds(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want int64
	}{{0, 0}, {-1, 0}, {1, 1}, {time.Second, 1}, {time.Second + 1, 2}, {59500 * time.Millisecond, 60}} {
		assert.Equal(t, c.want, ceilSeconds(c.d), c.d)
	}
}

func TestParseRate(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Rate
		err  string
	}{
		{in: "100/60s", want: Rate{100, time.Minute}},
		{in: "10/s", want: Rate{10, time.Second}},
		{in: "5/m", want: Rate{5, time.Minute}},
		{in: "1000/1h", want: Rate{1000, time.Hour}},
		{in: "2/d", want: Rate{2, 24 * time.Hour}},
		{in: "3/1m30s", want: Rate{3, 90 * time.Second}},
		{in: "100", err: `want a rate like "100/60s"`},
		{in: "0/s", err: "want a count between 1"},
		{in: "+1/s", err: "want a count between 1"},
		{in: "-1/s", err: "want a count between 1"},
		{in: "1/0s", err: "want a period between"},
		{in: "1/400d", err: `want a period like "60s"`},
		{in: "1/9000h", err: "want a period between"},
		{in: "1/sec", err: `want a period like "60s"`},
	} {
		got, err := ParseRate(c.in)
		if c.err != "" {
			require.Error(t, err, c.in)
			assert.Contains(t, err.Error(), c.err, c.in)
			continue
		}
		require.NoError(t, err, c.in)
		assert.Equal(t, c.want, got, c.in)
	}
}

func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"100/60s", "10/s", "1/d", "1/1ns", "99999999999/s", "1/-1s", "/", "1/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRate(s)
		if err != nil {
			return
		}
		if r.Count < 1 || r.Count > MaxRateCount || r.Period < MinRatePeriod || r.Period > MaxRatePeriod || r.Interval() < 1 {
			t.Fatalf("%q -> %+v out of bounds", s, r)
		}
		r2, err := ParseRate(r.String())
		if err != nil || r2 != r {
			t.Fatalf("%q -> %v does not round-trip: %v %v", s, r, r2, err)
		}
	})
}
