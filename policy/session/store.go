package session

import "github.com/apiwarden/apiwarden/policy/kernel"

// Shared data is the kernel's port (kernel.Store, kernel.MemStore); these
// aliases keep session's many callers (sequence, inventory, the filter,
// tests) spelling it session.Store.
type (
	Store    = kernel.Store
	MemStore = kernel.MemStore
)

// ErrCASMismatch is kernel.ErrCASMismatch.
var ErrCASMismatch = kernel.ErrCASMismatch

// NewMemStore returns an empty in-memory store (kernel.NewMemStore).
func NewMemStore() *MemStore { return kernel.NewMemStore() }
