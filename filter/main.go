// Command filter is apiwarden's proxy-wasm plugin: the glue between the host
// (Envoy, Istio, wasmtest) and the pure policy package. It reads what the
// policy needs from the host, asks the policy for decisions (values), and
// applies them: local replies, header changes, events and metrics.
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
