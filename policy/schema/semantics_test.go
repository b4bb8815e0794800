package schema

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	strict  = Semantics{Dir: Request, Numbers: Float64, StrictText: true}
	exactly = Semantics{Dir: Request, Numbers: Exact}
)

func TestScanNumbers(t *testing.T) {
	zeros330 := "0." + strings.Repeat("0", 330) + "1"
	cases := []struct {
		in, pointer, msg string
	}{
		{`{"amount":1e-400}`, "/amount", "number becomes 0 as a float64"},
		{`{"amount":-1e-400}`, "/amount", "number becomes 0 as a float64"},
		{`{"amount":0.1e-99999999999999999999}`, "/amount", "number becomes 0 as a float64"},
		{`{"amount":` + zeros330 + `}`, "/amount", "number becomes 0 as a float64"},
		{`{"amount":1e400}`, "/amount", "number overflows a float64"},
		{`[1,2,{"x":[-1.8e308]}]`, "/2/x/0", "number overflows a float64"},
		{`{"a":{"b":2e-324}}`, "/a/b", "number becomes 0 as a float64"},
	}
	for _, c := range cases {
		v, ok := Scan([]byte(c.in), strict)
		require.False(t, ok, c.in)
		assert.Equal(t, Violation{Pointer: c.pointer, Keyword: KeywordFloat64, Message: c.msg}, v, c.in)
		_, ok = Scan([]byte(c.in), exactly)
		assert.True(t, ok, "exact numbers accept %s", c.in)
	}
	for _, in := range []string{`0`, `-0`, `0.0e-999`, `5e-324`, `1.7976931348623157e308`, `{"a":"1e-400"}`, `[0.0000]`, `-0.0`} {
		_, ok := Scan([]byte(in), strict)
		assert.True(t, ok, in)
	}
}

func TestScanText(t *testing.T) {
	cases := []struct {
		in, pointer, kw string
	}{
		{`{"to":"\ud800"}`, "/to", KeywordSurrogate},
		{`{"to":"\udc00x"}`, "/to", KeywordSurrogate},
		{`{"to":"\ud800\u0041"}`, "/to", KeywordSurrogate},
		{`{"to":"a\ud83d"}`, "/to", KeywordSurrogate},
		{"{\"to\":\"\xff\"}", "/to", KeywordUTF8},
		{"{\"to\":\"\xed\xa0\x80\"}", "/to", KeywordUTF8}, // a surrogate encoded in UTF-8
		{"{\"to\":\"\xc0\xaf\"}", "/to", KeywordUTF8},     // overlong '/'
		{"[\"ok\",\"\xe2\x82\"]", "/1", KeywordUTF8},      // truncated
		{`{"\udfff":1}`, "/\ufffd", KeywordSurrogate},     // member names too
		{"{\"k\xff\":1}", "/k\xff", KeywordUTF8},          // the event writer escapes it
	}
	for _, c := range cases {
		v, ok := Scan([]byte(c.in), strict)
		require.False(t, ok, "%q", c.in)
		assert.Equal(t, c.kw, v.Keyword, "%q", c.in)
		assert.Equal(t, c.pointer, v.Pointer, "%q", c.in)
		_, ok = Scan([]byte(c.in), Semantics{Numbers: Float64})
		assert.True(t, ok, "lax text accepts %q", c.in)
	}
	for _, in := range []string{`"\ud83d\ude00"`, `"😀"`, `"\u00e9\\ud800"`, `{"a\"\\":"\\"}`, `"\uFFFD"`, `"é"`} {
		_, ok := Scan([]byte(in), strict)
		assert.True(t, ok, in)
	}
}

// TestFloat64Bounds pins bounds compared on the value a float64 backend
// holds, next to the exact reading.
func TestFloat64Bounds(t *testing.T) {
	s := mustCompile(t, `{"type":"number","exclusiveMinimum":0,"maximum":1000000}`, "", Options{Dialect: OpenAPI31})
	cases := []struct {
		in           string
		exact, float bool
	}{
		{"1000000.00000000001", false, true}, // float64 reads 1000000
		{"1000000.0000000001", false, false}, // float64 reads 1000000.0000000001164
		{"1e6", true, true},
		{"0.5", true, true},
		{"1000001", false, false},
		{"0", false, false},
	}
	for _, c := range cases {
		assert.Equal(t, c.exact, len(s.ValidateWith([]byte(c.in), exactly, 4, nil)) == 0, "exact %s", c.in)
		assert.Equal(t, c.float, len(s.ValidateWith([]byte(c.in), strict, 4, nil)) == 0, "float64 %s", c.in)
	}
	// Integer literals within int64 pass both readings: an int64 backend
	// sees 2^53+1 above 2^53.
	i := mustCompile(t, `{"type":"integer","maximum":9007199254740992}`, "", Options{Dialect: OpenAPI31})
	assert.NotEmpty(t, i.ValidateWith([]byte("9007199254740993"), strict, 4, nil))
	assert.Empty(t, i.ValidateWith([]byte("9007199254740992"), strict, 4, nil))
	// multipleOf on the float64's shortest decimal.
	m := mustCompile(t, `{"multipleOf":0.01}`, "", Options{Dialect: OpenAPI31})
	assert.Empty(t, m.ValidateWith([]byte("12.34000000000000001"), strict, 4, nil))
	assert.NotEmpty(t, m.ValidateWith([]byte("12.34000000000000001"), exactly, 4, nil))
	assert.NotEmpty(t, m.ValidateWith([]byte("12.345"), strict, 4, nil))
}

// TestFloat64Differential generates several hundred number literals and
// checks the property that matters: whenever Float64 semantics accept a
// number against {"exclusiveMinimum": 0, "maximum": 1000}, the float64 Go's
// encoding/json gives the backend satisfies the same bounds.
func TestFloat64Differential(t *testing.T) {
	s := mustCompile(t, `{"type":"object","properties":{"amount":{"type":"number","exclusiveMinimum":0,"maximum":1000}}}`, "", Options{Dialect: OpenAPI31})
	accepted := 0
	for _, lit := range numberVariants() {
		body := []byte(`{"amount":` + lit + `}`)
		if !json.Valid(body) {
			continue
		}
		if _, ok := Scan(body, strict); !ok {
			continue
		}
		if len(s.ValidateWith(body, strict, 4, nil)) != 0 {
			continue
		}
		accepted++
		var got struct{ Amount float64 }
		require.NoError(t, json.Unmarshal(body, &got), lit)
		assert.True(t, got.Amount > 0 && got.Amount <= 1000, "%s accepted but the backend holds %v", lit, got.Amount)
	}
	assert.Greater(t, accepted, 50)
}

// numberVariants are literals around the edges: tiny, huge, long, signed,
// and near the bounds 0 and 1000.
func numberVariants() []string {
	var out []string
	for _, m := range []string{"1", "0.1", "9.99", "5", "0.0000001", "1000", "999.9999999999999999", "1000.0000000000001", "1000.00000000000001", "-0", "0"} {
		for _, e := range []string{"", "e0", "e-1", "e1", "e-308", "e-320", "e-324", "e-330", "e-400", "e308", "e309", "e-99999999999999999999", "E+2", "e-2"} {
			out = append(out, m+e, "-"+m+e)
		}
	}
	for n := 300; n <= 340; n += 4 {
		out = append(out, "0."+strings.Repeat("0", n)+"1")
	}
	for i := 0; i < 60; i++ {
		f := math.Ldexp(1, -1080+i*40)
		out = append(out, strconv.FormatFloat(f, 'g', -1, 64), fmt.Sprintf("%.30e", f))
	}
	return out
}

// FuzzScan: arbitrary JSON through Scan. Whenever strict text is accepted,
// Go's encoding/json decodes every string without inventing U+FFFD; and
// whenever Float64 numbers are accepted, no number decodes to an infinity
// or to a zero that was not written as one.
func FuzzScan(f *testing.F) {
	for _, s := range []string{`{"a":"\ud800"}`, `[1e-400]`, "\"\xff\"", `{"x":[1,2,{"y":"z"}]}`, `"\ud83d\ude00"`, `1e309`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if !json.Valid(in) {
			return
		}
		_, ok := Scan(in, strict)
		if !ok {
			return
		}
		var v any
		if err := json.Unmarshal(in, &v); err != nil {
			t.Fatalf("accepted %q but encoding/json refuses it: %v", in, err)
		}
		if !strings.Contains(string(in), "\uFFFD") && !strings.Contains(strings.ToLower(string(in)), `\ufffd`) {
			walkStrings(v, func(s string) {
				if strings.ContainsRune(s, utf8.RuneError) {
					t.Fatalf("accepted %q but the backend gets U+FFFD in %q", in, s)
				}
			})
		}
	})
}

func walkStrings(v any, f func(string)) {
	switch x := v.(type) {
	case string:
		f(x)
	case []any:
		for _, e := range x {
			walkStrings(e, f)
		}
	case map[string]any:
		for k, e := range x {
			f(k)
			walkStrings(e, f)
		}
	}
}
