package policy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deepObjectPolicy has one operation with a required deepObject filter
// (GitHub and Stripe send such parameters: "filter[state]=open").
func deepObjectPolicy(t *testing.T) *Policy {
	t.Helper()
	p, err := Compile([]byte(`{"unknown_endpoints":"block","request":{"unknown_query":"block"},"openapi_base_path":"/","openapi":{
	  "openapi":"3.0.3","info":{"title":"t","version":"1"},
	  "components":{"schemas":{"Since":{"type":"integer","minimum":0}}},
	  "paths":{"/items":{"get":{"operationId":"list_items","parameters":[
	    {"name":"filter","in":"query","required":true,"style":"deepObject","explode":true,
	     "schema":{"type":"object","additionalProperties":false,
	               "properties":{"state":{"type":"string","enum":["open","closed"]},"since":{"$ref":"#/components/schemas/Since"},
	                             "draft":{"type":"boolean"}}}},
	    {"name":"page","in":"query","schema":{"type":"integer"}}],
	    "responses":{"200":{"description":"ok"}}}}}}}`))
	require.NoError(t, err)
	return p
}

func TestDeepObjectQueryParameters(t *testing.T) {
	p := deepObjectPolicy(t)
	checkTargets(t, p, "filter", []targetCase{
		{"/items?filter[state]=open&filter[since]=2", ReasonNone, ""},
		{"/items?filter%5Bstate%5D=closed&page=3", ReasonNone, ""},
		{"/items?filter[draft]=true", ReasonNone, ""},
		{"/items?filter[since]=abc", ReasonInvalidParameter, "/since"},
		{"/items?filter[since]=1e0", ReasonInvalidParameter, "/since"},
		{"/items?filter[since]=-1", ReasonInvalidParameter, "/since"},
		{"/items?filter[state]=frozen", ReasonInvalidParameter, "/state"},
		{"/items?filter[other]=1", ReasonInvalidParameter, ""},
		{"/items?page=1", ReasonInvalidParameter, ""},
		{"/items?filter[state]=open&filter[state]=closed", ReasonInvalidParameter, ""},
		{"/items?filter[a][b]=1", ReasonInvalidParameter, ""},
		{"/items?filter[]=1", ReasonInvalidParameter, ""},
		{"/items?filter[state]=open&debug=1", ReasonUnknownParameter, ""},
	})
}

// TestFormObjectQueryParameters: object parameters in style form, as
// OpenAPI serialises them: exploded ("R=100&G=200") and not
// ("color=R,100,G,200").
func TestFormObjectQueryParameters(t *testing.T) {
	p, err := Compile([]byte(`{"unknown_endpoints":"block","request":{"unknown_query":"block"},"openapi_base_path":"/","openapi":{
	  "openapi":"3.0.3","info":{"title":"t","version":"1"},
	  "paths":{"/paint":{"get":{"operationId":"paint","parameters":[
	    {"name":"rgb","in":"query","required":true,"style":"form","explode":true,
	     "schema":{"type":"object","properties":{"R":{"type":"integer","maximum":255},"G":{"type":"integer","maximum":255}}}},
	    {"name":"hsl","in":"query","style":"form","explode":false,
	     "schema":{"type":"object","properties":{"h":{"type":"integer"},"name":{"type":"string"}}}}],
	    "responses":{"200":{"description":"ok"}}}}}}}`))
	require.NoError(t, err)
	checkTargets(t, p, "", []targetCase{
		{"/paint?R=100&G=200", ReasonNone, ""},
		{"/paint?R=1&hsl=h,120,name,teal", ReasonNone, ""},
		{"/paint?R=300", ReasonInvalidParameter, "/R"},
		{"/paint?R=x", ReasonInvalidParameter, "/R"},
		{"/paint?R=1&R=2", ReasonInvalidParameter, "/R"},
		{"/paint?hsl=h,1", ReasonInvalidParameter, ""},
		{"/paint?R=1&hsl=h,x,name,teal", ReasonInvalidParameter, "/h"},
		{"/paint?R=1&hsl=h,1,name", ReasonInvalidParameter, ""},
		{"/paint?R=1&B=2", ReasonUnknownParameter, ""},
	})
}

// TestSimpleObjectParameters: object path and header parameters in style
// simple ("R,100,G,200", exploded "R=100,G=200").
func TestSimpleObjectParameters(t *testing.T) {
	p, err := Compile([]byte(`{"unknown_endpoints":"block","openapi_base_path":"/","openapi":{
	  "openapi":"3.0.3","info":{"title":"t","version":"1"},
	  "components":{"schemas":{"RGB":{"type":"object","properties":{"R":{"type":"integer","maximum":255},"G":{"type":"integer","maximum":255}}}}},
	  "paths":{"/color/{rgb}":{"get":{"operationId":"color","parameters":[
	    {"name":"rgb","in":"path","required":true,"schema":{"$ref":"#/components/schemas/RGB"}},
	    {"name":"x-tint","in":"header","explode":true,"schema":{"$ref":"#/components/schemas/RGB"}}],
	    "responses":{"200":{"description":"ok"}}}}}}}`))
	require.NoError(t, err)
	for _, c := range []struct {
		target, tint string
		reason       Reason
		pointer      string
	}{
		{"/color/R,100,G,200", "", ReasonNone, ""},
		{"/color/R,100", "R=1,G=2", ReasonNone, ""},
		{"/color/R,300", "", ReasonInvalidParameter, "/R"},
		{"/color/R,1,R,2", "", ReasonInvalidParameter, "/R"},
		{"/color/R", "", ReasonInvalidParameter, ""},
		{"/color/R,1", "R=x", ReasonInvalidParameter, "/R"},
		{"/color/R,1", "R,1", ReasonInvalidParameter, ""},
	} {
		r := &Request{}
		r.Reset()
		r.Method, r.Target = "GET", c.target
		if c.tint != "" {
			r.Headers = Headers{{"x-tint", c.tint}}
		}
		d := p.CheckHead(r)
		assert.Equal(t, c.reason, d.Reason, "%s %s", c.target, c.tint)
		if c.pointer != "" && assert.NotEmpty(t, d.Violations, c.target) {
			assert.Equal(t, c.pointer, d.Violations[0].Pointer, "%s %s", c.target, c.tint)
		}
	}
}

// TestObjectCookieParameters: object cookie parameters in style form, the
// only style cookies have: exploded (the default), each declared property
// is a cookie of its own ("R=100; G=200"); not exploded, one cookie of
// alternating names and values ("hsl=h,120,name,teal").
func TestObjectCookieParameters(t *testing.T) {
	p, err := Compile([]byte(`{"unknown_endpoints":"block","openapi_base_path":"/","openapi":{
	  "openapi":"3.0.3","info":{"title":"t","version":"1"},
	  "paths":{"/paint":{"get":{"operationId":"paint","parameters":[
	    {"name":"rgb","in":"cookie","required":true,
	     "schema":{"type":"object","properties":{"R":{"type":"integer","maximum":255},"G":{"type":"integer","maximum":255}}}},
	    {"name":"hsl","in":"cookie","style":"form","explode":false,
	     "schema":{"type":"object","properties":{"h":{"type":"integer"},"name":{"type":"string"}}}}],
	    "responses":{"200":{"description":"ok"}}}}}}}`))
	require.NoError(t, err)
	for _, c := range []struct {
		cookie  string
		reason  Reason
		pointer string
	}{
		{"R=100; G=200", ReasonNone, ""},
		{"session=abc; R=1; hsl=h,120,name,teal", ReasonNone, ""},
		{`R="7"`, ReasonNone, ""},
		{"R=300", ReasonInvalidParameter, "/R"},
		{"R=x; G=1", ReasonInvalidParameter, "/R"},
		{"R=1; R=2", ReasonInvalidParameter, "/R"},
		{"session=abc", ReasonInvalidParameter, ""},
		{"R=1; hsl=h,x,name,teal", ReasonInvalidParameter, "/h"},
		{"R=1; hsl=h,1,name", ReasonInvalidParameter, ""},
		{"R=1; hsl=h,1; hsl=h,2", ReasonInvalidParameter, ""},
	} {
		_, d := head(p, "GET", "/paint", [2]string{"cookie", c.cookie})
		assert.Equal(t, c.reason, d.Reason, c.cookie)
		if c.pointer != "" && assert.NotEmpty(t, d.Violations, c.cookie) {
			assert.Equal(t, c.pointer, d.Violations[0].Pointer, c.cookie)
			assert.Equal(t, "cookie", d.Violations[0].In, c.cookie)
		}
	}
}

// targetCase is a GET target and the reason (and first violation
// pointer) the header checks give it.
type targetCase struct {
	target  string
	reason  Reason
	pointer string
}

// checkTargets runs the header checks on each case; name, when set, is
// the parameter every violation must name.
func checkTargets(t *testing.T, p *Policy, name string, cases []targetCase) {
	t.Helper()
	for _, c := range cases {
		_, d := head(p, "GET", c.target)
		assert.Equal(t, c.reason, d.Reason, c.target)
		if c.pointer != "" && assert.NotEmpty(t, d.Violations, c.target) {
			assert.Equal(t, c.pointer, d.Violations[0].Pointer, c.target)
			if name != "" {
				assert.Equal(t, name, d.Violations[0].Name, c.target)
			}
		}
	}
}
