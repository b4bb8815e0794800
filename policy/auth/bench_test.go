package auth

import "testing"

// Benchmarks: a first verification per algorithm (parse, signature,
// claims: what an uncached token costs), a baseline that only splits,
// decodes and checks the header, the cached check through Verify (which
// fails if it verifies a signature), and Authenticate on a cached token.
func benchVectors(b *testing.B) map[string]rfcVector { return rfcVectors(b) }

func BenchmarkVerify(b *testing.B) {
	vs := benchVectors(b)
	for _, name := range []string{"rfc7515_a3_es256", "rfc7515_a2_rs256", "rfc8037_a4_eddsa", "rfc7515_a1_hs256"} {
		v := vs[name]
		c := mustConfig(b, providerConfig("p", string(v.JWKS), `"`+v.Alg+`"`, `,"required_claims":[]`))
		p := c.Providers[0]
		b.Run("first/"+v.Alg, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(v.Token)))
			for i := 0; i < b.N; i++ {
				j, r := parseJWS(v.Token, p.MaxTokenBytes, p.Algorithms)
				if r != ReasonNone {
					b.Fatal(r)
				}
				if _, r = j.verifyWith(p.Inline); r != ReasonNone {
					b.Fatal(r)
				}
				if v.Text == "" {
					if _, r = p.checkClaims(j.payload, rfcNow); r != ReasonNone {
						b.Fatal(r)
					}
				}
			}
		})
	}
	v := vs["rfc7515_a3_es256"]
	c := mustConfig(b, providerConfig("p", string(v.JWKS), `"ES256"`, ""))
	p := c.Providers[0]
	b.Run("baseline/parse-only", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(v.Token)))
		for i := 0; i < b.N; i++ {
			if _, r := parseJWS(v.Token, p.MaxTokenBytes, p.Algorithms); r != ReasonNone {
				b.Fatal(r)
			}
		}
	})
	b.Run("cached/ES256", func(b *testing.B) {
		rt := New(c, nil)
		if _, r := rt.Verify("p", v.Token, rfcNow); r != ReasonNone {
			b.Fatal(r)
		}
		before := signatureChecks.Load()
		b.ReportAllocs()
		b.SetBytes(int64(len(v.Token)))
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, r := rt.Verify("p", v.Token, rfcNow); r != ReasonNone {
				b.Fatal(r)
			}
		}
		if n := signatureChecks.Load() - before; n != 0 {
			b.Fatalf("%d signature checks in cached runs", n)
		}
	})
	b.Run("authenticate-cached/ES256", func(b *testing.B) {
		cc := mustConfig(b, `{"providers":[{"name":"p","algorithms":["ES256"],"jwks":`+string(v.JWKS)+`,"claim_headers":{"iss":"x-iss"}}],"default":[{"p":[]}]}`)
		rt := New(cc, nil)
		req := bearer(v.Token)
		if r := rt.Authenticate("e", req, rfcNow); r.Reason != ReasonNone {
			b.Fatal(r.Reason)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if r := rt.Authenticate("e", req, rfcNow); r.Reason != ReasonNone {
				b.Fatal(r.Reason)
			}
		}
	})
}
