package abi

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestArenaServesFromSlabAndRewinds(t *testing.T) {
	a := newArena()
	b1 := a.alloc(10)
	b2 := a.alloc(100)
	require.Len(t, b1, 10)
	require.Len(t, b2, 100)
	assert.Zero(t, a.Fallbacks)
	assert.Equal(t, 0, int(addrOf(b2)%arenaAlign), "allocations are aligned")
	assert.Equal(t, b1, a.lookup(addrOf(b1), 10))
	assert.Nil(t, a.lookup(addrOf(b1), len(a.slab)+1), "out-of-range lookups fail")
	a.release()
	b3 := a.alloc(10)
	assert.Equal(t, addrOf(b1), addrOf(b3), "release rewinds the slab")
}

func TestArenaFallbackGrowsAfterRelease(t *testing.T) {
	a := newArena()
	big := a.alloc(arenaMinSlab * 3)
	require.Len(t, big, arenaMinSlab*3)
	assert.EqualValues(t, 1, a.Fallbacks)
	big[0] = 7
	assert.Equal(t, big, a.lookup(addrOf(big), len(big)), "heap fallbacks stay reachable and addressable")
	a.release()
	assert.GreaterOrEqual(t, len(a.slab), arenaMinSlab*3)
	a.alloc(arenaMinSlab * 3)
	assert.EqualValues(t, 1, a.Fallbacks, "the grown slab serves the same size without a fallback")
}

func TestArenaReserveKeepsEarlierMemoryValid(t *testing.T) {
	a := newArena()
	first := a.alloc(16)
	copy(first, "keep me please!!")
	a.reserve(arenaMinSlab * 2)
	second := a.alloc(arenaMinSlab * 2)
	assert.Zero(t, a.Fallbacks)
	assert.Equal(t, "keep me please!!", string(first))
	assert.Equal(t, first, a.lookup(addrOf(first), 16))
	assert.Equal(t, second, a.lookup(addrOf(second), len(second)))
}

func TestArenaDropsHugeSlabWhenIdle(t *testing.T) {
	a := newArena()
	a.reserve(arenaMaxKeep * 2)
	a.release()
	assert.Equal(t, arenaMinSlab, len(a.slab))
}

func TestArenaZeroSize(t *testing.T) {
	a := newArena()
	assert.Nil(t, a.alloc(0))
	assert.Nil(t, a.lookup(0, 0))
}
