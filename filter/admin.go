package main

import (
	"github.com/apiwarden/apiwarden/filter/internal/abi"
	"github.com/apiwarden/apiwarden/policy"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// admin answers the filter's own admin resources (off unless configured,
// bearer token required; see policy.AdminRequest).
func (s *stream) serveAdmin(resource string, d *policy.Decision) types.Action {
	s.admin = true
	if d.Verdict == policy.Block {
		return s.block(d)
	}
	var body []byte
	switch resource {
	case policy.AdminSequences:
		if a := s.plugin.sequences; a != nil && a.Analytics() != nil {
			body = a.Analytics().AppendJSON(nil)
		} else {
			body = []byte(`{"enabled":false}`)
		}
	case policy.AdminInventory:
		body = s.plugin.inventoryJSON()
	}
	s.replied = true
	hdrs := [][2]string{{"content-type", "application/json"}, {"cache-control", "no-store"}}
	if err := abi.SendHttpResponse(200, hdrs, body, -1); err != nil {
		abi.LogErrorf("apiwarden: cannot send the admin reply: %v", err)
	}
	return types.ActionPause
}
