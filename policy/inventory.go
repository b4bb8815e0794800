package policy

import "github.com/apiwarden/apiwarden/policy/inventory"

// InventoryConfig is the shadow-API inventory's configuration for this
// policy: shared-data prefix, known operation ids in endpoint order, bound.
func (p *Policy) InventoryConfig() inventory.Config {
	ops := make([]string, len(p.Endpoints))
	for i, ep := range p.Endpoints {
		ops[i] = ep.ID
	}
	return inventory.Config{Prefix: p.Name + "/", Ops: ops, MaxShadow: p.MaxShadow}
}

// KnownOps lists the endpoints for the inventory report.
func (p *Policy) KnownOps() []inventory.KnownOp {
	known := make([]inventory.KnownOp, len(p.Endpoints))
	for i, ep := range p.Endpoints {
		known[i] = inventory.KnownOp{ID: ep.ID, Method: ep.Method, Path: ep.Path}
	}
	return known
}
