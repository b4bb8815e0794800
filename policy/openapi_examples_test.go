package policy

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGitHubBodyExamplesPass is the document's own word against the
// validator: every request-body example the GitHub fixture publishes
// (90 JSON examples; $refs into components.examples resolved)
// must pass its operation's body check, except the ones listed here,
// each a real violation of its own schema reported with its pointer.
func TestGitHubBodyExamplesPass(t *testing.T) {
	p := github(t)
	raw, err := os.ReadFile("openapi/testdata/github.json")
	require.NoError(t, err)
	var doc struct {
		Paths      map[string]map[string]json.RawMessage
		Components struct {
			Examples      map[string]struct{ Value json.RawMessage }
			RequestBodies map[string]json.RawMessage
		}
	}
	require.NoError(t, json.Unmarshal(raw, &doc))
	type body struct {
		Ref     string `json:"$ref"`
		Content map[string]struct {
			Examples map[string]struct {
				Ref   string `json:"$ref"`
				Value json.RawMessage
			}
		}
	}
	// Examples that violate their own schema, as the fixture publishes
	// them: operation/example -> the first violation's pointer.
	known := map[string]string{
		// The description says "set the whole file to null", the schema
		// of a file is an object without nullable.
		"gists/update/deleteFile": "/files/hello.py type",
		// The example's title and key are swapped: the key does not start
		// with a key type.
		"users/create-public-ssh-key-for-authenticated-user/default": "/key pattern",
	}
	checked := 0
	var refused []string
	for _, item := range doc.Paths {
		for _, opRaw := range item {
			var op struct {
				OperationID string          `json:"operationId"`
				RequestBody json.RawMessage `json:"requestBody"`
			}
			if json.Unmarshal(opRaw, &op) != nil || op.RequestBody == nil {
				continue
			}
			var b body
			require.NoError(t, json.Unmarshal(op.RequestBody, &b))
			if b.Ref != "" {
				require.NoError(t, json.Unmarshal(doc.Components.RequestBodies[strings.TrimPrefix(b.Ref, "#/components/requestBodies/")], &b))
			}
			ep := p.endpointByID(op.OperationID)
			require.NotNil(t, ep, op.OperationID)
			for mt, c := range b.Content {
				for name, ex := range c.Examples {
					v := ex.Value
					if ex.Ref != "" {
						v = doc.Components.Examples[strings.TrimPrefix(ex.Ref, "#/components/examples/")].Value
					}
					if len(v) == 0 || !isJSONMediaType(mediaType(mt)) {
						continue
					}
					r := &Request{}
					r.Reset()
					r.Method, r.HasBody, r.ContentType = ep.Method, true, mt
					r.Match.Endpoint = ep
					d := p.CheckBody(r, v)
					checked++
					key := op.OperationID + "/" + name
					if d.IsAllow() {
						assert.NotContains(t, known, key, "listed as violating, but passes")
						continue
					}
					ptr := ""
					if len(d.Violations) > 0 {
						ptr = d.Violations[0].Pointer + " " + d.Violations[0].Keyword
					}
					if want, ok := known[key]; ok {
						assert.Equal(t, want, ptr, key)
						continue
					}
					refused = append(refused, key+": "+d.Rule+" "+ptr)
				}
			}
		}
	}
	sort.Strings(refused)
	assert.Empty(t, refused, "examples refused (false refusals, or violations to list with their pointer)")
	assert.Equal(t, 90, checked, "every JSON body example was checked")
}

// TestGeneratedParametersPass: for every operation of the GitHub
// fixture (OpenAPI 3.0.3) and of Discord's published description (3.1.0),
// a request whose path and query parameters are generated from their own
// schemas (the parameter's example, else its first enum value, else a
// value of its type within its bounds) passes the header checks: zero
// false refusals on what the document allows.
func TestGeneratedParametersPass(t *testing.T) {
	for _, f := range []struct {
		file string
		ops  int
	}{{"openapi/testdata/github.json", 217}, {"openapi/testdata/discord.json", 242}} {
		t.Run(f.file, func(t *testing.T) {
			p := fixture(t, f.file)
			ops, resolve := fixtureOps(t, f.file)
			var refused []string
			for _, op := range ops {
				target, _ := op.target(resolve, -1, "")
				r, d := head(p, op.method, target)
				if r.Match.Endpoint == nil || r.Match.Endpoint.ID != op.id {
					refused = append(refused, op.id+": "+target+" routed elsewhere")
					continue
				}
				if d.Verdict != Allow && !bodyMissing(d) { // bodies: TestGitHubBodyExamplesPass
					msg := op.id + ": " + target + " " + d.Rule
					if len(d.Violations) > 0 {
						msg += " " + d.Violations[0].Name + " " + d.Violations[0].Keyword
					}
					refused = append(refused, msg)
				}
			}
			sort.Strings(refused)
			assert.Empty(t, refused)
			assert.Len(t, ops, f.ops)
		})
	}
}

// githubOp is one operation of a fixture, its parameters
// (the path item's, then its own) resolved.
type githubOp struct {
	id, method, tpl string
	prms            []map[string]any
}

// githubOps reads every operation of the GitHub fixture.
func githubOps(t *testing.T) ([]githubOp, func(any) map[string]any) {
	return fixtureOps(t, "openapi/testdata/github.json")
}

// fixtureOps reads every operation of an OpenAPI fixture.
func fixtureOps(t *testing.T, file string) ([]githubOp, func(any) map[string]any) {
	t.Helper()
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(raw, &doc))
	resolve := refResolver(doc)
	// Routes start with the first server's path (Discord: /api/v10).
	base := ""
	if servers, ok := doc["servers"].([]any); ok && len(servers) > 0 {
		if u, err := url.Parse(servers[0].(map[string]any)["url"].(string)); err == nil {
			base = strings.TrimSuffix(u.Path, "/")
		}
	}
	var ops []githubOp
	for tpl, itemRaw := range doc["paths"].(map[string]any) {
		tpl = base + tpl
		item := itemRaw.(map[string]any)
		common, _ := item["parameters"].([]any)
		for method, opRaw := range item {
			op, ok := opRaw.(map[string]any)
			if !ok || method == "parameters" {
				continue
			}
			own, _ := op["parameters"].([]any)
			o := githubOp{method: strings.ToUpper(method), tpl: tpl}
			o.id, _ = op["operationId"].(string)
			for _, x := range append(append([]any{}, common...), own...) {
				o.prms = append(o.prms, resolve(x))
			}
			ops = append(ops, o)
		}
	}
	return ops, resolve
}

// target is a request target for the operation with every path and
// query parameter generated from its schema; with spoil >= 0 parameter
// spoil is spoiled how ("type": a number sent as text, "enum": a value
// outside the enum, "drop": a required query parameter left out), and
// ok says whether it could be.
func (o githubOp) target(resolve func(any) map[string]any, spoil int, how string) (target string, ok bool) {
	path, query, spoiled := o.tpl, []string{}, false
	for i, prm := range o.prms {
		name, _ := prm["name"].(string)
		s := resolve(prm["schema"])
		v := generated(s, resolve)
		if i == spoil {
			switch typ := schemaType(s); {
			case how == "type" && (typ == "integer" || typ == "number"):
				v, spoiled = "abc", true
			case how == "enum" && hasEnum(s):
				v, spoiled = "zzz-not-a-member", true
			case how == "pattern" && s["pattern"] != nil:
				v, spoiled = "%20not%20matched%20%21", true
			case how == "drop" && prm["in"] == "query" && prm["required"] == true:
				spoiled = true
				continue
			}
		}
		switch prm["in"] {
		case "path":
			path = strings.ReplaceAll(path, "{"+name+"}", v)
		case "query":
			query = append(query, name+"="+v)
		}
	}
	if len(query) > 0 {
		path += "?" + strings.Join(query, "&")
	}
	return path, spoil < 0 || spoiled
}

// bodyMissing: the only finding is the required body the header checks
// cannot see sent (these tests send none).
func bodyMissing(d Decision) bool {
	return d.Reason == ReasonSchema && len(d.Violations) == 1 && d.Violations[0].In == "body" && d.Violations[0].Keyword == "required"
}

// generated is a value of schema s as a parameter sends it.
func generated(s map[string]any, resolve func(any) map[string]any) string {
	if s == nil {
		return "x"
	}
	if ex, ok := s["example"]; ok {
		if v, ok := scalarText(ex); ok {
			return v
		}
	}
	if exs, ok := s["examples"].([]any); ok && len(exs) > 0 { // 3.1
		if v, ok := scalarText(exs[0]); ok {
			return v
		}
	}
	if enum, ok := s["enum"].([]any); ok && len(enum) > 0 {
		if v, ok := scalarText(enum[0]); ok {
			return v
		}
	}
	if c, ok := s["const"]; ok { // 3.1 enums: a oneOf of consts
		if v, ok := scalarText(c); ok {
			return v
		}
	}
	for _, k := range []string{"anyOf", "oneOf", "allOf"} {
		if subs, ok := s[k].([]any); ok && len(subs) > 0 {
			return generated(resolve(subs[0]), resolve)
		}
	}
	switch schemaType(s) {
	case "integer", "number":
		if m, ok := s["minimum"].(float64); ok {
			return strconv.FormatInt(int64(m)+1, 10)
		}
		return "1"
	case "boolean":
		return "true"
	case "array":
		return generated(resolve(s["items"]), resolve)
	}
	if pat, ok := s["pattern"].(string); ok {
		// The first of a few plain values the pattern accepts.
		if re, err := regexp.Compile(pat); err == nil {
			for _, v := range []string{"1", "abc", "a1", "2024-01-02", "ABC"} {
				if re.MatchString(v) {
					return v
				}
			}
		}
	}
	switch s["format"] {
	case "date-time":
		return "2024-01-02T03:04:05Z"
	case "date":
		return "2024-01-02"
	case "uri":
		return "https://example.com/x"
	}
	return "abc"
}

// schemaType is the schema's type name (3.1 type arrays: the first that
// is not "null").
func schemaType(s map[string]any) any {
	typ := s["type"]
	if types, ok := typ.([]any); ok {
		for _, x := range types {
			if x != "null" {
				return x
			}
		}
	}
	return typ
}

// hasEnum: the schema lists its values (enum, or 3.1's oneOf of consts).
func hasEnum(s map[string]any) bool {
	if e, ok := s["enum"].([]any); ok && len(e) > 0 {
		return true
	}
	subs, ok := s["oneOf"].([]any)
	if !ok || len(subs) == 0 {
		return false
	}
	for _, x := range subs {
		if m, _ := x.(map[string]any); m == nil || m["const"] == nil {
			return false
		}
	}
	return true
}

func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return url.QueryEscape(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// refResolver follows local $refs of a decoded document (up to 8 hops).
func refResolver(doc map[string]any) func(any) map[string]any {
	return func(v any) map[string]any {
		for i := 0; i < 8; i++ {
			m, _ := v.(map[string]any)
			ref, ok := m["$ref"].(string)
			if !ok {
				return m
			}
			var cur any = doc
			for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
				cur = cur.(map[string]any)[strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")]
			}
			v = cur
		}
		return nil
	}
}

// TestDiscordSpoiledParametersAreRefused is the other half of the oracle
// on the OpenAPI 3.1 document: one parameter spoiled (a number sent as
// text, a value outside its enum, one its pattern refuses, a required
// query parameter dropped)
// and the header checks refuse the request, naming that parameter.
func TestDiscordSpoiledParametersAreRefused(t *testing.T) {
	p := fixture(t, "openapi/testdata/discord.json")
	ops, resolve := fixtureOps(t, "openapi/testdata/discord.json")
	spoiled := 0
	var passed []string
	for _, op := range ops {
		for i, prm := range op.prms {
			for _, how := range []string{"type", "enum", "pattern", "drop"} {
				target, ok := op.target(resolve, i, how)
				if !ok {
					continue
				}
				spoiled++
				r, d := head(p, op.method, target)
				if r.Match.Endpoint == nil || r.Match.Endpoint.ID != op.id {
					continue // a spoiled path segment may route elsewhere: refused there
				}
				name, _ := prm["name"].(string)
				if d.Verdict == Allow || len(d.Violations) == 0 || d.Violations[0].Name != name {
					passed = append(passed, op.id+" "+how+" "+name+": "+target)
				}
			}
		}
	}
	sort.Strings(passed)
	assert.Empty(t, passed, "spoiled requests let through")
	t.Logf("%d spoiled requests, all refused", spoiled)
	assert.Greater(t, spoiled, 100)
}

// TestEnforcedSchemasOnlyDecidesTheSame: the module's compile (only the
// schemas requests are checked against) and check-config's (every
// schema) give every generated request of both fixtures, valid and
// spoiled, the same decision.
func TestEnforcedSchemasOnlyDecidesTheSame(t *testing.T) {
	for _, file := range []string{"openapi/testdata/github.json", "openapi/testdata/discord.json"} {
		t.Run(file, func(t *testing.T) {
			raw, err := os.ReadFile(file)
			require.NoError(t, err)
			cfg := append(append([]byte(`{"unknown_endpoints":"block","openapi":`), raw...), '}')
			strict, err := Compile(cfg)
			require.NoError(t, err)
			enforced, err := CompileWith(cfg, CompileOptions{EnforcedSchemasOnly: true})
			require.NoError(t, err)
			ops, resolve := fixtureOps(t, file)
			compared, refused := 0, 0
			for _, op := range ops {
				for i := -1; i < len(op.prms); i++ {
					for _, how := range []string{"", "type", "enum", "pattern", "drop"} {
						target, ok := op.target(resolve, i, how)
						if !ok || (i < 0) != (how == "") {
							continue
						}
						_, want := head(strict, op.method, target)
						_, got := head(enforced, op.method, target)
						compared++
						if want.Verdict != Allow {
							refused++
						}
						if !assert.Equal(t, decisionOf(want), decisionOf(got), "%s %s", op.method, target) {
							return
						}
					}
				}
			}
			t.Logf("%d requests compared, %d of them refused", compared, refused)
			assert.Greater(t, compared, 400)
			assert.Greater(t, refused, 100)
		})
	}
}

// decisionOf is what a decision says: verdict, rule, reason, status and
// the first violation.
func decisionOf(d Decision) string {
	s := fmt.Sprintf("%v %s %v %d", d.Verdict, d.Rule, d.Reason, d.Status)
	if len(d.Violations) > 0 {
		v := d.Violations[0]
		s += " " + v.In + " " + v.Name + " " + v.Pointer + " " + v.Keyword
	}
	return s
}
