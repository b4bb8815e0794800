//go:build !apiwarden_faults

package main

import "github.com/apiwarden/apiwarden/policy"

// injectFault is a no-op in every real build; the apiwarden_faults build
// (tests only) makes a request fail on demand.
func injectFault(policy.Headers) {}
