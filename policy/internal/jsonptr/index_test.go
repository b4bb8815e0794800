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

// firstMembers is the oracle: gjson's own iteration (every member in
// order, and by key the first of duplicated keys).
func firstMembers(v gjson.Result) (keys []string, all []gjson.Result, vals map[string]gjson.Result) {
	vals = map[string]gjson.Result{}
	v.ForEach(func(k, val gjson.Result) bool {
		if v.IsArray() {
			k.Str = strconv.Itoa(len(keys))
		}
		keys, all = append(keys, k.Str), append(all, val)
		if _, dup := vals[k.Str]; !dup {
			vals[k.Str] = val
		}
		return true
	})
	return keys, all, vals
}

// checkAgainstGjson compares every lookup of this package, without a
// tape and with tape (the document's Tape, or nil), with gjson's
// iteration over the same container.
func checkAgainstGjson(t *testing.T, v gjson.Result, tape *Tape) {
	t.Helper()
	keys, all, vals := firstMembers(v)
	assert.Equal(t, len(keys), Len(v), "Len")
	var got []string
	var gotVals []gjson.Result
	if v.IsObject() {
		tape.EachKey(v, func(k string) bool { got = append(got, k); return true })
		assert.Equal(t, keys, got, "EachKey")
		got = got[:0]
		tape.Members(v, func(k string, val gjson.Result) bool {
			got, gotVals = append(got, k), append(gotVals, val)
			return true
		})
	} else {
		tape.Elements(v, func(val gjson.Result) bool {
			got, gotVals = append(got, strconv.Itoa(len(got))), append(gotVals, val)
			return true
		})
	}
	assert.Equal(t, keys, got, "Members/Elements keys")
	if assert.Len(t, gotVals, len(all)) {
		for i, want := range all {
			assert.Equal(t, want.Raw, gotVals[i].Raw, "Members/Elements value %d", i)
			assert.Equal(t, want.Index, gotVals[i].Index, "Members/Elements index %d", i)
			assert.Equal(t, want.Str, gotVals[i].Str, "Members/Elements string %d", i)
		}
	}
	look := NewLookup(tape)
	for k, want := range vals {
		for name, child := range map[string]func(gjson.Result, string) (gjson.Result, bool){
			"Child": Child, "Tape.Child": tape.Child, "Lookup.Child": look.Child, "Index.Child": New(v, tape).childOf(v)} {
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
		long(),
	} {
		t.Run(doc[:min(len(doc), 24)], func(t *testing.T) {
			require.True(t, json.Valid([]byte(doc)))
			checkAgainstGjson(t, gjson.Parse(doc), nil)
			checkAgainstGjson(t, gjson.Parse(doc), NewTape(doc))
		})
	}
}

// long is a document whose values are mostly longer than the tape's
// minimum: nested containers, strings with escapes and backslash runs.
func long() string {
	s := strings.Repeat(`\"quoted\" and \\ `, 8)
	inner := `{"text":"` + s + `","list":["` + s + `",{"k":"` + s + `"},[1,2,3,"` + s + `"]]}`
	return `{"a":` + inner + `,"b":[` + inner + `,` + inner + `],"c":{"` + s + `":` + inner + `},"d":"` + s + `"}`
}

func TestIndexResolvesPointers(t *testing.T) {
	pad := strings.Repeat(`"p":0,`, 400) // a large object, indexed on the second lookup
	doc := `{` + pad + `"a/b":{"m~n":[10,{"x":"y"}]},"c":{` + pad + `"d":true,"d":false}}`
	x := New(gjson.Parse(doc), NewTape(doc))
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
	f.Add(long()) // long values: the tape is used
	f.Fuzz(func(t *testing.T, doc string) {
		if !json.Valid([]byte(doc)) {
			return
		}
		root := gjson.Parse(doc)
		if !root.IsObject() && !root.IsArray() {
			return
		}
		tape := NewTape(doc)
		checkAgainstGjson(t, root, nil)
		checkAgainstGjson(t, root, tape)
		root.ForEach(func(_, v gjson.Result) bool {
			if v.IsObject() || v.IsArray() {
				checkAgainstGjson(t, v, nil)
				checkAgainstGjson(t, v, tape)
			}
			return true
		})
	})
}

// TestTapeRecordsLongValues checks every entry of a tape against a scan:
// ascending starts, each one a container of at least tapeMin
// bytes that ends where scanning it ends.
func TestTapeRecordsLongValues(t *testing.T) {
	doc := long()
	tape := NewTape(doc)
	require.Greater(t, len(tape.starts), 10)
	for k, start := range tape.starts {
		if k > 0 {
			assert.Less(t, tape.starts[k-1], start)
		}
		assert.Contains(t, `{[`, string(doc[start]))
		assert.Equal(t, skipValue(doc, int(start)), int(tape.ends[k]), "entry at %d", start)
		assert.GreaterOrEqual(t, int(tape.ends[k]-start), tapeMin)
	}
	// A view of another text is scanned, not looked up.
	other := strings.Clone(doc)
	assert.Equal(t, len(other), tape.skip(other, 0))
}
