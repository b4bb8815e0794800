package schema

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPatternsAreCompiledOnce(t *testing.T) {
	a, err := Compile([]byte(`{"type":"string","pattern":"^ACC-[0-9]{1,10}$"}`), "", Options{})
	require.NoError(t, err)
	b, err := Compile([]byte(`{"properties":{"id":{"pattern":"^ACC-[0-9]{1,10}$"}}}`), "", Options{})
	require.NoError(t, err)
	assert.True(t, a.Valid([]byte(`"ACC-1"`), Request))
	assert.False(t, b.Valid([]byte(`{"id":"x"}`), Request))
	re1, _ := compileRegexp("^ACC-[0-9]{1,10}$")
	re2, _ := compileRegexp("^ACC-[0-9]{1,10}$")
	assert.Same(t, re1, re2)
}
