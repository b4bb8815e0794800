package policy

import (
	"github.com/apiwarden/apiwarden/policy/openapi/openapitest"

	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apiwarden/apiwarden/policy/redact"
)

func bankOpenAPI(t testing.TB) *Policy {
	t.Helper()
	raw, err := os.ReadFile("../examples/bank/apiwarden.json")
	require.NoError(t, err)
	p, err := Compile(raw)
	require.NoError(t, err)
	return p
}

func TestOpenAPIOperationsBecomeEndpoints(t *testing.T) {
	p := bankOpenAPI(t)
	ids := map[string]*Endpoint{}
	for _, ep := range p.Endpoints {
		ids[ep.ID] = ep
		assert.Equal(t, "openapi", ep.Source)
	}
	require.Len(t, ids, 5)
	assert.True(t, ids["internal_customers"].Internal, "x-apiwarden-internal")
	assert.False(t, ids["get_balance"].Internal)
	tf := ids["transfer_funds"]
	assert.EqualValues(t, 4096, tf.MaxBodyBytes, "overlay applied")
	assert.True(t, tf.BodyRequired)
	require.Len(t, tf.Bodies, 1)
	assert.Equal(t, "application/json", tf.Bodies[0].MediaType)
	assert.NotNil(t, tf.Bodies[0].Schema)
	assert.Equal(t, [][]string{{"bearerAuth"}}, tf.Security)
	assert.Equal(t, [][]string{}, ids["auth"].Security, "security: [] is explicit")
	la := ids["list_accounts"]
	require.Len(t, la.PathParams, 1)
	assert.Equal(t, "integer", la.PathParams[0].Kind)
	require.Len(t, la.Query, 2)
	assert.NotNil(t, la.Redactor, "response.redact overlay and detectors")
	require.NotNil(t, la.ResponseFields)
	assert.Contains(t, la.ResponseFields.Properties, "owner")
}

func TestOpenAPIRequestChecks(t *testing.T) {
	p := bankOpenAPI(t)
	cases := []struct {
		method, target string
		reason         Reason
	}{
		{"GET", "/api/v1/accounts/ACC-1/balance", ReasonNone},
		{"GET", "/api/v1/accounts/12345/balance", ReasonInvalidParameter},
		{"GET", "/api/v1/users/7/accounts?status=open,closed&limit=5", ReasonNone},
		{"GET", "/api/v1/users/7/accounts?status=frozen", ReasonInvalidParameter},
		{"GET", "/api/v1/users/7/accounts?debug=true", ReasonUnknownParameter},
		{"PUT", "/api/v1/users/7/accounts", ReasonMethodNotAllowed},
	}
	for _, c := range cases {
		_, d := head(p, c.method, c.target)
		assert.Equal(t, c.reason, d.Reason, "%s %s", c.method, c.target)
	}
	r := &Request{}
	r.Reset()
	r.Method, r.Target, r.HasBody = "POST", "/api/v1/transferFunds", true
	r.Headers = Headers{{"content-type", "application/json"}}
	require.True(t, p.CheckHead(r).IsAllow())
	d := p.CheckBody(r, []byte(`{"from":"ACC-1","to":"ACC-2","amount":"10"}`))
	require.Equal(t, ReasonSchema, d.Reason)
	assert.Equal(t, "/amount", d.Violations[0].Pointer)
	assert.True(t, p.CheckBody(r, []byte(`{"from":"ACC-1","to":"ACC-2","amount":10}`)).IsAllow())
}

func TestOpenAPIErrorsCarryTheirPath(t *testing.T) {
	_, err := Compile([]byte(`{"openapi":{"openapi":"3.0.3","info":{"title":"x","version":"1"},
	  "paths":{"/a/{id}":{"get":{"parameters":[{"name":"id","in":"body"}],"responses":{"200":{"description":"ok"}}}}}}}`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "openapi.paths")
	_, err = Compile([]byte(`{"openapi":{"openapi":"3.0.3","info":{"title":"x","version":"1"},"paths":{}},
	  "endpoints":[{"id":"nope","request":{"max_body_bytes":10}}]}`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `endpoints[0].id: no OpenAPI operation has id "nope"`)
	_, err = Compile([]byte(`{"openapi":{"openapi":"3.0.3","info":{"title":"x","version":"1"},
	  "paths":{"/a":{"get":{"responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"$ref":"other.yaml#/X"}}}}}}}}}}`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "openapi.paths")
}

func TestFieldSetOf(t *testing.T) {
	doc := []byte(`{"components":{"schemas":{
	  "Node":{"type":"object","properties":{"name":{"type":"string"},"children":{"type":"array","items":{"$ref":"#/components/schemas/Node"}}}},
	  "Open":{"type":"object"},
	  "Extra":{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":true},
	  "Both":{"allOf":[{"$ref":"#/components/schemas/Extra"},{"type":"object","properties":{"b":{"type":"integer"}}}]}}}}`)
	node := fieldSetOf(doc, "/components/schemas/Node")
	require.NotNil(t, node)
	assert.False(t, node.Additional, "absent additionalProperties: nothing else may leave")
	children := node.Properties["children"]
	require.NotNil(t, children)
	assert.Same(t, node, children.Items, "recursive schemas share nodes")
	assert.True(t, fieldSetOf(doc, "/components/schemas/Open").Additional, "a free-form object")
	both := fieldSetOf(doc, "/components/schemas/Both")
	assert.Contains(t, both.Properties, "a")
	assert.Contains(t, both.Properties, "b")
	assert.True(t, both.Additional)

	undeclared := redact.Undeclared([]byte(`{"name":"x","secret":1,"children":[{"name":"y","admin":true}]}`), node)
	assert.ElementsMatch(t, []string{"/secret", "/children/0/admin"}, undeclared)
}

// BenchmarkCompileOpenAPI2000 compiles a configuration whose inline
// OpenAPI document has 2,000 operations (a GitHub- or Stripe-sized API).
func BenchmarkCompileOpenAPI2000(b *testing.B) {
	cfg := append(append([]byte(`{"openapi":`), openapitest.GenerateSynthetic(2000)...), '}')
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		p, err := Compile(cfg)
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Endpoints) != 2000 {
			b.Fatalf("%d endpoints", len(p.Endpoints))
		}
	}
}

func TestCompileCallsCheckpointOnLargeConfigurations(t *testing.T) {
	cfg := append(append([]byte(`{"openapi":`), openapitest.GenerateSynthetic(300)...), '}')
	calls := 0
	p, err := CompileWith(cfg, CompileOptions{Checkpoint: func() { calls++ }})
	require.NoError(t, err)
	assert.Len(t, p.Endpoints, 300)
	assert.Greater(t, calls, 4, "a host without automatic GC gets regular chances to collect")
}

// TestEnforcedSchemasOnly: the module compiles only the schemas requests
// are checked against. A broken response schema or unused component is
// refused by Compile (check-config, openapi2json) and accepted with
// EnforcedSchemasOnly, which still refuses a broken request schema and
// still reads the response's declared fields.
func TestEnforcedSchemasOnly(t *testing.T) {
	doc := func(bodyPattern, responsePattern string) []byte {
		return []byte(`{"openapi":{"openapi":"3.0.3","info":{"title":"t","version":"1"},
		  "components":{"schemas":{"Unused":{"type":"string","pattern":"` + responsePattern + `"}}},
		  "paths":{"/things":{"post":{"operationId":"create",
		    "requestBody":{"content":{"application/json":{"schema":{"type":"object","properties":{"name":{"type":"string","pattern":"` + bodyPattern + `"}}}}}},
		    "responses":{"201":{"description":"ok","content":{"application/json":{"schema":{
		      "type":"object","properties":{"id":{"type":"string","pattern":"` + responsePattern + `"}}}}}}}}}}}}`)
	}
	enforced := CompileOptions{EnforcedSchemasOnly: true}

	_, err := Compile(doc("^[a-z]+$", "("))
	require.Error(t, err, "every schema compiles offline")
	assert.Contains(t, err.Error(), "responses.201.content.application/json.schema.properties.id.pattern")
	assert.Contains(t, err.Error(), "components.schemas.Unused.pattern")

	p, err := CompileWith(doc("^[a-z]+$", "("), enforced)
	require.NoError(t, err, "a response schema enforces nothing")
	ep := p.endpointByID("create")
	require.NotNil(t, ep)
	require.NotNil(t, ep.ResponseFields, "declared response fields are read from the text")
	assert.Contains(t, ep.ResponseFields.Properties, "id")
	require.Len(t, ep.Bodies, 1)
	require.NotNil(t, ep.Bodies[0].Schema)

	_, err = CompileWith(doc("(", "^x$"), enforced)
	require.Error(t, err, "a request schema is compiled")
	assert.Contains(t, err.Error(), "requestBody.content.application/json.schema.properties.name.pattern")
}
