package inventory

import (
	"strings"
	"testing"

	"github.com/apiwarden/apiwarden/policy/session"
)

// FuzzLearn checks that Learn never panics and that a template never
// keeps a segment IsID takes for an identifier.
func FuzzLearn(f *testing.F) {
	for _, s := range []string{"/api/v1/users/42/cards", "/", "/a//b", "/x/alice@example.com",
		"/" + strings.Repeat("seg/", 30), "/{id}/%40x.y", "/550e8400-e29b-41d4-a716-446655440000"} {
		f.Add("GET", s)
	}
	inv := New(session.NewMemStore(), Config{MaxShadow: 50})
	f.Fuzz(func(t *testing.T, method, path string) {
		tpl := inv.Learn(method, path)
		if tpl == "" || tpl[0] != '/' {
			t.Fatalf("template %q of %q does not start with '/'", tpl, path)
		}
		segs := strings.Split(tpl[1:], "/")
		if len(segs) > MaxTemplateSegments+1 {
			t.Fatalf("template %q has %d segments", tpl, len(segs))
		}
		for i, s := range segs {
			if s == IDSegment || s == RestSegment && i == MaxTemplateSegments {
				continue
			}
			if IsID(s) {
				t.Fatalf("template %q of %q keeps id-like segment %q", tpl, path, s)
			}
		}
		inv.CountShadow(method, tpl, 200)
		if len(inv.shadow) > 50 {
			inv.Flush()
		}
	})
}
