package policy

import (
	"bytes"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// github compiles the committed cut of GitHub's REST description
// (policy/openapi/testdata/github.json, as published, 217 operations).
func github(t testing.TB) *Policy {
	t.Helper()
	return fixture(t, "openapi/testdata/github.json")
}

// fixture compiles an OpenAPI fixture with unknown endpoints blocked.
func fixture(t testing.TB, file string) *Policy {
	t.Helper()
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	p, err := Compile(append(append([]byte(`{"unknown_endpoints":"block","openapi":`), raw...), '}'))
	require.NoError(t, err)
	return p
}

func TestGitHubFixture(t *testing.T) {
	p := github(t)
	assert.Len(t, p.Endpoints, 217)
	cases := []struct {
		name, method, target, op string
		verdict                  Verdict
		reason                   Reason
	}{
		// Templates that differ only in parameter names, on different
		// methods: one route, the parameter named per operation.
		{"attestation by digest", "GET", "/orgs/octo/attestations/sha256:abc", "orgs/list-attestations", Allow, ReasonNone},
		{"attestation by id", "DELETE", "/orgs/octo/attestations/12", "orgs/delete-attestations-by-id", Allow, ReasonNone},
		{"attestation id type", "DELETE", "/orgs/octo/attestations/abc", "orgs/delete-attestations-by-id", Block, ReasonInvalidParameter},
		{"user attestation", "GET", "/users/mona/attestations/sha256:abc", "users/list-attestations", Allow, ReasonNone},
		// readOnly path parameter schemas (alert numbers) are not refused.
		{"code scanning alert", "GET", "/repos/o/r/code-scanning/alerts/42", "code-scanning/get-alert", Allow, ReasonNone},
		{"dependabot alert", "GET", "/repos/o/r/dependabot/alerts/42", "dependabot/get-alert", Allow, ReasonNone},
		{"secret scanning alert", "GET", "/repos/o/r/secret-scanning/alerts/42", "secret-scanning/get-alert", Allow, ReasonNone},
		{"alert number type", "GET", "/repos/o/r/dependabot/alerts/x", "dependabot/get-alert", Block, ReasonInvalidParameter},
		{"query enum", "GET", "/repos/o/r/issues?state=open&per_page=30", "issues/list-for-repo", Allow, ReasonNone},
		{"query enum bad", "GET", "/repos/o/r/issues?state=maybe", "issues/list-for-repo", Block, ReasonInvalidParameter},
		{"unknown", "GET", "/repos/o/r/nothing", "", Block, ReasonUnknownEndpoint},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, d := head(p, c.method, c.target)
			assert.Equal(t, c.verdict, d.Verdict, "%+v", d)
			assert.Equal(t, c.reason, d.Reason, "%+v", d)
			if c.op != "" {
				require.NotNil(t, r.Match.Endpoint)
				assert.Equal(t, c.op, r.Match.Endpoint.ID)
			}
		})
	}
}

// TestGreedyPathParameter: GitHub's contents operations declare {path} as
// one segment, so a file below the repository root is an unknown
// endpoint; x-apiwarden-greedy on the parameter lets it span segments.
func TestGreedyPathParameter(t *testing.T) {
	raw, err := os.ReadFile("openapi/testdata/github.json")
	require.NoError(t, err)
	p := github(t)
	_, d := head(p, "GET", "/repos/o/r/contents/docs/a/README.md")
	assert.Equal(t, ReasonUnknownEndpoint, d.Reason)

	greedy := bytes.Replace(raw, []byte(`"name":"path","description":"path parameter","in":"path","required":true,`),
		[]byte(`"name":"path","description":"path parameter","in":"path","required":true,"x-apiwarden-greedy":true,`), -1)
	require.NotEqual(t, raw, greedy, "the fixture's path parameter changed")
	p, err = Compile(append(append([]byte(`{"unknown_endpoints":"block","openapi":`), greedy...), '}'))
	require.NoError(t, err)
	for _, target := range []string{"/repos/o/r/contents/docs/a/README.md", "/repos/o/r/contents/README.md"} {
		r, d := head(p, "GET", target)
		assert.Equal(t, Allow, d.Verdict, "%s: %+v", target, d)
		require.NotNil(t, r.Match.Endpoint)
		assert.Equal(t, "repos/get-content", r.Match.Endpoint.ID)
	}
	r, _ := head(p, "GET", "/repos/o/r/contents/docs/a/README.md")
	assert.Equal(t, "docs/a/README.md", r.Match.Param(2))
	_, d = head(p, "GET", "/repos/o/r/contents")
	assert.NotEqual(t, Allow, d.Verdict)
}

func TestGreedyMustBeLast(t *testing.T) {
	_, _, err := parseTemplate("/a/{p+}/b")
	assert.EqualError(t, err, `path template "/a/{p+}/b": a greedy parameter {p+} must be the last segment`)
	segs, names, err := parseTemplate("/a/{p+}")
	require.NoError(t, err)
	assert.Equal(t, []string{"p"}, names)
	assert.Equal(t, segGreedy, segs[1].kind)
}
