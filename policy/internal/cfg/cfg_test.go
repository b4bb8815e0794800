package cfg

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNodeReportsPathsForEveryProblem(t *testing.T) {
	var errs Errors
	root, err := Parse([]byte(`{"mode":"watch","seq":{"rules":[{"within":"5 minutes"},{"within":"5m","n":2.5}]},"extra":1,"mode":"x"}`), &errs)
	require.NoError(t, err)
	root.Object("mode", "seq")
	m, _ := root.Get("mode")
	m.Enum("monitor", "enforce")
	seq, _ := root.Get("seq")
	rules, _ := seq.Get("rules")
	items, ok := rules.Array()
	require.True(t, ok)
	for _, it := range items {
		w, _ := it.Get("within")
		w.Duration()
		if n, ok := it.Get("n"); ok {
			n.Int(0, 10)
		}
	}
	_, _ = root.Require("missing")
	got := errs.Err()
	require.Error(t, got)
	msg := got.Error()
	assert.Contains(t, msg, `mode: duplicate key`)
	assert.Contains(t, msg, `extra: unknown key (want one of mode, seq)`)
	assert.Contains(t, msg, `mode: want one of "monitor", "enforce", got "watch"`)
	assert.Contains(t, msg, `seq.rules[0].within: want a positive duration like "5m", got "5 minutes"`)
	assert.Contains(t, msg, `seq.rules[1].n: want an integer, got 2.5`)
	assert.Contains(t, msg, `missing: required`)
	assert.NotContains(t, msg, `seq.rules[1].within`)
}

func TestParseRefusesWhatJSONForbids(t *testing.T) {
	for doc, want := range map[string]string{
		"{\"name\":\"caf\xe9\"}": "not UTF-8 at byte 12",
		"{\"a\":\"x\x03y\"}":     "control char",
		"{\"\x1f\":1}":           "control char",
		"{\"a\":\"\\\"\x01\"}":   "control char",
		// What fastjson's validator lets through (found by
		// FuzzReadsWhatEncodingJSONReads).
		"\"\x03\\b\"": "a control character (0x03) inside a string at byte 1",
	} {
		var errs Errors
		_, err := Parse([]byte(doc), &errs)
		if assert.Error(t, err, "%q", doc) {
			assert.Contains(t, err.Error(), want, "%q", doc)
		}
	}
	var errs Errors
	_, err := Parse([]byte(`{"a":"tab\there \u00e9 café","b":"\u0001"}`), &errs)
	assert.NoError(t, err, "escaped control characters and UTF-8 are fine")
}

func TestParseSyntaxError(t *testing.T) {
	var errs Errors
	_, err := Parse([]byte(`{"mode":`), &errs)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "configuration is not valid JSON")
}

func TestTypeMismatchMessages(t *testing.T) {
	var errs Errors
	root, err := Parse([]byte(`{"a":"x","b":1,"c":[1],"d":true}`), &errs)
	require.NoError(t, err)
	a, _ := root.Get("a")
	a.Bool()
	b, _ := root.Get("b")
	b.String()
	c, _ := root.Get("c")
	c.Strings()
	d, _ := root.Get("d")
	d.Array()
	msg := errs.Err().Error()
	assert.Contains(t, msg, "a: want a boolean, got a string")
	assert.Contains(t, msg, "b: want a string, got a number")
	assert.Contains(t, msg, "c[0]: want a string, got a number")
	assert.Contains(t, msg, "d: want an array, got a boolean")
}

func TestErrorsAreBounded(t *testing.T) {
	var errs Errors
	for i := 0; i < MaxErrors+5; i++ {
		errs.Addf("x", "bad")
	}
	assert.Equal(t, MaxErrors+5, errs.Len())
	assert.Contains(t, errs.Err().Error(), "... and 5 more problems")
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"a":[1,{"b":"5m"}]}`))
	f.Add([]byte(`{"a":`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var errs Errors
		root, err := Parse(data, &errs)
		if err != nil {
			return
		}
		root.Object("a")
		if a, ok := root.Get("a"); ok {
			if items, ok := a.Array(); ok {
				for _, it := range items {
					it.Duration()
					it.Int(0, 5)
					it.Strings()
				}
			}
		}
		_ = errs.Err()
	})
}

func TestReasonsCountEveryProblem(t *testing.T) {
	var errs Errors
	for i := 0; i < 30; i++ {
		errs.Addf(fmt.Sprintf("paths./a%d.get", i), "media type %q is declared twice", fmt.Sprintf("x/%d", i))
	}
	errs.Addf("info.title", "want a string, got a number")
	err := errs.Err()
	if got := strings.Count(err.Error(), "\n") + 1; got != MaxErrors+1 {
		t.Errorf("%d lines, want %d (the first problems and a summary)", got, MaxErrors+1)
	}
	var r interface{ Reasons() []string }
	if !errors.As(err, &r) {
		t.Fatal("no Reasons")
	}
	want := []string{
		`30x media type "…" is declared twice (first: paths./a0.get: media type "x/0" is declared twice)`,
		`1x want a string, got a number (first: info.title: want a string, got a number)`,
	}
	if got := r.Reasons(); !reflect.DeepEqual(got, want) {
		t.Errorf("Reasons:\n got %q\nwant %q", got, want)
	}
}

// FuzzReadsWhatEncodingJSONReads checks the reader against the standard
// library on any document both accept: every member of the root object
// in order (duplicates included), Get finding the first of a duplicated
// key, and each member's kind and value (strings, integers, booleans,
// array lengths) as encoding/json decodes them.
func FuzzReadsWhatEncodingJSONReads(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"b":"5m"}],"a":2,"s":"\u00e9\n","n":-3,"t":true,"z":null}`, `{"k\"":"v","":{}}`, `[1,2]`, `"x"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var errs Errors
		root, err := Parse(data, &errs)
		// encoding/json reads invalid UTF-8 as U+FFFD; the reader refuses it.
		if want := json.Valid(data) && utf8.Valid(data); (err == nil) != want {
			t.Fatalf("Parse error %v, want valid %v", err, want)
		}
		if err != nil || !root.IsObject() {
			return
		}
		// The members in order, from encoding/json's token stream.
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if _, err := dec.Token(); err != nil {
			t.Fatal(err)
		}
		var keys []string
		var vals []any
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				t.Fatal(err)
			}
			var v any
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
			keys, vals = append(keys, k.(string)), append(vals, v)
		}
		assert.Equal(t, keys, root.Keys(), "Keys")
		var got []string
		root.Members(func(k string, _ Node) { got = append(got, k) })
		assert.Equal(t, keys, got, "Members")
		first := map[string]bool{}
		for i, k := range keys {
			if first[k] {
				continue
			}
			first[k] = true
			n, ok := root.Get(k)
			require.True(t, ok, "Get(%q)", k)
			checkValue(t, k, n, vals[i])
		}
	})
}

// checkValue compares a node with encoding/json's decoding of it.
func checkValue(t *testing.T, k string, n Node, want any) {
	t.Helper()
	switch w := want.(type) {
	case string:
		s, ok := n.String()
		if assert.True(t, ok, "%q is a string", k) && utf8.ValidString(w) {
			assert.Equal(t, w, s, "%q", k)
		}
	case bool:
		b, ok := n.Bool()
		assert.True(t, ok, "%q is a boolean", k)
		assert.Equal(t, w, b, "%q", k)
	case json.Number:
		assert.Equal(t, "a number", n.Kind(), "%q", k)
		if i, err := strconv.ParseInt(string(w), 10, 64); err == nil && i > -1<<53 && i < 1<<53 {
			got, ok := n.Int(math.MinInt64, math.MaxInt64)
			assert.True(t, ok, "%q is an integer", k)
			assert.Equal(t, i, got, "%q", k)
		}
	case []any:
		items, ok := n.Array()
		assert.True(t, ok, "%q is an array", k)
		assert.Len(t, items, len(w), "%q", k)
	case map[string]any:
		assert.True(t, n.IsObject(), "%q is an object", k)
	case nil:
		assert.True(t, n.IsNull(), "%q is null", k)
	}
}

// TestControlInStringAtEveryOffset moves a control character, a quote and
// a backslash across the eight-byte words controlInString reads.
func TestControlInStringAtEveryOffset(t *testing.T) {
	for pos := 0; pos < 40; pos++ {
		pad := strings.Repeat("x", pos)
		doc := `{"a":"` + pad + "\x01" + strings.Repeat("y", 20) + `"}`
		assert.Equal(t, 6+pos, controlInString([]byte(doc)), "control at %d", pos)
		ok := `{"a":"` + pad + `\"\\` + strings.Repeat("y", 20) + `", "b": [1, 2]` + "\n\t" + pad + `}`
		assert.Equal(t, -1, controlInString([]byte(ok)), "escapes at %d", pos)
		after := `{"a":"` + pad + `\"` + "\x1f" + `"}`
		assert.Equal(t, 6+pos+2, controlInString([]byte(after)), "control after an escaped quote at %d", pos)
	}
	raw, err := os.ReadFile("../../openapi/testdata/github.json")
	require.NoError(t, err)
	assert.NoError(t, Check(raw), "a real, pretty-printed document")
}
