package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDigest(t *testing.T) {
	const want = "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b" // sha256("secret")
	got, err := run([]string{"secret"}, nil)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	got, err = run(nil, strings.NewReader("secret\n"))
	require.NoError(t, err)
	assert.Equal(t, want, got)
	_, err = run(nil, strings.NewReader(""))
	assert.EqualError(t, err, "empty key")
	_, err = run([]string{"a", "b"}, nil)
	assert.Error(t, err)
}
