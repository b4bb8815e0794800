package policy

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apiwarden/apiwarden/internal/differential"
)

// forward plays a case through the policy the way the filter applies it
// and returns what the upstream would receive (nil when refused) and the
// operation validated.
func forward(p *Policy, c *differential.Case) (*differential.Forwarded, string) {
	r := &Request{}
	r.Reset()
	r.Method, r.Target, r.Headers, r.HasBody = c.Method, c.Target, Headers(c.Headers), c.HasBody()
	if v, ok := r.Headers.Get("content-length"); ok {
		r.ContentLength, _ = strconv.ParseInt(v, 10, 64)
	}
	d := p.CheckHead(r)
	if d.Verdict == Block {
		return nil, ""
	}
	if r.HasBody {
		if p.WantsBody(r) {
			if p.CheckBody(r, []byte(c.Body)).Verdict == Block {
				return nil, ""
			}
		} else if p.UnexpectedBody(r, len(c.Body)).Verdict == Block {
			return nil, ""
		}
	}
	f := &differential.Forwarded{Method: c.Method, Target: c.Target, Body: []byte(c.Body)}
	if r.Edits.Path != "" {
		f.Target = r.Edits.Path
	}
next:
	for _, kv := range c.Headers {
		for _, h := range r.Edits.Remove {
			if kv[0] == h {
				continue next
			}
		}
		f.Headers = append(f.Headers, kv)
	}
	op := ""
	if r.Match.Endpoint != nil {
		op = r.Match.Endpoint.ID
	}
	return f, op
}

// TestIntegrityDifferential is issue 9's property, natively: for every
// generated request the policy allows, a Go backend routes it to the
// operation that was validated and parses values that satisfy the schema.
func TestIntegrityDifferential(t *testing.T) {
	defaults, err := Compile([]byte(differential.Config))
	require.NoError(t, err)
	// The other safe settings: overrides stripped, paths refused.
	other, err := Compile([]byte(`{"request":{"method_override":"strip","path_integrity":"refuse"},` + differential.Config[1:]))
	require.NoError(t, err)
	for class, cases := range differential.All() {
		t.Run(class, func(t *testing.T) {
			allowed := 0
			for _, p := range []*Policy{defaults, other} {
				for i := range cases {
					c := &cases[i]
					f, op := forward(p, c)
					if f == nil {
						continue
					}
					allowed++
					if err := differential.Check(op, c.Method, differential.Serve(*f)); err != nil {
						t.Errorf("%s: %v", c.Name(), err)
					}
				}
			}
			t.Logf("%s: %d cases, %d allowed under the two settings", class, len(cases), allowed)
			assert.GreaterOrEqual(t, len(cases), 150, "several hundred variants per class")
			assert.Positive(t, allowed, "the class also has requests that pass")
		})
	}
}

// TestIntegrityOff shows the bench catches the classes: with the
// integrity settings relaxed, the backend acts on what was not validated.
func TestIntegrityOff(t *testing.T) {
	relaxed := `{"request":{"numbers":"exact","json_text":"lax","path_integrity":"off","unexpected_body":"allow","method_override":"allow"},` + differential.Config[1:]
	p, err := Compile([]byte(relaxed))
	require.NoError(t, err)
	for class, cases := range differential.All() {
		if class == "integers" {
			continue // canonical scalars are not switchable
		}
		bad := 0
		for i := range cases {
			if f, op := forward(p, &cases[i]); f != nil && differential.Check(op, cases[i].Method, differential.Serve(*f)) != nil {
				bad++
			}
		}
		assert.Positive(t, bad, "%s: the relaxed policy lets a differential through", class)
	}
}

func TestPathIntegrityModes(t *testing.T) {
	for _, c := range []struct {
		mode, target, path string
		verdict            Verdict
	}{
		{"rewrite", "/internal/%2e%2e/api/v1/users/1/accounts?limit=5&status=%6Fpen", "/api/v1/users/1/accounts?limit=5&status=%6Fpen", Allow},
		{"rewrite", "/api/v1/users/1/accounts?limit=5", "", Allow},
		{"rewrite", "/api//v1/users/%31/accounts/", "/api/v1/users/1/accounts", Allow},
		{"refuse", "/internal/%2e%2e/api/v1/users/1/accounts", "", Block},
		{"refuse", "/api/v1/users/1/accounts", "", Allow},
		{"off", "/internal/%2e%2e/api/v1/users/1/accounts", "", Allow},
	} {
		p, err := Compile([]byte(`{"request":{"path_integrity":"` + c.mode + `"},` + differential.Config[1:]))
		require.NoError(t, err)
		r, d := head(p, "GET", c.target)
		assert.Equal(t, c.verdict, d.Verdict, "%s %s", c.mode, c.target)
		assert.Equal(t, c.path, r.Edits.Path, "%s %s", c.mode, c.target)
		if d.Verdict == Block {
			assert.Equal(t, "path-not-normal", d.Rule)
			assert.Equal(t, 400, d.Status)
		}
	}
}

func TestMethodOverrideModes(t *testing.T) {
	for mode, want := range map[string]Verdict{"block": Block, "strip": Allow, "allow": Allow} {
		p, err := Compile([]byte(`{"request":{"method_override":"` + mode + `"},` + differential.Config[1:]))
		require.NoError(t, err)
		r, d := head(p, "GET", "/api/v1/accounts/ACC-1/balance", [2]string{"x-http-method-override", "DELETE"}, [2]string{"x-method-override", "PUT"})
		assert.Equal(t, want, d.Verdict, mode)
		switch mode {
		case "block":
			assert.Equal(t, "method-override", d.Rule)
			assert.Equal(t, 400, d.Status)
		case "strip":
			assert.Equal(t, []string{"x-http-method-override", "x-method-override"}, r.Edits.Remove)
		case "allow":
			assert.Empty(t, r.Edits.Remove)
		}
	}
}

func TestUnexpectedBodyModes(t *testing.T) {
	for mode, want := range map[string]Verdict{"block": Block, "log": Log, "allow": Allow} {
		p, err := Compile([]byte(`{"request":{"unexpected_body":"` + mode + `"},` + differential.Config[1:]))
		require.NoError(t, err)
		r := &Request{}
		r.Reset()
		r.Method, r.Target, r.ContentLength, r.HasBody = "GET", "/api/v1/accounts/ACC-1/balance", 12, true
		d := p.CheckHead(r)
		assert.Equal(t, want, d.Verdict, mode)
		if want != Allow {
			assert.Equal(t, "unexpected-body", d.Rule)
			assert.Equal(t, 400, d.Status)
		}
		// Not announced: decided on the first body byte.
		r.Reset()
		r.Method, r.Target, r.HasBody = "GET", "/api/v1/accounts/ACC-1/balance", true
		_ = p.CheckHead(r)
		assert.Equal(t, want, p.UnexpectedBody(r, 1).Verdict, mode)
		assert.Equal(t, Allow, p.UnexpectedBody(r, 0).Verdict, "an empty body is no body")
	}
}

func TestBoundsNameTheBound(t *testing.T) {
	p, err := Compile([]byte(`{"request":{"max_array_items":3,"max_query_params":4,"max_headers":5},` + differential.Config[1:]))
	require.NoError(t, err)
	_, d := head(p, "GET", "/api/v1/users/1/accounts?status=open,open,open,open")
	require.Equal(t, Block, d.Verdict)
	assert.Contains(t, d.Violations[0].Message, "more than 3 items (request.max_array_items)")
	_, d = head(p, "GET", "/api/v1/users/1/accounts?limit=1&a=1&b=1&c=1&d=1")
	require.Equal(t, Block, d.Verdict)
	assert.Contains(t, d.Violations[0].Message, "more than 4 query parameters (request.max_query_params)")
	hs := make([][2]string, 6)
	for i := range hs {
		hs[i] = [2]string{"x-h" + strconv.Itoa(i), "v"}
	}
	_, d = head(p, "GET", "/api/v1/users/1/accounts", hs...)
	require.Equal(t, Block, d.Verdict)
	assert.Contains(t, d.Violations[0].Message, "more than 5 headers (request.max_headers)")
	// The documented defaults, as literals.
	q, err := Compile(nil)
	require.NoError(t, err)
	assert.Equal(t, Integrity{Numbers: 1, StrictJSON: true, UnexpectedBody: ActionBlock, MaxArrayItems: 100, MaxQueryParams: 128, MaxHeaders: 128, MaxCookies: 64}, q.Integrity)
}
