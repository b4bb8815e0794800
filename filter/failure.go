package main

import (
	"fmt"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// recoverInto contains a panic in a stream callback: a bug must not take the
// worker's VM down. The exchange applies failure_mode (open: continue and
// log; closed: answer 503) and the result overwrites the callback's.
// Deferred directly by every callback.
func (s *stream) recoverInto(act *types.Action) {
	r := recover()
	if r == nil {
		return
	}
	a := s.apply(s.x.Fail("recovered panic", fmt.Errorf("%v", r)), request)
	if act != nil {
		*act = a
	}
}
