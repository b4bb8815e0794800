package policy

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func compileEndpoints(t testing.TB, eps ...string) *Policy {
	t.Helper()
	p, err := Compile([]byte(`{"endpoints":[` + strings.Join(eps, ",") + `]}`))
	require.NoError(t, err)
	return p
}

func ep(id, method, path string) string {
	return fmt.Sprintf(`{"id":%q,"method":%q,"path":%q}`, id, method, path)
}

func route(p *Policy, method, path string) (string, *Match) {
	var m Match
	p.router.match(method, path, &m)
	if m.Endpoint == nil {
		return "", &m
	}
	return m.Endpoint.ID, &m
}

func TestRouterPrecedence(t *testing.T) {
	p := compileEndpoints(t,
		ep("user", "GET", "/users/{id}"),
		ep("me", "GET", "/users/me"),
		ep("delete_user", "DELETE", "/users/{id}"),
		ep("file", "GET", "/files/{name}.{ext}"),
		ep("file_json", "GET", "/files/{name}.json"),
		ep("any_file", "GET", "/files/{path}"),
		ep("version", "GET", "/v{major}/status"),
		ep("root", "GET", "/"),
		ep("deep", "GET", "/a/{x}/c"),
		ep("deep_static", "GET", "/a/b/d"),
	)
	cases := []struct{ method, path, want string }{
		{"GET", "/users/me", "me"},
		{"GET", "/users/42", "user"},
		{"DELETE", "/users/me", "delete_user"}, // static leaf lacks DELETE: the template answers
		{"HEAD", "/users/42", "user"},          // HEAD falls back to GET
		{"GET", "/files/report.json", "file_json"},
		{"GET", "/files/report.csv", "file"},
		{"GET", "/files/report", "any_file"},
		{"GET", "/v2/status", "version"},
		{"GET", "/", "root"},
		{"GET", "/a/b/c", "deep"}, // backtracks from the static "b" branch
		{"GET", "/a/b/d", "deep_static"},
		{"GET", "/users", ""},
		{"GET", "/users/42/x", ""},
	}
	for _, c := range cases {
		got, _ := route(p, c.method, c.path)
		assert.Equal(t, c.want, got, "%s %s", c.method, c.path)
	}
	_, m := route(p, "GET", "/files/a.b.json")
	assert.Equal(t, "a.b", m.Param(0), "inner literals match leftmost, the suffix is fixed")
}

func TestRouterCapturesAndMethodNotAllowed(t *testing.T) {
	p := compileEndpoints(t, ep("get", "GET", "/accounts/{account_id}/tx/{tx_id}"), ep("put", "PUT", "/accounts/{account_id}/tx/{tx_id}"))
	id, m := route(p, "GET", "/accounts/7/tx/abc")
	require.Equal(t, "get", id)
	assert.Equal(t, 2, m.NumParams())
	assert.Equal(t, "7", m.Param(0))
	assert.Equal(t, "abc", m.Param(1))
	assert.Equal(t, "", m.Param(5))
	_, m = route(p, "POST", "/accounts/7/tx/abc")
	assert.True(t, m.PathKnown)
	assert.Equal(t, "GET, PUT", m.Allow)
	_, m = route(p, "POST", "/nothing")
	assert.False(t, m.PathKnown)
}

func TestRouterRefusesAmbiguousAndBrokenTemplates(t *testing.T) {
	cases := map[string]string{
		`[` + ep("a", "GET", "/u/{id}") + `,` + ep("b", "GET", "/u/{name}") + `]`: `endpoints[1]: GET /u/{name} has the same method and path shape as endpoint "a"`,
		`[` + ep("a", "GET", "/u/{id") + `]`:                                      `endpoints[0].path: path template "/u/{id": unclosed '{'`,
		`[` + ep("a", "GET", "/u/{a}{b}") + `]`:                                   `adjacent parameters`,
		`[` + ep("a", "GET", "/u/{id}/{id}") + `]`:                                `repeats parameter "id"`,
		`[` + ep("a", "GET", "u") + `]`:                                           `want a path template starting with '/'`,
		`[` + ep("a", "GET", "/u//x") + `]`:                                       `not in normal form`,
		`[` + ep("a", "GET", "/u/{}") + `]`:                                       `invalid parameter name ""`,
		`[` + ep("a", "GET", "/u") + `,` + ep("a", "POST", "/v") + `]`:            `endpoints[1].id: duplicate endpoint id "a"`,
		`[` + ep("a", "FETCH", "/u") + `]`:                                        `endpoints[0].method: want an HTTP method`,
	}
	for eps, want := range cases {
		_, err := Compile([]byte(`{"endpoints":` + eps + `}`))
		require.Error(t, err, eps)
		assert.Contains(t, err.Error(), want)
	}
}

func TestRouterDoesNotAllocate(t *testing.T) {
	p, err := Compile([]byte(bankConfig))
	require.NoError(t, err)
	var m Match
	allocs := testing.AllocsPerRun(100, func() { p.router.match("GET", "/api/v1/accounts/123/balance", &m) })
	assert.Zero(t, allocs)
	require.NotNil(t, m.Endpoint)
}

// syntheticInventory builds n operations shaped like a large public API:
// resources with nested collections, ids and actions.
func syntheticInventory(n int) (string, []string) {
	var eps, paths []string
	methods := []string{"GET", "POST", "PUT", "DELETE"}
	for i := 0; len(eps) < n; i++ {
		res := fmt.Sprintf("res%d", i)
		tpls := []string{
			"/v1/" + res, "/v1/" + res + "/{id}", "/v1/" + res + "/{id}/items", "/v1/" + res + "/{id}/items/{item_id}",
			"/v1/" + res + "/{id}/actions/archive",
		}
		for j, tpl := range tpls {
			for _, m := range methods[:1+j%len(methods)] {
				if len(eps) == n {
					break
				}
				eps = append(eps, ep(fmt.Sprintf("op%d", len(eps)), m, tpl))
				paths = append(paths, m+" "+strings.NewReplacer("{id}", "12345", "{item_id}", "abc").Replace(tpl))
			}
		}
	}
	return `{"endpoints":[` + strings.Join(eps, ",") + `]}`, paths
}

func TestRouterLargeInventory(t *testing.T) {
	cfgText, reqs := syntheticInventory(2000)
	p, err := Compile([]byte(cfgText))
	require.NoError(t, err)
	require.Len(t, p.Endpoints, 2000)
	for i, r := range reqs {
		method, path, _ := strings.Cut(r, " ")
		got, _ := route(p, method, path)
		assert.Equal(t, fmt.Sprintf("op%d", i), got, r)
	}
}

func BenchmarkRouter2000(b *testing.B) {
	cfgText, reqs := syntheticInventory(2000)
	p, err := Compile([]byte(cfgText))
	require.NoError(b, err)
	var m Match
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		method, path, _ := strings.Cut(reqs[i%len(reqs)], " ")
		p.router.match(method, path, &m)
	}
}

// BenchmarkLinearScan2000 is the baseline the trie is measured against: a
// loop over every template, as a naive matcher would do.
func BenchmarkLinearScan2000(b *testing.B) {
	cfgText, reqs := syntheticInventory(2000)
	p, err := Compile([]byte(cfgText))
	require.NoError(b, err)
	type tpl struct {
		method string
		segs   []string
	}
	var tpls []tpl
	for _, e := range p.Endpoints {
		tpls = append(tpls, tpl{e.Method, strings.Split(e.Path, "/")})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		method, path, _ := strings.Cut(reqs[i%len(reqs)], " ")
		for _, t := range tpls {
			if t.method != method {
				continue
			}
			ok, rest := true, path[1:]
			for _, s := range t.segs[1:] {
				seg, tail, _ := strings.Cut(rest, "/")
				if !(strings.HasPrefix(s, "{") || s == seg) {
					ok = false
					break
				}
				rest = tail
			}
			if ok && rest == "" {
				break
			}
		}
	}
}

// FuzzRoute compiles arbitrary templates and routes arbitrary paths: never
// a panic, and a match never captures an empty parameter.
func FuzzRoute(f *testing.F) {
	f.Add("/reports/{y}-{m}-{d}", "/reports/2024-")
	f.Add("/x/{a}.{b}.{c}", "/x/b-ax.")
	f.Add("/f/{name}.{ext}", "/f/a.b.json")
	f.Fuzz(func(t *testing.T, tpl, path string) {
		p, err := Compile([]byte(`{"endpoints":[` + ep("a", "GET", tpl) + `]}`))
		if err != nil {
			return
		}
		norm, _, err := NormalizePath(path)
		if err != nil {
			return
		}
		var m Match
		p.router.match("GET", norm, &m)
		if m.Endpoint == nil {
			return
		}
		for i := 0; i < m.NumParams(); i++ {
			if m.Param(i) == "" {
				t.Fatalf("%q on %q: empty parameter %d", norm, tpl, i)
			}
		}
	})
}
