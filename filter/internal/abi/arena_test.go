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

func TestArenaHandsOverAReservedBuffer(t *testing.T) {
	a := newArena()
	const n = 3*arenaMinSlab + 5
	a.reserveExact(n)
	assert.Len(t, a.slab, n+arenaAlign, "sized to the configuration, not rounded up")
	cfg := a.alloc(n)
	copy(cfg, "the configuration")
	owned := a.own(cfg)
	require.NotNil(t, owned)
	assert.Equal(t, addrOf(cfg), addrOf(owned), "taken over, not copied")
	assert.Zero(t, a.Fallbacks)
	next := a.alloc(16)
	assert.NotEqual(t, addrOf(cfg), addrOf(next), "the arena continues in a fresh slab")
	a.release()
	assert.Equal(t, "the configuration", string(owned[:17]), "the caller's memory outlives the callback")
	assert.Nil(t, a.lookup(addrOf(owned), 16), "and the arena no longer serves it")

	b := newArena()
	first := b.alloc(8)
	second := b.alloc(8)
	assert.Nil(t, b.own(second), "only the slab's sole allocation is handed over")
	assert.Nil(t, b.own(first), "not one with more after it")
}
