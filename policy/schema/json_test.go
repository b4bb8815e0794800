package schema

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIter(t *testing.T) {
	raw := `{ "a\"b" : "x\\" , "c":[1,{"d":"]}"}], "e\\\\":-1.5e3 ,"f":{}}`
	it := newIter(raw)
	var keys, vals []string
	for {
		k, v, ok := it.next(true)
		if !ok {
			break
		}
		keys = append(keys, unquote(k))
		vals = append(vals, v)
	}
	assert.Equal(t, []string{`a"b`, "c", `e\\`, "f"}, keys)
	assert.Equal(t, []string{`"x\\"`, `[1,{"d":"]}"}]`, `-1.5e3`, `{}`}, vals)

	// Malformed input stops instead of panicking or looping.
	for _, bad := range []string{`{"a`, `{"a":`, `[1,`, `{"a" 1}`, `["\`, `[{]`, `{`, `[`} {
		it := newIter(bad)
		for i := 0; i < 10; i++ {
			it.next(bad[0] == '{')
		}
	}
}

func TestRuneCount(t *testing.T) {
	for raw, want := range map[string]int{
		`""`: 0, `"abc"`: 3, `"é"`: 1, `"💩"`: 1, `"\n\t"`: 2, `"\u00e9"`: 1,
		`"\ud83d\udca9"`: 1, `"\ud83d"`: 1, `"\\u0041"`: 6, `"a\"b"`: 3,
	} {
		assert.Equal(t, want, runeCount(raw), raw)
	}
}

func TestDecimal(t *testing.T) {
	ordered := []string{"-1e400", "-18446744073709551616", "-1.5", "-1", "-0.1", "0", "-0", "0.0e10",
		"1e-400", "0.1", "1", "1.0", "10e-1", "1.5", "2", "18446744073709551615", "18446744073709551616", "1e400"}
	for i, a := range ordered {
		for j, b := range ordered {
			da, db := parseDecimal(a), parseDecimal(b)
			got := cmpDecimal(&da, &db)
			ia, ib := rank(ordered, a), rank(ordered, b)
			want := 0
			if ia < ib {
				want = -1
			} else if ia > ib {
				want = 1
			}
			require.Equal(t, want, got, "%s vs %s (%d,%d)", a, b, i, j)
		}
	}
	for s, want := range map[string]bool{"1": true, "1.0": true, "1.5": false, "1e2": true, "1.25e1": false, "125e-2": false, "1e400": true, "0.0": true} {
		d := parseDecimal(s)
		assert.Equal(t, want, d.isInteger(), s)
	}
	for s, want := range map[string]bool{"2147483647": true, "2147483648": false, "-2147483648": true, "-2147483649": false, "2.147483647e9": true, "1e10": false} {
		d := parseDecimal(s)
		assert.Equal(t, want, fitsInt(&d, 32), s)
	}
}

// rank groups equal numbers: values equal to each other share a rank.
func rank(ordered []string, s string) int {
	eq := map[string]string{"-0": "0", "0.0e10": "0", "1.0": "1", "10e-1": "1"}
	if c, ok := eq[s]; ok {
		s = c
	}
	for i, o := range ordered {
		if o == s {
			return i
		}
	}
	panic(s)
}

func TestEqualJSON(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		eq   bool
	}{
		{`1`, `1.0`, true}, {`{"a":1,"b":[2]}`, ` {"b":[2.0],"a":1} `, true}, {`{"a":1}`, `{"a":1,"b":2}`, false},
		{`"\u0041"`, `"A"`, true}, {`[1,2]`, `[2,1]`, false}, {`[]`, `{}`, false}, {`true`, `1`, false},
		{`null`, `null`, true}, {`[[]]`, `[[],[]]`, false},
	} {
		assert.Equal(t, tc.eq, equalJSON(tc.a, tc.b), "%s %s", tc.a, tc.b)
		if tc.eq {
			assert.Equal(t, hashJSON(tc.a), hashJSON(tc.b), "%s %s", tc.a, tc.b)
		}
	}
}

// TestImports enforces the package contract: only the standard library,
// the JSON libraries and the shared kernel (a leaf), and no file-system or
// process access outside tests.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	allowed := map[string]bool{"github.com/tidwall/gjson": true, "github.com/valyala/fastjson": true,
		"github.com/apiwarden/apiwarden/policy/kernel": true, "github.com/apiwarden/apiwarden/policy/internal/jsonptr": true}
	forbidden := map[string]bool{"os": true, "os/exec": true, "io/fs": true, "path/filepath": true, "net/http": true, "syscall": true}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		require.NoError(t, err)
		for _, imp := range parsed.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			first := strings.Split(path, "/")[0]
			if strings.Contains(first, ".") && !allowed[path] {
				t.Errorf("%s imports %s: only the standard library, gjson/fastjson, policy/kernel and policy/internal/jsonptr are allowed", f, path)
			}
			if forbidden[path] {
				t.Errorf("%s imports %s: no file-system or process access in non-test code", f, path)
			}
		}
	}
}
