package policy

import (
	"testing"
	"time"

	"github.com/apiwarden/apiwarden/policy/inventory"
	"github.com/apiwarden/apiwarden/policy/redact"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDocumentedDefaults pins the defaults README's configuration
// reference promises, as literals: changing one is a documented change.
func TestDocumentedDefaults(t *testing.T) {
	p, err := Compile([]byte(`{}`))
	require.NoError(t, err)
	assert.Equal(t, "apiwarden", p.Name)
	assert.Equal(t, Enforce, p.Mode)
	assert.Equal(t, FailOpen, p.FailureMode)
	assert.Equal(t, ActionLog, p.UnknownEndpoints)
	assert.EqualValues(t, 1048576, p.MaxBodyBytes, "request.max_body_bytes: 1 MiB")
	assert.Equal(t, 64, p.MaxJSONDepth, "request.max_json_depth")
	assert.Equal(t, 100, p.Integrity.MaxArrayItems, "request.max_array_items")
	assert.Equal(t, 128, p.Integrity.MaxQueryParams, "request.max_query_params")
	assert.Equal(t, 128, p.Integrity.MaxHeaders, "request.max_headers")
	assert.Equal(t, 64, p.Integrity.MaxCookies, "request.max_cookies")
	assert.Zero(t, p.MaxShadow, "inventory.max_shadow unset: the inventory's default")
	assert.Equal(t, 500, inventory.DefaultMaxShadow, "inventory.max_shadow")
	assert.Equal(t, 1048576, redact.DefaultMaxBodyBytes, "redaction.max_body_bytes: 1 MiB")
	assert.Equal(t, 100, p.Events.PerSecond, "events.per_second")
	assert.Equal(t, 200, p.Events.Burst, "events.burst")
	assert.False(t, p.HoldHeaders, "host.allow_on_headers_stop_iteration")
	assert.False(t, p.Admin.Enabled, "admin.enabled")
	assert.Equal(t, "/.apiwarden", p.Admin.Prefix, "admin.path_prefix")
	assert.True(t, p.Trace.Generate, "trace.generate")
	assert.False(t, p.Trace.B3, "trace.b3")
	assert.Equal(t, 10*time.Minute, p.Session.IdleTimeout, "session.idle_timeout")
	assert.Equal(t, 16, p.Session.History, "session.history")
	assert.Equal(t, 10000, p.Session.MaxSessions, "session.max_sessions")
	assert.Equal(t, 8, p.Session.Retries, "session.cas_retries")
	assert.False(t, p.SequencesEnabled, "no sequences section: no history is kept")
}
