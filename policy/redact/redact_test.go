package redact

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

func mustCompile(t testing.TB, c Config) *Redactor {
	t.Helper()
	r, err := Compile(c)
	require.NoError(t, err)
	return r
}

func rules(paths ...string) []PathRule {
	var out []PathRule
	for _, p := range paths {
		act := ActionReplace
		if strings.HasPrefix(p, "-") {
			act, p = ActionRemove, p[1:]
		}
		out = append(out, PathRule{Path: p, Action: act})
	}
	return out
}

func TestApplyPaths(t *testing.T) {
	tests := []struct {
		name  string
		paths []string // a leading '-' means remove
		in    string
		want  string
	}{
		{"top-level key", []string{"ssn"}, `{"name":"a","ssn":"123"}`, `{"name":"a","ssn":"[REDACTED]"}`},
		{"nested", []string{"owner.ssn"}, `{"owner":{"name":"a","ssn":"1"},"ssn":"keep"}`, `{"owner":{"name":"a","ssn":"[REDACTED]"},"ssn":"keep"}`},
		{"every element", []string{"accounts.#.number"}, `{"accounts":[{"number":"1"},{"x":1},{"number":{"deep":[1,2]}}]}`,
			`{"accounts":[{"number":"[REDACTED]"},{"x":1},{"number":"[REDACTED]"}]}`},
		{"index", []string{"a.1"}, `{"a":[1,2,3]}`, `{"a":[1,"[REDACTED]",3]}`},
		{"numeric key on object", []string{"a.1"}, `{"a":{"1":true,"10":true}}`, `{"a":{"1":"[REDACTED]","10":true}}`},
		{"escaped dot", []string{`a\.b`}, `{"a.b":1,"a":{"b":2}}`, `{"a.b":"[REDACTED]","a":{"b":2}}`},
		{"unicode escape in key", []string{"ab"}, `{"a\u0062":1}`, `{"a\u0062":"[REDACTED]"}`},
		{"escaped quote in key", []string{`a"b`}, `{"a\"b":1}`, `{"a\"b":"[REDACTED]"}`},
		{"duplicate keys all redacted", []string{"k"}, `{"k":1,"k":2}`, `{"k":"[REDACTED]","k":"[REDACTED]"}`},
		{"wildcard star", []string{"user.*_token"}, `{"user":{"access_token":"x","refresh_token":"y","name":"n"}}`,
			`{"user":{"access_token":"[REDACTED]","refresh_token":"[REDACTED]","name":"n"}}`},
		{"wildcard question", []string{"k?"}, `{"k1":1,"k22":2,"k":3}`, `{"k1":"[REDACTED]","k22":2,"k":3}`},
		{"whole object", []string{"secret"}, `{"secret":{"a":[1,{"b":null}]},"z":0}`, `{"secret":"[REDACTED]","z":0}`},
		{"top-level array", []string{"#.pw"}, `[{"pw":"a"},{"pw":"b"}]`, `[{"pw":"[REDACTED]"},{"pw":"[REDACTED]"}]`},
		{"nested arrays", []string{"a.#.#"}, `{"a":[[1,2],[3]]}`, `{"a":[["[REDACTED]","[REDACTED]"],["[REDACTED]"]]}`},
		{"no match leaves body", []string{"zz"}, `{"a" : 1 }`, `{"a" : 1 }`},
		{"whitespace kept", []string{"a"}, "{\n  \"a\": 1,\n  \"b\": 2\n}", "{\n  \"a\": \"[REDACTED]\",\n  \"b\": 2\n}"},
		{"remove middle", []string{"-b"}, `{"a":1,"b":2,"c":3}`, `{"a":1,"c":3}`},
		{"remove first", []string{"-a"}, `{"a":1, "b":2}`, `{ "b":2}`},
		{"remove last", []string{"-c"}, `{"a":1,"c":3}`, `{"a":1}`},
		{"remove all", []string{"-a", "-b"}, `{"a":1,"b":2}`, `{}`},
		{"remove first two", []string{"-a", "-b"}, `{"a":1,"b":2,"c":3}`, `{"c":3}`},
		{"remove array elements", []string{"-a.#"}, `{"a":[1,2,3],"b":1}`, `{"a":[],"b":1}`},
		{"remove one array element", []string{"-a.0"}, `{"a":[1,2,3]}`, `{"a":[2,3]}`},
		{"remove beats replace", []string{"a", "-a"}, `{"a":1,"b":2}`, `{"b":2}`},
		{"outer replace wins over inner", []string{"a", "-a.b"}, `{"a":{"b":1}}`, `{"a":"[REDACTED]"}`},
		{"key vs index distinction", []string{"a.x"}, `{"a":[{"x":1}]}`, `{"a":[{"x":1}]}`},
		{"scalar top level", []string{"a"}, `"a"`, `"a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustCompile(t, Config{Paths: rules(tt.paths...)})
			out, rep, err := r.Apply(nil, []byte(tt.in))
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(out))
			assert.True(t, gjson.ValidBytes(out), "output is valid JSON")
			assert.Equal(t, tt.in != tt.want, rep.Changed)
		})
	}
}

func TestApplyDeeplyNested(t *testing.T) {
	r := mustCompile(t, Config{Paths: rules("a")})
	deep := strings.Repeat("[", MaxDepth-1) + `{"a":1}` + strings.Repeat("]", MaxDepth-1)
	out, _, err := r.Apply(nil, []byte(deep))
	require.NoError(t, err)
	assert.Equal(t, deep, string(out)) // "a" is not at the top
	tooDeep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	out, _, err = r.Apply(nil, []byte(tooDeep))
	assert.ErrorIs(t, err, ErrTooDeep)
	assert.Nil(t, out)
	// A deep path.
	r = mustCompile(t, Config{Paths: rules(strings.Repeat("x.", 99) + "x")})
	doc := strings.Repeat(`{"x":`, 100) + `"s"` + strings.Repeat("}", 100)
	out, _, err = r.Apply(nil, []byte(doc))
	require.NoError(t, err)
	assert.Equal(t, strings.Repeat(`{"x":`, 100)+`"[REDACTED]"`+strings.Repeat("}", 100), string(out))
}

func TestApplyInvalidJSON(t *testing.T) {
	r := mustCompile(t, Config{Paths: rules("a"), Detectors: []DetectorConfig{{Name: "email"}}})
	for _, in := range []string{``, ` `, `{`, `{"a":1`, `{"a":1,}`, `[1,]`, `{"a" 1}`, `{"a":01}`, `"\x"`, "\"a\x01\"", `{"a":"b"} x`,
		`{"a":tru}`, `-`, `1.`, `1e`, `{"a":1}{}`, `{a:1}`, `[1 2]`, `"\u12g4"`, `{"a":"x@y.com",}`} {
		out, rep, err := r.Apply(make([]byte, 0, 64), []byte(in))
		assert.ErrorIs(t, err, ErrInvalidJSON, "%q", in)
		assert.Nil(t, out, "%q", in)
		assert.Equal(t, Report{}, rep)
		assert.False(t, gjson.Valid(in), "gjson agrees that %q is invalid", in)
	}
}

func TestApplyReport(t *testing.T) {
	r := mustCompile(t, Config{Paths: rules("users.#.ssn", "-users.#.pw")})
	out, rep, err := r.Apply(nil, []byte(`{"users":[{"ssn":"1","pw":"x","n":"a/b~c"},{"ssn":"2"}],"a~/b":{}}`))
	require.NoError(t, err)
	assert.Equal(t, `{"users":[{"ssn":"[REDACTED]","n":"a/b~c"},{"ssn":"[REDACTED]"}],"a~/b":{}}`, string(out))
	assert.Equal(t, 3, rep.Paths)
	assert.Equal(t, []Hit{
		{Detector: "path", Rule: "users.#.ssn", Pointer: "/users/0/ssn", Count: 1, Action: ActionReplace},
		{Detector: "path", Rule: "users.#.pw", Pointer: "/users/0/pw", Count: 1, Action: ActionRemove},
		{Detector: "path", Rule: "users.#.ssn", Pointer: "/users/1/ssn", Count: 1, Action: ActionReplace},
	}, rep.Hits)
}

func TestApplyReusesDst(t *testing.T) {
	r := mustCompile(t, Config{Paths: rules("a")})
	dst := make([]byte, 0, 256)
	out, _, err := r.Apply(dst, []byte(`{"a":1}`))
	require.NoError(t, err)
	assert.Equal(t, &dst[:1][0], &out[:1][0], "output written into dst")
	in := []byte(`{"b":1}`)
	out, rep, err := r.Apply(dst, in)
	require.NoError(t, err)
	assert.False(t, rep.Changed)
	assert.Equal(t, &in[0], &out[0], "unchanged body returned as is")
}

func TestCustomReplacementIsEscaped(t *testing.T) {
	r := mustCompile(t, Config{Paths: rules("a"), Replacement: `<"x"\>`})
	out, _, err := r.Apply(nil, []byte(`{"a":1}`))
	require.NoError(t, err)
	assert.Equal(t, `<"x"\>`, gjson.GetBytes(out, "a").String())
}

func TestPathSyntaxErrors(t *testing.T) {
	for path, msg := range map[string]string{
		"":            "empty path",
		"a..b":        "empty component",
		"a.":          "empty component",
		"a.@reverse":  "modifiers",
		"@this":       "modifiers",
		`a.#(b=="c")`: "queries",
		"a.#b":        "'#' must be a whole component",
		"a|b":         "pipes",
		"[a,b]":       "multipaths",
		"{a}":         "multipaths",
		"!true":       "literals",
		`a\`:          "lone backslash",
	} {
		_, err := Compile(Config{Paths: rules(path)})
		if assert.Error(t, err, path) {
			assert.Contains(t, err.Error(), msg, path)
		}
	}
	// Escapes make those characters literal.
	r := mustCompile(t, Config{Paths: rules(`\@a.\#.\|`)})
	out, _, err := r.Apply(nil, []byte(`{"@a":{"#":{"|":1}}}`))
	require.NoError(t, err)
	assert.Equal(t, `{"@a":{"#":{"|":"[REDACTED]"}}}`, string(out))
}

func TestGlobMatch(t *testing.T) {
	for _, c := range []struct {
		p, s string
		ok   bool
	}{
		{"*", "", true}, {"*", "abc", true}, {"a*", "abc", true}, {"a*c", "abc", true}, {"a*c", "abd", false},
		{"?", "é", true}, {"??", "é", false}, {"a?c", "abc", true}, {"*b*", "abc", true}, {`a\*`, "a*", true},
		{`a\*`, "ab", false}, {"*x*y", "axbxcy", true}, {"a", "ab", false},
	} {
		assert.Equal(t, c.ok, globMatch(c.p, []byte(c.s)), "%q ~ %q", c.p, c.s)
	}
}

func TestUndeclared(t *testing.T) {
	fs := &FieldSet{Properties: map[string]*FieldSet{
		"id":       nil,
		"name":     nil,
		"accounts": {Items: &FieldSet{Properties: map[string]*FieldSet{"number": nil}}},
		"meta":     {Additional: true, Properties: map[string]*FieldSet{}},
	}}
	body := `{"id":1,"name":"a","is_admin":true,"accounts":[{"number":"1","balance":3},{"number":"2"}],"meta":{"x":1},"p\u0077":"x"}`
	got := Undeclared([]byte(body), fs)
	assert.Equal(t, []string{"/is_admin", "/accounts/0/balance", "/pw"}, got)
	assert.Nil(t, Undeclared([]byte(`{"id":1}`), fs))
	assert.Nil(t, Undeclared([]byte(`{"id":`), fs))

	r := mustCompile(t, Config{Fields: fs, Undeclared: UndeclaredStrip, Paths: rules("name")})
	out, rep, err := r.Apply(nil, []byte(body))
	require.NoError(t, err)
	assert.Equal(t, `{"id":1,"name":"[REDACTED]","accounts":[{"number":"1"},{"number":"2"}],"meta":{"x":1}}`, string(out))
	assert.Equal(t, 3, rep.Stripped)
	assert.Len(t, rep.Undeclared, 3)

	r = mustCompile(t, Config{Fields: fs, Undeclared: UndeclaredOff})
	assert.False(t, r.Active())
}

func TestHeaders(t *testing.T) {
	h := CompileHeaders(HeaderConfig{Remove: []string{"Server", "x-powered-by"}, Redact: []string{"set-cookie"}})
	for name, want := range map[string][2]bool{
		"server": {true, false}, "SERVER": {true, false}, "X-Powered-By": {true, false},
		"set-cookie": {false, true}, "Set-Cookie": {false, true}, "content-type": {false, false},
		strings.Repeat("A", 100): {false, false},
	} {
		rm, rp := h.Action(name)
		assert.Equal(t, want, [2]bool{rm, rp}, name)
	}
	rm, rp := Headers{}.Action("server")
	assert.False(t, rm || rp)
	assert.Zero(t, testing.AllocsPerRun(100, func() { h.Action("Set-Cookie") }))
}

func TestApplyAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	body := fixture(16 << 10)
	r := mustCompile(t, Config{Paths: rules("nothing.here"), Detectors: []DetectorConfig{{Name: "jwt"}, {Name: "private_key"}}})
	dst := make([]byte, 0, 2*len(body))
	assert.Zero(t, testing.AllocsPerRun(50, func() { _, _, _ = r.Apply(dst, body) }), "no hit, no allocation")
	r = mustCompile(t, Config{Paths: benchPaths, Detectors: allDetectors()})
	assert.LessOrEqual(t, testing.AllocsPerRun(50, func() { _, _, _ = r.Apply(dst, body) }), 2.0, "hits cost two allocations")
}

func TestConcurrentApply(t *testing.T) {
	r := mustCompile(t, Config{Paths: benchPaths, Detectors: allDetectors()})
	body := fixture(8 << 10)
	want, _, err := r.Apply(nil, body)
	require.NoError(t, err)
	done := make(chan []byte)
	for g := 0; g < 4; g++ {
		go func() {
			var out []byte
			for i := 0; i < 50; i++ {
				out, _, _ = r.Apply(nil, body)
			}
			done <- out
		}()
	}
	for g := 0; g < 4; g++ {
		assert.Equal(t, string(want), string(<-done))
	}
}
