package main

import (
	"errors"

	"github.com/apiwarden/apiwarden/filter/internal/abi"
	"github.com/apiwarden/apiwarden/policy/session"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// sharedStore is the host's shared data (one store for every VM of the
// vm_id) behind the policy's Store interface. Values returned by Get are
// valid until the current callback returns (the binding's arena); the
// policy decodes them at once.
type sharedStore struct{}

func (sharedStore) Get(key string) ([]byte, uint32, bool, error) {
	v, cas, err := abi.GetSharedData(key)
	switch {
	case err == nil:
		return v, cas, true, nil
	case errors.Is(err, types.ErrorStatusNotFound):
		return nil, 0, false, nil
	}
	return nil, 0, false, err
}

func (sharedStore) Set(key string, value []byte, cas uint32) error {
	err := abi.SetSharedData(key, value, cas)
	if errors.Is(err, types.ErrorStatusCasMismatch) {
		return session.ErrCASMismatch
	}
	return err
}
