package main

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apiwarden/apiwarden/policy"
	"github.com/apiwarden/apiwarden/policy/session"
	"github.com/apiwarden/apiwarden/wasmtest"
)

// hostStore reads a wasmtest host's shared data through the session
// package's Store interface (read-only: the test inspects, never writes).
type hostStore struct{ host *wasmtest.Host }

func (s hostStore) Get(key string) ([]byte, uint32, bool, error) {
	v, ok := s.host.SharedData()[key]
	return v, 0, ok, nil
}

func (hostStore) Set(string, []byte, uint32) error { return fmt.Errorf("read-only") }

// TestEightVMsShareSessionHistories interleaves concurrent requests of the
// same sessions over 8 worker VMs (sequences.count "any": a step is
// recorded in the same compare-and-swap as its evaluation). Every request must land in its session's
// history (no lost update), and every rule must see the history the request
// was appended to: with max_consecutive 20 and 40 requests per session,
// exactly 20 are blocked per session. A stale read would let some through.
func TestEightVMsShareSessionHistories(t *testing.T) {
	const (
		sessions      = 6
		writers       = 4 // concurrent goroutines per session
		perWriter     = 10
		perSession    = writers * perWriter
		maxConsecutiv = 20
	)
	cfg := []byte(fmt.Sprintf(`{
	  "endpoints": [{"id": "op_a", "method": "GET", "path": "/a"}],
	  "session": {"from": ["header:x-session-id"], "history": 64, "max_sessions": 4096},
	  "sequences": {"count": "any", "rules": [{"id": "cap", "endpoint": "op_a", "max_consecutive": %d, "action": "block"}]}
	}`, maxConsecutiv))
	host, err := wasmtest.New(context.Background(), wasmtest.Options{Module: builtModule(t), PluginConfig: cfg,
		Workers: 8, PluginName: "apiwarden", RootID: "apiwarden", VMID: "apiwarden", DisableTrace: true})
	require.NoError(t, err)
	defer host.Close(context.Background())

	var mu sync.Mutex
	blocked := map[string]int{}
	var wg sync.WaitGroup
	for s := 0; s < sessions; s++ {
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func(sid string, w int) {
				defer wg.Done()
				for i := 0; i < perWriter; i++ {
					vm := host.VM((w*perWriter + i) % 8)
					ex, err := vm.RoundTrip(&wasmtest.Request{Method: "GET", Path: "/a",
						Headers: [][2]string{{"x-session-id", sid}}, SourceAddress: "198.51.100.1:1000"}, nil)
					if !assert.NoError(t, err) || !assert.NoError(t, ex.Trapped) {
						return
					}
					if ex.Response.Status == 403 {
						mu.Lock()
						blocked[sid]++
						mu.Unlock()
					}
				}
			}(fmt.Sprintf("session-%d", s), w)
		}
	}
	wg.Wait()

	p, err := policy.Compile(cfg)
	require.NoError(t, err)
	sc := p.Session
	sc.Salt = string(host.SharedData()[session.SaltKey(sc.Prefix)])
	require.Len(t, sc.Salt, 32, "an empty salt is one random salt shared by every VM")
	sess := session.New(sc)
	for s := 0; s < sessions; s++ {
		sid := fmt.Sprintf("session-%d", s)
		assert.Equal(t, perSession-maxConsecutiv, blocked[sid], "%s: rules saw a stale history", sid)
		key, _ := sess.Key(headerGetter{{"x-session-id", sid}}, "")
		h, err := sess.Load(hostStore{host}, key, time.Now())
		require.NoError(t, err)
		assert.Len(t, h.Entries, perSession, "%s: a history entry was lost", sid)
	}
	for _, vm := range host.VMs() {
		require.NoError(t, vm.Failed())
	}
}

// headerGetter adapts a header list to the session package.
type headerGetter policy.Headers

func (h headerGetter) Get(name string) string { return policy.Headers(h).Value(name) }

// TestEightVMsSpendOneRateBudget: concurrent requests of one key over 8
// worker VMs spend one shared budget exactly (GCRA, one compare-and-swap
// per request, no refill within the test): 160 requests against a burst
// of 50 give exactly 50 answers from the upstream and 110 refusals (429
// with Retry-After), none lost to contention.
func TestEightVMsSpendOneRateBudget(t *testing.T) {
	const (
		writers   = 16
		perWriter = 10
		burst     = 50
	)
	cfg := []byte(fmt.Sprintf(`{
	  "endpoints": [{"id": "op_a", "method": "GET", "path": "/a"}],
	  "session": {"from": ["header:x-session-id"]},
	  "abuse": {"rate_limits": [{"id": "one-budget", "key": ["session"], "rate": "%d/1h", "burst": %d}]}
	}`, burst, burst))
	host, err := wasmtest.New(context.Background(), wasmtest.Options{Module: builtModule(t), PluginConfig: cfg,
		Workers: 8, PluginName: "apiwarden", RootID: "apiwarden", VMID: "apiwarden", DisableTrace: true})
	require.NoError(t, err)
	defer host.Close(context.Background())

	var mu sync.Mutex
	status := map[int]int{}
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				ex, err := host.VM((w+i)%8).RoundTrip(&wasmtest.Request{Method: "GET", Path: "/a",
					Headers: [][2]string{{"x-session-id", "one"}}, SourceAddress: "198.51.100.1:1000"}, nil)
				if !assert.NoError(t, err) || !assert.NoError(t, ex.Trapped) {
					return
				}
				if ex.Response.Status == 429 {
					assert.NotEmpty(t, ex.Response.Header("retry-after"))
				}
				mu.Lock()
				status[ex.Response.Status]++
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	assert.Equal(t, map[int]int{200: burst, 429: writers*perWriter - burst}, status)
	for _, vm := range host.VMs() {
		require.NoError(t, vm.Failed())
	}
}
