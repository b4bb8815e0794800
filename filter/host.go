package main

import (
	"net/netip"

	"github.com/apiwarden/apiwarden/filter/internal/abi"
)

// Host attributes the filter reads, in one place. Property paths are
// NUL-joined segments (abi.PropertyPath); Envoy encodings: strings raw.

// clientAddress returns the downstream address without its port
// ("source.address" is "ip:port" in Envoy).
func clientAddress() string {
	b, err := abi.GetProperty([]string{"source", "address"})
	if err != nil || len(b) == 0 {
		return ""
	}
	// net.SplitHostPort would do, but package net pulls file-system WASI
	// imports (resolv.conf, hosts) that Envoy 1.33-1.38 do not provide.
	s := string(b)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().String()
	}
	return s
}
