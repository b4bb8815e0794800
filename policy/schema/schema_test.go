package schema

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

func mustCompile(t testing.TB, doc, at string, opts Options) *Schema {
	t.Helper()
	s, err := Compile([]byte(doc), at, opts)
	require.NoError(t, err)
	return s
}

func violations(s *Schema, instance string, dir Direction) []Violation {
	return s.Validate([]byte(instance), dir, 100, nil)
}

func TestViolationPointer(t *testing.T) {
	s := mustCompile(t, `{"type":"object","properties":{"amount":{"type":"number"}}}`, "", Options{})
	got := violations(s, `{"amount":"12"}`, Request)
	require.Len(t, got, 1)
	assert.Equal(t, Violation{Pointer: "/amount", Keyword: "type", Message: "want number, got string",
		SchemaPath: "/properties/amount/type"}, got[0])
	assert.Equal(t, "/amount: want number, got string (type at /properties/amount/type)", got[0].String())
	assert.Empty(t, violations(s, `{"amount":12}`, Request))
}

func TestPointerEscaping(t *testing.T) {
	s := mustCompile(t, `{"additionalProperties":{"type":"integer"}}`, "", Options{Dialect: OpenAPI31})
	got := violations(s, `{"a/b~c":1.5,"x\"y":true}`, Request)
	require.Len(t, got, 2)
	assert.Equal(t, "/a~1b~0c", got[0].Pointer)
	assert.Equal(t, `/x"y`, got[1].Pointer)
	assert.Equal(t, "/additionalProperties/type", got[0].SchemaPath)
}

// An empty enum constrains nothing in the OpenAPI dialects (doc.go) and
// refuses everything in plain draft 2020-12.
func TestEmptyEnum(t *testing.T) {
	doc := `{"type":"string","enum":[],"allOf":[{"enum":["open","closed"]}]}`
	for _, d := range []Dialect{OpenAPI30, OpenAPI31} {
		s := mustCompile(t, doc, "", Options{Dialect: d})
		assert.Empty(t, violations(s, `"open"`, Request), d)
		got := violations(s, `"other"`, Request)
		require.Len(t, got, 1, d)
		assert.Equal(t, "/allOf/0/enum", got[0].SchemaPath, "the real constraint still applies")
	}
	s := mustCompile(t, doc, "", Options{Dialect: Draft2020})
	require.NotEmpty(t, violations(s, `"open"`, Request))
	assert.Equal(t, "enum", violations(s, `"open"`, Request)[0].Keyword)
}

func TestNullable(t *testing.T) {
	tests := []struct {
		name   string
		schema string
		d      Dialect
		inst   string
		valid  bool
	}{
		{"3.0 nullable accepts null", `{"type":"string","nullable":true}`, OpenAPI30, `null`, true},
		{"3.0 nullable still checks type", `{"type":"string","nullable":true}`, OpenAPI30, `1`, false},
		{"3.0 without nullable refuses null", `{"type":"string"}`, OpenAPI30, `null`, false},
		{"3.0 nullable false refuses null", `{"type":"string","nullable":false}`, OpenAPI30, `null`, false},
		{"3.0 enum without null refuses null", `{"type":"string","nullable":true,"enum":["a"]}`, OpenAPI30, `null`, false},
		{"3.0 enum with null accepts null", `{"type":"string","nullable":true,"enum":["a",null]}`, OpenAPI30, `null`, true},
		{"3.1 nullable is not a keyword", `{"type":"string","nullable":true}`, OpenAPI31, `null`, false},
		{"3.1 type array", `{"type":["string","null"]}`, OpenAPI31, `null`, true},
		{"3.1 type array refuses others", `{"type":["string","null"]}`, OpenAPI31, `true`, false},
		{"integer accepts 1.0", `{"type":"integer"}`, OpenAPI30, `1.0`, true},
		{"integer accepts 1e2", `{"type":"integer"}`, OpenAPI31, `1e2`, true},
		{"integer refuses 1.5", `{"type":"integer"}`, OpenAPI31, `1.5`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustCompile(t, tc.schema, "", Options{Dialect: tc.d})
			assert.Equal(t, tc.valid, s.Valid([]byte(tc.inst), Request))
		})
	}
}

func TestOpenAPI30TypeArrayRefused(t *testing.T) {
	_, err := Compile([]byte(`{"type":["string","null"]}`), "", Options{Dialect: OpenAPI30})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "/type: want a type name")
}

func TestReadOnlyWriteOnly(t *testing.T) {
	for _, d := range []Dialect{OpenAPI30, OpenAPI31} {
		t.Run(d.String(), func(t *testing.T) {
			s := mustCompile(t, `{"type":"object","required":["id","password","name"],"properties":{
				"id":{"type":"string","readOnly":true},
				"password":{"type":"string","writeOnly":true},
				"name":{"type":"string"}}}`, "", Options{Dialect: d})
			// A request may omit the required readOnly id, must not send it.
			assert.Empty(t, violations(s, `{"password":"p","name":"n"}`, Request))
			got := violations(s, `{"id":"x","password":"p","name":"n"}`, Request)
			require.Len(t, got, 1)
			assert.Equal(t, "/id", got[0].Pointer)
			assert.Equal(t, "readOnly", got[0].Keyword)
			// A response may omit the writeOnly password, must not return it.
			assert.Empty(t, violations(s, `{"id":"x","name":"n"}`, Response))
			got = violations(s, `{"id":"x","password":"p","name":"n"}`, Response)
			require.Len(t, got, 1)
			assert.Equal(t, "/password", got[0].Pointer)
			assert.Equal(t, "writeOnly", got[0].Keyword)
			// Still required where they apply.
			got = violations(s, `{"name":"n"}`, Response)
			require.Len(t, got, 1)
			assert.Equal(t, `missing required property "id"`, got[0].Message)
		})
	}
}

func TestReadOnlyThroughRef(t *testing.T) {
	doc := `{"components":{"schemas":{
		"Id":{"type":"string","readOnly":true},
		"User":{"type":"object","required":["id"],"properties":{"id":{"$ref":"#/components/schemas/Id"}}}}}}`
	s := mustCompile(t, doc, "/components/schemas/User", Options{})
	assert.Empty(t, violations(s, `{}`, Request))
	assert.NotEmpty(t, violations(s, `{"id":"1"}`, Request))
	assert.NotEmpty(t, violations(s, `{}`, Response))
}

func TestExclusiveBounds(t *testing.T) {
	tests := []struct {
		name, schema string
		d            Dialect
		inst         string
		valid        bool
		keyword      string
	}{
		{"3.0 exclusiveMinimum true", `{"minimum":0,"exclusiveMinimum":true}`, OpenAPI30, `0`, false, "exclusiveMinimum"},
		{"3.0 exclusiveMinimum true above", `{"minimum":0,"exclusiveMinimum":true}`, OpenAPI30, `0.0001`, true, ""},
		{"3.0 exclusiveMinimum false", `{"minimum":0,"exclusiveMinimum":false}`, OpenAPI30, `0`, true, ""},
		{"3.0 exclusiveMaximum true", `{"maximum":10,"exclusiveMaximum":true}`, OpenAPI30, `10.0`, false, "exclusiveMaximum"},
		{"3.0 maximum", `{"maximum":10}`, OpenAPI30, `10.5`, false, "maximum"},
		{"3.1 exclusiveMinimum number", `{"exclusiveMinimum":0}`, OpenAPI31, `0`, false, "exclusiveMinimum"},
		{"3.1 exclusiveMaximum number", `{"exclusiveMaximum":1e2}`, OpenAPI31, `99.999`, true, ""},
		{"3.1 stricter of both", `{"minimum":5,"exclusiveMinimum":1}`, OpenAPI31, `3`, false, "minimum"},
		{"minimum exact big", `{"minimum":18446744073709551615}`, OpenAPI31, `18446744073709551614`, false, "minimum"},
		{"minimum negative", `{"minimum":-1.5}`, OpenAPI31, `-1.50`, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustCompile(t, tc.schema, "", Options{Dialect: tc.d})
			got := violations(s, tc.inst, Request)
			if tc.valid {
				assert.Empty(t, got)
				return
			}
			require.Len(t, got, 1)
			assert.Equal(t, tc.keyword, got[0].Keyword)
		})
	}
	_, err := Compile([]byte(`{"minimum":0,"exclusiveMinimum":1}`), "", Options{Dialect: OpenAPI30})
	require.EqualError(t, err, "/exclusiveMinimum: want a boolean, got 1")
}

func TestMultipleOf(t *testing.T) {
	tests := []struct {
		m, x  string
		valid bool
	}{
		{"0.01", "19.99", true},
		{"0.01", "19.999", false},
		{"0.1", "0.3", true},
		{"0.0001", "0.0075", true},
		{"3", "1e300", false},
		{"2", "1e300", true},
		{"0.5", "1e308", true},
		{"1e-8", "0.00000002", true},
		{"7", "49.0", true},
		{"1.5", "4.5", true},
		{"1.5", "4", false},
		{"0.3", "0.9000000000000000000000000000000001", false},
		{"123456789012345678901234567890", "246913578024691357802469135780", true},
		{"1e-400", "1", true},
	}
	for _, tc := range tests {
		s := mustCompile(t, `{"multipleOf":`+tc.m+`}`, "", Options{Dialect: OpenAPI31})
		assert.Equal(t, tc.valid, s.Valid([]byte(tc.x), Request), "%s multipleOf %s", tc.x, tc.m)
	}
}

const bankDoc = `{
  "openapi": "3.0.3",
  "paths": {"/transfers": {"post": {"requestBody": {"content": {"application/json": {
     "schema": {"$ref": "#/components/schemas/Transfer"}}}}}}},
  "components": {"schemas": {
    "Transfer": {"type": "object", "required": ["from", "to", "amount"], "additionalProperties": false,
      "properties": {
        "from": {"$ref": "#/components/schemas/Account~1Id"},
        "to": {"$ref": "#/components/schemas/Account%7E1Id"},
        "amount": {"$ref": "#/components/schemas/Money"},
        "memo": {"type": "string", "maxLength": 140, "nullable": true}}},
    "Account/Id": {"type": "string", "pattern": "^[A-Z]{2}[0-9]{2}[A-Z0-9]{4,30}$"},
    "Money": {"type": "object", "required": ["value", "currency"],
      "properties": {"value": {"type": "number", "minimum": 0, "exclusiveMinimum": true, "multipleOf": 0.01},
                     "currency": {"type": "string", "enum": ["EUR", "USD", "CHF"]}}}
  }}
}`

func TestRefsIntoComponents(t *testing.T) {
	s := mustCompile(t, bankDoc, "/paths/~1transfers/post/requestBody/content/application~1json/schema", Options{})
	assert.Empty(t, violations(s, `{"from":"DE44500105175407324931","to":"CH9300762011623852957","amount":{"value":12.5,"currency":"EUR"}}`, Request))
	got := violations(s, `{"from":"x","to":"CH9300762011623852957","amount":{"value":0,"currency":"GBP"},"extra":1}`, Request)
	var kws, ptrs []string
	for _, v := range got {
		kws = append(kws, v.Keyword)
		ptrs = append(ptrs, v.Pointer)
	}
	assert.Equal(t, []string{"pattern", "exclusiveMinimum", "enum", "additionalProperties"}, kws)
	assert.Equal(t, []string{"/from", "/amount/value", "/amount/currency", "/extra"}, ptrs)
	assert.Equal(t, "/components/schemas/Account~1Id/pattern", got[0].SchemaPath)
	// max limits the number of violations.
	assert.Len(t, s.Validate([]byte(`{"from":1,"to":2,"amount":3}`), Request, 2, nil), 2)
	assert.Len(t, s.Validate([]byte(`{"from":1,"to":2,"amount":3}`), Request, 0, nil), 1)
}

func TestRecursiveTree(t *testing.T) {
	doc := `{"$defs":{"node":{"type":"object","required":["value"],"properties":{
		"value":{"type":"integer"},
		"children":{"type":"array","items":{"$ref":"#/$defs/node"}}}}},
		"$ref":"#/$defs/node"}`
	s := mustCompile(t, doc, "", Options{Dialect: OpenAPI31})
	assert.Empty(t, violations(s, `{"value":1,"children":[{"value":2},{"value":3,"children":[]}]}`, Request))
	got := violations(s, `{"value":1,"children":[{"value":2,"children":[{"value":3},{"value":"x"}]}]}`, Request)
	require.Len(t, got, 1)
	assert.Equal(t, "/children/0/children/1/value", got[0].Pointer)

	// A deep but legal tree.
	deep := strings.Repeat(`{"value":1,"children":[`, 30) + `{"value":2}` + strings.Repeat(`]}`, 30)
	assert.Empty(t, violations(s, deep, Request))
	// Too deep: a violation, not a crash.
	deeper := strings.Repeat(`{"value":1,"children":[`, 40) + `{"value":2}` + strings.Repeat(`]}`, 40)
	got = violations(s, deeper, Request)
	require.Len(t, got, 1)
	assert.Equal(t, "maxDepth", got[0].Keyword)
}

func TestDepthLimit(t *testing.T) {
	s := mustCompile(t, `{}`, "", Options{Dialect: OpenAPI31, MaxDepth: 3})
	assert.Empty(t, violations(s, `[[["x"]]]`, Request))
	got := violations(s, `[[[[]]]]`, Request)
	require.Len(t, got, 1)
	assert.Equal(t, Violation{Keyword: "maxDepth", Message: "nesting deeper than 3"}, got[0])
	// Default limit, hostile input.
	s = mustCompile(t, `{"items":{"$ref":"#"}}`, "", Options{Dialect: OpenAPI31})
	huge := strings.Repeat("[", 1_000_000) + strings.Repeat("]", 1_000_000)
	got = violations(s, huge, Request)
	require.Len(t, got, 1)
	assert.Equal(t, "maxDepth", got[0].Keyword)
	// Unbalanced, invalid: still a single violation.
	got = violations(s, `[[1,2`, Request)
	require.Len(t, got, 1)
	assert.Equal(t, "json", got[0].Keyword)
	_, err := Compile([]byte(`{}`), "", Options{MaxDepth: -1})
	assert.Error(t, err)
}

func TestCompileErrors(t *testing.T) {
	doc := `{"components":{"schemas":{"Transfer":{"type":"object","properties":{
		"amount":{"type":"number","minimum":"x"},
		"memo":{"type":"strin","maxLength":-1},
		"code":{"pattern":"(?=abc)"},
		"ref":{"$ref":"https://example.com/x.json"},
		"anchor":{"$ref":"#foo"},
		"missing":{"$ref":"#/components/schemas/Nope"}}}}}}`
	_, err := Compile([]byte(doc), "/components/schemas/Transfer", Options{})
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		`/components/schemas/Transfer/properties/amount/minimum: want a number, got "x"`,
		`/components/schemas/Transfer/properties/memo/type: unknown type "strin"`,
		`/components/schemas/Transfer/properties/memo/maxLength: want a non-negative integer, got -1`,
		`/components/schemas/Transfer/properties/code/pattern: pattern does not compile as an RE2 regular expression`,
		`lookaround is not supported by RE2`,
		`/components/schemas/Transfer/properties/ref/$ref: external reference "https://example.com/x.json" is not supported`,
		`/components/schemas/Transfer/properties/anchor/$ref: anchor reference "#foo" is not supported`,
		`/components/schemas/Transfer/properties/missing/$ref: reference "#/components/schemas/Nope" points to nothing`,
	} {
		assert.Contains(t, msg, want)
	}
	_, err = Compile([]byte(`{"pattern":"(a)\\1"}`), "", Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "backreferences are not supported by RE2")

	_, err = Compile([]byte(`{"type":`), "", Options{})
	assert.EqualError(t, err, "schema: document is not valid JSON")
	_, err = Compile([]byte(`{}`), "/nope", Options{})
	assert.EqualError(t, err, "schema: /nope: no such location in the document")
	_, err = Compile([]byte(`true`), "", Options{Dialect: OpenAPI30})
	assert.EqualError(t, err, "/: want a schema object, got boolean")
	_, err = Compile([]byte(`{"items":[{}]}`), "", Options{Dialect: OpenAPI31})
	assert.EqualError(t, err, "/items: want a schema, got array (use prefixItems)")
}

func TestCycles(t *testing.T) {
	for _, doc := range []string{
		`{"$ref":"#"}`,
		`{"$defs":{"a":{"$ref":"#/$defs/b"},"b":{"allOf":[{"$ref":"#/$defs/a"}]}},"$ref":"#/$defs/a"}`,
		`{"anyOf":[{"type":"string"},{"not":{"$ref":"#"}}]}`,
	} {
		_, err := Compile([]byte(doc), "", Options{Dialect: OpenAPI31})
		require.Error(t, err, doc)
		assert.Contains(t, err.Error(), "refers to itself without descending into the instance")
	}
}

func TestEqualityAndUnique(t *testing.T) {
	s := mustCompile(t, `{"uniqueItems":true}`, "", Options{Dialect: OpenAPI31})
	for inst, valid := range map[string]bool{
		`[1, 1.0]`:                            false,
		`[1, 10e-1]`:                          false,
		`[{"a":1,"b":2},{"b":2,"a":1.00}]`:    false,
		`[{"a":1,"b":2},{"b":2,"a":1,"c":3}]`: true,
		`["a\u0041","aA"]`:                    false,
		`[[1,2],[2,1]]`:                       true,
		`[0, false]`:                          true,
		`[null, null]`:                        false,
		`[-0, 0]`:                             false,
	} {
		assert.Equal(t, valid, s.Valid([]byte(inst), Request), inst)
	}
	big := "[" + strings.Repeat(`{"k":[1,2,3]},`, 200) + `{"k":[1,2,4]}]`
	assert.False(t, s.Valid([]byte(big), Request))
	s = mustCompile(t, `{"enum":[{"a":[1,"x"]},2.50]}`, "", Options{Dialect: OpenAPI31})
	assert.True(t, s.Valid([]byte(`{"a":[1.0,"x"]}`), Request))
	assert.True(t, s.Valid([]byte(`2.5`), Request))
	assert.False(t, s.Valid([]byte(`{"a":[1,"x"],"b":1}`), Request))
}

func TestStringLengthCodePoints(t *testing.T) {
	s := mustCompile(t, `{"minLength":2,"maxLength":2}`, "", Options{})
	assert.True(t, s.Valid([]byte(`"💩💩"`), Request))
	assert.True(t, s.Valid([]byte(`"\ud83d\udca9\u00e9"`), Request))
	assert.False(t, s.Valid([]byte(`"💩"`), Request))
	got := violations(s, `"abc"`, Request)
	require.Len(t, got, 1)
	assert.Equal(t, "length 3 above maxLength 2", got[0].Message)
}

func TestFormats(t *testing.T) {
	tests := []struct {
		format, inst string
		valid        bool
	}{
		{"date-time", `"2024-02-29T23:59:60Z"`, true},
		{"date-time", `"2023-02-29T10:00:00Z"`, false},
		{"date-time", `"2024-01-01T10:00:00+01:00"`, true},
		{"date-time", `"2024-01-01 10:00:00Z"`, false},
		{"date", `"2024-12-31"`, true},
		{"time", `"10:00:00.5Z"`, true},
		{"email", `"a.b@example.com"`, true},
		{"email", `"a..b@example.com"`, false},
		{"uuid", `"123e4567-e89b-12d3-a456-426614174000"`, true},
		{"uuid", `"123e4567e89b12d3a456426614174000"`, false},
		{"ipv4", `"192.168.0.1"`, true},
		{"ipv4", `"192.168.0.01"`, false},
		{"ipv6", `"::1"`, true},
		{"ipv6", `"fe80::1%eth0"`, false},
		{"uri", `"https://example.com/a?b#c"`, true},
		{"uri", `"/relative"`, false},
		{"hostname", `"api.example.com"`, true},
		{"hostname", `"-bad.example.com"`, false},
		{"int32", `2147483647`, true},
		{"int32", `2147483648`, false},
		{"int32", `-2147483648`, true},
		{"int64", `9223372036854775807`, true},
		{"int64", `9223372036854775808`, false},
		{"int64", `1.5`, false},
		{"byte", `"aGVsbG8="`, true},
		{"byte", `"aGVsbG8"`, false},
		{"password", `"anything"`, true},
		{"email", `42`, true},
	}
	for _, tc := range tests {
		s := mustCompile(t, `{"format":"`+tc.format+`"}`, "", Options{})
		assert.Equal(t, tc.valid, s.Valid([]byte(tc.inst), Request), "%s %s", tc.format, tc.inst)
		ig := mustCompile(t, `{"format":"`+tc.format+`"}`, "", Options{IgnoreFormats: true})
		assert.True(t, ig.Valid([]byte(tc.inst), Request))
	}
}

// Messages and schema paths never contain instance values.
func TestNoValuesInViolations(t *testing.T) {
	s := mustCompile(t, bankDoc, "/components/schemas/Transfer", Options{})
	const secret = "hunter2SECRET"
	inst := `{"from":"` + secret + `","to":` + `"` + secret + `","amount":{"value":"` + secret + `","currency":"` + secret + `"},"memo":["` + secret + `"]}`
	got := violations(s, inst, Request)
	require.NotEmpty(t, got)
	for _, v := range got {
		assert.NotContains(t, v.Message, secret)
		assert.NotContains(t, v.Pointer, secret)
		assert.NotContains(t, v.SchemaPath, secret)
	}
}

func TestValidateResult(t *testing.T) {
	s := mustCompile(t, bankDoc, "/components/schemas/Money", Options{})
	doc := `{"transfer":{"amount":{"value":1,"currency":"XXX"}}}`
	got := s.ValidateResult(gjson.Get(doc, "transfer.amount"), Request, 10, nil)
	require.Len(t, got, 1)
	assert.Equal(t, "/currency", got[0].Pointer)
	got = s.ValidateResult(gjson.Get(doc, "nope"), Request, 10, nil)
	assert.Equal(t, "json", got[0].Keyword)
}

func TestConcurrentUse(t *testing.T) {
	s := mustCompile(t, bankDoc, "/components/schemas/Transfer", Options{})
	valid := []byte(`{"from":"DE44500105175407324931","to":"CH9300762011623852957","amount":{"value":12.5,"currency":"EUR"}}`)
	invalid := []byte(`{"from":"x","to":1,"amount":{"value":-1}}`)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if !s.Valid(valid, Request) {
					t.Error("valid instance refused")
					return
				}
				if len(violations(s, string(invalid), Request)) != 4 {
					t.Error("wrong violation count")
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestErrorsJoined(t *testing.T) {
	_, err := Compile([]byte(`{"minimum":"a","maximum":"b"}`), "", Options{})
	var joined interface{ Unwrap() []error }
	require.True(t, errors.As(err, &joined))
	assert.Len(t, joined.Unwrap(), 2)
}
