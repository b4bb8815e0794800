package main

import (
	"net"

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
	s := string(b)
	if host, _, err := net.SplitHostPort(s); err == nil {
		return host
	}
	return s
}
