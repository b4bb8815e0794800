package policy

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// multipartPolicy has an upload operation: a text field, an integer, a
// repeated tag and a file.
func multipartPolicy(t testing.TB) *Policy {
	t.Helper()
	p, err := Compile([]byte(`{"unknown_endpoints":"block","openapi_base_path":"/","openapi":{
	  "openapi":"3.0.3","info":{"title":"t","version":"1"},
	  "paths":{"/upload":{"post":{"operationId":"upload","requestBody":{"required":true,"content":{
	    "multipart/form-data":{"schema":{"type":"object","required":["title","file"],"properties":{
	      "title":{"type":"string","maxLength":20},
	      "pages":{"type":"integer","minimum":1},
	      "tags":{"type":"array","items":{"type":"string","enum":["a","b"]}},
	      "file":{"type":"string","format":"binary"}}}}}},
	    "responses":{"200":{"description":"ok"}}}}}}}`))
	require.NoError(t, err)
	return p
}

const boundary = "XyZ-boundary-42"

func part(name, value string) string {
	return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n"
}

func filePart(name string) string {
	return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\"a.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n\x00\xff\xfe binary\r\n"
}

const closing = "--" + boundary + "--\r\n"

func checkMultipart(t *testing.T, p *Policy, ct, body string) Decision {
	t.Helper()
	r := &Request{}
	r.Reset()
	r.Method, r.Target, r.HasBody = "POST", "/upload", true
	r.Headers = Headers{{"content-type", ct}}
	require.True(t, p.CheckHead(r).IsAllow())
	require.True(t, p.WantsBody(r), "a multipart body is buffered for its check")
	return p.CheckBody(r, []byte(body))
}

func TestMultipartBodies(t *testing.T) {
	p := multipartPolicy(t)
	ct := "multipart/form-data; boundary=" + boundary
	for _, c := range []struct {
		name, body string
		reason     Reason
		pointer    string
	}{
		{"valid", part("title", "hello") + part("pages", "3") + part("tags", "a") + part("tags", "b") + filePart("file") + closing, ReasonNone, ""},
		{"preamble and epilogue", "ignored preamble\r\n" + part("title", "x") + filePart("file") + closing + "epilogue", ReasonNone, ""},
		{"missing required file", part("title", "x") + closing, ReasonSchema, ""},
		{"integer as text", part("title", "x") + part("pages", "many") + filePart("file") + closing, ReasonSchema, "/pages"},
		{"enum", part("title", "x") + part("tags", "c") + filePart("file") + closing, ReasonSchema, "/tags/0"},
		{"too long", part("title", strings.Repeat("x", 21)) + filePart("file") + closing, ReasonSchema, "/title"},
		{"title twice", part("title", "x") + part("title", "y") + filePart("file") + closing, ReasonSchema, "/title"},
		{"no closing delimiter", part("title", "x") + filePart("file"), ReasonSchema, ""},
		{"LF only", strings.ReplaceAll(part("title", "x")+filePart("file")+closing, "\r\n", "\n"), ReasonSchema, ""},
		{"unnamed part", "--" + boundary + "\r\nContent-Disposition: form-data\r\n\r\nx\r\n" + closing, ReasonSchema, ""},
		{"base64 transfer encoding", "--" + boundary + "\r\nContent-Disposition: form-data; name=\"title\"\r\nContent-Transfer-Encoding: base64\r\n\r\neA==\r\n" + filePart("file") + closing, ReasonSchema, ""},
		{"escaped quote in name", "--" + boundary + "\r\nContent-Disposition: form-data; name=\"ti\\\"tle\"\r\n\r\nx\r\n" + filePart("file") + closing, ReasonSchema, ""},
	} {
		d := checkMultipart(t, p, ct, c.body)
		assert.Equal(t, c.reason, d.Reason, c.name)
		if c.pointer != "" && assert.NotEmpty(t, d.Violations, c.name) {
			assert.Equal(t, c.pointer, d.Violations[0].Pointer, c.name)
		}
	}
	assert.Equal(t, ReasonSchema, checkMultipart(t, p, "multipart/form-data", part("title", "x")+closing).Reason, "no boundary")
	assert.Equal(t, ReasonNone, checkMultipart(t, p, `multipart/form-data; boundary="`+boundary+`"`, part("title", "x")+filePart("file")+closing).Reason, "quoted boundary")
}

// FuzzMultipartAgainstGo: whatever body apiwarden's multipart reader
// accepts, Go's mime/multipart (what a Go backend reads it with) reads
// into the same fields, in the same order, with the same text values.
func FuzzMultipartAgainstGo(f *testing.F) {
	f.Add(part("title", "hello") + part("pages", "3") + filePart("file") + closing)
	f.Add("pre\r\n" + part("a", "") + closing + "post")
	f.Add(part("a", "x\r\n--"+boundary+"x") + closing)
	f.Add("--" + boundary + " \t\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n" + closing)
	ct := "multipart/form-data; boundary=" + boundary
	f.Fuzz(func(t *testing.T, body string) {
		ours, msg := parseMultipart(ct, []byte(body), 64, nil)
		if msg != "" || len(ours) > 64 {
			return
		}
		_, params, err := mime.ParseMediaType(ct)
		require.NoError(t, err)
		mr := multipart.NewReader(bytes.NewReader([]byte(body)), params["boundary"])
		var theirs []queryPair
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("apiwarden accepted what Go refuses (%v): %q", err, body)
			}
			v, err := io.ReadAll(p)
			if err != nil {
				t.Fatalf("apiwarden accepted what Go cannot read (%v): %q", err, body)
			}
			if p.FileName() != "" {
				v = nil
			}
			theirs = append(theirs, queryPair{name: p.FormName(), value: string(v)})
		}
		require.Equal(t, theirs, ours, "%q", body)
	})
}
