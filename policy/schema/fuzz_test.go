package schema

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// FuzzCompile: arbitrary schema documents never panic, in any dialect, and
// whatever compiles validates a few instances without panicking.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		`{}`, `true`, `false`, `[]`, `{"$ref":"#"}`, `{"items":{"$ref":"#"}}`,
		`{"$ref":"#/$defs/a","$defs":{"a":{"$ref":"#/$defs/a"}}}`,
		`{"$ref":"#/definitions/a~0b%25","definitions":{"a~b%":{"type":"string"}}}`,
		`{"type":["integer","null"],"minimum":1e999,"multipleOf":1e-999}`,
		`{"properties":{"a":{"readOnly":true}},"required":["a"],"dependentRequired":{"a":["b"]}}`,
		`{"pattern":"(?=x)","patternProperties":{"[":{}}}`,
		`{"items":[{},{}],"additionalItems":false,"exclusiveMinimum":true,"minimum":0}`,
		`{"allOf":[{"$ref":"#/allOf/1"},{"$ref":"#/allOf/0"}]}`,
		`{"enum":[1,"a",{"b":[null]}],"const":1.0,"uniqueItems":true}`,
		bankDoc,
	} {
		f.Add([]byte(s))
	}
	instances := [][]byte{[]byte(`null`), []byte(`{"a":[1,{"b":"c"}]}`), []byte(`[1,1.0,"x"]`), []byte(`"2024-01-01"`)}
	f.Fuzz(func(t *testing.T, doc []byte) {
		for _, d := range []Dialect{OpenAPI30, OpenAPI31, Draft4, Draft2020} {
			s, err := Compile(doc, "", Options{Dialect: d})
			if err != nil {
				if s != nil {
					t.Fatal("schema and error")
				}
				continue
			}
			for _, in := range instances {
				s.Validate(in, Request, 10, nil)
				s.Validate(in, Response, 10, nil)
			}
		}
	})
}

// FuzzValidate: arbitrary instances (invalid, deeply nested, odd numbers
// and escapes) never panic, respect the violation budget, and Valid agrees
// with Validate.
func FuzzValidate(f *testing.F) {
	tree := `{"$defs":{"node":{"type":"object","properties":{"value":{"type":"integer","multipleOf":3},
		"name":{"type":"string","minLength":1,"maxLength":4,"pattern":"^[a-z]","format":"hostname"},
		"tags":{"type":"array","uniqueItems":true,"items":{"enum":[1,"a",{"x":[1]}]}},
		"children":{"type":"array","items":{"$ref":"#/$defs/node"}}},
		"additionalProperties":{"anyOf":[{"type":"number","minimum":-1e3},{"type":"string","format":"date-time"}]},
		"oneOf":[{"required":["value"]},{"required":["name"]}]}},"$ref":"#/$defs/node"}`
	schemas := []*Schema{
		mustCompile(f, bankDoc, "/components/schemas/Transfer", Options{}),
		mustCompile(f, tree, "", Options{Dialect: OpenAPI31}),
		mustCompile(f, `{"items":{"$ref":"#"},"additionalProperties":{"$ref":"#"}}`, "", Options{Dialect: OpenAPI31, MaxDepth: 1000}),
	}
	for _, s := range []string{
		`{"from":"DE44500105175407324931","to":"CH9300762011623852957","amount":{"value":12.5,"currency":"EUR"}}`,
		`{"value":3,"children":[{"name":"a\u00e9","tags":[1,"a",{"x":[1.0]}]},{"value":1e400}]}`,
		strings.Repeat("[", 100) + strings.Repeat("]", 100),
		`{"a":"\ud800","b":-0.0e-0,"c":"x\"y"}`,
		`[1,2`, ``, `   `, `"unterminated`, `{"a":}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, s := range schemas {
			for _, max := range []int{1, 3} {
				out := s.Validate(in, Request, max, nil)
				if len(out) > max {
					t.Fatalf("%d violations, max %d", len(out), max)
				}
				if s.Valid(in, Response) != (len(s.Validate(in, Response, 1, nil)) == 0) {
					t.Fatal("Valid disagrees with Validate")
				}
				for _, v := range out {
					if v.Keyword == "" || v.Message == "" {
						t.Fatalf("incomplete violation %+v", v)
					}
				}
			}
			if gjson.ValidBytes(in) && maxDepth(string(in), 1<<30) <= DefaultMaxDepth {
				s.ValidateResult(gjson.ParseBytes(in), Request, 5, nil)
			}
		}
	})
}
