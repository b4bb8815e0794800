package session

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSharedSaltIsCreatedOnceAndSharedByEveryVM(t *testing.T) {
	st := NewMemStore()
	var wg sync.WaitGroup
	salts := make([]string, 8)
	for i := range salts {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), 1))
			s, err := SharedSalt(st, "apiwarden/", func(b []byte) {
				for j := range b {
					b[j] = byte(r.Uint32())
				}
			})
			require.NoError(t, err)
			salts[i] = s
		}(i)
	}
	wg.Wait()
	for _, s := range salts {
		assert.Equal(t, salts[0], s, "every VM hashes sessions with the same salt")
	}
	assert.Len(t, salts[0], 32)
	assert.NotEqual(t, Hash("", "victim"), Hash(salts[0], "victim"), "the bucket of a chosen id is not computable")

	// A foreign value under the key is replaced, not used.
	require.NoError(t, st.Set(SaltKey("other/"), []byte("not a salt"), 0))
	s, err := SharedSalt(st, "other/", func(b []byte) { b[0] = 1 })
	require.NoError(t, err)
	assert.Len(t, s, 32)
	assert.NotEqual(t, "not a salt", s)
}
