package main

import (
	"fmt"

	"github.com/apiwarden/apiwarden/filter/internal/abi"
	"github.com/apiwarden/apiwarden/policy"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// recoverInto contains a panic in a stream callback: a bug must not take the
// worker's VM down. It applies failure_mode and overwrites the callback's
// result. Deferred directly by every callback.
func (s *stream) recoverInto(act *types.Action) {
	r := recover()
	if r == nil {
		return
	}
	a := s.fail("recovered panic", fmt.Errorf("%v", r))
	if act != nil {
		*act = a
	}
}

// fail applies failure_mode when the filter cannot decide: open lets the
// request through (and logs), closed answers 503.
func (s *stream) fail(what string, err error) types.Action {
	if d, block := s.failure(what, err); block {
		return s.block(&d)
	}
	return types.ActionContinue
}

// failure counts and logs a failure and returns the decision failure_mode
// asks for: a 503 refusal (block=true) when closed, nothing when open.
func (s *stream) failure(what string, err error) (policy.Decision, bool) {
	s.plugin.metrics.failures.Increment(1)
	abi.LogErrorf("apiwarden: %s: %v (failure_mode %s)", what, err, s.pol().FailureMode)
	if s.pol().FailureMode == policy.FailOpen || s.replied {
		return policy.Allowed, false
	}
	return policy.Decision{Verdict: policy.Block, Reason: policy.ReasonInternal, Rule: "failure-mode",
		Status: policy.ReasonInternal.Status(), Detail: "the security filter failed and is configured to fail closed"}, true
}
