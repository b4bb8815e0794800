package policy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func bank(t testing.TB) *Policy {
	t.Helper()
	p, err := Compile([]byte(bankConfig))
	require.NoError(t, err)
	return p
}

func head(p *Policy, method, target string, hdr ...[2]string) (*Request, Decision) {
	r := &Request{}
	r.Reset()
	r.Method, r.Target, r.Headers = method, target, Headers(hdr)
	return r, p.CheckHead(r)
}

func TestCheckHead(t *testing.T) {
	p := bank(t)
	cases := []struct {
		name, method, target string
		hdr                  [][2]string
		cl                   int64
		verdict              Verdict
		reason               Reason
	}{
		{"known", "GET", "/api/v1/accounts/12/balance", nil, -1, Allow, ReasonNone},
		{"normalised", "GET", "/api/v1//accounts/./12/balance/", nil, -1, Allow, ReasonNone},
		{"unknown", "GET", "/api/v1/admin", nil, -1, Block, ReasonUnknownEndpoint},
		{"traversal to unknown", "GET", "/api/v1/accounts/12/../../admin", nil, -1, Block, ReasonUnknownEndpoint},
		{"bad path", "GET", "/api/v1/%zz", nil, -1, Block, ReasonInvalidPath},
		{"method", "DELETE", "/api/v1/transferFunds", nil, -1, Block, ReasonMethodNotAllowed},
		{"path param type", "GET", "/api/v1/users/abc/accounts", nil, -1, Block, ReasonInvalidParameter},
		{"path param min", "GET", "/api/v1/users/0/accounts", nil, -1, Block, ReasonInvalidParameter},
		{"query ok", "GET", "/api/v1/users/5/accounts?limit=10&status=open,closed", nil, -1, Allow, ReasonNone},
		{"query type", "GET", "/api/v1/users/5/accounts?limit=ten", nil, -1, Block, ReasonInvalidParameter},
		{"query enum", "GET", "/api/v1/users/5/accounts?status=open,frozen", nil, -1, Block, ReasonInvalidParameter},
		{"query unknown", "GET", "/api/v1/users/5/accounts?debug=1", nil, -1, Block, ReasonUnknownParameter},
		{"query malformed", "GET", "/api/v1/users/5/accounts?limit=%zz", nil, -1, Block, ReasonInvalidParameter},
		{"content type", "POST", "/api/v1/transferFunds", [][2]string{{"content-type", "text/plain"}}, 10, Block, ReasonUnsupportedMediaType},
		{"content type params", "POST", "/api/v1/transferFunds", [][2]string{{"content-type", "Application/JSON; charset=utf-8"}}, 10, Allow, ReasonNone},
		{"too large", "POST", "/api/v1/transferFunds", [][2]string{{"content-type", "application/json"}}, 5000, Block, ReasonBodyTooLarge},
		{"body missing", "POST", "/api/v1/transferFunds", [][2]string{{"content-type", "application/json"}}, -1, Block, ReasonSchema},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &Request{}
			r.Reset()
			r.Method, r.Target, r.Headers, r.ContentLength = c.method, c.target, Headers(c.hdr), c.cl
			d := p.CheckHead(r)
			assert.Equal(t, c.verdict, d.Verdict)
			assert.Equal(t, c.reason, d.Reason)
			if d.Verdict != Allow {
				assert.Equal(t, c.reason.Status(), d.Status)
				assert.NotEmpty(t, d.Rule)
			}
		})
	}
}

func TestMethodNotAllowedCarriesAllow(t *testing.T) {
	_, d := head(bank(t), "GET", "/api/v1/transferFunds")
	assert.Equal(t, 405, d.Status)
	assert.Equal(t, "POST", d.Allow)
}

func TestParameterViolationsNameTheParameter(t *testing.T) {
	_, d := head(bank(t), "GET", "/api/v1/users/abc/accounts?limit=1000")
	require.Len(t, d.Violations, 2)
	assert.Equal(t, Violation{In: "path", Name: "user_id", Keyword: "type", Message: d.Violations[0].Message}, d.Violations[0])
	assert.Equal(t, "query", d.Violations[1].In)
	assert.Equal(t, "limit", d.Violations[1].Name)
	assert.Equal(t, "maximum", d.Violations[1].Keyword)
	assert.NotContains(t, d.Violations[1].Message, "1000", "messages never echo values")
}

func TestCheckBody(t *testing.T) {
	p := bank(t)
	r := &Request{}
	r.Reset()
	r.Method, r.Target, r.HasBody = "POST", "/api/v1/transferFunds", true
	r.Headers = Headers{{"content-type", "application/json"}}
	d := p.CheckHead(r)
	require.True(t, d.IsAllow())
	require.True(t, p.WantsBody(r))
	ok := p.CheckBody(r, []byte(`{"from":"A1","to":"B2","amount":12.5}`))
	assert.True(t, ok.IsAllow())

	bad := p.CheckBody(r, []byte(`{"from":"A1","to":"B2","amount":"12.5"}`))
	assert.Equal(t, Block, bad.Verdict)
	assert.Equal(t, ReasonSchema, bad.Reason)
	require.Len(t, bad.Violations, 1)
	assert.Equal(t, "/amount", bad.Violations[0].Pointer)
	assert.Equal(t, "type", bad.Violations[0].Keyword)

	notJSON := p.CheckBody(r, []byte(`{"from":`))
	assert.Equal(t, ReasonInvalidJSON, notJSON.Reason)
	assert.Equal(t, 400, notJSON.Status)

	big := p.CheckBody(r, make([]byte, 5000))
	assert.Equal(t, ReasonBodyTooLarge, big.Reason)
}

func TestMonitorModeLogsInsteadOfBlocking(t *testing.T) {
	p, err := Compile([]byte(`{"mode":"monitor","unknown_endpoints":"block","endpoints":[{"id":"a","method":"GET","path":"/a"}]}`))
	require.NoError(t, err)
	_, d := head(p, "GET", "/b")
	assert.Equal(t, Log, d.Verdict)
	assert.Equal(t, Monitor, d.Mode)
}

func TestPerEndpointModeOverridesGlobal(t *testing.T) {
	p, err := Compile([]byte(`{"endpoints":[{"id":"a","method":"GET","path":"/a/{n}","mode":"monitor",
	  "request":{"parameters":[{"name":"n","in":"path","schema":{"type":"integer"}}]}}]}`))
	require.NoError(t, err)
	_, d := head(p, "GET", "/a/x")
	assert.Equal(t, Log, d.Verdict)
	assert.Equal(t, ReasonInvalidParameter, d.Reason)
}

func TestCheckHeadAllocations(t *testing.T) {
	p := bank(t)
	r := &Request{}
	allocs := testing.AllocsPerRun(100, func() {
		r.Reset()
		r.Method, r.Target = "GET", "/api/v1/users/5/accounts?limit=10"
		p.CheckHead(r)
	})
	assert.LessOrEqual(t, allocs, 2.0)
}

func BenchmarkCheckHead(b *testing.B) {
	p := bankOpenAPI(b)
	r := &Request{}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r.Reset()
		r.Method, r.Target = "GET", "/api/v1/users/5/accounts?limit=10&status=open,closed"
		if d := p.CheckHead(r); !d.IsAllow() {
			b.Fatal(d)
		}
	}
}

func BenchmarkCheckBody(b *testing.B) {
	p := bankOpenAPI(b)
	r := &Request{}
	r.Reset()
	r.Method, r.Target, r.HasBody = "POST", "/api/v1/transferFunds", true
	r.Headers = Headers{{"content-type", "application/json"}}
	p.CheckHead(r)
	body := []byte(`{"from":"ACC-1001","to":"ACC-2002","amount":250.75,"currency":"EUR","memo":"rent for november"}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if d := p.CheckBody(r, body); !d.IsAllow() {
			b.Fatal(d)
		}
	}
}

// FuzzCheckHead feeds arbitrary targets, content types and cookies to the
// bank policy: never a panic, and a refusal always names a rule and a
// status.
func FuzzCheckHead(f *testing.F) {
	f.Add("GET", "/api/v1/users/5/accounts?limit=10&status=open,closed", "", "sid=1")
	f.Add("POST", "/api/v1/transferFunds", "application/json; charset=utf-8", "")
	f.Add("GET", "/api/v1/accounts/%41CC-1/balance?x=%zz&&=&a", "", "a=b; c")
	p := bankOpenAPI(f)
	f.Fuzz(func(t *testing.T, method, target, contentType, cookie string) {
		r := &Request{}
		r.Reset()
		r.Method, r.Target = method, target
		r.Headers = Headers{{"content-type", contentType}, {"cookie", cookie}}
		d := p.CheckHead(r)
		if d.Verdict != Allow && (d.Rule == "" || d.Status < 400) {
			t.Fatalf("refusal without rule or status: %+v", d)
		}
	})
}

func FuzzParseQuery(f *testing.F) {
	f.Add("a=1&b=%20x+y&&c")
	f.Add("%zz=1")
	f.Fuzz(func(t *testing.T, raw string) {
		pairs, ok := parseQuery(raw, nil, 129)
		if ok && len(pairs) > 129 {
			t.Fatalf("%d pairs accepted", len(pairs))
		}
	})
}
