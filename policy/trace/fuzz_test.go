package trace

import "testing"

func FuzzTraceparent(f *testing.F) {
	for _, s := range []string{
		example,
		"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",
		"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"00-00000000000000000000000000000000-00f067aa0ba902b7-01",
		"", "00-",
	} {
		f.Add(s, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
	}
	f.Fuzz(func(t *testing.T, tp, ts string) {
		c, err := Parse(tp, ts)
		if err != nil {
			return
		}
		if !c.IsValid() {
			t.Fatalf("accepted an invalid context from %q", tp)
		}
		if c.Version == 0 && c.String() != tp {
			t.Fatalf("%q re-formats as %q", tp, c.String())
		}
		if c.Version != 0 && c.String() != "00"+tp[2:55] {
			t.Fatalf("%q re-formats as %q", tp, c.String())
		}
		if c.State != "" && (c.State != ts || len(ts) > MaxTracestateLen) {
			t.Fatalf("tracestate %q kept as %q", ts, c.State)
		}
		back, err := ParseTraceparent(c.String())
		if err != nil || back.TraceID != c.TraceID || back.ParentID != c.ParentID || back.Flags != c.Flags {
			t.Fatalf("round trip of %q failed", tp)
		}
		_, _ = ParseB3(tp)
	})
}
