package main

import "github.com/apiwarden/apiwarden/filter/internal/abi"

// inventoryJSON is the admin inventory: known endpoints with their counts
// per status class and the shadow endpoints learned from traffic, across
// all VMs (as of their last flush) plus this VM's unflushed counts.
func (p *pluginContext) inventoryJSON() []byte {
	b, err := p.inventory.AppendJSON(nil, p.known)
	if err != nil {
		abi.LogWarnf("apiwarden: inventory report: %v", err)
		return []byte(`{"error":"inventory unavailable"}`)
	}
	return b
}

// countInventory records the finished exchange: per operation and status
// class, or per shadow endpoint.
func (s *stream) countInventory() {
	status := s.status
	if s.replied {
		status = s.decision.Status
	}
	if ep := s.req.Match.Endpoint; ep != nil {
		s.plugin.inventory.Count(ep.Index, status)
		return
	}
	if s.shadow != "" {
		s.plugin.inventory.CountShadow(s.req.Method, s.shadow, status)
	}
}
