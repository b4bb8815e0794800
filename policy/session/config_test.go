package session

import (
	"testing"
	"time"

	"github.com/apiwarden/apiwarden/policy/internal/cfg"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func parse(t *testing.T, js string) (Config, error) {
	t.Helper()
	var errs cfg.Errors
	root, err := cfg.Parse([]byte(js), &errs)
	require.NoError(t, err)
	n, _ := root.Get("session")
	n.Path = "session"
	c := ParseSession(n)
	return c, errs.Err()
}

func TestParseSession(t *testing.T) {
	c, err := parse(t, `{"session":{"from":["header:x-session-id","jwt:sub","cookie:sid","ip"],"idle_timeout":"5m","history":32,"max_sessions":5000,"trusted_hops":1,"salt":"s3cret","cas_retries":4}}`)
	require.NoError(t, err)
	assert.Len(t, c.From, 4)
	assert.Equal(t, "jwt:sub", c.From[1].String())
	assert.Equal(t, 5*time.Minute, c.IdleTimeout)
	assert.Equal(t, 32, c.History)
	assert.Equal(t, 5000, c.MaxSessions)
	assert.Equal(t, 1, c.TrustedHops)
	assert.Equal(t, 4, c.Retries)
	assert.Equal(t, "s3cret", c.Salt)

	c, err = parse(t, `{}`)
	require.NoError(t, err)
	assert.Equal(t, DefaultConfig(), c)
}

func TestParseSessionErrors(t *testing.T) {
	_, err := parse(t, `{"session":{"from":["header:x","query:q","header:X",""],"idle_timeout":"5 minutes","history":65,"max_sessions":2,"trusted_hops":-1,"salt":12345,"ttl":"1m"}}`)
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		`session.ttl: unknown key (want one of cas_retries, from, history, idle_timeout, max_sessions, salt, trusted_hops)`,
		`session.from[1]: unknown key source kind "query" (want header, cookie, jwt or ip)`,
		`session.from[2]: duplicate key source "header:x"`,
		`session.from[3]: want a non-empty string`,
		`session.idle_timeout: want a positive duration like "5m", got "5 minutes"`,
		`session.history: want an integer between 1 and 64, got 65`,
		`session.max_sessions: want an integer between 4 and 4194304, got 2`,
		`session.trusted_hops: want an integer between 0 and 16, got -1`,
		`session.salt: want a string, got a number`,
	} {
		assert.Contains(t, msg, want)
	}
	assert.NotContains(t, msg, "12345")

	_, err = parse(t, `{"session":{"salt":"secret-value","history":"x"}}`)
	assert.NotContains(t, err.Error(), "secret-value", "the salt is never echoed")
	_, err = parse(t, `{"session":{"from":[]}}`)
	assert.EqualError(t, err, "session.from: want at least one key source")
}
