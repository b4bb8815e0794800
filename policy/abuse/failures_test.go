package abuse

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apiwarden/apiwarden/policy/session"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const loginCfg = `{"failures":[{"id":"login","key":["body:/username"],"endpoints":["login"],
	"on":{"status":[401,403]},"max_failures":3,"window":"10m","lockout":"1m","max_lockout":"4m"}]}`

func login(user, source string) *Request {
	r := req("login", source)
	r.Method = "POST"
	r.Body = JSONBytes(`{"username":"` + user + `","password":"x"}`)
	return r
}

func TestFailureLockoutGrowthAndReset(t *testing.T) {
	e := engine(t, loginCfg, nil)
	now := t0
	fail := &Response{Status: 401}
	// Three failures from three addresses lock the target out: the key is
	// the target, independent of the client address.
	for i := 0; i < 3; i++ {
		r := login("alice", fmt.Sprintf("10.0.0.%d", i))
		require.Equal(t, Allow, e.Admit(r, now).Verdict, i)
		o := e.Observe(r, fail, now)
		require.NoError(t, o.Err)
		if i < 2 {
			assert.Empty(t, o.Events)
		} else {
			require.Len(t, o.Events, 1)
			assert.Equal(t, time.Minute, o.Events[0].RetryAfter)
			assert.Equal(t, 1, o.Events[0].Level)
		}
	}
	res := e.Admit(login("alice", "10.9.9.9"), now.Add(time.Second))
	require.Equal(t, Block, res.Verdict)
	assert.Equal(t, ReasonTooManyFailures, res.Reason)
	assert.Equal(t, 429, res.Status)
	assert.Equal(t, "59", header(res, "retry-after"))
	assert.Equal(t, Allow, e.Admit(login("bob", "10.0.0.1"), now).Verdict, "other targets are not locked")
	assert.Equal(t, Allow, e.Admit(req("other", "10.0.0.1"), now).Verdict, "other endpoints are out of scope")

	// Lock-outs double: 1m, 2m, 4m, then capped at 4m.
	for level, want := range []time.Duration{2 * time.Minute, 4 * time.Minute, 4 * time.Minute} {
		now = now.Add(time.Minute + time.Second) // the previous lock-out is over
		require.Equal(t, Allow, e.Admit(login("alice", "10.0.0.1"), now).Verdict, level)
		var o ObserveResult
		for i := 0; i < 3; i++ {
			o = e.Observe(login("alice", "10.0.0.1"), fail, now)
		}
		require.Len(t, o.Events, 1, level)
		assert.Equal(t, want, o.Events[0].RetryAfter, level)
		assert.Equal(t, level+2, o.Events[0].Level)
		now = now.Add(want - time.Minute)
	}

	// A success resets the count (not the level).
	now = now.Add(10 * time.Minute)
	e.Observe(login("carol", "10.0.0.1"), fail, now)
	e.Observe(login("carol", "10.0.0.1"), fail, now)
	e.Observe(login("carol", "10.0.0.1"), &Response{Status: 200}, now)
	e.Observe(login("carol", "10.0.0.1"), fail, now)
	e.Observe(login("carol", "10.0.0.1"), fail, now)
	assert.Equal(t, Allow, e.Admit(login("carol", "10.0.0.1"), now).Verdict)
	// Failures outside the window do not add up.
	e.Observe(login("dave", "10.0.0.1"), fail, now)
	e.Observe(login("dave", "10.0.0.1"), fail, now)
	e.Observe(login("dave", "10.0.0.1"), fail, now.Add(10*time.Minute))
	assert.Equal(t, Allow, e.Admit(login("dave", "10.0.0.1"), now.Add(10*time.Minute)).Verdict)
}

func TestFailureMatchOnBodyAndNoReset(t *testing.T) {
	e := engine(t, `{"failures":[{"id":"otp","key":["param:phone"],"on":{"pointer":"/error/code","equals":"bad_otp"},
		"max_failures":2,"window":"1m","lockout":"30s","reset_on_success":false,"mode":"monitor"}]}`, nil)
	r := req("verify", "10.0.0.1")
	r.PathParams = Map{"phone": "+100"}
	bad := &Response{Status: 200, Body: JSONBytes(`{"error":{"code":"bad_otp"}}`)}
	ok := &Response{Status: 200, Body: JSONBytes(`{"ok":true}`)}
	assert.True(t, e.NeedsResponseBody("verify"))
	e.Observe(r, bad, t0)
	e.Observe(r, ok, t0) // does not reset
	e.Observe(r, bad, t0)
	res := e.Admit(r, t0)
	assert.Equal(t, Log, res.Verdict, "monitor mode reports the lock-out, lets through")
	require.Len(t, res.Events, 1)
	assert.Equal(t, ReasonTooManyFailures, res.Events[0].Reason)
}

func TestLockoutFor(t *testing.T) {
	assert.Equal(t, time.Minute, lockoutFor(time.Minute, time.Hour, 1))
	assert.Equal(t, 8*time.Minute, lockoutFor(time.Minute, time.Hour, 4))
	assert.Equal(t, time.Hour, lockoutFor(time.Minute, time.Hour, 62))
}

// TestFailuresConcurrent: 8 VMs count failures of one target at once:
// exactly one lock-out starts (no lost or doubled update starts a second),
// and once locked, every VM refuses.
func TestFailuresConcurrent(t *testing.T) {
	st := &yieldingStore{MemStore: session.NewMemStore()}
	cfg := `{"cas_retries":64,"failures":[{"id":"login","key":["body:/username"],"on":{"status":[401]},
		"max_failures":10,"window":"1h","lockout":"1s","max_lockout":"1s"}]}`
	const vms, each = 8, 25 // 200 failures
	engines := make([]*Engine, vms)
	for i := range engines {
		engines[i] = engine(t, cfg, st)
	}
	var lockouts, errs atomic.Int64
	var wg sync.WaitGroup
	for v := 0; v < vms; v++ {
		wg.Add(1)
		go func(e *Engine, v int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				o := e.Observe(login("alice", "10.0.0.1"), &Response{Status: 401}, t0)
				if o.Err != nil {
					errs.Add(1)
				}
				lockouts.Add(int64(len(o.Events)))
			}
		}(engines[v], v)
	}
	wg.Wait()
	require.Zero(t, errs.Load())
	// All 200 failures at one instant: the first 10 lock the target out,
	// the other 190 arrive during the lock-out and are absorbed.
	assert.Equal(t, int64(1), lockouts.Load())

	// Admit half: every VM refuses concurrently while locked.
	var refused atomic.Int64
	for v := 0; v < vms; v++ {
		wg.Add(1)
		go func(e *Engine) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if e.Admit(login("alice", "10.0.0.2"), t0.Add(500*time.Millisecond)).Verdict == Block {
					refused.Add(1)
				}
			}
		}(engines[v])
	}
	wg.Wait()
	assert.Equal(t, int64(vms*each), refused.Load())
}

// TestFailuresCountedExactly: 8 VMs, 9 failures each (72 < 100), then one
// more makes exactly 73: with max_failures 73 the lock-out starts on the
// last one and not before.
func TestFailuresCountedExactly(t *testing.T) {
	st := &yieldingStore{MemStore: session.NewMemStore()}
	cfg := `{"cas_retries":64,"failures":[{"id":"login","key":["body:/username"],"on":{"status":[401]},
		"max_failures":73,"window":"1h","lockout":"1m"}]}`
	var wg sync.WaitGroup
	var lockouts atomic.Int64
	engines := make([]*Engine, 8)
	for i := range engines {
		engines[i] = engine(t, cfg, st)
		wg.Add(1)
		go func(e *Engine) {
			defer wg.Done()
			for j := 0; j < 9; j++ {
				lockouts.Add(int64(len(e.Observe(login("alice", "10.0.0.1"), &Response{Status: 401}, t0).Events)))
			}
		}(engines[i])
	}
	wg.Wait()
	require.Zero(t, lockouts.Load())
	assert.Equal(t, Allow, engines[0].Admit(login("alice", "10.0.0.1"), t0).Verdict)
	o := engines[3].Observe(login("alice", "10.0.0.1"), &Response{Status: 401}, t0)
	require.Len(t, o.Events, 1)
	assert.Equal(t, Block, engines[5].Admit(login("alice", "10.0.0.1"), t0).Verdict)
}
