package main

import (
	"errors"
	"time"

	"github.com/apiwarden/apiwarden/filter/internal/abi"
	"github.com/apiwarden/apiwarden/policy"
	"github.com/apiwarden/apiwarden/policy/session"
)

// headerGetter adapts the request's header list to the session package.
type headerGetter policy.Headers

func (h headerGetter) Get(name string) string { return policy.Headers(h).Value(name) }

// checkSequence records the request in its session's history (shared
// data, compare-and-swap) and evaluates the sequence rules against the
// history as it was before this request. Non-blocking hits are logged
// here; a blocking one is returned.
func (s *stream) checkSequence() (policy.Decision, bool) {
	p := s.plugin
	ep := s.req.Match.Endpoint
	if p.sequences == nil || ep == nil {
		return policy.Allowed, false
	}
	key := s.sessionHash
	if key == "" {
		return policy.Allowed, false
	}
	res, err := p.sequences.Observe(sharedStore{}, key, ep.Index, time.Now())
	if err != nil {
		if errors.Is(err, session.ErrContention) {
			// Contention beyond the retries: failure_mode decides.
			return s.failure("session history contention", err)
		}
		abi.LogWarnf("apiwarden: session history: %v", err)
		return policy.Allowed, false
	}
	if res.Scored {
		s.anomaly = res.Score
	}
	var blocking policy.Decision
	for i := range res.Hits {
		d := s.pol().SequenceDecision(&res.Hits[i], ep)
		if d.Verdict == policy.Block {
			if blocking.Verdict != policy.Block {
				blocking = d
			}
			continue
		}
		s.record(&d)
	}
	return blocking, blocking.Verdict == policy.Block
}
