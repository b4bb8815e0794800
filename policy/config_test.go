package policy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCompileDefaults(t *testing.T) {
	for _, raw := range []string{"", "  ", "{}"} {
		p, err := Compile([]byte(raw))
		require.NoError(t, err)
		assert.Equal(t, Enforce, p.Mode)
		assert.Equal(t, FailOpen, p.FailureMode)
		assert.Equal(t, ActionLog, p.UnknownEndpoints)
		assert.EqualValues(t, DefaultMaxBodyBytes, p.MaxBodyBytes)
		assert.Equal(t, "apiwarden", p.Name)
	}
}

func TestCompileReportsEveryProblemWithItsPath(t *testing.T) {
	_, err := Compile([]byte(`{
	  "mode": "strict",
	  "failure_mode": 1,
	  "unknown_endpoints": "drop",
	  "colour": "blue",
	  "request": {"max_body_bytes": -1},
	  "admin": {"enabled": true},
	  "endpoints": [
	    {"id": "a", "method": "GET", "path": "/a", "request": {"body_schema": {"type": "object", "pattern": "("}}},
	    {"id": "b", "method": "GET", "path": "/b", "request": {"parameters": [{"name": "x", "in": "body"}]}}
	  ]
	}`))
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		`mode: want one of "monitor", "enforce", got "strict"`,
		`failure_mode: want a string, got a number`,
		`unknown_endpoints: want one of "allow", "log", "block", got "drop"`,
		`colour: unknown key`,
		`request.max_body_bytes: want an integer between 1 and`,
		`admin.token: required when the admin endpoint is enabled`,
		`endpoints[0].request.body_schema: invalid schema`,
		`endpoints[1].request.parameters[0].in: want one of "path", "query", "header", "cookie", got "body"`,
	} {
		assert.Contains(t, msg, want)
	}
}

func TestCompileSyntaxError(t *testing.T) {
	_, err := Compile([]byte(`{"mode":`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "configuration is not valid JSON")
}

func TestAdminTokenNeverInErrors(t *testing.T) {
	_, err := Compile([]byte(`{"admin":{"enabled":true,"token":"short-secret"}}`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "admin.token: want a token of at least 16 characters")
	assert.NotContains(t, err.Error(), "short-secret")
}

func FuzzCompile(f *testing.F) {
	f.Add([]byte(bankConfig))
	f.Add([]byte(`{"endpoints":[{"id":"a","method":"GET","path":"/{a}.{b}/x"}]}`))
	f.Add([]byte(`{"mode":"monitor","request":{"max_body_bytes":10}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, err := Compile(raw)
		if err != nil {
			return
		}
		r := &Request{}
		r.Reset()
		r.Method, r.Target = "GET", "/a/b.c/x?y=1"
		p.CheckHead(r)
	})
}
