package kernel

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestScanString(t *testing.T) {
	for _, c := range []struct {
		in      string
		end     int
		escaped bool
		ok      bool
	}{
		{`"abc" `, 5, false, true},
		{`"a\"b"`, 6, true, true},
		{`"\\"x`, 4, true, true},
		{`"\u00e9"`, 8, true, true},
		{`"\u00g9"`, 0, false, false},
		{`"\x"`, 0, false, false},
		{"\"a\x01\"", 0, false, false},
		{`"open`, 0, false, false},
		{`"trailing\`, 0, false, false},
		{`""`, 2, false, true},
	} {
		end, esc, ok := ScanString(c.in, 0)
		assert.Equal(t, c.ok, ok, "%q", c.in)
		if c.ok {
			assert.Equal(t, c.end, end, "%q", c.in)
			assert.Equal(t, c.escaped, esc, "%q", c.in)
		}
		bend, besc, bok := ScanString([]byte(c.in), 0)
		assert.Equal(t, [3]any{end, esc, ok}, [3]any{bend, besc, bok}, "bytes and string agree on %q", c.in)
	}
	assert.Equal(t, 3, SkipWS(" \t\n{", 0))
	assert.Equal(t, 2, SkipWS([]byte("  "), 0))
}

// FuzzScanString: a string ScanString accepts is one encoding/json
// accepts, with the same extent, and the other way round (valid UTF-8
// aside: the scanner leaves encodings to its callers).
func FuzzScanString(f *testing.F) {
	for _, s := range []string{`"a"`, `"\u1234"`, `"\"`, "\"\x7f\"", `"\/"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) == 0 || s[0] != '"' {
			return
		}
		end, _, ok := ScanString(s, 0)
		if ok {
			var v string
			if err := json.Unmarshal([]byte(s[:end]), &v); err != nil {
				t.Fatalf("accepted %q, encoding/json refuses it: %v", s[:end], err)
			}
			return
		}
		// Refused: no prefix of s is a JSON string encoding/json reads.
		for i := 2; i <= len(s); i++ {
			var v string
			if json.Unmarshal([]byte(s[:i]), &v) == nil {
				t.Fatalf("refused %q, but encoding/json reads its prefix %q", s, s[:i])
			}
		}
	})
}
