package policy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAdminRequest(t *testing.T) {
	p, err := Compile([]byte(`{"admin":{"enabled":true,"token":"0123456789abcdef-secret"}}`))
	require.NoError(t, err)
	good := "Bearer 0123456789abcdef-secret"
	cases := []struct {
		method, path, auth string
		admin              bool
		status             int
		resource           string
	}{
		{"GET", "/api/v1/x", good, false, 0, ""},
		{"GET", "/.apiwarden", good, false, 0, ""},
		{"GET", "/.apiwarden/sequences", good, true, 0, "sequences"},
		{"GET", "/.apiwarden/inventory", good, true, 0, "inventory"},
		{"GET", "/.apiwarden/inventory", "", true, 401, ""},
		{"GET", "/.apiwarden/inventory", "Bearer 0123456789abcdef-secreT", true, 401, ""},
		{"GET", "/.apiwarden/inventory", "Basic 0123456789abcdef-secret", true, 401, ""},
		{"POST", "/.apiwarden/inventory", good, true, 405, ""},
		{"GET", "/.apiwarden/other", good, true, 404, ""},
	}
	for _, c := range cases {
		res, d, admin := p.AdminRequest(c.method, c.path, c.auth)
		assert.Equal(t, c.admin, admin, c.path)
		assert.Equal(t, c.status, d.Status, "%s %s %q", c.method, c.path, c.auth)
		assert.Equal(t, c.resource, res)
	}
	off, err := Compile(nil)
	require.NoError(t, err)
	_, _, admin := off.AdminRequest("GET", "/.apiwarden/inventory", good)
	assert.False(t, admin, "off unless configured")
}
