package policy

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNormalizePath(t *testing.T) {
	cases := []struct{ in, path, query string }{
		{"/", "/", ""},
		{"/api/v1/users", "/api/v1/users", ""},
		{"/api/v1/users/", "/api/v1/users", ""},
		{"/api//v1///users", "/api/v1/users", ""},
		{"/api/v1/./users", "/api/v1/users", ""},
		{"/api/v1/x/../users", "/api/v1/users", ""},
		{"/../../etc/passwd", "/etc/passwd", ""},
		{"/api/%76%31/users", "/api/v1/users", ""},
		{"/api/v1/%2e%2e/admin", "/api/admin", ""},
		{"/api/v1/%2E./admin", "/api/admin", ""},
		{"/a%2fb", "/a%2Fb", ""},
		{"/a%2F..%2Fadmin", "/a%2F..%2Fadmin", ""},
		{"/a%20b", "/a%20b", ""},
		{"/users?limit=10&x=/..", "/users", "limit=10&x=/.."},
		{"/users/?", "/users", ""},
		{"/a\\b", "/a\\b", ""},
		{"/é", "/é", ""},
		{"/a/.hidden", "/a/.hidden", ""},
		{"/a/..b", "/a/..b", ""},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			p, q, err := NormalizePath(c.in)
			require.NoError(t, err)
			assert.Equal(t, c.path, p)
			assert.Equal(t, c.query, q)
		})
	}
}

func TestNormalizePathRefuses(t *testing.T) {
	for _, in := range []string{"", "users", "*", "/a%zz", "/a%4", "/a%", "/a%00b", "/a%0d%0aSet-Cookie", "/a\x00", "/a\tb", "/a%7f"} {
		_, _, err := NormalizePath(in)
		assert.ErrorIs(t, err, ErrInvalidPath, in)
	}
}

func TestNormalizePathCommonCaseDoesNotAllocate(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		_, _, _ = NormalizePath("/api/v1/accounts/123/balance?x=1")
	})
	assert.Zero(t, allocs)
}

func FuzzNormalizePath(f *testing.F) {
	for _, s := range []string{"/", "/a/../b", "/%2e%2E/x", "/a//b/", "/a%2fb?q", "/%zz", "/a/./././.."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, _, err := NormalizePath(in)
		if err != nil {
			return
		}
		// Normal form: idempotent, rooted, no empty or dot segments.
		again, q, err := NormalizePath(p)
		if err != nil || again != p || q != "" && !strings.Contains(in, "?") {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", in, p, again, err)
		}
		if p != "/" && (strings.Contains(p, "//") || strings.HasSuffix(p, "/")) {
			t.Fatalf("not normal: %q -> %q", in, p)
		}
		for _, seg := range strings.Split(p, "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("dot segment left: %q -> %q", in, p)
			}
		}
	})
}
