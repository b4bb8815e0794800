package auth

import (
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/apiwarden/apiwarden/policy/session"
)

// Store is the shared-data port (proxy_get/set_shared_data with
// compare-and-swap); session.MemStore implements it for tests.
type Store = session.Store

// casRetries bounds compare-and-swap loops on one key.
const casRetries = 8

// sharedKeySet is the shared-data value of one remote provider, one key
// per provider ("<prefix>auth/jwks/<provider>"), JSON. It holds the last
// good JWKS document and the fetch bookkeeping every VM reads: only one VM
// fetches at a time (the one whose compare-and-swap of AttemptMS won).
type sharedKeySet struct {
	V int `json:"v"`
	// FetchedMS is when Body was fetched (0: never).
	FetchedMS int64  `json:"fetched_ms,omitempty"`
	Body      string `json:"body,omitempty"`
	// AttemptMS is when the running fetch started (a lease, void after
	// the fetch timeout); 0 when none runs.
	AttemptMS int64 `json:"attempt_ms,omitempty"`
	// FailedMS and Failures: the last failed fetch and how many in a row.
	FailedMS int64 `json:"failed_ms,omitempty"`
	Failures int   `json:"failures,omitempty"`
	// KidMissMS is when a fetch for an unknown kid was last asked for;
	// KidMiss is set while it waits for the next fetch.
	KidMissMS int64 `json:"kid_miss_ms,omitempty"`
	KidMiss   bool  `json:"kid_miss,omitempty"`
}

const sharedVersion = 1

// remoteState is one VM's view of a remote provider's keys.
type remoteState struct {
	keys      *KeySet
	fetchedMS int64
}

func (rt *Runtime) sharedKey(p *Provider) string {
	prefix := rt.cfg.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return prefix + "auth/jwks/" + p.Name
}

func (rt *Runtime) load(p *Provider) (sharedKeySet, uint32, error) {
	var e sharedKeySet
	v, cas, found, err := rt.store.Get(rt.sharedKey(p))
	if err != nil || !found {
		return e, 0, err
	}
	if json.Unmarshal(v, &e) != nil || e.V != sharedVersion {
		// A value this version cannot read is replaced by the next fetch.
		return sharedKeySet{}, cas, nil
	}
	return e, cas, nil
}

// update applies f to the provider's shared value with compare-and-swap;
// f returns false to leave it alone.
func (rt *Runtime) update(p *Provider, f func(*sharedKeySet) bool) (sharedKeySet, bool, error) {
	for i := 0; i < casRetries; i++ {
		e, cas, err := rt.load(p)
		if err != nil {
			return e, false, err
		}
		if !f(&e) {
			return e, false, nil
		}
		e.V = sharedVersion
		b, _ := json.Marshal(&e)
		err = rt.store.Set(rt.sharedKey(p), b, cas)
		if errors.Is(err, session.ErrCASMismatch) {
			continue
		}
		return e, err == nil, err
	}
	return sharedKeySet{}, false, session.ErrCASMismatch
}

// adopt makes the VM use the shared value's keys when they are newer.
func (rt *Runtime) adopt(p *Provider, e sharedKeySet) {
	st := rt.remote[p.index]
	if e.FetchedMS == 0 || e.FetchedMS == st.fetchedMS {
		return
	}
	keys, err := ParseJWKS([]byte(e.Body), true)
	if err != nil {
		return
	}
	st.keys = &KeySet{Keys: keys, Gen: nextGen()}
	st.fetchedMS = e.FetchedMS
}

// sync reads the provider's shared value and adopts its keys.
func (rt *Runtime) sync(p *Provider) sharedKeySet {
	e, _, err := rt.load(p)
	if err == nil {
		rt.adopt(p, e)
	}
	return e
}

// Fetch is a key-set fetch the glue should start now: proxy_http_call to
// Cluster with :authority Authority, :path Path, GET, Timeout. It must
// answer with Ingest or FetchFailed.
type Fetch struct {
	Provider  string
	Cluster   string
	Authority string
	Path      string
	Timeout   time.Duration
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// backoff is how long to wait after n failed fetches in a row: 1 s,
// doubling, at most the provider's min_refetch_s.
func backoff(n int, max time.Duration) time.Duration {
	d := time.Second
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	return d
}

// due says whether p's keys should be fetched now, by the shared value.
func due(r *RemoteJWKS, e *sharedKeySet, now int64) bool {
	lease := (r.Timeout + time.Second).Milliseconds()
	if e.AttemptMS != 0 && now-e.AttemptMS < lease {
		return false // another VM is fetching
	}
	if e.Failures > 0 && now-e.FailedMS < backoff(e.Failures, r.MinRefetch).Milliseconds() {
		return false
	}
	switch {
	case e.FetchedMS == 0:
		return true
	case now >= e.FetchedMS+r.CacheTTL.Milliseconds()*4/5:
		// Refresh before expiry: at 80% of cache_s.
		return true
	case e.KidMiss && now-e.FetchedMS >= r.MinRefetch.Milliseconds():
		return true
	}
	return false
}

// Due is called from the tick (and right after a Result with Refetch): it
// adopts key sets other VMs fetched and returns the fetches this VM must
// start now. At most one VM fetches a provider at a time: Due takes a
// lease in shared data with compare-and-swap.
func (rt *Runtime) Due(now time.Time) []Fetch {
	var out []Fetch
	t := ms(now)
	for _, p := range rt.cfg.Providers {
		r := p.Remote
		if r == nil {
			continue
		}
		_, won, err := rt.update(p, func(e *sharedKeySet) bool {
			rt.adopt(p, *e)
			if !due(r, e, t) {
				return false
			}
			e.AttemptMS = t
			return true
		})
		if err == nil && won {
			out = append(out, Fetch{Provider: p.Name, Cluster: r.Cluster, Authority: r.Authority, Path: r.Path, Timeout: r.Timeout})
		}
	}
	return out
}

// Ingest takes the answer of a fetch Due asked for. A non-200 status or a
// body that is not a usable JWKS is a failed fetch (as FetchFailed); the
// error says why, for the log. On success every VM adopts the keys at its
// next Due or unknown kid.
func (rt *Runtime) Ingest(provider string, status int, body []byte, now time.Time) error {
	p := rt.provider(provider)
	if p == nil || p.Remote == nil {
		return errors.New("auth: no remote key set for provider " + provider)
	}
	var perr error
	if status != 200 {
		perr = errors.New("auth: key set fetch answered " + strconv.Itoa(status))
	} else if keys, err := ParseJWKS(body, true); err != nil {
		perr = errors.New("auth: fetched key set: " + err.Error())
	} else if len(keys) == 0 {
		perr = errors.New("auth: fetched key set has no usable key")
	}
	if perr != nil {
		rt.FetchFailed(provider, now)
		return perr
	}
	t := ms(now)
	e, _, err := rt.update(p, func(e *sharedKeySet) bool {
		e.FetchedMS, e.Body = t, string(body)
		e.AttemptMS, e.FailedMS, e.Failures, e.KidMiss = 0, 0, 0, false
		return true
	})
	if err != nil {
		return err
	}
	rt.adopt(p, e)
	return nil
}

// FetchFailed records a failed or timed-out fetch: the lease is released,
// the next attempt waits (1 s doubling up to min_refetch_s), and the last
// good keys stay in use until cache_s + max_stale_s after they were
// fetched.
func (rt *Runtime) FetchFailed(provider string, now time.Time) {
	p := rt.provider(provider)
	if p == nil || p.Remote == nil {
		return
	}
	t := ms(now)
	_, _, _ = rt.update(p, func(e *sharedKeySet) bool {
		e.AttemptMS, e.FailedMS = 0, t
		e.Failures++
		return true
	})
}

// remoteKeys returns the keys a remote provider verifies with now, or nil
// when none are available (never fetched, or older than cache_s +
// max_stale_s).
func (rt *Runtime) remoteKeys(p *Provider, now time.Time) *KeySet {
	st := rt.remote[p.index]
	usable := func() bool {
		return st.keys != nil && ms(now) < st.fetchedMS+(p.Remote.CacheTTL+p.Remote.MaxStale).Milliseconds()
	}
	if !usable() {
		rt.sync(p)
	}
	if !usable() {
		return nil
	}
	return st.keys
}

// kidMiss is called when a token names a kid the VM does not know: adopt
// what another VM fetched, else ask for a fetch (at most once per
// min_refetch_s, shared by all VMs). It reports whether the keys changed.
func (rt *Runtime) kidMiss(p *Provider, now time.Time) (changed, refetch bool) {
	st := rt.remote[p.index]
	before := st.keys
	t := ms(now)
	_, won, _ := rt.update(p, func(e *sharedKeySet) bool {
		rt.adopt(p, *e)
		if st.keys != before || e.KidMiss || t-e.KidMissMS < p.Remote.MinRefetch.Milliseconds() {
			return false
		}
		e.KidMiss, e.KidMissMS = true, t
		return true
	})
	return st.keys != before, won
}
