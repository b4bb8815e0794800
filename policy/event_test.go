package policy

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProblemDocument(t *testing.T) {
	d := decide(ReasonSchema, "", ActionBlock, Enforce, "the body does not match")
	d.Violations = []Violation{{In: "body", Pointer: "/amount", Keyword: "type", Message: "want number, got string"}}
	var doc map[string]any
	require.NoError(t, json.Unmarshal(AppendProblem(nil, &d, "4bf92f3577b34da6a3ce929d0e0e4736"), &doc))
	assert.Equal(t, "https://apiwarden.dev/problems/schema-violation", doc["type"])
	assert.Equal(t, float64(400), doc["status"])
	assert.Equal(t, "schema-violation", doc["rule"])
	assert.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", doc["trace_id"])
	v := doc["violations"].([]any)[0].(map[string]any)
	assert.Equal(t, "/amount", v["pointer"])
	assert.Equal(t, "type", v["keyword"])
}

func TestProblemHeaders(t *testing.T) {
	d := decide(ReasonMethodNotAllowed, "", ActionBlock, Enforce, "")
	d.Allow = "GET, PUT"
	h := ProblemHeaders(&d, "")
	assert.Contains(t, h, [2]string{"content-type", "application/problem+json"})
	assert.Contains(t, h, [2]string{"allow", "GET, PUT"})
}

func TestEventIsValidJSONWhateverTheInput(t *testing.T) {
	d := decide(ReasonUnknownEndpoint, "", ActionLog, Monitor, "")
	e := Event{Method: "GET", Path: "/a\"b\\c\x01<script>\xff", Client: "10.0.0.1", Session: "ab12", TraceID: "t"}
	line := AppendEvent(nil, &d, &e)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(line, &doc), string(line))
	assert.Equal(t, "/a\"b\\c\x01<script>\ufffd", doc["url.path"])
	assert.Equal(t, "log", doc["apiwarden.verdict"])
	assert.Equal(t, "monitor", doc["apiwarden.mode"])
	assert.NotContains(t, string(line), "<script>")
}

func TestTokenBucket(t *testing.T) {
	b := NewTokenBucket(10, 2)
	now := int64(1e9)
	assert.True(t, b.Take(now))
	assert.True(t, b.Take(now))
	assert.False(t, b.Take(now))
	assert.Equal(t, 1, b.Dropped)
	assert.False(t, b.Take(now+50e6), "half a token after 50ms")
	assert.True(t, b.Take(now+100e6), "one token after 100ms")
	assert.True(t, b.Take(now+10e9))
	assert.True(t, b.Take(now+10e9))
	assert.False(t, b.Take(now+10e9), "burst caps the refill")
}

// Ready answers what Take would, and takes nothing.
func TestTokenBucketReady(t *testing.T) {
	b := NewTokenBucket(10, 1)
	now := int64(1e9)
	assert.True(t, b.Ready(now))
	assert.True(t, b.Ready(now), "asking takes nothing")
	assert.True(t, b.Take(now))
	assert.False(t, b.Ready(now))
	assert.False(t, b.Ready(now+50e6))
	assert.True(t, b.Ready(now+100e6))
	assert.Zero(t, b.Dropped, "Ready counts no drop")
	assert.True(t, b.Take(now+100e6))
}

func FuzzAppendEvent(f *testing.F) {
	f.Add("GET", "/x", "1.2.3.4")
	f.Fuzz(func(t *testing.T, method, path, client string) {
		d := decide(ReasonUnknownEndpoint, "", ActionLog, Enforce, "")
		line := AppendEvent(nil, &d, &Event{Method: method, Path: path, Client: client})
		if !json.Valid(line) {
			t.Fatalf("invalid event: %s", line)
		}
	})
}
