package main

import "github.com/apiwarden/apiwarden/policy"

// inventoryJSON lists the known endpoints of the policy.
func (p *pluginContext) inventoryJSON() []byte {
	return policy.AppendInventory(nil, p.policy)
}
