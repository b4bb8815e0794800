package policy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// formPolicy has an OAuth-style token endpoint taking a form body, with
// an integer, a boolean, an exploded array and a comma-delimited one.
func formPolicy(t *testing.T) *Policy {
	t.Helper()
	p, err := Compile([]byte(`{"unknown_endpoints":"block","openapi_base_path":"/","openapi":{
	  "openapi":"3.0.3","info":{"title":"t","version":"1"},
	  "paths":{"/token":{"post":{"operationId":"token","requestBody":{"required":true,"content":{
	    "application/x-www-form-urlencoded":{
	      "schema":{"type":"object","required":["grant_type"],"additionalProperties":false,"properties":{
	        "grant_type":{"type":"string","enum":["password","refresh_token"]},
	        "ttl":{"type":"integer","minimum":1,"maximum":3600},
	        "remember":{"type":"boolean"},
	        "scope":{"type":"array","items":{"type":"string","enum":["read","write"]}},
	        "ids":{"type":"array","items":{"type":"integer"},"maxItems":3}}},
	      "encoding":{"ids":{"style":"form","explode":false}}}}},
	    "responses":{"200":{"description":"ok"}}}}}}}`))
	require.NoError(t, err)
	return p
}

func TestFormBodies(t *testing.T) {
	p := formPolicy(t)
	for _, c := range []struct {
		body    string
		reason  Reason
		pointer string
	}{
		{"grant_type=password", ReasonNone, ""},
		{"grant_type=password&ttl=60&remember=true&scope=read&scope=write&ids=1,2,3", ReasonNone, ""},
		{"grant_type=refresh%5Ftoken&ids=", ReasonNone, ""},
		{"ttl=60", ReasonSchema, ""},
		{"grant_type=client_credentials", ReasonSchema, "/grant_type"},
		{"grant_type=password&ttl=abc", ReasonSchema, "/ttl"},
		{"grant_type=password&ttl=1e1", ReasonSchema, "/ttl"},
		{"grant_type=password&ttl=0", ReasonSchema, "/ttl"},
		{"grant_type=password&remember=yes", ReasonSchema, "/remember"},
		{"grant_type=password&scope=admin", ReasonSchema, "/scope/0"},
		{"grant_type=password&ids=1,x", ReasonSchema, "/ids/1"},
		{"grant_type=password&ids=1,2,3,4", ReasonSchema, "/ids"},
		{"grant_type=password&ids=1&ids=2", ReasonSchema, "/ids"},
		{"grant_type=password&grant_type=refresh_token", ReasonSchema, "/grant_type"},
		{"grant_type=password&extra=1", ReasonSchema, ""},
		{"grant_type=%ZZ", ReasonSchema, ""},
	} {
		r := &Request{}
		r.Reset()
		r.Method, r.Target, r.HasBody = "POST", "/token", true
		r.Headers = Headers{{"content-type", "application/x-www-form-urlencoded"}}
		require.True(t, p.CheckHead(r).IsAllow(), c.body)
		require.True(t, p.WantsBody(r), "a form body is buffered for its check")
		d := p.CheckBody(r, []byte(c.body))
		assert.Equal(t, c.reason, d.Reason, c.body)
		if c.pointer != "" && assert.NotEmpty(t, d.Violations, c.body) {
			assert.Equal(t, c.pointer, d.Violations[0].Pointer, c.body)
		}
	}
}

// FuzzFormBody: any form body gets a decision, never a panic, and one
// the checker accepts becomes a JSON object of the declared fields.
func FuzzFormBody(f *testing.F) {
	for _, s := range []string{"grant_type=password", "grant_type=password&ids=1,2&scope=read&scope=write", "a=%ff", "=&&=", "ids=,,,", "ttl=99999999999999999999"} {
		f.Add(s)
	}
	p := formPolicy(&testing.T{})
	f.Fuzz(func(t *testing.T, body string) {
		r := &Request{}
		r.Reset()
		r.Method, r.Target, r.HasBody = "POST", "/token", true
		r.Headers = Headers{{"content-type", "application/x-www-form-urlencoded"}}
		if !p.CheckHead(r).IsAllow() {
			t.Fatal("the head of a form POST is allowed")
		}
		d := p.CheckBody(r, []byte(body))
		if !d.IsAllow() || body == "" {
			return
		}
		pairs, _ := parseQuery(body, nil, len(body)+1)
		for _, pr := range pairs {
			if pr.name == "grant_type" {
				return
			}
		}
		t.Fatalf("accepted without the required field: %q", body)
	})
}
