//go:build !apiwarden_faults

package abi

// allocFault is a no-op in every real build (see fault_on.go).
func allocFault() {}
