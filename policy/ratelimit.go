package policy

// TokenBucket is a per-VM token bucket (for event logging, not for client
// rate limits, which live in shared data). Time is passed in, in
// nanoseconds, so it is deterministic under test.
type TokenBucket struct {
	rate   float64 // tokens per nanosecond
	burst  float64
	tokens float64
	last   int64
	// Dropped counts refusals since the last Take that succeeded, so the
	// caller can report how many events were suppressed.
	Dropped int
}

// NewTokenBucket allows perSecond on average and burst at once.
func NewTokenBucket(perSecond, burst int) *TokenBucket {
	return &TokenBucket{rate: float64(perSecond) / 1e9, burst: float64(burst), tokens: float64(burst)}
}

// Ready reports whether Take(now) would succeed, taking nothing.
func (b *TokenBucket) Ready(now int64) bool { return b.refilled(now) >= 1 }

// refilled is the tokens at time now.
func (b *TokenBucket) refilled(now int64) float64 {
	if b.last != 0 && now > b.last {
		return min(b.tokens+float64(now-b.last)*b.rate, b.burst)
	}
	return b.tokens
}

// Take reports whether one token was available at time now.
func (b *TokenBucket) Take(now int64) bool {
	b.tokens = b.refilled(now)
	if now > b.last {
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	b.Dropped++
	return false
}
