package abi

import "unsafe"

// addrOf is the linear-memory address of a non-empty slice's first byte.
func addrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }
