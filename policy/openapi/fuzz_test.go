package openapi

import (
	"github.com/apiwarden/apiwarden/policy/openapi/openapitest"

	"os"
	"testing"
)

// FuzzParse checks that Parse never panics and that an accepted document
// keeps its promises: unique operation ids, pointers that resolve in Raw.
func FuzzParse(f *testing.F) {
	if raw, err := os.ReadFile("testdata/bank.openapi.json"); err == nil {
		f.Add(raw)
	}
	f.Add(openapitest.GenerateSynthetic(5))
	f.Add(doc30(`"/a/{id}":{"parameters":[{"$ref":"#/components/parameters/P"}],"get":{`+ok200+`}}`,
		`,"components":{"parameters":{"P":{"name":"id","in":"path","required":true,"schema":{"$ref":"#/components/schemas/S"}}},"schemas":{"S":{"type":"string"}}}`))
	f.Add(doc31(`"/a":{"$ref":"#/components/pathItems/A"}`, `,"components":{"pathItems":{"A":{"$ref":"#/components/pathItems/A"}}}`))
	f.Add([]byte(`{"openapi":"3.1.0","info":{"title":"t","version":"1"},"paths":{"/x":{"post":{"requestBody":{"content":{"*/*":{"schema":{"$ref":"#"}}}}}}}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		d, err := Parse(raw, Options{Path: "openapi"})
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, o := range d.Operations {
			if seen[o.ID] {
				t.Fatalf("duplicate operation id %q", o.ID)
			}
			seen[o.ID] = true
			for _, ptr := range pointers(o) {
				if ptr != "" && !resolves(d.Raw, ptr) {
					t.Fatalf("%s: pointer %q does not resolve", o.ID, ptr)
				}
			}
		}
	})
}
