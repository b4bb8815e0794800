package abi

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPairsRoundTrip(t *testing.T) {
	in := [][2]string{{":status", "200"}, {"content-type", "application/json"}, {"empty", ""}}
	b, ok := AppendPairs(nil, in)
	require.True(t, ok)
	// count + 3*(klen,vlen) + bytes with NULs
	assert.Len(t, b, 4+3*8+len(":status200content-typeapplication/jsonempty")+6)
	assert.Equal(t, in, ParsePairs(b))
}

func TestPairsKnownEncoding(t *testing.T) {
	// The spec's example, with the real bytes for "1" and "2".
	b, ok := AppendPairs(nil, [][2]string{{"a", "1"}, {"b", "2"}})
	require.True(t, ok)
	want := []byte{2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 'a', 0, '1', 0, 'b', 0, '2', 0}
	assert.Equal(t, want, b)
}

func TestParsePairsMalformedIsEmpty(t *testing.T) {
	good, _ := AppendPairs(nil, [][2]string{{"k", "v"}})
	cases := map[string][]byte{
		"short":            {1, 0},
		"count too large":  {200, 0, 0, 0},
		"missing nul":      append(append([]byte{}, good[:len(good)-1]...), 'x'),
		"trailing garbage": append(append([]byte{}, good...), 0),
		"truncated":        good[:len(good)-2],
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) { assert.Nil(t, ParsePairs(b)) })
	}
}

func TestAppendPairsRefusesWhatHostsDrop(t *testing.T) {
	many := make([][2]string, maxPairs+1)
	_, ok := AppendPairs(nil, many)
	assert.False(t, ok)
	big := [][2]string{{"k", string(make([]byte, maxPairsBytes))}}
	_, ok = AppendPairs(nil, big)
	assert.False(t, ok)
}

func TestPropertyPath(t *testing.T) {
	assert.Equal(t, "source\x00address", PropertyPath([]string{"source", "address"}))
}

func FuzzParsePairs(f *testing.F) {
	b, _ := AppendPairs(nil, [][2]string{{"a", "1"}, {":path", "/x"}})
	f.Add(b)
	f.Add([]byte{1, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		pairs := ParsePairs(data)
		if pairs == nil {
			return
		}
		// Anything accepted re-encodes to exactly the input.
		out, ok := AppendPairs(nil, pairs)
		if !ok || string(out) != string(data) {
			t.Fatalf("round trip mismatch: %x -> %q -> %x", data, pairs, out)
		}
	})
}

func TestParsePairsAllocatesPerMapNotPerHeader(t *testing.T) {
	pairs := make([][2]string, 20)
	for i := range pairs {
		pairs[i] = [2]string{"x-header-name", "some header value"}
	}
	b, _ := AppendPairs(nil, pairs)
	allocs := testing.AllocsPerRun(100, func() { ParsePairs(b) })
	assert.LessOrEqual(t, allocs, 2.0)
}

func TestAppendParsedPairsReusesTheList(t *testing.T) {
	in := [][2]string{{":method", "GET"}, {":path", "/a"}, {"x-b", ""}}
	b, _ := AppendPairs(nil, in)
	buf := make([][2]string, 0, 8)
	out := AppendParsedPairs(buf, b)
	assert.Equal(t, in, out)
	assert.Same(t, &buf[:1][0], &out[0], "decoded into dst's backing array")
	allocs := testing.AllocsPerRun(100, func() { AppendParsedPairs(buf, b) })
	assert.LessOrEqual(t, allocs, 1.0, "only the copy of the data")
	assert.Equal(t, in, AppendParsedPairs(make([][2]string, 0, 1), b), "a short list grows")
	assert.Nil(t, AppendParsedPairs(buf, b[:5]), "malformed")
}
