package openapi

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/apiwarden/apiwarden/policy/internal/cfg"
	"github.com/apiwarden/apiwarden/policy/schema"
	"github.com/valyala/fastjson"
)

// doc30 builds an OpenAPI 3.0.3 document from the members of "paths" and
// more root members (each with a leading comma).
func doc30(paths, more string) []byte {
	return []byte(`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{` + paths + `}` + more + `}`)
}

func doc31(paths, more string) []byte {
	return []byte(`{"openapi":"3.1.0","info":{"title":"t","version":"1"},"paths":{` + paths + `}` + more + `}`)
}

const ok200 = `"responses":{"200":{"description":"ok"}}`

func mustParse(t *testing.T, raw []byte, opts Options) *Document {
	t.Helper()
	d, err := Parse(raw, opts)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return d
}

func op(t *testing.T, d *Document, id string) Operation {
	t.Helper()
	for _, o := range d.Operations {
		if o.ID == id {
			return o
		}
	}
	t.Fatalf("no operation %q (have %v)", id, ids(d))
	return Operation{}
}

func ids(d *Document) []string {
	var out []string
	for _, o := range d.Operations {
		out = append(out, o.ID)
	}
	return out
}

func TestBankDocument(t *testing.T) {
	for _, name := range []string{"testdata/bank.openapi.json"} {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		d := mustParse(t, raw, Options{Path: "openapi"})
		if d.Version != "3.0.3" || d.Dialect != schema.OpenAPI30 || d.Title != "Demo Bank API" || d.BasePath != "" {
			t.Fatalf("document: %q %v %q %q", d.Version, d.Dialect, d.Title, d.BasePath)
		}
		want := []string{
			"POST /api/v1/auth auth",
			"GET /api/v1/users/{user_id}/accounts list_accounts",
			"GET /api/v1/accounts/{account_id}/balance get_balance",
			"POST /api/v1/transferFunds transfer_funds",
		}
		var got []string
		for _, o := range d.Operations {
			got = append(got, o.Method+" "+o.Path+" "+o.ID)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("operations:\n got %q\nwant %q", got, want)
		}
		auth := op(t, d, "auth")
		if auth.Security == nil || len(auth.Security) != 0 {
			t.Errorf("auth security = %#v, want explicitly empty", auth.Security)
		}
		la := op(t, d, "list_accounts")
		if !reflect.DeepEqual(la.Security, [][]string{{"bearerAuth"}}) {
			t.Errorf("list_accounts security = %v", la.Security)
		}
		if len(la.Params) != 3 || la.Params[0].Name != "user_id" || la.Params[0].Kind != "integer" ||
			la.Params[0].SchemaPointer != "/components/parameters/UserId/schema" || la.Params[0].Schema == nil {
			t.Errorf("list_accounts params = %+v", la.Params)
		}
		gb := op(t, d, "get_balance")
		if gb.Params[0].Kind != "string" || !gb.Params[0].Required || gb.Params[0].Style != "simple" {
			t.Errorf("get_balance param = %+v", gb.Params[0])
		}
		tf := op(t, d, "transfer_funds")
		if tf.Body == nil || !tf.Body.Required || len(tf.Body.Content) != 1 || tf.Body.Content[0].Type != "application/json" {
			t.Fatalf("transfer body = %+v", tf.Body)
		}
		body := tf.Body.Content[0].Schema
		for _, c := range []struct {
			in    string
			valid bool
		}{
			{`{"from":"0123456789","to":"9876543210","amount":10.5,"currency":"EUR","memo":"rent"}`, true},
			{`{"from":"0123456789","to":"9876543210","amount":0}`, false},
			{`{"from":"0123456789","to":"9876543210","amount":-5}`, false},
			{`{"from":"0123456789","to":"9876543210"}`, false},
			{`{"from":"0123456789","to":"9876543210","amount":1,"admin":true}`, false},
			{`{"from":"0123456789","to":"9876543210","amount":1,"currency":"BTC"}`, false},
		} {
			if got := body.Valid([]byte(c.in), schema.Request); got != c.valid {
				t.Errorf("transfer body %s: valid = %v, want %v", c.in, got, c.valid)
			}
		}
		var statuses []string
		for _, r := range tf.Responses {
			statuses = append(statuses, r.Status)
		}
		if !reflect.DeepEqual(statuses, []string{"200", "4XX"}) {
			t.Errorf("transfer responses = %v", statuses)
		}
		if tf.Responses[1].Content[0].Type != "application/problem+json" ||
			tf.Responses[1].Content[0].SchemaPointer != "/components/responses/Problem/content/application~1problem+json/schema" {
			t.Errorf("problem response = %+v", tf.Responses[1])
		}
		if s := d.SecuritySchemes["bearerAuth"]; s != (SecurityScheme{Type: "http", Scheme: "bearer", BearerFormat: "JWT"}) {
			t.Errorf("bearerAuth = %+v", s)
		}
		// Every pointer resolves in Raw.
		for _, o := range d.Operations {
			for _, ptr := range pointers(o) {
				if ptr != "" && !resolves(d.Raw, ptr) {
					t.Errorf("%s: pointer %q does not resolve in Raw", o.ID, ptr)
				}
			}
		}
	}
}

func pointers(o Operation) []string {
	var out []string
	for _, p := range o.Params {
		out = append(out, p.SchemaPointer)
	}
	if o.Body != nil {
		for _, m := range o.Body.Content {
			out = append(out, m.SchemaPointer)
		}
	}
	for _, r := range o.Responses {
		for _, m := range r.Content {
			out = append(out, m.SchemaPointer)
		}
	}
	return out
}

func resolves(raw []byte, ptr string) bool {
	v, err := fastjson.ParseBytes(raw)
	if err != nil {
		return false
	}
	var keys []string
	for _, t := range strings.Split(ptr[1:], "/") {
		keys = append(keys, unescapeToken(t))
	}
	return v.Get(keys...) != nil
}

func TestParameterDefaults(t *testing.T) {
	d := mustParse(t, doc30(`"/items/{item_id}":{"get":{"operationId":"x","parameters":[
		{"name":"item_id","in":"path","schema":{"type":"integer"}},
		{"name":"tags","in":"query","schema":{"type":"array","items":{"type":"string"}}},
		{"name":"X-Request-ID","in":"header","required":true,"schema":{"type":"string"}},
		{"name":"sid","in":"cookie","schema":{"type":"string"}},
		{"name":"ids","in":"query","style":"pipeDelimited","schema":{"type":"array","items":{"$ref":"#/components/schemas/Id"}}},
		{"name":"Authorization","in":"header","schema":{"type":"string"}},
		{"name":"filter","in":"query","content":{"application/json":{"schema":{"type":"object"}}}}
	],`+ok200+`}}`, `,"components":{"schemas":{"Id":{"type":"integer"}}}`), Options{})
	got := d.Operations[0].Params
	want := []Param{
		{Name: "item_id", In: "path", Required: true, Style: "simple", Explode: false, Kind: "integer"},
		{Name: "tags", In: "query", Style: "form", Explode: true, Kind: "array", ItemKind: "string"},
		{Name: "x-request-id", In: "header", Required: true, Style: "simple", Kind: "string"},
		{Name: "sid", In: "cookie", Style: "form", Explode: true, Kind: "string"},
		{Name: "ids", In: "query", Style: "pipeDelimited", Explode: false, Kind: "array", ItemKind: "integer"},
		{Name: "filter", In: "query", Style: "form", Explode: true, ContentType: "application/json"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d params: %+v", len(got), got)
	}
	for i := range want {
		g := got[i]
		if g.SchemaPointer == "" || g.Schema == nil {
			t.Errorf("param %d: no schema: %+v", i, g)
		}
		g.SchemaPointer, g.Schema, g.PropKinds = "", nil, nil
		if !reflect.DeepEqual(g, want[i]) {
			t.Errorf("param %d:\n got %+v\nwant %+v", i, g, want[i])
		}
	}
}

func TestParameterMergeAndRefs(t *testing.T) {
	d := mustParse(t, doc30(`"/users/{id}":{
		"parameters":[{"$ref":"#/components/parameters/Id"},{"name":"limit","in":"query","schema":{"type":"integer"}},{"name":"trace","in":"header","schema":{"type":"string"}}],
		"get":{"parameters":[{"name":"limit","in":"query","required":true,"schema":{"type":"string"}},{"name":"q","in":"query","schema":{"type":"string"}}],`+ok200+`},
		"delete":{`+ok200+`}}`,
		`,"components":{"parameters":{"Id":{"$ref":"#/components/parameters/Id2"},"Id2":{"name":"id","in":"path","required":true,"schema":{"type":"string"}}}}`), Options{})
	get := d.Operations[0]
	var got []string
	for _, p := range get.Params {
		got = append(got, p.In+":"+p.Name+":"+p.Kind+":"+p.SchemaPointer)
	}
	want := []string{
		"path:id:string:/components/parameters/Id2/schema",
		"query:limit:string:/paths/~1users~1{id}/get/parameters/0/schema",
		"header:trace:string:/paths/~1users~1{id}/parameters/2/schema",
		"query:q:string:/paths/~1users~1{id}/get/parameters/1/schema",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("get params:\n got %q\nwant %q", got, want)
	}
	if !get.Params[1].Required {
		t.Errorf("operation-level limit should override (required)")
	}
	if del := d.Operations[1]; del.Method != "DELETE" || len(del.Params) != 3 {
		t.Errorf("delete = %s %d params", del.Method, len(del.Params))
	}
}

func TestRefsToComponents(t *testing.T) {
	d := mustParse(t, doc31(`"/a":{"$ref":"#/components/pathItems/A"},
		"/b":{"post":{"requestBody":{"$ref":"#/components/requestBodies/B"},"responses":{"default":{"$ref":"#/components/responses/Err"}}}}`,
		`,"components":{
			"pathItems":{"A":{"get":{"operationId":"get_a","responses":{"200":{"$ref":"#/components/responses/Err"}}}}},
			"requestBodies":{"B":{"required":true,"content":{"Application/JSON; charset=utf-8":{"schema":{"$ref":"#/components/schemas/Node"}},"text/plain":{}}}},
			"responses":{"Err":{"description":"e","content":{"application/problem+json":{"schema":true}}}},
			"schemas":{"Node":{"type":"object","properties":{"children":{"type":"array","items":{"$ref":"#/components/schemas/Node"}}}}}}`), Options{})
	a := op(t, d, "get_a")
	if a.Pointer != "/components/pathItems/A/get" || a.Responses[0].Content[0].SchemaPointer != "/components/responses/Err/content/application~1problem+json/schema" {
		t.Errorf("get_a = %+v", a)
	}
	b := op(t, d, "post_b")
	if !b.Body.Required || len(b.Body.Content) != 2 || b.Body.Content[0].Type != "application/json" ||
		b.Body.Content[0].SchemaPointer != "/components/requestBodies/B/content/Application~1JSON; charset=utf-8/schema" ||
		b.Body.Content[1].Type != "text/plain" || b.Body.Content[1].SchemaPointer != "" || b.Body.Content[1].Schema != nil {
		t.Errorf("post_b body = %+v", b.Body)
	}
	s := b.Body.Content[0].Schema
	if s == nil || !s.Valid([]byte(`{"children":[{"children":[]}]}`), schema.Request) || s.Valid([]byte(`{"children":[1]}`), schema.Request) {
		t.Errorf("recursive schema does not validate as expected")
	}
	if b.Responses[0].Status != "default" {
		t.Errorf("post_b responses = %+v", b.Responses)
	}
}

func TestOperationIDs(t *testing.T) {
	d := mustParse(t, doc30(`
		"/users":{"get":{`+ok200+`},"post":{"operationId":"get_users_2",`+ok200+`}},
		"/users.":{"get":{`+ok200+`}},
		"/Users/{user-id}/cards.json":{"put":{"parameters":[{"name":"user-id","in":"path","required":true,"schema":{}}],`+ok200+`}},
		"/":{"get":{`+ok200+`}},
		"/x":{"get":{"operationId":"get_users",`+ok200+`}}`, ""), Options{})
	want := []string{"get_users_3", "get_users_2", "get_users_4", "put_Users_user_id_cards_json", "get_root", "get_users"}
	if got := ids(d); !reflect.DeepEqual(got, want) {
		t.Errorf("ids:\n got %q\nwant %q", got, want)
	}
	if !d.Operations[0].IDDerived || d.Operations[1].IDDerived {
		t.Errorf("IDDerived flags wrong")
	}
	if got := DeriveID("GET", "/api/v1/users/{id}/accounts"); got != "get_api_v1_users_id_accounts" {
		t.Errorf("DeriveID = %q", got)
	}
	if got := DeriveID("DELETE", "/"+strings.Repeat("a/", 100)); len(got) != 120 {
		t.Errorf("DeriveID length = %d", len(got))
	}
}

func TestMethodOrderAndIgnoredKeys(t *testing.T) {
	d := mustParse(t, doc30(`"/r":{"x-internal":true,"summary":"s","trace":{`+ok200+`},"patch":{`+ok200+`},"head":{`+ok200+`},"options":{`+ok200+`},
		"delete":{`+ok200+`},"post":{"callbacks":{"cb":{}},"tags":["a"],"externalDocs":{"url":"https://x"},`+ok200+`},"put":{`+ok200+`},"get":{"x-rate":1,"responses":{"200":{"description":"ok","links":{"l":{}}},"x-foo":1}}}`,
		`,"tags":[{"name":"a"}],"externalDocs":{"url":"https://x"},"x-logo":{},"components":{"examples":{"e":{"value":1}},"links":{},"callbacks":{}}`), Options{})
	var got []string
	for _, o := range d.Operations {
		got = append(got, o.Method)
	}
	want := []string{"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("methods = %v", got)
	}
}

func TestSecurity(t *testing.T) {
	schemes := `,"components":{"securitySchemes":{
		"bearer":{"type":"http","scheme":"Bearer","bearerFormat":"JWT"},
		"key":{"type":"apiKey","in":"header","name":"X-API-Key"},
		"oauth":{"type":"oauth2","flows":{"clientCredentials":{"tokenUrl":"https://t","scopes":{"read":"r"}}}},
		"oidc":{"type":"openIdConnect","openIdConnectUrl":"https://o/.well-known/openid-configuration"}}}`
	d := mustParse(t, doc30(`"/a":{"get":{`+ok200+`},"put":{"security":[],`+ok200+`},
		"post":{"security":[{"oauth":["read","write"]},{}],`+ok200+`},"delete":{"security":[{"bearer":[],"key":[]}],`+ok200+`}}`,
		`,"security":[{"bearer":[]},{"key":[]}]`+schemes), Options{})
	cases := []struct {
		method string
		want   [][]string
	}{
		{"GET", [][]string{{"bearer"}, {"key"}}},
		{"PUT", [][]string{}},
		{"POST", [][]string{{"oauth"}, {}}},
		{"DELETE", [][]string{{"bearer", "key"}}},
	}
	for _, c := range cases {
		for _, o := range d.Operations {
			if o.Method == c.method && !reflect.DeepEqual(o.Security, c.want) {
				t.Errorf("%s security = %#v, want %#v", c.method, o.Security, c.want)
			}
		}
	}
	post := d.Operations[2]
	if !reflect.DeepEqual(post.SecurityScopes[0]["oauth"], []string{"read", "write"}) {
		t.Errorf("post scopes = %v", post.SecurityScopes)
	}
	if k := d.SecuritySchemes["key"]; k.Name != "x-api-key" || k.In != "header" {
		t.Errorf("key scheme = %+v", k)
	}
	if b := d.SecuritySchemes["bearer"]; b.Scheme != "bearer" {
		t.Errorf("bearer scheme = %+v", b)
	}
	if o := d.SecuritySchemes["oidc"]; o.OpenIDConnectURL == "" {
		t.Errorf("oidc scheme = %+v", o)
	}
	none := mustParse(t, doc30(`"/a":{"get":{`+ok200+`}}`, ""), Options{})
	if none.Operations[0].Security != nil {
		t.Errorf("no security declared: got %#v, want nil", none.Operations[0].Security)
	}
}

func TestBasePath(t *testing.T) {
	cases := []struct {
		servers string
		opts    Options
		want    string
	}{
		{``, Options{}, "/a/{id}"},
		{`,"servers":[{"url":"https://api.example.com"}]`, Options{}, "/a/{id}"},
		{`,"servers":[{"url":"https://api.example.com/"}]`, Options{}, "/a/{id}"},
		{`,"servers":[{"url":"https://api.example.com/v2/"},{"url":"/other"}]`, Options{}, "/v2/a/{id}"},
		{`,"servers":[{"url":"/api"}]`, Options{}, "/api/a/{id}"},
		{`,"servers":[{"url":"{scheme}://h/{base}/v1","variables":{"scheme":{"default":"https"},"base":{"default":"svc","enum":["svc","x"]}}}]`, Options{}, "/svc/v1/a/{id}"},
		{`,"servers":[{"url":"https://h/v2"}]`, Options{BasePath: "/"}, "/a/{id}"},
		{`,"servers":[{"url":"https://h/v2"}]`, Options{BasePath: "/edge/"}, "/edge/a/{id}"},
	}
	for _, c := range cases {
		d := mustParse(t, doc30(`"/a/{id}":{"get":{"parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string"}}],`+ok200+`}}`, c.servers), c.opts)
		if got := d.Operations[0].Path; got != c.want {
			t.Errorf("%s %+v: path = %q, want %q", c.servers, c.opts, got, c.want)
		}
		if d.Operations[0].Template != "/a/{id}" || d.Operations[0].ID != "get_a_id" {
			t.Errorf("template/id = %q %q", d.Operations[0].Template, d.Operations[0].ID)
		}
	}
	d := mustParse(t, doc30(`"/":{"get":{`+ok200+`}}`, `,"servers":[{"url":"https://h/v2"}]`), Options{})
	if d.Operations[0].Path != "/v2" {
		t.Errorf("root path with base = %q", d.Operations[0].Path)
	}
}

func TestSchemaKindsAndDialects(t *testing.T) {
	d := mustParse(t, doc31(`"/a":{"get":{"parameters":[
		{"name":"n","in":"query","schema":{"type":["null","number"]}},
		{"name":"b","in":"query","schema":true},
		{"name":"c","in":"query","schema":{"allOf":[{"$ref":"#/components/schemas/Flag"}]}}],`+ok200+`}}`,
		`,"components":{"schemas":{"Flag":{"type":"boolean"}}}`), Options{})
	var kinds []string
	for _, p := range d.Operations[0].Params {
		kinds = append(kinds, p.Kind)
	}
	if !reflect.DeepEqual(kinds, []string{"number", "", "boolean"}) {
		t.Errorf("kinds = %q", kinds)
	}
	if d.Dialect != schema.OpenAPI31 {
		t.Errorf("dialect = %v", d.Dialect)
	}
	// 3.0: nullable is understood by the compiled schema.
	d = mustParse(t, doc30(`"/a":{"get":{"parameters":[{"name":"n","in":"query","schema":{"type":"integer","nullable":true}}],`+ok200+`}}`, ""), Options{})
	if s := d.Operations[0].Params[0].Schema; !s.Valid([]byte(`null`), schema.Request) || s.Valid([]byte(`"x"`), schema.Request) {
		t.Errorf("nullable integer schema misbehaves")
	}
}

func TestSkipSchemas(t *testing.T) {
	d := mustParse(t, doc30(`"/a":{"get":{"parameters":[{"name":"n","in":"query","schema":{"type":"wrong"}}],`+ok200+`}}`, ""), Options{SkipSchemas: true})
	if p := d.Operations[0].Params[0]; p.Schema != nil || p.SchemaPointer == "" {
		t.Errorf("param = %+v", p)
	}
}

func TestParseNode(t *testing.T) {
	var errs cfg.Errors
	root, err := cfg.Parse([]byte(`{"mode":"enforce","openapi":`+string(doc30(`"/a":{"get":{"parameters":[{"name":"a","in":"body"}],`+ok200+`}}`, ""))+`}`), &errs)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := root.Get("openapi")
	ParseNode(n, Options{Path: "ignored"})
	want := `openapi.paths./a.get.parameters[0].in: want one of "query", "header", "path", "cookie", got "body"`
	if got := errs.Err(); got == nil || !strings.Contains(got.Error(), want) {
		t.Errorf("errors = %v, want %s", got, want)
	}
}

func TestErrors(t *testing.T) {
	const pathID = `{"name":"id","in":"path","required":true,"schema":{"type":"string"}}`
	cases := []struct {
		name string
		doc  string
		want []string // each error line, in order
	}{
		{"not json", `{"openapi":`, []string{`openapi: not valid JSON: `}},
		{"not an object", `[]`, []string{`openapi: want an OpenAPI document (an object), got an array`}},
		{"swagger", `{"swagger":"2.0","info":{}}`, []string{`openapi.swagger: Swagger 2.0 documents are not supported: convert the document to OpenAPI 3.0 or 3.1`}},
		{"version", `{"openapi":"3.2.0","info":{},"paths":{}}`, []string{`openapi.openapi: want an OpenAPI version 3.0.x or 3.1.x, got "3.2.0"`}},
		{"version type", `{"openapi":3.0,"info":{},"paths":{}}`, []string{`openapi.openapi: want a string, got a number`}},
		{"missing", `{"openapi":"3.0.0"}`, []string{`openapi.info: required`, `openapi.paths: required`}},
		{"31 no paths", `{"openapi":"3.1.0","info":{"title":"t","version":"1"}}`, []string{`openapi.paths: required (or components, or webhooks)`}},
		{"info", `{"openapi":"3.0.0","info":{"title":1,"foo":2},"paths":{}}`, []string{
			`openapi.info.foo: unknown key (want one of contact, description, license, summary, termsOfService, title, version, or an x- extension)`,
			`openapi.info.title: want a string, got a number`, `openapi.info.version: required`}},
		{"root key", string(doc30(``, `,"definitions":{}`)), []string{`openapi.definitions: unknown key (want one of components, externalDocs, info, jsonSchemaDialect, openapi, paths, security, servers, tags, webhooks, or an x- extension)`}},
		{"param in", string(doc30(`"/users/{id}":{"get":{"parameters":[`+pathID+`,{"name":"b","in":"body","schema":{}}],`+ok200+`}}`, "")),
			[]string{`openapi.paths./users/{id}.get.parameters[1].in: want one of "query", "header", "path", "cookie", got "body"`}},
		{"template start", string(doc30(`"users":{"get":{`+ok200+`}}`, "")), []string{`openapi.paths.users: want a path template starting with '/', got "users"`}},
		{"template brace", string(doc30(`"/a/{id":{"get":{`+ok200+`}}`, "")), []string{`openapi.paths./a/{id: unclosed '{' in path template "/a/{id"`}},
		{"template repeat", string(doc30(`"/a/{id}/{id}":{}`, "")), []string{`openapi.paths./a/{id}/{id}: path template "/a/{id}/{id}" repeats parameter "id"`}},
		{"equivalent", string(doc30(`"/a/{id}":{"get":{"operationId":"one","parameters":[`+pathID+`],`+ok200+`}},"/a/{name}":{"get":{"parameters":[{"name":"name","in":"path","required":true,"schema":{}}],`+ok200+`}}`, "")),
			[]string{`openapi.paths./a/{name}.get: GET /a/{name} (no operationId) matches the same requests as GET /a/{id} (operationId "one", at openapi.paths./a/{id}.get): path templates that differ only in parameter names or a trailing '/' must not share a method`}},
		{"trailing slash", string(doc30(`"/a":{"get":{`+ok200+`}},"/a/":{"get":{`+ok200+`}}`, "")),
			[]string{`openapi.paths./a/.get: GET /a/ (no operationId) matches the same requests as GET /a (no operationId, at openapi.paths./a.get): path templates that differ only in parameter names or a trailing '/' must not share a method`}},
		{"undeclared", string(doc30(`"/a/{id}":{"get":{`+ok200+`}}`, "")), []string{`openapi.paths./a/{id}.get: path parameter "id" of "/a/{id}" is not declared (want a parameter with "in": "path")`}},
		{"not in template", string(doc30(`"/a":{"parameters":[`+pathID+`],"get":{`+ok200+`}}`, "")), []string{`openapi.paths./a.parameters[0]: path parameter "id" is not in the path template "/a"`}},
		{"path not required", string(doc30(`"/a/{id}":{"get":{"parameters":[{"name":"id","in":"path","required":false,"schema":{}}],`+ok200+`}}`, "")),
			[]string{`openapi.paths./a/{id}.get.parameters[0].required: want true: path parameters are always required`}},
		{"method", string(doc30(`"/a":{"GET":{`+ok200+`}}`, "")), []string{`openapi.paths./a.GET: unknown key (want one of $ref, delete, description, get, head, options, parameters, patch, post, put, servers, summary, trace, or an x- extension)`}},
		{"duplicate operationId", string(doc30(`"/a":{"get":{"operationId":"x",`+ok200+`},"put":{"operationId":"x",`+ok200+`}}`, "")),
			[]string{`openapi.paths./a.put.operationId: duplicate operationId "x" (first used at openapi.paths./a.get.operationId)`}},
		{"duplicate param", string(doc30(`"/a":{"get":{"parameters":[{"name":"q","in":"query","schema":{}},{"name":"q","in":"query","schema":{}}],`+ok200+`}}`, "")),
			[]string{`openapi.paths./a.get.parameters[1]: duplicate parameter "q" in query`}},
		{"style", string(doc30(`"/a":{"get":{"parameters":[{"name":"q","in":"query","style":"simple","schema":{}}],`+ok200+`}}`, "")),
			[]string{`openapi.paths./a.get.parameters[0].style: want one of "form", "spaceDelimited", "pipeDelimited", "deepObject", got "simple"`}},
		{"schema or content", string(doc30(`"/a":{"get":{"parameters":[{"name":"q","in":"query"}],`+ok200+`}}`, "")),
			[]string{`openapi.paths./a.get.parameters[0]: want a "schema" or a "content"`}},
		{"external ref", string(doc30(`"/a":{"get":{"parameters":[{"$ref":"common.yaml#/components/parameters/Q"}],`+ok200+`}}`, "")),
			[]string{`openapi.paths./a.get.parameters[0].$ref: external reference "common.yaml#/components/parameters/Q" is not supported (bundle the document into one file)`}},
		{"external schema ref", string(doc30(`"/a":{"get":{"parameters":[{"name":"q","in":"query","schema":{"$ref":"https://x/s.json"}}],`+ok200+`}}`, "")),
			[]string{`openapi.paths./a.get.parameters[0].schema.$ref: external reference "https://x/s.json" is not supported (only "#/..." within the document)`}},
		{"dangling ref", string(doc30(`"/a":{"get":{"requestBody":{"$ref":"#/components/requestBodies/Nope"},`+ok200+`}}`, "")),
			[]string{`openapi.paths./a.get.requestBody.$ref: reference "#/components/requestBodies/Nope" points to nothing in the document`}},
		{"ref cycle", string(doc30(`"/a":{"get":{"parameters":[{"$ref":"#/components/parameters/A"}],`+ok200+`}}`,
			`,"components":{"parameters":{"A":{"$ref":"#/components/parameters/B"},"B":{"$ref":"#/components/parameters/A"}}}`)),
			[]string{`openapi.components.parameters.B.$ref: reference "#/components/parameters/A" is part of a $ref cycle`,
				`openapi.components.parameters.A.$ref: reference "#/components/parameters/B" is part of a $ref cycle`}},
		{"path item cycle", string(doc31(`"/a":{"$ref":"#/paths/~1b"},"/b":{"$ref":"#/paths/~1a"}`, "")),
			[]string{`openapi.paths./b.$ref: reference "#/paths/~1a" is part of a $ref cycle`, `openapi.paths./a.$ref: reference "#/paths/~1b" is part of a $ref cycle`}},
		{"boolean schema 3.0", string(doc30(`"/a":{"get":{"parameters":[{"name":"q","in":"query","schema":true}],`+ok200+`}}`, "")),
			[]string{`openapi.paths./a.get.parameters[0].schema: want a schema object, got a boolean (boolean schemas need OpenAPI 3.1)`}},
		{"schema string", string(doc30(``, `,"components":{"schemas":{"S":"string"}}`)), []string{`openapi.components.schemas.S: want a schema object, got a string`}},
		{"schema compile", string(doc30(`"/a":{"get":{"responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"$ref":"#/components/schemas/User"}}}}}}}`,
			`,"components":{"schemas":{"User":{"type":"object","properties":{"age":{"type":"int"},"name":{"type":"string","pattern":"(unclosed"}}}}}`)),
			[]string{`openapi.components.schemas.User.properties.age.type: unknown type "int"`,
				"openapi.components.schemas.User.properties.name.pattern: "}},
		{"unused schema compile", string(doc30(``, `,"components":{"schemas":{"A":{"minimum":"1"}}}`)),
			[]string{`openapi.components.schemas.A.minimum: want a number, got "1"`}},
		{"status", string(doc30(`"/a":{"get":{"responses":{"600":{"description":"x"},"2xx":{"description":"y"},"2XX":{"description":"z"}}}}`, "")),
			[]string{`openapi.paths./a.get.responses.600: want an HTTP status code (100-599), a range like "2XX" or "default", got "600"`,
				`openapi.paths./a.get.responses.2XX: status "2XX" is declared twice`}},
		{"responses", string(doc30(`"/a":{"get":{}, "put":{"responses":{}}, "post":{"responses":{"200":{}}}}`, "")),
			[]string{`openapi.paths./a.get.responses: required`, `openapi.paths./a.put.responses: want at least one response`,
				`openapi.paths./a.post.responses.200.description: required`}},
		{"media type", string(doc30(`"/a":{"post":{"requestBody":{"content":{"json":{}}},`+ok200+`}}`, "")),
			[]string{`openapi.paths./a.post.requestBody.content.json: want a media type like "application/json", got "json"`}},
		{"body content", string(doc30(`"/a":{"post":{"requestBody":{"required":true},`+ok200+`}}`, "")),
			[]string{`openapi.paths./a.post.requestBody.content: required`}},
		{"security", string(doc30(`"/a":{"get":{"security":[{"jwt":[]}],`+ok200+`}}`, "")),
			[]string{`openapi.paths./a.get.security[0].jwt: security scheme "jwt" is not declared in components.securitySchemes`}},
		{"security scheme", string(doc30(``, `,"components":{"securitySchemes":{"k":{"type":"apiKey","in":"body"},"h":{"type":"http"},"m":{"type":"mutualTLS"}}}`)),
			[]string{`openapi.components.securitySchemes.k.in: want one of "query", "header", "cookie", got "body"`,
				`openapi.components.securitySchemes.k.name: required`, `openapi.components.securitySchemes.h.scheme: required`,
				`openapi.components.securitySchemes.m.type: want one of "apiKey", "http", "oauth2", "openIdConnect", got "mutualTLS"`}},
		{"component name", string(doc30(``, `,"components":{"schemas":{"a b":{}}}`)),
			[]string{`openapi.components.schemas.a b: want a component name of letters, digits, '.', '-' and '_', got "a b"`}},
		{"server variable", string(doc30(``, `,"servers":[{"url":"https://h/{v}"}]`)),
			[]string{`openapi.servers[0].url: server variable "v" has no default`}},
		{"path item key", string(doc30(`"/a":{"get":{"operationId":"a","requestbody":{},`+ok200+`}}`, "")),
			[]string{`openapi.paths./a.get.requestbody: unknown key (want one of callbacks, deprecated, description, externalDocs, operationId, parameters, requestBody, responses, security, servers, summary, tags, or an x- extension)`}},
		{"duplicate key", `{"openapi":"3.0.0","info":{"title":"t","version":"1"},"paths":{"/a":{"get":{` + ok200 + `}},"/a":{}}}`,
			[]string{`openapi.paths./a: duplicate key`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.doc), Options{Path: "openapi"})
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(c.want) {
				t.Fatalf("got %d errors, want %d:\n%s", len(lines), len(c.want), err)
			}
			for i, w := range c.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("error %d:\n got %s\nwant %s", i, lines[i], w)
				}
			}
		})
	}
}

func TestErrorsWithoutBasePath(t *testing.T) {
	_, err := Parse([]byte(`{"openapi":"1.0"}`), Options{})
	if err == nil || err.Error() != `openapi: want an OpenAPI version 3.0.x or 3.1.x, got "1.0"` {
		t.Errorf("err = %v", err)
	}
}

func TestLimits(t *testing.T) {
	big := make([]byte, MaxDocumentBytes+1)
	if _, err := Parse(big, Options{Path: "openapi"}); err == nil || !strings.Contains(err.Error(), "exceeds the limit") {
		t.Errorf("big document: %v", err)
	}
}
