package schema

import (
	"os"
	"testing"
)

func fixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func benchValidate(b *testing.B, at, instance string, dir Direction) {
	doc := fixture(b, "bank.openapi.json")
	s := mustCompile(b, string(doc), at, Options{})
	in := fixture(b, instance)
	out := make([]Violation, 0, 8)
	if v := s.Validate(in, dir, 8, out); len(v) != 0 {
		b.Fatalf("fixture invalid: %v", v)
	}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out = s.Validate(in, dir, 8, out[:0])
	}
}

func BenchmarkValidateTransfer(b *testing.B) {
	benchValidate(b, "/paths/~1api~1v1~1transferFunds/post/requestBody/content/application~1json/schema", "transfer.json", Request)
}

func BenchmarkValidateAccounts1K(b *testing.B) {
	benchValidate(b, "/components/schemas/AccountList", "accounts-1k.json", Response)
}

func BenchmarkValidateAccounts64K(b *testing.B) {
	benchValidate(b, "/components/schemas/AccountList", "accounts-64k.json", Response)
}

// BenchmarkValidateInvalid measures the cost of reporting violations.
func BenchmarkValidateInvalid(b *testing.B) {
	s := mustCompile(b, string(fixture(b, "bank.openapi.json")), "/components/schemas/Transfer", Options{})
	in := []byte(`{"id":"nope","from":"x","to":"CH9300762011623852957","amount":{"value":"1","currency":"XXX"},"requested_at":"yesterday","extra":1}`)
	out := make([]Violation, 0, 8)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		out = s.Validate(in, Request, 8, out[:0])
	}
}

func BenchmarkCompileDocument(b *testing.B) {
	doc := fixture(b, "bank.openapi.json")
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Compile(doc, "/components/schemas/AccountList", Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
