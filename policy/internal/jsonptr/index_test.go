package jsonptr

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

// firstMembers is the oracle: gjson's own iteration, the first of
// duplicated keys kept.
func firstMembers(v gjson.Result) (keys []string, vals map[string]gjson.Result) {
	vals = map[string]gjson.Result{}
	v.ForEach(func(k, val gjson.Result) bool {
		if v.IsArray() {
			k.Str = strconv.Itoa(len(keys))
		}
		keys = append(keys, k.Str)
		if _, dup := vals[k.Str]; !dup {
			vals[k.Str] = val
		}
		return true
	})
	return keys, vals
}

// checkAgainstGjson compares every lookup of this package with gjson's
// iteration over the same container.
func checkAgainstGjson(t *testing.T, v gjson.Result) {
	t.Helper()
	keys, vals := firstMembers(v)
	assert.Equal(t, len(keys), Len(v), "Len")
	if v.IsObject() {
		var got []string
		EachKey(v, func(k string) bool { got = append(got, k); return true })
		assert.Equal(t, keys, got, "EachKey")
	}
	look := &Lookup{}
	for k, want := range vals {
		for name, child := range map[string]func(gjson.Result, string) (gjson.Result, bool){
			"Child": Child, "Lookup.Child": look.Child, "Index.Child": New(v).childOf(v)} {
			if v.IsArray() && name == "Lookup.Child" {
				continue // objects only
			}
			got, ok := child(v, k)
			if assert.True(t, ok, "%s(%q)", name, k) {
				assert.Equal(t, want.Raw, got.Raw, "%s(%q)", name, k)
				assert.Equal(t, want.Index, got.Index, "%s(%q) index", name, k)
				assert.Equal(t, want.Str, got.Str, "%s(%q) string", name, k)
			}
		}
	}
	_, ok := Child(v, "\x00absent")
	assert.False(t, ok)
}

// childOf is Index.Child for the root, asked twice (the second lookup is
// the one through the member map of a large object).
func (x *Index) childOf(root gjson.Result) func(gjson.Result, string) (gjson.Result, bool) {
	return func(_ gjson.Result, tok string) (gjson.Result, bool) {
		x.Child(root, "", tok)
		return x.Child(root, "", tok)
	}
}

func TestLookupsAgreeWithGjson(t *testing.T) {
	big := `{"pad":"` + strings.Repeat("x", 3000) + `",`
	for _, doc := range []string{
		`{}`, `[]`, `{"a":1}`, `[1,"two",{"3":[4]},null,true,false]`,
		`{"a":1,"a":2,"b":{"c":"d"}}`,
		`{"k\"ey":"v\\\"al","\u00e9":"\u00e9","":"empty","a/b":[1,{"~":2}]}`,
		` { "spaced" : [ 1 , 2 ] , "next" : "x\\\\" } `,
		`{"esc":"a\\\\","after":"b\"\\\\\"c"}`,
		`{"n":-1.5e+10,"t":true,"f":false,"z":null,"s":"}]{["}`,
		big + `"deep":{"x":[{"y":"}"}]},"deep":1,"last":"\\\\"}`,
	} {
		t.Run(doc[:min(len(doc), 24)], func(t *testing.T) {
			require.True(t, json.Valid([]byte(doc)))
			checkAgainstGjson(t, gjson.Parse(doc))
		})
	}
}

func TestIndexResolvesPointers(t *testing.T) {
	pad := strings.Repeat(`"p":0,`, 400) // a large object, indexed on the second lookup
	doc := `{` + pad + `"a/b":{"m~n":[10,{"x":"y"}]},"c":{` + pad + `"d":true,"d":false}}`
	x := New(gjson.Parse(doc))
	for ptr, want := range map[string]string{
		"": doc, "/a~1b/m~0n/1/x": `"y"`, "/a~1b/m~0n/0": `10`, "/c/d": `true`,
	} {
		for range 2 {
			v, _, ok := x.Resolve(ptr)
			require.True(t, ok, ptr)
			assert.Equal(t, want, v.Raw, ptr)
		}
	}
	_, canon, ok := x.Resolve("/a~1b/m~0n/1")
	require.True(t, ok)
	assert.Equal(t, "/a~1b/m~0n/1", canon)
	for _, ptr := range []string{"/nope", "/a~1b/m~0n/2", "/a~1b/m~0n/01", "/c/d/e", "/a~1b/m~0n/-1"} {
		_, _, ok := x.Resolve(ptr)
		assert.False(t, ok, ptr)
	}
	x.Seed("/seeded", gjson.Parse(`[1]`))
	v, _, ok := x.Resolve("/seeded")
	require.True(t, ok)
	assert.Equal(t, `[1]`, v.Raw)
}

// FuzzLookups checks every lookup against gjson's own iteration, for the
// root and each of its members, on any valid JSON.
func FuzzLookups(f *testing.F) {
	for _, s := range []string{`{"a":{"b":[1,2,{"c":"\\""}]},"a":0}`, `[[],{},"\\\\",-0.5e3]`, `{"\u0041":"é"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		if !json.Valid([]byte(doc)) {
			return
		}
		root := gjson.Parse(doc)
		if !root.IsObject() && !root.IsArray() {
			return
		}
		checkAgainstGjson(t, root)
		root.ForEach(func(_, v gjson.Result) bool {
			if v.IsObject() || v.IsArray() {
				checkAgainstGjson(t, v)
			}
			return true
		})
	})
}
