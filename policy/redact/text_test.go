package redact

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRewrittenResponsesAreIJSON(t *testing.T) {
	r := mustCompile(t, Config{Paths: rules("owner.ssn"), Detectors: allDetectors(), Scope: ScopeMatch})
	for _, in := range []string{
		"{\"owner\":{\"ssn\":\"1\"},\"name\":\"\xff\"}",
		`{"name":"\ud800","k\udc00":"x"}`,
		"{\"note\":\"a@b.com \xed\xa0\x80\"}",
		`{"ok":"\ud83d\ude00 \\ud800"}`,
		"[\"\xc3\"]",
	} {
		out, _, err := r.Apply(nil, []byte(in))
		require.NoError(t, err, in)
		assert.True(t, utf8.Valid(out), "%q -> %q", in, out)
		assert.True(t, json.Valid(out), "%q -> %q", in, out)
		assert.NotRegexp(t, `(^|[^\\])\\u[dD][89a-fA-F]..([^\\]|$)`, strings.ReplaceAll(string(out), `\ud83d\ude00`, ""), "%q -> %q", in, out)
	}
	clean := []byte(`{"name":"é \ud83d\ude00"}`)
	out, rep, err := r.Apply(nil, clean)
	require.NoError(t, err)
	assert.False(t, rep.Changed)
	assert.Equal(t, string(clean), string(out))
}
