package auth

import (
	"crypto/ecdsa"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apiwarden/apiwarden/policy/session"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const remoteCfg = `{"providers":[{"name":"idp","issuer":"https://idp","algorithms":["ES256"],
  "remote_jwks":{"cluster":"idp_cluster","uri":"https://idp.example/.well-known/jwks.json","timeout_ms":1000,"cache_s":300,"max_stale_s":600,"min_refetch_s":30}}],
  "default":[{"idp":[]}]}`

func jwks(keys ...string) []byte { return []byte(`{"keys":[` + strings.Join(keys, ",") + `]}`) }

// TestRemoteKeySetSharedBetweenVMs: two runtimes (two VMs) on one
// MemStore; one fetch serves both; a new kid is picked up after one
// refetch; a failing IdP leaves the last good keys in use, for a bounded
// time only.
func TestRemoteKeySetSharedBetweenVMs(t *testing.T) {
	c := mustConfig(t, remoteCfg)
	store := session.NewMemStore()
	vm1, vm2 := New(c, store), New(c, store)
	t0 := time.Unix(1_800_000_000, 0)
	k1, k2 := newES256(t), newES256(t)
	mk := func(kid string, k *ecdsaKey, at time.Time) string {
		return signES256(t, k, `{"alg":"ES256","kid":"`+kid+`"}`, fmt.Sprintf(`{"iss":"https://idp","sub":"u","exp":%d}`, at.Unix()+3600))
	}

	// Before any fetch: keys unavailable, the caller applies failure_mode.
	res := vm1.Authenticate("x", bearer(mk("k1", k1, t0)), t0)
	assert.Equal(t, ReasonKeysUnavailable, res.Reason)
	assert.True(t, res.Failure)
	assert.False(t, res.Block)

	// Both VMs tick: exactly one gets the fetch.
	f1, f2 := vm1.Due(t0), vm2.Due(t0)
	require.Len(t, append(f1, f2...), 1)
	require.Equal(t, Fetch{Provider: "idp", Cluster: "idp_cluster", Authority: "idp.example", Path: "/.well-known/jwks.json", Timeout: time.Second}, f1[0])
	require.NoError(t, vm1.Ingest("idp", 200, jwks(jwkOf("k1", &k1.PublicKey)), t0))
	// vm2 has never fetched: it reads the shared copy.
	for _, vm := range []*Runtime{vm1, vm2} {
		res := vm.Authenticate("x", bearer(mk("k1", k1, t0)), t0.Add(time.Second))
		assert.Equal(t, ReasonNone, res.Reason)
		assert.Equal(t, "u", res.Principal.Subject)
	}
	assert.Empty(t, append(vm1.Due(t0.Add(2*time.Second)), vm2.Due(t0.Add(2*time.Second))...), "fresh keys: nothing due")

	// Rotation: a token with a new kid asks for one refetch, shared.
	t1 := t0.Add(time.Minute)
	res = vm2.Authenticate("x", bearer(mk("k2", k2, t1)), t1)
	assert.Equal(t, ReasonUnknownKey, res.Reason)
	assert.True(t, res.Refetch)
	res = vm1.Authenticate("x", bearer(mk("k2", k2, t1)), t1)
	assert.False(t, res.Refetch, "the other VM does not ask again within min_refetch_s")
	f := append(vm1.Due(t1), vm2.Due(t1)...)
	require.Len(t, f, 1)
	require.NoError(t, vm2.Ingest("idp", 200, jwks(jwkOf("k1", &k1.PublicKey), jwkOf("k2", &k2.PublicKey)), t1))
	res = vm1.Authenticate("x", bearer(mk("k2", k2, t1)), t1.Add(time.Second))
	assert.Equal(t, ReasonNone, res.Reason, "vm1 adopts the rotated set on the unknown kid")

	// An unknown kid right after a fetch does not refetch (min_refetch_s).
	res = vm1.Authenticate("x", bearer(mk("k3", newES256(t), t1)), t1.Add(2*time.Second))
	assert.Equal(t, ReasonUnknownKey, res.Reason)
	assert.Empty(t, vm1.Due(t1.Add(3*time.Second)))

	// Refresh at 80% of cache_s; the IdP fails: keys stay usable until
	// cache_s + max_stale_s after the last good fetch, then are gone.
	t2 := t1.Add(241 * time.Second)
	f = vm1.Due(t2)
	require.Len(t, f, 1)
	assert.Error(t, vm1.Ingest("idp", 503, nil, t2))
	assert.Empty(t, vm1.Due(t2.Add(500*time.Millisecond)), "back off after a failure")
	stale := t1.Add(300*time.Second + 599*time.Second)
	assert.Equal(t, ReasonNone, vm2.Authenticate("x", bearer(mk("k1", k1, stale)), stale).Reason)
	gone := t1.Add(300*time.Second + 601*time.Second)
	res = vm2.Authenticate("x", bearer(mk("k1", k1, gone)), gone)
	assert.Equal(t, ReasonKeysUnavailable, res.Reason)
	// A garbage body is a failed fetch too, and keeps nothing.
	require.Len(t, vm2.Due(gone), 1)
	assert.Error(t, vm2.Ingest("idp", 200, []byte(`{"keys":"no"}`), gone))
	assert.Equal(t, ReasonKeysUnavailable, vm1.Authenticate("x", bearer(mk("k1", k1, gone)), gone).Reason)
	keys, _ := store.Stats()
	assert.Equal(t, 1, keys, "one shared-data key per provider")
	assert.Equal(t, []string{"apiwarden/auth/jwks/idp"}, store.Keys())
}

// TestCachedTokenIsNotVerifiedAgain counts signature checks.
func TestCachedTokenIsNotVerifiedAgain(t *testing.T) {
	k := newES256(t)
	c := mustConfig(t, providerConfig("p", `{"keys":[`+jwkOf("k", &k.PublicKey)+`]}`, `"ES256"`, "")+"")
	rt := New(c, nil)
	now := time.Unix(1_800_000_000, 0)
	tok := signES256(t, k, `{"alg":"ES256","kid":"k"}`, fmt.Sprintf(`{"sub":"a","exp":%d}`, now.Unix()+100))
	before := signatureChecks.Load()
	p1, r := rt.Verify("p", tok, now)
	require.Equal(t, ReasonNone, r)
	for i := 0; i < 100; i++ {
		p2, r := rt.Verify("p", tok, now.Add(time.Duration(i)*time.Second))
		require.Equal(t, ReasonNone, r)
		require.Same(t, p1, p2)
	}
	assert.Equal(t, int64(1), signatureChecks.Load()-before)
	// Past exp + skew the cache entry is void and the token expired.
	_, r = rt.Verify("p", tok, now.Add(161*time.Second))
	assert.Equal(t, ReasonExpired, r)
	assert.Equal(t, int64(2), signatureChecks.Load()-before)
}

func TestTokenCacheIsBoundedFIFO(t *testing.T) {
	c := newTokenCache(3)
	key := func(i int) [32]byte { return tokenKey(fmt.Sprint(i)) }
	for i := 0; i < 5; i++ {
		c.put(key(i), cacheEntry{p: &Principal{Subject: fmt.Sprint(i)}})
	}
	assert.Equal(t, 3, c.len())
	for i, want := range []bool{false, false, true, true, true} {
		_, ok := c.get(key(i), 0, 0, time.Now())
		assert.Equal(t, want, ok, i)
	}
}

func TestKeySetChangeVoidsCache(t *testing.T) {
	c := mustConfig(t, remoteCfg)
	store := session.NewMemStore()
	rt := New(c, store)
	k := newES256(t)
	now := time.Unix(1_800_000_000, 0)
	rt.Due(now)
	require.NoError(t, rt.Ingest("idp", 200, jwks(jwkOf("k", &k.PublicKey)), now))
	tok := signES256(t, k, `{"alg":"ES256","kid":"k"}`, fmt.Sprintf(`{"iss":"https://idp","exp":%d}`, now.Unix()+3600))
	_, r := rt.Verify("idp", tok, now)
	require.Equal(t, ReasonNone, r)
	// The IdP drops the key: the cached verification does not survive.
	later := now.Add(250 * time.Second)
	require.Len(t, rt.Due(later), 1)
	require.NoError(t, rt.Ingest("idp", 200, jwks(jwkOf("other", &newES256(t).PublicKey)), later))
	_, r = rt.Verify("idp", tok, later)
	assert.Equal(t, ReasonUnknownKey, r)
}

type ecdsaKey = ecdsa.PrivateKey
