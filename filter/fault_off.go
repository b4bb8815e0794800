//go:build !apiwarden_faults

package main

import "github.com/apiwarden/apiwarden/policy"

// armFault and fault are no-ops in every real build; the apiwarden_faults
// build (tests only) makes a named callback panic on demand.
func armFault(uint32, policy.Headers) {}
func fault(uint32, string)            {}
