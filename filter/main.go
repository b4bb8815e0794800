// Command filter is apiwarden's proxy-wasm plugin: an adapter between the
// host (Envoy, Istio, wasmtest) and the pure exchange engine in
// policy/exchange. Each callback reads what the host gives, calls the
// stream's Exchange, and applies the Step it returns: header edits, body
// replacement, local replies, log lines and metric increments. The state
// machine, the per-VM composition root and every decision live in policy/
// (size_test.go bounds this package).
//
// Build it with stock Go as a WASI reactor:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o build/apiwarden.wasm ./filter
//
// Natively the same code runs under the SDK's proxytest emulator.
package main

import "github.com/apiwarden/apiwarden/filter/internal/abi"

func main() {}

// init only registers the VM context: inside _initialize Envoy allows no
// host call but logging, so metrics, ticks and properties wait for
// proxy_on_vm_start / proxy_on_configure.
func init() { abi.SetVMContext(&vmContext{}) }
