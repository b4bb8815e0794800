package schema

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"strconv"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// gen builds a schema and an instance within the supported subset from
// fuzz bytes. When the bytes run out it keeps returning zeros, which pick
// the simplest choices, so every input terminates.
type gen struct {
	b      []byte
	draft4 bool
}

func (g *gen) n(k int) int {
	if len(g.b) == 0 {
		return 0
	}
	v := int(g.b[0])
	g.b = g.b[1:]
	return v % k
}

var (
	genNumbers  = []string{"0", "1", "-1", "1.5", "2", "2.0", "10", "0.1", "0.3", "1e2", "100", "-2.5", "7", "0.25"}
	genPositive = []string{"0.1", "0.5", "2", "3", "1.5", "0.01", "1e1"}
	genStrings  = []string{"", "a", "ab", "abc", "2024-01-01", "2024-13-01", "2024-02-29T10:00:00Z", "1.2.3.4",
		"256.1.1.1", "x@y.com", "x@@y", "💩", "A1", "b", "123e4567-e89b-12d3-a456-426614174000", "c"}
	genPatterns = []string{"^a", "b$", "[0-9]", "^.{2}$", "^[a-c]*$", "💩"}
	genFormats  = []string{"date", "date-time", "ipv4", "uuid", "email", "unknown-format"}
	genKeys     = []string{"a", "b", "c"}
	genTypes    = []string{"null", "boolean", "object", "array", "number", "string", "integer"}
)

func (g *gen) pick(list []string) string { return list[g.n(len(list))] }

func (g *gen) value(depth int) any {
	k := g.n(7)
	if depth <= 0 && k >= 4 {
		k = g.n(4)
	}
	switch k {
	case 0:
		return nil
	case 1:
		return g.n(2) == 1
	case 2:
		return json.Number(g.pick(genNumbers))
	case 3:
		return g.pick(genStrings)
	case 4, 5:
		arr := []any{}
		for i, n := 0, g.n(4); i < n; i++ {
			arr = append(arr, g.value(depth-1))
		}
		return arr
	default:
		obj := map[string]any{}
		for i, n := 0, g.n(4); i < n; i++ {
			obj[g.pick(genKeys)] = g.value(depth - 1)
		}
		return obj
	}
}

// schema returns a schema; refOK says whether a "$ref" to the root may
// appear here (only below properties/items, so it always descends).
func (g *gen) schema(depth int, refOK bool) any {
	if !g.draft4 && g.n(12) == 0 {
		return g.n(2) == 1
	}
	s := map[string]any{}
	if refOK && g.n(6) == 0 {
		s["$ref"] = "#"
		if g.draft4 {
			return s
		}
	}
	sub := func() any {
		if depth <= 0 {
			return map[string]any{}
		}
		return g.schema(depth-1, false)
	}
	descend := func() any {
		if depth <= 0 {
			return map[string]any{}
		}
		return g.schema(depth-1, true)
	}
	for i, n := 0, g.n(4)+1; i < n; i++ {
		switch g.n(28) {
		case 0:
			if g.n(3) == 0 && !g.draft4 {
				a, b := g.pick(genTypes), g.pick(genTypes)
				if a == b {
					s["type"] = []string{a}
				} else {
					s["type"] = []string{a, b}
				}
			} else {
				t := g.pick(genTypes)
				if g.draft4 && t == "integer" {
					t = "number" // draft 4 refuses 1.0 as integer; we accept it by design
				}
				s["type"] = t
			}
		case 1:
			e := []any{}
			var raws []string
		enum:
			for j, m := 0, g.n(3)+1; j < m; j++ {
				v := g.value(1)
				raw, _ := json.Marshal(v)
				for _, r := range raws {
					if equalJSON(r, string(raw)) {
						continue enum
					}
				}
				raws = append(raws, string(raw))
				e = append(e, v)
			}
			s["enum"] = e
		case 2:
			if !g.draft4 {
				s["const"] = g.value(1)
			}
		case 3:
			s["minimum"] = json.Number(g.pick(genNumbers))
			if g.draft4 && g.n(2) == 1 {
				s["exclusiveMinimum"] = true
			}
		case 4:
			s["maximum"] = json.Number(g.pick(genNumbers))
			if g.draft4 && g.n(2) == 1 {
				s["exclusiveMaximum"] = true
			}
		case 5:
			if !g.draft4 {
				s["exclusiveMinimum"] = json.Number(g.pick(genNumbers))
			}
		case 6:
			if !g.draft4 {
				s["exclusiveMaximum"] = json.Number(g.pick(genNumbers))
			}
		case 7:
			s["multipleOf"] = json.Number(g.pick(genPositive))
		case 8:
			s["minLength"] = g.n(4)
		case 9:
			s["maxLength"] = g.n(4)
		case 10:
			s["pattern"] = g.pick(genPatterns)
		case 11:
			s["format"] = g.pick(genFormats)
		case 12:
			props := map[string]any{}
			for j, m := 0, g.n(3)+1; j < m; j++ {
				props[g.pick(genKeys)] = descend()
			}
			s["properties"] = props
		case 13:
			req := []string{}
			seen := map[string]bool{}
			for j, m := 0, g.n(3)+1; j < m; j++ {
				k := g.pick(genKeys)
				if !seen[k] {
					seen[k] = true
					req = append(req, k)
				}
			}
			s["required"] = req
		case 14:
			if g.n(2) == 0 {
				s["additionalProperties"] = g.n(2) == 1
			} else {
				s["additionalProperties"] = descend()
			}
		case 15:
			s["patternProperties"] = map[string]any{g.pick(genPatterns): descend()}
		case 16:
			if g.draft4 && g.n(2) == 0 {
				s["items"] = []any{descend(), descend()}
				if g.n(2) == 0 {
					s["additionalItems"] = g.n(2) == 1
				} else {
					s["additionalItems"] = descend()
				}
			} else {
				s["items"] = descend()
			}
		case 17:
			if !g.draft4 {
				s["prefixItems"] = []any{descend()}
			}
		case 18:
			s["minItems"] = g.n(3)
			s["maxItems"] = g.n(4)
		case 19:
			s["uniqueItems"] = g.n(3) != 0
		case 20:
			s["minProperties"] = g.n(3)
			s["maxProperties"] = g.n(4)
		case 21, 22, 23:
			kw := []string{"allOf", "anyOf", "oneOf"}[g.n(3)]
			list := []any{}
			for j, m := 0, g.n(3)+1; j < m; j++ {
				list = append(list, sub())
			}
			s[kw] = list
		case 24:
			s["not"] = sub()
		case 25:
			if g.draft4 {
				s["dependencies"] = map[string]any{g.pick(genKeys): []string{g.pick(genKeys)}, g.pick(genKeys): sub()}
			} else {
				s["dependentRequired"] = map[string]any{g.pick(genKeys): []string{g.pick(genKeys)}}
				s["dependentSchemas"] = map[string]any{g.pick(genKeys): sub()}
			}
		case 26:
			if !g.draft4 {
				s["contains"] = sub()
				if g.n(2) == 0 {
					s["minContains"] = g.n(3)
					s["maxContains"] = g.n(3)
				}
				s["propertyNames"] = map[string]any{"pattern": g.pick(genPatterns)}
			}
		case 27:
			if !g.draft4 {
				s["if"] = sub()
				s["then"] = sub()
				if g.n(2) == 0 {
					s["else"] = sub()
				}
			}
		}
	}
	return s
}

func marshal(t testing.TB, v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSpace(buf.Bytes())
}

// differential validates one generated pair with both validators.
func differential(t *testing.T, data []byte) {
	g := &gen{b: data}
	g.draft4 = g.n(2) == 1
	schemaDoc := marshal(t, g.schema(3, false))
	instance := marshal(t, g.value(3))

	draft, dialect := jsonschema.Draft2020, Draft2020
	if g.draft4 {
		draft, dialect = jsonschema.Draft4, Draft4
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(draft)
	c.AssertFormat()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaDoc))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddResource("mem:///schema.json", doc); err != nil {
		t.Fatal(err)
	}
	ref, err := c.Compile("mem:///schema.json")
	if err != nil {
		t.Fatalf("reference compiler refused %s: %v", schemaDoc, err)
	}
	ours, err := Compile(schemaDoc, "", Options{Dialect: dialect})
	if err != nil {
		t.Fatalf("Compile refused %s: %v", schemaDoc, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(instance))
	if err != nil {
		t.Fatal(err)
	}
	want := ref.Validate(inst) == nil
	got := ours.Validate(instance, Request, 5, nil)
	if (len(got) == 0) != want {
		t.Fatalf("disagreement (%s)\nschema:   %s\ninstance: %s\nreference valid=%v, ours: %v", dialect, schemaDoc, instance, want, got)
	}
}

func FuzzDifferential(f *testing.F) {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 32; i++ {
		b := make([]byte, 64)
		r.Read(b)
		f.Add(b)
	}
	f.Fuzz(differential)
}

// TestDifferential runs the differential check on a fixed set of random
// inputs, so plain `go test` exercises it.
func TestDifferential(t *testing.T) {
	r := rand.New(rand.NewSource(42))
	n := 4000
	if testing.Short() {
		n = 500
	}
	for i := 0; i < n; i++ {
		b := make([]byte, 16+r.Intn(200))
		r.Read(b)
		t.Run(strconv.Itoa(i), func(t *testing.T) { differential(t, b) })
		if t.Failed() {
			return
		}
	}
}
