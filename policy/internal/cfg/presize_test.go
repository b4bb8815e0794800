package cfg

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fastjson"
)

// valueCount is the number of values of a parsed document.
func valueCount(v *fastjson.Value) int {
	n := 1
	switch v.Type() {
	case fastjson.TypeObject:
		v.GetObject().Visit(func(_ []byte, x *fastjson.Value) { n += valueCount(x) })
	case fastjson.TypeArray:
		for _, x := range v.GetArray() {
			n += valueCount(x)
		}
	}
	return n
}

// The presizing depends on fastjson's private layout: if an upgrade moves
// the cache, this fails instead of the configure peak quietly growing
// back fivefold.
func TestFastjsonLayoutIsKnown(t *testing.T) {
	require.NotZero(t, cacheOffset)
	var p fastjson.Parser
	data := []byte(`[` + strings.Repeat(`{"a":[1,"x,{[",true]},`, 1000) + `null]`)
	presize(&p, data)
	v, err := p.ParseBytes(data)
	require.NoError(t, err)
	n := valueCount(v)
	assert.Equal(t, 1+1000*5+1, n)
	assert.GreaterOrEqual(t, countValues(data), n)
	// Every value sits in the one array presize made: the cache did not
	// grow (its capacity is still the count; true, false and null are
	// fastjson's shared values, not in the cache).
	vs := *(*[]fastjson.Value)(unsafeCache(&p))
	assert.Equal(t, countValues(data), cap(vs))
	assert.Equal(t, n-1001, len(vs))
}

// FuzzCountValues: the count is an upper bound on the values of any
// document fastjson accepts, and a parser given room for that many values
// reads the same document.
func FuzzCountValues(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `[1,2,3]`, `{"a,b":"c\"[{,","d":[{},[]]}`, `"\\"`, `[[[[[[1]]]]]]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var plain fastjson.Parser
		v, err := plain.Parse(s)
		if err != nil {
			return
		}
		if n := valueCount(v); countValues([]byte(s)) < n {
			t.Fatalf("count %d < %d values of %q", countValues([]byte(s)), n, s)
		}
		var sized fastjson.Parser
		reserve(&sized, countValues([]byte(s)))
		w, err := sized.Parse(s)
		if err != nil {
			t.Fatalf("presized parse refused %q: %v", s, err)
		}
		// (valueCount asks each value its type, which makes fastjson
		// unescape strings: both trees are walked alike before comparing.)
		if valueCount(w) != valueCount(v) || string(w.MarshalTo(nil)) != string(v.MarshalTo(nil)) {
			t.Fatalf("presized parse differs for %q", s)
		}
	})
}
