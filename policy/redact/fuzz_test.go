package redact

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// fuzzPaths are the rules of the path redactor of FuzzRedact; a leading
// '-' means remove. None ends in '#', where gjson means "count".
var fuzzPaths = []string{"a", "a.b", "#.a", "d.#.e", "x.1", "k?y", "u.*", `p\.q`, "-c", "-f.#.g", "0", "-h.i"}

// Removing an array element shifts the next ones into its index, so no
// remove rule above addresses an index.

func fuzzRedactors(t testing.TB) (paths, detect *Redactor) {
	paths = mustCompile(t, Config{Paths: rules(fuzzPaths...)})
	detect = mustCompile(t, Config{
		Detectors:   allDetectors(),
		Scope:       ScopeMatch,
		ScanNumbers: true,
		Replacement: "#",
		Fields: &FieldSet{Properties: map[string]*FieldSet{
			"a": nil, "b": {Items: &FieldSet{Properties: map[string]*FieldSet{"c": nil}}},
		}},
		Undeclared: UndeclaredStrip,
		Paths:      rules("-a.b", "b.#.c"),
	})
	return paths, detect
}

func FuzzRedact(f *testing.F) {
	for _, s := range []string{
		`{"a":"x","c":1,"d":[{"e":1},{"e":[1]}],"x":[0,1,2],"kay":"v","u":{"1":2},"p.q":0}`,
		`[{"a":1},{"b":2},[{"a":3}]]`,
		`{"a":{"b":{"c":1}},"a":{"b":2},"f":[{"g":1,"h":2},{"g":2}],"h":{"i":1,"j":2}}`,
		`{"0":1,"1":2}`, `[0,1,2]`, ` {"c" : 1 , "c" : 2 } `,
		`{"a\u0062":1,"\ud83d\ude00":"\u00e9"}`,
		`{"m":"contact a@b.com","n":4111111111111111,"o":"123-45-6789 DE89 3704 0044 0532 0130 00"}`,
		`{"s":"Bearer abc.def-123456 \u0061@b.com \"quoted\""}`,
		`{"b":[{"c":1,"d":2}],"z":3}`,
		`"string"`, `123`, `null`, `[]`, `{}`, `{"a":[]}`,
		`{"a":1,}`, `[1,,2]`, `{"a"}`, `"\u12`, "\"\x00\"", `{"a":1}x`,
	} {
		f.Add([]byte(s))
	}
	pr, dr := fuzzRedactors(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		valid := gjson.ValidBytes(in)
		for _, r := range []*Redactor{pr, dr} {
			out, rep, err := r.Apply(nil, in)
			if err != nil {
				if valid && !errors.Is(err, ErrTooDeep) {
					t.Fatalf("valid input refused: %v", err)
				}
				if out != nil || rep.Changed || len(rep.Hits) > 0 {
					t.Fatalf("error with a partial result")
				}
				continue
			}
			if !valid {
				t.Fatalf("invalid input accepted: %q -> %q", in, out)
			}
			if !gjson.ValidBytes(out) {
				t.Fatalf("invalid output %q from %q", out, in)
			}
			if !utf8.Valid(out) || mayHaveLoneSurrogate(out) {
				t.Fatalf("output %q from %q is not I-JSON text", out, in)
			}
			if !rep.Changed && string(out) != string(in) {
				t.Fatalf("unchanged report but different output")
			}
		}
		if top := gjson.ParseBytes(in); !valid || !top.IsObject() && !top.IsArray() {
			return // gjson reads paths loosely inside scalars ("[0" has a "0")
		}
		out, _, err := pr.Apply(nil, in)
		if err != nil {
			return
		}
		for _, p := range fuzzPaths {
			remove := strings.HasPrefix(p, "-")
			p = strings.TrimPrefix(p, "-")
			orig := gjson.GetBytes(in, p)
			if !orig.Exists() {
				continue
			}
			after := gjson.GetBytes(out, p)
			if !after.Exists() {
				continue
			}
			if strings.Contains(p, "#") {
				for _, v := range after.Array() {
					if remove || v.Type != gjson.String || v.Str != DefaultReplacement {
						t.Fatalf("path %q keeps %s in %q (from %q)", p, v.Raw, out, in)
					}
				}
				continue
			}
			if remove || after.Type != gjson.String || after.Str != DefaultReplacement {
				t.Fatalf("path %q keeps %s in %q (from %q)", p, after.Raw, out, in)
			}
		}
	})
}

// mayHaveLoneSurrogate reports an unpaired surrogate escape, precisely.
func mayHaveLoneSurrogate(b []byte) bool {
	_, changed := toIJSON(nil, b)
	return changed
}
