package abi

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// proxy_http_call refuses a callout for its arguments (unknown cluster,
// missing :method, :path or :authority, negative timeout) with BadArgument,
// a configuration mistake the caller can name; a bad pointer or a client
// that would not start is the host's failure. Callers tell them apart with
// errors.Is, so the mapping must keep them apart.
func TestStatusErrForCalloutFailures(t *testing.T) {
	assert.NoError(t, StatusOK.Err())
	assert.ErrorIs(t, StatusBadArgument.Err(), types.ErrorStatusBadArgument)
	for _, s := range []Status{StatusInvalidMemoryAccess, StatusInternalFailure} {
		assert.ErrorIs(t, s.Err(), types.ErrorInternalFailure, "status %d", s)
	}
}
