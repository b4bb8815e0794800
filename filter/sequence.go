package main

import (
	"errors"
	"time"

	"github.com/apiwarden/apiwarden/filter/internal/abi"
	"github.com/apiwarden/apiwarden/policy"
	"github.com/apiwarden/apiwarden/policy/sequence"
	"github.com/apiwarden/apiwarden/policy/session"
)

// headerGetter adapts the request's header list to the session package.
type headerGetter policy.Headers

func (h headerGetter) Get(name string) string { return policy.Headers(h).Value(name) }

// checkSequence evaluates the sequence rules against the session's
// history and, as the policy decides (SessionStep), records the request
// now (one compare-and-swap with the evaluation), later once the upstream
// answered 2xx (recordStep), or never. Non-blocking hits are logged here;
// a blocking one is returned.
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
	var res sequence.Result
	var err error
	step := s.pol().SessionStep(&s.req)
	if step == policy.StepNow {
		err = p.sequences.ObserveInto(&res, sharedStore{}, key, ep.Index, time.Now())
	} else {
		err = p.sequences.Check(&res, sharedStore{}, key, ep.Index, time.Now())
	}
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
	s.pendingStep = step == policy.StepOnSuccess && blocking.Verdict != policy.Block
	return blocking, blocking.Verdict == policy.Block
}

// recordStep records a pending step once the upstream's status is known.
func (s *stream) recordStep() {
	if !s.pendingStep {
		return
	}
	s.pendingStep = false
	if !policy.StepHappened(s.status) {
		return
	}
	if err := s.plugin.sequences.Record(sharedStore{}, s.sessionHash, s.req.Match.Endpoint.Index, time.Now()); err != nil {
		s.plugin.metrics.failures.Increment(1)
		abi.LogWarnf("apiwarden: session history: %v", err)
	}
}
