package abuse

import (
	"net/netip"
	"strings"
)

// MaxTrustedHops bounds trusted_hops.
const MaxTrustedHops = 16

// ClientAddr returns the client address of a request the way Envoy's
// xff_num_trusted_hops reads X-Forwarded-For, with the same convention as
// session.trusted_hops: with trustedHops > 0, the element trustedHops places
// from the right (1 = the last one, appended by the nearest trusted proxy);
// with 0, or when the header has fewer elements or that element is not an
// address, the host of source (the connection's source address,
// "10.0.0.1:5000", "[::1]:123" or a bare address). IPv4-mapped IPv6
// addresses are unmapped and zones dropped. ok=false when neither yields an
// address.
func ClientAddr(xff, source string, trustedHops int) (netip.Addr, bool) {
	if trustedHops > 0 && xff != "" {
		end := len(xff)
		for k := 1; ; k++ {
			start := strings.LastIndexByte(xff[:end], ',') + 1
			if k == trustedHops {
				if a, ok := parseAddr(xff[start:end]); ok {
					return a, true
				}
				break
			}
			if start == 0 {
				break // fewer elements than trusted hops
			}
			end = start - 1
		}
	}
	return parseAddr(source)
}

func parseAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return netip.Addr{}, false
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	if len(s) >= 2 && s[0] == '[' && s[len(s)-1] == ']' {
		s = s[1 : len(s)-1]
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone(""), true
	}
	return netip.Addr{}, false
}
