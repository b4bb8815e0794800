package exchange

import (
	"fmt"

	"github.com/apiwarden/apiwarden/policy"
)

// serveAdmin answers the filter's own admin resources (off unless
// configured, bearer token required; see policy.AdminRequest).
func (x *Exchange) serveAdmin(resource string, d *policy.Decision) Step {
	if d.Verdict == policy.Block {
		st := x.block(d)
		x.state = StateAdmin
		return st
	}
	x.state = StateAdmin
	var body []byte
	switch resource {
	case policy.AdminSequences:
		if e := x.rt.sequences; e != nil && e.Analytics() != nil {
			body = e.Analytics().AppendJSON(x.reply[:0])
		} else {
			body = append(x.reply[:0], `{"enabled":false}`...)
		}
	case policy.AdminInventory:
		var err error
		if body, err = x.rt.InventoryJSON(x.reply[:0]); err != nil {
			x.logf(LevelWarn, "apiwarden: %v", err)
			body = append(x.reply[:0], `{"error":"inventory unavailable"}`...)
		}
	}
	x.reply = body
	x.rep = Reply{Status: 200, Headers: adminHeaders, Body: body}
	x.out.Reply = &x.rep
	return x.finish(Pause)
}

var adminHeaders = [][2]string{{"content-type", "application/json"}, {"cache-control", "no-store"}}

// InventoryJSON is the admin inventory: known endpoints with their counts
// per status class and the shadow endpoints learned from traffic, across
// all VMs (as of their last flush) plus this VM's unflushed counts.
func (rt *Runtime) InventoryJSON(dst []byte) ([]byte, error) {
	b, err := rt.inventory.AppendJSON(dst, rt.known)
	if err != nil {
		return dst, fmt.Errorf("inventory report: %w", err)
	}
	return b, nil
}
