package policy

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apiwarden/apiwarden/policy/sequence"
)

// hostile are values that reach JSON from a request: control characters,
// invalid UTF-8, an encoded surrogate, quotes, backslashes, markup.
var hostile = []string{"\x01", "\x00", "\x1f\x7f", "\xff", "\xed\xa0\x80", "a\"b", `a\b`, `\u0000`, "\"\\\"", "<script>&", "é😀", strings.Repeat("\xc3", 3)}

// TestStringParameterTakesAnyText is the regression for the Go-quoting bug:
// ?q=%01 or ?q=%FF on a type:string parameter was refused as "not valid
// JSON" (strconv.AppendQuote is not a JSON writer).
func TestStringParameterTakesAnyText(t *testing.T) {
	p, err := Compile([]byte(`{"endpoints":[{"id":"s","method":"GET","path":"/s/{id}","request":{"parameters":[
		{"name":"q","in":"query","schema":{"type":"string"}},
		{"name":"id","in":"path","schema":{"type":"string","maxLength":40}},
		{"name":"x-q","in":"header","schema":{"type":"string"}},
		{"name":"c","in":"cookie","schema":{"type":"string"}}]}}]}`))
	require.NoError(t, err)
	for _, q := range []string{"%01", "%FF", "%00", "%22", "%5C", "%5Cu0000", "%ED%A0%80", "%7F", "a%22b%5C"} {
		_, d := head(p, "GET", "/s/x%22y%5C?q="+q, [2]string{"x-q", "\x01\xff\"\\"}, [2]string{"cookie", "c=\xff\\\""})
		assert.Equal(t, Allow, d.Verdict, "q=%s: %+v", q, d)
	}
}

func TestEventsAndProblemsAreValidJSONWhateverTheValues(t *testing.T) {
	for _, v := range hostile {
		d := decide(ReasonInvalidParameter, "rule-"+v, ActionBlock, Enforce, "detail "+v)
		d.Violations = []Violation{{In: "query", Name: v, Pointer: "/" + v, Keyword: v, Message: v}}
		hit := sequence.Hit{Rule: v, Kind: sequence.KindRequires, Action: sequence.ActionBlock,
			Evidence: sequence.Evidence{Prior: []string{v}, MsSince: []sequence.OpTime{{Op: v, Seen: true, Ms: 1}}}}
		d.Evidence = hit.Evidence.AppendJSON(nil)
		e := Event{Method: v, Path: "/" + v, Route: v, Operation: v, Client: v, Session: v, Shadow: v, TraceID: v}
		for name, out := range map[string][]byte{
			"event":    AppendEvent(nil, &d, &e),
			"problem":  AppendProblem(nil, &d, v),
			"hit":      hit.AppendJSON(nil),
			"evidence": d.Evidence,
		} {
			assert.True(t, json.Valid(out), "%s with %q: %s", name, v, out)
			assert.True(t, utf8.Valid(out), "%s with %q", name, v)
			assert.NotContains(t, string(out), "\\ud8", "%s: no surrogate escapes", name)
		}
	}
}

func TestEventFieldsAreBounded(t *testing.T) {
	d := decide(ReasonUnknownEndpoint, "", ActionLog, Monitor, "")
	d.Violations = []Violation{{In: "query", Name: strings.Repeat("n", 5000), Keyword: "k"}}
	e := Event{Method: strings.Repeat("M", 50<<10), Path: "/" + strings.Repeat("é", 5000), Shadow: "/" + strings.Repeat("s", 5000)}
	line := AppendEvent(nil, &d, &e)
	assert.Less(t, len(line), 4096, "a 50 KB method and 10 KB path make a bounded event")
	var doc map[string]any
	require.NoError(t, json.Unmarshal(line, &doc))
	assert.Equal(t, "_LONG", doc["http.request.method"])
	assert.True(t, strings.HasSuffix(doc["url.path"].(string), "..."))
	assert.LessOrEqual(t, len(doc["url.path"].(string)), 1024)
	assert.True(t, utf8.ValidString(doc["url.path"].(string)), "cut at a rune boundary")
	assert.Equal(t, "GET", EventMethod("GET"))
	assert.Equal(t, "_LONG", EventMethod("GE T"))
	assert.Equal(t, "PROPFIND", EventMethod("PROPFIND"))
}
