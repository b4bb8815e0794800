package auth

import (
	"crypto/sha256"
	"sync/atomic"
	"time"
)

// DefaultCacheEntries bounds the verified-token cache of one VM.
const DefaultCacheEntries = 1024

var genCounter atomic.Uint64

// nextGen returns a fresh key-set generation.
func nextGen() uint64 { return genCounter.Add(1) }

// tokenCache remembers verified tokens of one VM, keyed by the SHA-256 of
// the token (the token itself is not kept). An entry is valid until the
// token's exp (plus the provider's skew, as on first verification) and
// only while the provider's key set has the generation it was verified
// with. Eviction is first-in first-out: a ring of the keys in insertion
// order; when full, the oldest entry goes, whatever its use. (A flood of
// distinct valid tokens can only push out entries, not grow memory, and
// a token evicted is verified again, nothing worse.) Not safe for
// concurrent use: one per VM, which runs one callback at a time.
type tokenCache struct {
	max  int
	m    map[[32]byte]cacheEntry
	ring [][32]byte
	next int
}

type cacheEntry struct {
	p     *Principal
	prov  int
	gen   uint64
	until time.Time // zero: no exp
}

func newTokenCache(max int) *tokenCache {
	if max <= 0 {
		max = DefaultCacheEntries
	}
	return &tokenCache{max: max, m: make(map[[32]byte]cacheEntry, max)}
}

func tokenKey(tok string) [32]byte { return sha256.Sum256([]byte(tok)) }

func (c *tokenCache) get(k [32]byte, prov int, gen uint64, now time.Time) (*Principal, bool) {
	e, ok := c.m[k]
	if !ok || e.prov != prov || e.gen != gen {
		return nil, false
	}
	if !e.until.IsZero() && !now.Before(e.until) {
		return nil, false
	}
	return e.p, true
}

func (c *tokenCache) put(k [32]byte, e cacheEntry) {
	if _, ok := c.m[k]; ok {
		c.m[k] = e
		return
	}
	if len(c.ring) < c.max {
		c.ring = append(c.ring, k)
	} else {
		delete(c.m, c.ring[c.next])
		c.ring[c.next] = k
		c.next = (c.next + 1) % c.max
	}
	c.m[k] = e
}

func (c *tokenCache) len() int { return len(c.m) }
