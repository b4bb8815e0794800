package abuse

import (
	"testing"

	"github.com/apiwarden/apiwarden/policy/session"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const internalCfg = `{"trusted_hops":1,"internal":{"endpoints":["admin_users"],"prefixes":["/internal","/ops/"],
	"cidrs":["10.0.0.0/8","fd00::/8","192.0.2.1"],"header":{"name":"X-Edge-Internal","value":"0123456789abcdef-secret"}}}`

func TestInternalRoutes(t *testing.T) {
	e := New(mustParse(t, internalCfg), Options{Store: session.NewMemStore(), InternalEndpoints: []string{"tagged_op"}})
	for _, c := range []struct {
		name, endpoint, path, source, xff, hdr string
		blocked                                bool
	}{
		{name: "public route", endpoint: "get_balance", path: "/api/balance", source: "203.0.113.1:1", blocked: false},
		{name: "endpoint id from outside", endpoint: "admin_users", path: "/admin/users", source: "203.0.113.1:1", blocked: true},
		{name: "tagged operation from outside", endpoint: "tagged_op", path: "/x", source: "203.0.113.1:1", blocked: true},
		{name: "prefix exact", path: "/internal", source: "203.0.113.1:1", blocked: true},
		{name: "prefix child", path: "/internal/metrics", source: "203.0.113.1:1", blocked: true},
		{name: "prefix is segment-bounded", path: "/internals", source: "203.0.113.1:1", blocked: false},
		{name: "slash prefix", path: "/ops/x", source: "203.0.113.1:1", blocked: true},
		{name: "slash prefix itself not", path: "/ops", source: "203.0.113.1:1", blocked: false},
		{name: "IPv4 inside", endpoint: "admin_users", source: "10.1.2.3:5000", blocked: false},
		{name: "IPv4 mapped inside", endpoint: "admin_users", source: "[::ffff:10.1.2.3]:5000", blocked: false},
		{name: "bare address CIDR", endpoint: "admin_users", source: "192.0.2.1", blocked: false},
		{name: "bare address CIDR neighbour", endpoint: "admin_users", source: "192.0.2.2", blocked: true},
		{name: "IPv6 inside", endpoint: "admin_users", source: "[fd00::1]:443", blocked: false},
		{name: "IPv6 outside", endpoint: "admin_users", source: "[2001:db8::1]:443", blocked: true},
		// trusted_hops 1: the last XFF element is the client.
		{name: "XFF last hop inside", endpoint: "admin_users", source: "198.51.100.1:1", xff: "203.0.113.5, 10.0.0.9", blocked: false},
		{name: "XFF spoofed first element", endpoint: "admin_users", source: "198.51.100.1:1", xff: "10.0.0.9, 203.0.113.5", blocked: true},
		{name: "XFF v6", endpoint: "admin_users", source: "198.51.100.1:1", xff: "fd00::7", blocked: false},
		{name: "XFF garbage falls back to source", endpoint: "admin_users", source: "10.0.0.1:1", xff: "nonsense", blocked: false},
		{name: "edge header", endpoint: "admin_users", source: "203.0.113.1:1", hdr: "0123456789abcdef-secret", blocked: false},
		{name: "wrong edge header", endpoint: "admin_users", source: "203.0.113.1:1", hdr: "0123456789abcdef-secreT", blocked: true},
	} {
		r := &Request{Endpoint: c.endpoint, Path: c.path, Source: c.source, Headers: HeaderMap{"x-forwarded-for": c.xff, "x-edge-internal": c.hdr}}
		res := e.Admit(r, t0)
		if !c.blocked {
			assert.Equal(t, Allow, res.Verdict, c.name)
			continue
		}
		require.Equal(t, Block, res.Verdict, c.name)
		assert.Equal(t, 404, res.Status, c.name)
		assert.Equal(t, ReasonInternalRoute, res.Reason, c.name)
		require.Len(t, res.Events, 1)
		assert.Empty(t, res.Events[0].Key)
	}
}

func TestInternalMonitor(t *testing.T) {
	e := engine(t, `{"internal":{"prefixes":["/internal"],"cidrs":["10.0.0.0/8"],"mode":"monitor"}}`, nil)
	res := e.Admit(&Request{Path: "/internal/x", Source: "203.0.113.1"}, t0)
	assert.Equal(t, Log, res.Verdict)
	assert.Zero(t, res.Status)
}

// TestAdmitRouteThenAdmit: AdmitRoute refuses an internal route from
// outside on its own; a request it admitted (RouteAdmitted) is not
// evaluated for the internal rule again by Admit.
func TestAdmitRouteThenAdmit(t *testing.T) {
	e := New(mustParse(t, internalCfg), Options{Store: session.NewMemStore()})
	req := &Request{Endpoint: "admin_users", Path: "/admin/users", Source: "203.0.113.1:1"}
	var r Result
	e.AdmitRoute(&r, req)
	assert.Equal(t, Block, r.Verdict)
	assert.Equal(t, 404, r.Status)
	assert.Equal(t, Block, e.Admit(req, t0).Verdict, "without RouteAdmitted, Admit decides the rule too")
	req.RouteAdmitted = true
	res := e.Admit(req, t0)
	assert.Equal(t, Allow, res.Verdict)
	assert.Empty(t, res.Events)
	e.AdmitRoute(&r, &Request{Endpoint: "get_balance", Path: "/api/balance", Source: "203.0.113.1:1"})
	assert.Equal(t, Allow, r.Verdict, "a public route")
}
