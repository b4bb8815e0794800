package session

import (
	"github.com/apiwarden/apiwarden/policy/kernel"

	"encoding/hex"
	"errors"
	"fmt"
)

// saltBytes is the size of a generated salt.
const saltBytes = 16

// SaltKey is the shared-data key of the per-proxy salt.
func SaltKey(prefix string) string { return prefix + "salt" }

// SharedSalt returns the per-proxy session salt used when the
// configuration leaves "salt" empty: created once from random (the host's
// randomness) and shared by every VM through shared data, so session
// buckets are not computable from chosen session ids while all VMs still
// agree on every session's hash. The first VM to start creates it with
// compare-and-swap; the others read it. A value that is not a salt
// (foreign or damaged) is replaced. It changes only when the proxy
// restarts (shared data does not outlive it), which starts every session
// history over.
func SharedSalt(st Store, prefix string, random func([]byte)) (string, error) {
	var salt []byte
	err := kernel.Update(st, SaltKey(prefix), 8, func(old []byte, found bool) ([]byte, bool, error) {
		if found && isSalt(old) {
			salt = append(salt[:0], old...)
			return nil, false, nil
		}
		var b [saltBytes]byte
		random(b[:])
		salt = hex.AppendEncode(salt[:0], b[:])
		return salt, true, nil
	})
	switch {
	case errors.Is(err, kernel.ErrContention):
		return "", ErrContention
	case err != nil:
		return "", fmt.Errorf("session: shared salt: %w", err)
	}
	return string(salt), nil
}

func isSalt(v []byte) bool {
	if len(v) != 2*saltBytes {
		return false
	}
	_, err := hex.DecodeString(string(v))
	return err == nil
}
