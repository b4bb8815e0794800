package openapitest_test

import (
	"testing"

	"github.com/apiwarden/apiwarden/policy/openapi"
	. "github.com/apiwarden/apiwarden/policy/openapi/openapitest"
)

func TestGenerateSynthetic(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 7, 9, 50, 333, 2000} {
		raw := GenerateSynthetic(n)
		doc, err := openapi.Parse(raw, openapi.Options{Path: "openapi"})
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if len(doc.Operations) != n {
			t.Fatalf("n=%d: got %d operations", n, len(doc.Operations))
		}
	}
}

func BenchmarkParseSynthetic2000(b *testing.B) {
	raw := GenerateSynthetic(2000)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := openapi.Parse(raw, openapi.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseSynthetic2000SkipSchemas(b *testing.B) {
	raw := GenerateSynthetic(2000)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := openapi.Parse(raw, openapi.Options{SkipSchemas: true}); err != nil {
			b.Fatal(err)
		}
	}
}
