package kernel

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// nasty are values an attacker chooses: control characters, quotes,
// backslashes, invalid UTF-8, markup, JSON-pointer syntax.
var nasty = []string{"", "plain", "q\"uo\"te", `back\slash\`, "nul\x00tab\tnl\ncr\rdel\x7f", "\x1f\x01",
	"bad\xff\xfeutf8", "</script>&", "a/b~c", "~01", "\u2028\u2029", `{"json":1}`}

func TestAppendStringIsAlwaysValidJSON(t *testing.T) {
	for _, s := range nasty {
		b := AppendString(nil, s)
		require.True(t, json.Valid(b), "%q -> %s", s, b)
		var back string
		require.NoError(t, json.Unmarshal(b, &back))
		assert.Equal(t, []rune(string([]rune(s))), []rune(back), "%q round-trips (invalid UTF-8 as U+FFFD)")
	}
}

func TestAppendEscapedKeepsBytesAndStaysValid(t *testing.T) {
	for _, s := range nasty {
		b := append(AppendEscaped([]byte{'"'}, s), '"')
		if !utf8.ValidString(s) {
			continue // AppendEscaped is for text checked to be UTF-8
		}
		require.True(t, json.Valid(b), "%q -> %s", s, b)
		var back string
		require.NoError(t, json.Unmarshal(b, &back))
		assert.Equal(t, s, back)
		// The []byte form writes the same.
		assert.Equal(t, b, append(AppendEscaped([]byte{'"'}, []byte(s)), '"'))
	}
}

func TestObjectWithHostileKeysAndValues(t *testing.T) {
	o := OpenObject(nil)
	for i, s := range nasty {
		o.Str(s+string(rune('a'+i)), s)
	}
	o.Int("n", -3)
	o.Float("f", 1.5)
	o.Bool("b", true)
	o.Raw("raw", []byte(`[1,"x"]`))
	b := o.Close()
	require.True(t, json.Valid(b), string(b))
}

func TestPointerTokens(t *testing.T) {
	for in, want := range map[string]string{"a/b": "a~1b", "a~b": "a~0b", "~1": "~01", "plain": "plain", "/~": "~1~0"} {
		assert.Equal(t, want, EscapeToken(in))
		assert.Equal(t, in, UnescapeToken(want))
	}
}

// countedStore counts reads.
type countedStore struct {
	*MemStore
	gets int
}

func (s *countedStore) Get(key string) ([]byte, uint32, bool, error) {
	s.gets++
	return s.MemStore.Get(key)
}

// TestUpdateFromAnEarlierRead: a read nothing has overwritten since is
// written from without reading again; a stale one loses the swap, and the
// next attempt reads the value the other writer left.
func TestUpdateFromAnEarlierRead(t *testing.T) {
	st := &countedStore{MemStore: NewMemStore()}
	require.NoError(t, st.Set("k", []byte("a"), CreateCAS))
	old, cas, found, err := st.Get("k")
	require.NoError(t, err)
	st.gets = 0
	appendBang := func(old []byte, found bool) ([]byte, bool, error) {
		return append(append([]byte(nil), old...), '!'), true, nil
	}
	read := Read{Value: append([]byte(nil), old...), CAS: cas, Found: found}
	require.NoError(t, UpdateFrom(st, "k", 3, &read, appendBang))
	assert.Zero(t, st.gets, "the earlier read was current: no read")
	v, _, _, _ := st.Get("k")
	assert.Equal(t, "a!", string(v))

	// read is stale now: the first swap fails, the second reads "a!".
	st.gets = 0
	require.NoError(t, UpdateFrom(st, "k", 3, &read, appendBang))
	assert.Equal(t, 1, st.gets)
	v, _, _, _ = st.Get("k")
	assert.Equal(t, "a!!", string(v), "nothing the other writer wrote is lost")

	// An earlier read of a missing key creates it, unless someone did.
	st.gets = 0
	require.NoError(t, UpdateFrom(st, "new", 2, &Read{}, appendBang))
	assert.Zero(t, st.gets)
	assert.ErrorIs(t, UpdateFrom(st, "new", 1, &Read{}, appendBang), ErrContention, "created since: the create loses")
}

func TestUpdateRetriesThenGivesUp(t *testing.T) {
	st := NewMemStore()
	calls := 0
	err := Update(st, "k", 3, func(old []byte, found bool) ([]byte, bool, error) {
		calls++
		// Another writer gets in between every read and write.
		require.NoError(t, st.Set("k", []byte("other"), 0))
		return []byte("mine"), true, nil
	})
	assert.ErrorIs(t, err, ErrContention)
	assert.Equal(t, 3, calls)

	err = Update(st, "k", 3, func(old []byte, found bool) ([]byte, bool, error) {
		assert.True(t, found)
		return append(old, '!'), true, nil
	})
	require.NoError(t, err)
	v, _, _, _ := st.Get("k")
	assert.Equal(t, "other!", string(v))
	require.NoError(t, Update(st, "k", 3, func([]byte, bool) ([]byte, bool, error) { return nil, false, nil }), "declining writes nothing")
}
