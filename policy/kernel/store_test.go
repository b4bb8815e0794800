package kernel

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMemStoreEnvoyCASSemantics(t *testing.T) {
	s := NewMemStore()
	_, _, found, err := s.Get("k")
	require.NoError(t, err)
	assert.False(t, found)

	// A missing key ignores cas.
	require.NoError(t, s.Set("k", []byte("a"), 12345))
	v, cas, found, err := s.Get("k")
	require.NoError(t, err)
	assert.True(t, found)
	assert.Equal(t, "a", string(v))
	assert.Equal(t, uint32(1), cas, "the counter starts at 1")

	assert.ErrorIs(t, s.Set("k", []byte("b"), cas+7), ErrCASMismatch)
	require.NoError(t, s.Set("k", []byte("b"), cas))
	_, cas2, _, _ := s.Get("k")
	assert.Equal(t, uint32(2), cas2)
	assert.ErrorIs(t, s.Set("k", []byte("c"), cas), ErrCASMismatch, "a stale cas fails")
	require.NoError(t, s.Set("k", []byte("c"), 0), "cas 0 is unconditional")

	// Values are copied in and out.
	buf := []byte("xyz")
	require.NoError(t, s.Set("j", buf, 0))
	buf[0] = 'Q'
	v, _, _, _ = s.Get("j")
	assert.Equal(t, "xyz", string(v))
	v[0] = 'R'
	v, _, _, _ = s.Get("j")
	assert.Equal(t, "xyz", string(v))

	keys, bytes := s.Stats()
	assert.Equal(t, 2, keys)
	assert.Equal(t, 1+1+1+3, bytes)
	assert.Equal(t, []string{"j", "k"}, s.Keys())
}

func TestMemStoreCASSkipsZero(t *testing.T) {
	s := NewMemStore()
	s.setCounter(0xFFFFFFFF)
	require.NoError(t, s.Set("k", []byte("a"), 0))
	_, cas, _, _ := s.Get("k")
	assert.Equal(t, uint32(1), cas, "wraps to 1, never 0")
}
