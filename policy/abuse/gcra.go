package abuse

import "time"

// gcra is the Generic Cell Rate Algorithm over one timestamp per key, the
// theoretical arrival time (TAT): the time at which the key's budget would
// be full again if no request came. A request at now is allowed when
//
//	max(tat, now) + T - burst*T <= now
//
// and then moves tat to max(tat, now) + T, where T = period/count is the
// emission interval. burst requests may arrive at once; after that one
// every T. Everything is integer nanoseconds: no drift, no floats.
type gcra struct {
	interval int64 // T, ns
	burst    int64
}

// gcraDecision is the outcome of one conforming test.
type gcraDecision struct {
	allowed bool
	// tat is the new TAT when allowed (the record to write), else the
	// current one.
	tat int64
	// remaining is how many more requests would be allowed right now
	// (after this one when allowed).
	remaining int64
	// retryAfter is, when refused, how long until one request is allowed.
	retryAfter time.Duration
	// reset is how long until the full burst is available again.
	reset time.Duration
}

func (g gcra) decide(tat int64, found bool, now int64) gcraDecision {
	if !found || tat < now {
		tat = now
	}
	tau := g.burst * g.interval // tat may run at most tau ahead of now
	newTAT := tat + g.interval
	if allowAt := newTAT - tau; allowAt > now {
		return gcraDecision{
			tat:        tat,
			remaining:  0,
			retryAfter: time.Duration(allowAt - now),
			reset:      time.Duration(tat - now),
		}
	}
	return gcraDecision{
		allowed:   true,
		tat:       newTAT,
		remaining: (now + tau - newTAT) / g.interval,
		reset:     time.Duration(newTAT - now),
	}
}

// ceilSeconds rounds a duration up to whole seconds (Retry-After and the
// RateLimit fields are integers of seconds; rounding down would invite a
// retry that is refused again).
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}
