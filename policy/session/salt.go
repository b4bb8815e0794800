package session

import (
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
	key := SaltKey(prefix)
	for attempt := 0; attempt < 8; attempt++ {
		v, cas, found, err := st.Get(key)
		if err != nil {
			return "", fmt.Errorf("session: read the shared salt: %w", err)
		}
		if found && isSalt(v) {
			return string(v), nil
		}
		var b [saltBytes]byte
		random(b[:])
		salt := hex.AppendEncode(nil, b[:])
		err = st.Set(key, salt, CASFor(cas, found))
		if err == nil {
			return string(salt), nil
		}
		if !errors.Is(err, ErrCASMismatch) {
			return "", fmt.Errorf("session: write the shared salt: %w", err)
		}
	}
	return "", ErrContention
}

func isSalt(v []byte) bool {
	if len(v) != 2*saltBytes {
		return false
	}
	_, err := hex.DecodeString(string(v))
	return err == nil
}
