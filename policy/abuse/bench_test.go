package abuse

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apiwarden/apiwarden/policy/session"
)

func benchRules(n int) string {
	var rules []string
	for i := 0; i < n; i++ {
		rules = append(rules, fmt.Sprintf(`{"id":"r%d","key":["client","header:x-tenant"],"rate":"1000000/s"}`, i))
	}
	return `{"rate_limits":[` + strings.Join(rules, ",") + `]}`
}

// BenchmarkAdmit: rate-limit rules against a baseline without rules, all
// in one run; 1024 clients in rotation, MemStore as shared data.
func BenchmarkAdmit(b *testing.B) {
	for _, n := range []int{0, 1, 3, 10} {
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			e := New(mustParse(b, benchRules(n)), Options{Store: session.NewMemStore(), Salt: "s", Prefix: "p/"})
			reqs := make([]*Request, 1024)
			for i := range reqs {
				reqs[i] = &Request{Endpoint: "get_balance", Path: "/b", Source: fmt.Sprintf("10.0.%d.%d:1", i>>8, i&255),
					Headers: HeaderMap{"x-tenant": "t1"}}
			}
			var r Result
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				e.AdmitInto(&r, reqs[i&1023], t0.Add(time.Duration(i)*time.Microsecond))
				if r.Verdict != Allow {
					b.Fatal(r)
				}
			}
		})
	}
}

// BenchmarkFootprint reports the shared-data keys and bytes after 10^6
// distinct keys through one rate limit (max_keys 10000).
func BenchmarkFootprint(b *testing.B) {
	st := session.NewMemStore()
	e := New(mustParse(b, `{"rate_limits":[{"id":"rl","key":["client"],"rate":"10/s"}]}`), Options{Store: st, Salt: "s"})
	r := &Request{Endpoint: "e"}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		for k := 0; k < 1_000_000; k++ {
			r.Source = fmt.Sprintf("10.%d.%d.%d", k>>16&255, k>>8&255, k&255)
			e.Admit(r, t0.Add(time.Duration(k)*time.Millisecond))
		}
	}
	keys, bytes := st.Stats()
	b.ReportMetric(float64(keys), "keys")
	b.ReportMetric(float64(bytes), "bytes")
	b.ReportMetric(float64(e.Stats().Evicted), "evicted")
}
