package kernel

import (
	"errors"
	"fmt"
	"sort"
	"sync"
)

// ErrCASMismatch is returned by Store.Set when the key exists and its
// compare-and-swap value is not the one given (proxy-wasm CasMismatch).
var ErrCASMismatch = errors.New("shared data: compare-and-swap mismatch")

// Store is shared data as proxy-wasm offers it (proxy_get_shared_data,
// proxy_set_shared_data): one flat namespace of byte values shared by every
// VM of a vm_id, with compare-and-swap and no delete and no expiry.
//
// Get returns found=false and a nil error for a missing key. Set stores
// value if cas is 0 (unconditional), if the key does not exist (Envoy
// ignores cas then), or if cas equals the key's current cas; otherwise it
// returns ErrCASMismatch. Every successful Set gives the key a new cas.
// Set must not keep value: callers reuse the buffer.
type Store interface {
	Get(key string) (value []byte, cas uint32, found bool, err error)
	Set(key string, value []byte, cas uint32) error
}

// MemStore is an in-memory Store with Envoy's exact semantics: one global
// cas counter starting at 1 and skipping 0 when it wraps. It is safe for
// concurrent use and copies values in and out, like the host.
type MemStore struct {
	mu   sync.Mutex
	next uint32
	m    map[string]memEntry
}

type memEntry struct {
	val []byte
	cas uint32
}

// NewMemStore returns an empty store.
func NewMemStore() *MemStore { return &MemStore{} }

// Get implements Store.
func (s *MemStore) Get(key string) ([]byte, uint32, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[key]
	if !ok {
		return nil, 0, false, nil
	}
	return append([]byte(nil), e.val...), e.cas, true, nil
}

// Set implements Store.
func (s *MemStore) Set(key string, value []byte, cas uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string]memEntry)
	}
	if e, ok := s.m[key]; ok && cas != 0 && cas != e.cas {
		return ErrCASMismatch
	}
	s.next++
	if s.next == 0 {
		s.next = 1
	}
	s.m[key] = memEntry{val: append([]byte(nil), value...), cas: s.next}
	return nil
}

// Stats returns the number of keys and the sum of key and value lengths:
// what the host holds for this store.
func (s *MemStore) Stats() (keys, bytes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, e := range s.m {
		bytes += len(k) + len(e.val)
	}
	return len(s.m), bytes
}

// Keys returns the stored keys in sorted order.
func (s *MemStore) Keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.m))
	for k := range s.m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// setCounter positions the cas counter (tests of the wrap-around).
func (s *MemStore) setCounter(v uint32) {
	s.mu.Lock()
	s.next = v
	s.mu.Unlock()
}

// CreateCAS is the cas given to Set when Get found no key: Envoy ignores the
// cas of a missing key (so the value is created), and a key that another
// writer created meanwhile has a different cas (so the create fails instead
// of overwriting). Only a racing create that happened to get this exact cas
// value from the global counter could be overwritten.
const CreateCAS = 0xFFFFFFFF

// CASFor returns the cas to pass to Store.Set after a Get that returned
// (cas, found): the cas itself, or CreateCAS for a missing key.
func CASFor(cas uint32, found bool) uint32 {
	if found {
		return cas
	}
	return CreateCAS
}

// ErrContention is returned by Update when every attempt lost the
// compare-and-swap to another writer.
var ErrContention = errors.New("shared data: compare-and-swap retries exhausted")

// Update is the one read-modify-write of shared data: it reads key, asks
// modify for the value to write (old is nil and found false for a missing
// key; write false stops without writing), and writes it with
// compare-and-swap, retrying the whole read-modify-write on a mismatch, at
// most attempts times. It returns nil once written (or declined),
// ErrContention when every attempt lost, and the store's or modify's
// error with the key as context. modify must not keep old: the store may
// reuse it.
func Update(st Store, key string, attempts int, modify func(old []byte, found bool) (value []byte, write bool, err error)) error {
	return update(st, key, attempts, nil, modify)
}

// Read is a value of a key as one Get returned it.
type Read struct {
	Value []byte
	CAS   uint32
	Found bool
}

// UpdateFrom is Update whose first attempt starts from an earlier read of
// key instead of reading it again: when nothing wrote the key since, the
// compare-and-swap succeeds and the read (a host call in Envoy) is saved;
// when something did, the swap fails and the next attempt reads, as
// Update's do.
func UpdateFrom(st Store, key string, attempts int, first *Read, modify func(old []byte, found bool) (value []byte, write bool, err error)) error {
	return update(st, key, attempts, first, modify)
}

func update(st Store, key string, attempts int, first *Read, modify func(old []byte, found bool) (value []byte, write bool, err error)) error {
	for i := 0; i < attempts; i++ {
		var old []byte
		var cas uint32
		var found bool
		var err error
		if i == 0 && first != nil {
			old, cas, found = first.Value, first.CAS, first.Found
		} else if old, cas, found, err = st.Get(key); err != nil {
			return fmt.Errorf("read %s: %w", key, err)
		}
		value, write, err := modify(old, found)
		if err != nil || !write {
			return err
		}
		err = st.Set(key, value, CASFor(cas, found))
		if err == nil {
			return nil
		}
		if !errors.Is(err, ErrCASMismatch) {
			return fmt.Errorf("write %s: %w", key, err)
		}
	}
	return ErrContention
}
