package policy

import (
	"testing"

	"github.com/apiwarden/apiwarden/policy/sequence"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Regression tests for the findings of the code review.

func TestPartialTemplatesNeverPanic(t *testing.T) {
	p := compileEndpoints(t, ep("day", "GET", "/reports/{year}-{month}-{day}"), ep("three", "GET", "/x/{a}.{b}.{c}"))
	for _, path := range []string{"/reports/2024-", "/reports/2024-/anything", "/reports/-", "/x/b-ax.", "/x/..."} {
		assert.NotPanics(t, func() { route(p, "GET", path) }, path)
	}
	got, m := route(p, "GET", "/reports/2024-11-21")
	assert.Equal(t, "day", got)
	assert.Equal(t, []string{"2024", "11", "21"}, []string{m.Param(0), m.Param(1), m.Param(2)})
}

func TestRepeatedSingleValuedParametersAreRefused(t *testing.T) {
	p, err := Compile([]byte(`{"endpoints":[{"id":"items","method":"GET","path":"/items","request":{"parameters":[
	  {"name":"limit","in":"query","schema":{"type":"integer","maximum":100}},
	  {"name":"x-role","in":"header","schema":{"enum":["user"]}},
	  {"name":"sid","in":"cookie","schema":{"type":"string"}}]}}]}`))
	require.NoError(t, err)
	cases := []struct {
		target string
		hdr    [][2]string
		reason Reason
	}{
		{"/items?limit=1", nil, ReasonNone},
		{"/items?limit=1&limit=1000", nil, ReasonInvalidParameter},
		{"/items?limit=1&%6cimit=1000", nil, ReasonInvalidParameter},
		{"/items", [][2]string{{"x-role", "user"}, {"x-role", "admin"}}, ReasonInvalidParameter},
		{"/items", [][2]string{{"cookie", "sid=a; sid=b"}}, ReasonInvalidParameter},
		{"/items", [][2]string{{"cookie", "sid=a"}, {"cookie", "sid=b"}}, ReasonInvalidParameter},
	}
	for _, c := range cases {
		_, d := head(p, "GET", c.target, c.hdr...)
		assert.Equal(t, c.reason, d.Reason, "%s %v", c.target, c.hdr)
	}
}

func TestUnknownQueryBlockWithoutDeclaredParameters(t *testing.T) {
	p, err := Compile([]byte(`{"endpoints":[{"id":"a","method":"GET","path":"/a","request":{"unknown_query":"block"}}]}`))
	require.NoError(t, err)
	_, d := head(p, "GET", "/a?debug=1")
	assert.Equal(t, ReasonUnknownParameter, d.Reason)
	_, d = head(p, "GET", "/a")
	assert.True(t, d.IsAllow())
}

func TestTemplatesMustBeInNormalForm(t *testing.T) {
	for _, tpl := range []string{"/a/./{x}", "/a/%7euser/{x}", "/a/../b/{x}", "/a//{x}", "/a/{x}/"} {
		_, err := Compile([]byte(`{"endpoints":[` + ep("a", "GET", tpl) + `]}`))
		assert.Error(t, err, tpl)
	}
}

func TestBodySchemaNeedsAJSONMediaType(t *testing.T) {
	_, err := Compile([]byte(`{"endpoints":[{"id":"a","method":"POST","path":"/a","request":{"content_types":["text/plain"],"body_schema":{"type":"object"}}}]}`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "endpoints[0].request.content_types: body_schema validates JSON bodies")
	p, err := Compile([]byte(`{"endpoints":[{"id":"a","method":"POST","path":"/a","request":{"content_types":["application/*"],"body_schema":{"type":"object","required":["x"]}}}]}`))
	require.NoError(t, err)
	r := &Request{}
	r.Reset()
	r.Method, r.Target, r.HasBody = "POST", "/a", true
	r.Headers = Headers{{"content-type", "application/json"}}
	require.True(t, p.CheckHead(r).IsAllow())
	assert.Equal(t, ReasonSchema, p.CheckBody(r, []byte(`{}`)).Reason, "a JSON body matched by a wildcard is validated")
}

// TestFormBodiesAreNotValidatedAsJSON: a form body is read as a form
// (never refused as invalid JSON), and validated as one.
func TestFormBodiesAreNotValidatedAsJSON(t *testing.T) {
	p, err := Compile([]byte(`{"openapi":{"openapi":"3.0.3","info":{"title":"x","version":"1"},"paths":{"/login":{"post":{
	  "requestBody":{"content":{"application/x-www-form-urlencoded":{"schema":{"type":"object","properties":{"user":{"type":"string"}}}}}},
	  "responses":{"200":{"description":"ok"}}}}}}}`))
	require.NoError(t, err)
	r := &Request{}
	r.Reset()
	r.Method, r.Target, r.HasBody = "POST", "/login", true
	r.Headers = Headers{{"content-type", "application/x-www-form-urlencoded"}}
	require.True(t, p.CheckHead(r).IsAllow())
	assert.True(t, p.WantsBody(r))
	assert.True(t, p.CheckBody(r, []byte("user=alice")).IsAllow())
	assert.Equal(t, ReasonSchema, p.CheckBody(r, []byte("user=alice&user=bob")).Reason, "a single-valued field given twice")
}

func TestMonitorModeReportsEveryFinding(t *testing.T) {
	p, err := Compile([]byte(`{"mode":"monitor","endpoints":[{"id":"a","method":"POST","path":"/a","request":{"unknown_query":"log",
	  "content_types":["application/json"],"parameters":[{"name":"n","in":"query","schema":{"type":"integer"}}]}}]}`))
	require.NoError(t, err)
	r := &Request{}
	r.Reset()
	r.Method, r.Target, r.HasBody = "POST", "/a?x=1&n=abc", true
	r.Headers = Headers{{"content-type", "text/plain"}}
	d := p.CheckHead(r)
	assert.Equal(t, Log, d.Verdict)
	var reasons []Reason
	for _, f := range r.Findings() {
		reasons = append(reasons, f.Reason)
	}
	assert.ElementsMatch(t, []Reason{ReasonUnknownParameter, ReasonInvalidParameter, ReasonUnsupportedMediaType}, reasons)
}

func TestOpenAPIBasePathWithoutDocument(t *testing.T) {
	_, err := Compile([]byte(`{"openapi_base_path":"/v2"}`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `openapi_base_path: only meaningful with an "openapi" document`)
}

func TestSequenceRulesFollowTheEndpointMode(t *testing.T) {
	p, err := Compile([]byte(`{"endpoints":[{"id":"a","method":"GET","path":"/a","mode":"monitor"},{"id":"b","method":"GET","path":"/b"}],
	  "sequences":{"rules":[{"id":"r","endpoint":"a","requires":["b"],"action":"block"},
	                        {"id":"e","endpoint":"a","requires":["b"],"action":"block","mode":"enforce"}]}}`))
	require.NoError(t, err)
	inherit := &p.Sequences.Rules[0]
	explicit := &p.Sequences.Rules[1]
	hit := func(r *sequence.Rule) *sequence.Hit {
		return &sequence.Hit{Rule: r.ID, Kind: r.Kind, Action: r.Action, Mode: r.Mode}
	}
	a := p.endpointByID("a")
	assert.Equal(t, Log, p.SequenceDecision(hit(inherit), a).Verdict, "the endpoint is in monitor mode")
	assert.Equal(t, Block, p.SequenceDecision(hit(explicit), a).Verdict, "a rule's own mode wins")
	assert.Equal(t, Block, p.SequenceDecision(hit(inherit), p.endpointByID("b")).Verdict)
}

func TestSchemaKindsFollowRefs(t *testing.T) {
	k, ik := SchemaKinds([]byte(`{"$ref":"#/$defs/ids","$defs":{"ids":{"type":"array","items":{"$ref":"#/$defs/id"}},"id":{"type":["null","integer"]}}}`), "")
	assert.Equal(t, "array", k)
	assert.Equal(t, "integer", ik)
	k, _ = SchemaKinds([]byte(`not json`), "")
	assert.Equal(t, "", k)
}
