package abuse

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apiwarden/apiwarden/policy/session"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRateLimitRefusalHeaders(t *testing.T) {
	e := engine(t, `{"rate_limits":[{"id":"default","key":["client"],"rate":"100/60s"}]}`, nil)
	r := req("get_balance", "10.0.0.1:4000")
	for i := 0; i < 100; i++ {
		res := e.Admit(r, t0)
		require.Equal(t, Allow, res.Verdict, i)
		assert.Empty(t, res.Headers, "no headers on allow without headers_on_allow")
	}
	res := e.Admit(r, t0)
	require.Equal(t, Block, res.Verdict)
	assert.Equal(t, 429, res.Status)
	assert.Equal(t, ReasonRateLimited, res.Reason)
	assert.Equal(t, "default", res.Rule)
	assert.Equal(t, 600*time.Millisecond, res.RetryAfter)
	assert.Equal(t, "1", header(res, "retry-after"))
	assert.Equal(t, `"default";q=100;w=60`, header(res, "ratelimit-policy"))
	assert.Equal(t, `"default";r=0;t=60`, header(res, "ratelimit"))
	require.Len(t, res.Events, 1)
	ev := res.Events[0]
	assert.Equal(t, KindRateLimit, ev.Kind)
	assert.Equal(t, int64(100), ev.Limit)
	assert.Equal(t, time.Minute, ev.Window)
	assert.Len(t, ev.Key, 16)
	assert.NotContains(t, ev.Key, "10.0.0.1")

	// Another client has its own budget; 30s later 50 more are allowed.
	assert.Equal(t, Allow, e.Admit(req("x", "10.0.0.2:1"), t0).Verdict)
	for i := 0; i < 50; i++ {
		require.Equal(t, Allow, e.Admit(r, t0.Add(30*time.Second)).Verdict, i)
	}
	assert.Equal(t, Block, e.Admit(r, t0.Add(30*time.Second)).Verdict)
}

func TestRateLimitHeadersOnAllowAndScopes(t *testing.T) {
	e := engine(t, `{"headers_on_allow":true,"rate_limits":[
		{"id":"all","key":["session"],"rate":"10/s","burst":20},
		{"id":"transfer","key":["session"],"endpoints":["transfer"],"rate":"1/m","burst":2,"action":"block"},
		{"id":"each","key":["session"],"per_endpoint":true,"rate":"3/m"}]}`, nil)
	r := req("get_balance", "10.0.0.1:1")
	r.Session = "s1"
	res := e.Admit(r, t0)
	require.Equal(t, Allow, res.Verdict)
	assert.Equal(t, `"all";q=20;w=2, "each";q=3;w=60`, header(res, "ratelimit-policy"))
	assert.Equal(t, `"all";r=19;t=1, "each";r=2;t=20`, header(res, "ratelimit"))
	assert.Empty(t, header(res, "retry-after"))
	// per_endpoint: get_balance spent its 3, transfer has its own.
	e.Admit(r, t0)
	e.Admit(r, t0)
	res = e.Admit(r, t0)
	require.Equal(t, Block, res.Verdict)
	assert.Equal(t, "each", res.Rule)
	tr := req("transfer", "10.0.0.1:1")
	tr.Session = "s1"
	for i := 0; i < 2; i++ {
		res = e.Admit(tr, t0)
		require.Equal(t, Allow, res.Verdict, i)
	}
	res = e.Admit(tr, t0)
	require.Equal(t, Block, res.Verdict)
	assert.Equal(t, "transfer", res.Rule)
	assert.Equal(t, "60", header(res, "retry-after"), "one per minute after the burst")
	// No session: the rules keyed by session do not apply.
	assert.Equal(t, Allow, e.Admit(req("transfer", "10.0.0.1:1"), t0).Verdict)
}

func TestRateLimitKeyParts(t *testing.T) {
	// More than 4 parts is refused by the parser; each kind alone below.
	_, err := Parse([]byte(`{"rate_limits":[{"id":"k","key":["claim:sub","client_id","header:X-Tenant","param:user_id","query:q"],"rate":"1/m"}]}`), nil)
	require.ErrorContains(t, err, "abuse.rate_limits[0].key: want 1 to 4 key parts, got 5")
	for _, part := range []string{"claim:sub", "client_id", "header:X-Tenant", "param:user_id", "query:q", "body:/user/name", "session", "client"} {
		e := engine(t, fmt.Sprintf(`{"rate_limits":[{"id":"k","key":[%q],"rate":"1/m"}]}`, part), nil)
		mk := func(v string) *Request {
			return &Request{Endpoint: "e", Source: v + ".0.0.1", Session: v, ClientID: v,
				Claims: Map{"sub": v}, Headers: HeaderMap{"x-tenant": v}, PathParams: Map{"user_id": v}, Query: Map{"q": v},
				Body: JSONBytes(`{"user":{"name":"` + v + `"}}`)}
		}
		require.Equal(t, Allow, e.Admit(mk("1"), t0).Verdict, part)
		require.Equal(t, Block, e.Admit(mk("1"), t0).Verdict, part)
		require.Equal(t, Allow, e.Admit(mk("2"), t0).Verdict, part)
		empty := &Request{Endpoint: "e"}
		require.Equal(t, Allow, e.Admit(empty, t0).Verdict, part)
		require.Equal(t, Allow, e.Admit(empty, t0).Verdict, part+": an absent part means the rule does not apply")
	}
}

func TestRateLimitMonitorAndLog(t *testing.T) {
	e := engine(t, `{"mode":"monitor","rate_limits":[{"id":"a","key":["client"],"rate":"1/m"},{"id":"b","key":["client"],"rate":"1/m","mode":"enforce","action":"log"}]}`, nil)
	r := req("e", "10.0.0.1")
	require.Equal(t, Allow, e.Admit(r, t0).Verdict)
	res := e.Admit(r, t0)
	assert.Equal(t, Log, res.Verdict)
	require.Len(t, res.Events, 2, "a log-only rule does not stop the evaluation")
	assert.Equal(t, ModeMonitor, res.Events[0].Mode)
	assert.Equal(t, ModeEnforce, res.Events[1].Mode)
	assert.Zero(t, res.Status)
	assert.Equal(t, uint64(1), e.Stats().Logged)
}

// TestNoDoubleSpend: 8 goroutines as 8 VMs (separate Engines on one
// MemStore), 400 concurrent requests of one key against a budget of 50
// that does not refill during the test: exactly 50 are allowed.
func TestNoDoubleSpend(t *testing.T) {
	const vms, each, budget = 8, 50, 50
	st := &yieldingStore{MemStore: session.NewMemStore(), first: vms}
	st.arrived.Add(vms)
	cfg := fmt.Sprintf(`{"cas_retries":64,"rate_limits":[{"id":"one","key":["client"],"rate":"1/h","burst":%d}]}`, budget)
	var allowed, refused, contention atomic.Int64
	var wg sync.WaitGroup
	engines := make([]*Engine, vms)
	for v := range engines {
		engines[v] = engine(t, cfg, st)
	}
	start := make(chan struct{})
	for v := 0; v < vms; v++ {
		wg.Add(1)
		go func(e *Engine) {
			defer wg.Done()
			<-start
			r := req("e", "192.0.2.7:1234")
			for i := 0; i < each; i++ {
				res := e.Admit(r, t0.Add(time.Duration(i)*time.Microsecond))
				switch {
				case res.Err != nil:
					contention.Add(1)
				case res.Verdict == Allow:
					allowed.Add(1)
				default:
					refused.Add(1)
				}
			}
		}(engines[v])
	}
	close(start)
	wg.Wait()
	assert.Equal(t, int64(budget), allowed.Load())
	assert.Equal(t, int64(vms*each), allowed.Load()+refused.Load()+contention.Load())
	var retries uint64
	for _, e := range engines {
		retries += e.Stats().Retries
	}
	t.Logf("allowed %d refused %d contention %d cas retries %d", allowed.Load(), refused.Load(), contention.Load(), retries)
	assert.Positive(t, retries, "the VMs really raced on the key")
}

// yieldingStore gives other goroutines a chance between every read and
// the write that follows, as other VMs run between two host calls. Its
// first reads (one per VM) wait for each other, so the VMs certainly
// race: all read the same version, one write wins, the others retry.
// (On a loaded machine the goroutines could otherwise run one after the
// other and never meet.)
type yieldingStore struct {
	*session.MemStore
	first   int32
	reads   atomic.Int32
	arrived sync.WaitGroup
}

func (s *yieldingStore) Get(key string) ([]byte, uint32, bool, error) {
	v, cas, ok, err := s.MemStore.Get(key)
	if s.reads.Add(1) <= s.first {
		s.arrived.Done()
		s.arrived.Wait()
	}
	runtime.Gosched()
	return v, cas, ok, err
}

// TestContentionOutcome: a store whose writes always lose makes Admit
// return ErrContention (the caller applies failure_mode), counted.
func TestContentionOutcome(t *testing.T) {
	st := &losingStore{MemStore: session.NewMemStore()}
	e := engine(t, `{"cas_retries":3,"rate_limits":[{"id":"a","key":["client"],"rate":"1/m"}]}`, st)
	res := e.Admit(req("e", "10.0.0.1"), t0)
	require.ErrorIs(t, res.Err, ErrContention)
	assert.Equal(t, Allow, res.Verdict)
	assert.Equal(t, uint64(1), e.Stats().Contention)
	assert.Equal(t, uint64(2), e.Stats().Retries)
	assert.Equal(t, 3, st.sets)
}

type losingStore struct {
	*session.MemStore
	sets int
}

func (s *losingStore) Set(string, []byte, uint32) error { s.sets++; return session.ErrCASMismatch }

func TestRateTableBoundedAndEviction(t *testing.T) {
	st := session.NewMemStore()
	e := engine(t, `{"rate_limits":[{"id":"a","key":["header:k"],"rate":"1/h","max_keys":8}]}`, st)
	info := e.Tables()
	require.Len(t, info, 1)
	assert.Equal(t, TableInfo{Prefix: "p/ab/a/", Buckets: 2, Ways: 4, MaxValueBytes: 2 + 4*18}, info[0])
	for i := 0; i < 1000; i++ {
		r := req("e", "")
		r.Headers = HeaderMap{"k": fmt.Sprint(i)}
		e.Admit(r, t0)
	}
	keys, bytes := st.Stats()
	assert.Equal(t, 2, keys)
	assert.LessOrEqual(t, bytes, 2*(len("p/ab/a/0")+2+4*17))
	assert.Equal(t, uint64(1000-8), e.Stats().Evicted)
	for _, k := range st.Keys() {
		assert.True(t, strings.HasPrefix(k, "p/ab/a/"), k)
	}
}
