package main

import (
	"net/netip"

	"github.com/apiwarden/apiwarden/filter/internal/abi"
)

// Host attributes the filter reads, in one place. Property paths are
// NUL-joined segments (abi.PropertyPath); Envoy encodings: strings raw.

// sourceAddress is the downstream address as Envoy gives it ("ip:port").
func sourceAddress() string {
	b, err := abi.GetProperty([]string{"source", "address"})
	if err != nil {
		return ""
	}
	return string(b)
}

// hostOf drops the port of an address. (net.SplitHostPort would do, but
// package net pulls file-system WASI imports, resolv.conf and hosts, that
// Envoy 1.33-1.38 do not provide.)
func hostOf(addr string) string {
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		return ap.Addr().String()
	}
	return addr
}
