package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apiwarden/apiwarden/policy"
	"github.com/apiwarden/apiwarden/policy/openapi"
)

var update = flag.Bool("update", false, "rewrite golden files")

const bankYAML = "../../policy/openapi/testdata/bank.openapi.yaml"

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (run go test -update):\n%s", path, got)
	}
}

func TestBankGolden(t *testing.T) {
	src, err := os.ReadFile(bankYAML)
	if err != nil {
		t.Fatal(err)
	}
	base, err := os.ReadFile("testdata/base.json")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Convert(src, base, openapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "bank.apiwarden.golden.json", out)

	// The JSON copy of the bank document beside the YAML stays in sync.
	doc, err := Convert(src, nil, openapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../policy/openapi/testdata/bank.openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(doc, want) {
		t.Errorf("policy/openapi/testdata/bank.openapi.json is stale: go run ./cmd/openapi2json -in %s -out policy/openapi/testdata/bank.openapi.json", strings.TrimPrefix(bankYAML, "../../"))
	}
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "apiwarden.json")
	if err := run(bankYAML, "testdata/base.json", out, "", nil); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(out)
	want, _ := os.ReadFile("testdata/bank.apiwarden.golden.json")
	if !bytes.Equal(got, want) {
		t.Errorf("run output differs from the golden file")
	}
	var stdout bytes.Buffer
	if err := run(bankYAML, "", "", "", &stdout); err != nil || !bytes.HasPrefix(stdout.Bytes(), []byte("{\n  \"openapi\": \"3.0.3\"")) {
		t.Errorf("stdout run: %v %.40q", err, stdout.String())
	}
}

func TestToJSON(t *testing.T) {
	cases := []struct{ in, want string }{
		{"a: 1\nb: [x, 'y', 2.5, true, null, ~]\n", `{"a":1,"b":["x","y",2.5,true,null,null]}`},
		{"z: 1\na: 2\nm: 3\n", `{"z":1,"a":2,"m":3}`},
		{"200: ok\n4XX: e\n", `{"200":"ok","4XX":"e"}`},
		{"base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n", `{"base":{"x":1,"y":2},"use":{"x":1,"y":3}}`},
		{"s: \"tab\\there \\u0001\"\nq: 'a\"b'\n", `{"s":"tab\there \u0001","q":"a\"b"}`},
		{"n: 0x1F\ne: 1e3\nd: 2001-12-14\n", `{"n":31,"e":1e3,"d":"2001-12-14"}`},
		{`{"b": 1, "a": {"c": [1, 2]}}`, `{"b":1,"a":{"c":[1,2]}}`},
	}
	for _, c := range cases {
		got, err := ToJSON([]byte(c.in))
		if err != nil || string(got) != c.want {
			t.Errorf("ToJSON(%q) = %s, %v; want %s", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"a: .inf\n", "a: [\n", "", "a: 1\na: 2\n"} {
		if _, err := ToJSON([]byte(bad)); err == nil {
			t.Errorf("ToJSON(%q): no error", bad)
		}
	}
}

func TestInvalidDocument(t *testing.T) {
	src := []byte("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /users/{id}:\n    get:\n      parameters:\n        - {name: id, in: body}\n      responses: {'200': {description: ok}}\n")
	_, err := Convert(src, nil, openapi.Options{})
	want := `openapi.paths./users/{id}.get.parameters[0].in: want one of "query", "header", "path", "cookie", got "body"`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v\nwant %s", err, want)
	}
	if _, err := Convert([]byte("openapi: 3.0.3\n"), []byte("[1]"), openapi.Options{}); err == nil {
		t.Errorf("want an error for an invalid document")
	}
}

func TestEmbed(t *testing.T) {
	doc := []byte(`{"openapi":"3.0.3"}`)
	cases := []struct{ base, want string }{
		{`{}`, `{"openapi":{"openapi":"3.0.3"}}`},
		{`{"b":"\u0001x","openapi":1,"a":[1.50]}`, `{"b":"\u0001x","openapi":{"openapi":"3.0.3"},"a":[1.50]}`},
		{` {"mode":"enforce"} `, `{"mode":"enforce","openapi":{"openapi":"3.0.3"}}`},
	}
	for _, c := range cases {
		got, err := embed([]byte(c.base), doc)
		if err != nil || string(got) != c.want {
			t.Errorf("embed(%s) = %s, %v; want %s", c.base, got, err, c.want)
		}
	}
	for _, bad := range []string{`[]`, `{"a":}`, `{} {}`, `{"openapi":1,"openapi":2}`} {
		if _, err := embed([]byte(bad), doc); err == nil {
			t.Errorf("embed(%s): no error", bad)
		}
	}
}

func TestConvertReportsWhatCheckConfigReports(t *testing.T) {
	doc := `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{` +
		`"/api":{"get":{"responses":{"200":{"description":"ok"}}}},` +
		`"/api/":{"get":{"responses":{"200":{"description":"ok"}}}}}}`
	_, err := Convert([]byte(doc), nil, openapi.Options{})
	want := `openapi.paths./api/.get: GET /api/ (no operationId) matches the same requests as GET /api (no operationId, at openapi.paths./api.get): path templates that differ only in parameter names or a trailing '/' must not share a method`
	if err == nil || err.Error() != want {
		t.Fatalf("Convert: %v\nwant %s", err, want)
	}
	_, perr := policy.Compile([]byte(`{"openapi":` + doc + `}`))
	if perr == nil || perr.Error() != err.Error() {
		t.Errorf("check-config: %v\nopenapi2json: %v", perr, err)
	}
}
