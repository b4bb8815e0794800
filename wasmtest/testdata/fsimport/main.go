//go:build wasip1

// Command fsimport is a proxy-wasm module that reads a file, so the Go
// toolchain imports fd_filestat_get and path_filestat_get: Envoy 1.33-1.38
// refuse to link it, the April 2026 WASI set accepts it.
package main

import "os"

func main() {}

//go:wasmexport proxy_abi_version_0_2_1
func abiVersion() {}

var keep [][]byte

//go:wasmexport proxy_on_memory_allocate
func onMemoryAllocate(size uint32) uint32 {
	b := make([]byte, size)
	keep = append(keep, b)
	return uint32(uintptrOf(b))
}

//go:wasmexport proxy_on_vm_start
func onVMStart(root, size uint32) uint32 {
	_, err := os.ReadFile("/etc/hostname")
	return boolU(err != nil)
}

func boolU(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}
