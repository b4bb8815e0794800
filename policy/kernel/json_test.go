package kernel

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestAppendString(t *testing.T) {
	for in, want := range map[string]string{
		"plain":        `"plain"`,
		"q\"b\\":       `"q\"b\\"`,
		"\x01\n":       `"\u0001\u000A"`,
		"<script>&":    `"\u003Cscript\u003E\u0026"`,
		"caf\xc3\xa9":  `"café"`,
		"bad\xffbyte":  `"bad\ufffdbyte"`,
		"\u2028emoji😀": "\"\u2028emoji😀\"",
	} {
		got := AppendString(nil, in)
		assert.Equal(t, want, string(got), in)
		assert.True(t, json.Valid(got))
	}
}

func FuzzAppendString(f *testing.F) {
	f.Add("a\"b\\c\x00\xff<")
	f.Fuzz(func(t *testing.T, s string) {
		if out := AppendString(nil, s); !json.Valid(out) {
			t.Fatalf("invalid JSON for %q: %s", s, out)
		}
	})
}
