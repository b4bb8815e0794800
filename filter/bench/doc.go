// Package bench measures apiwarden through the built module: the real
// filter (stock Go, GOOS=wasip1, build/apiwarden.wasm from ./filter) run
// by wasmtest, the project's Envoy-faithful proxy-wasm host on wazero,
// against the minimal pass-through module (wasmtest/testdata/passthrough)
// built and run the same way. The package has no code of its own: the
// benchmarks and tests are in its _test.go files, the results and the
// commands that produced them in RESULTS.md.
//
// # What is measured
//
//   - BenchmarkRequest: one exchange (request, upstream, response) per
//     operation for a header-only GET and a 1 KiB JSON POST, through
//     passthrough, apiwarden with "{}", the bank policy without its
//     "sequences" section, and the full bank policy.
//   - BenchmarkSessionFlow: the full bank policy over 10,000 sessions, each
//     alternating get_balance and transfer_funds, against passthrough.
//   - BenchmarkRoute: a 2,000-operation policy (converted from
//     openapitest.GenerateSynthetic(2000)), a request to operation #1000 and to
//     an unknown path.
//   - BenchmarkResponse: response protection of 1 KiB, 64 KiB and 1 MB
//     list_accounts responses (path rules and detectors).
//   - BenchmarkStartup: module size, compilation, instantiate + configure.
//   - BenchmarkMillionSessions and TestSessionFootprintPlateaus: shared-data
//     and linear-memory footprint as distinct sessions accumulate.
//   - BenchmarkTable runs the per-request cases with testing.Benchmark and
//     prints one markdown table with the ratios to passthrough.
//
// Commands (from the repository root):
//
//	go test ./filter/bench/                               # tests only, < 60 s
//	go test ./filter/bench/ -run '^$' -bench . -benchmem  # every benchmark
//	go test ./filter/bench/ -run '^$' -bench BenchmarkTable -benchtime 1x -v
//
// # How to read the numbers
//
// ns/op is the wall time of one exchange on the host: wasmtest's own
// bookkeeping plus every callback into the VM. B/op and allocs/op count Go
// heap allocations, which are the host's (wasmtest and wazero) only: the
// guest allocates inside its linear memory, invisible to the Go runtime.
// The guest's footprint shows as vm-MiB (linear memory at the end of the
// run, which never shrinks) and, in BenchmarkTable, as host calls per
// exchange. Ratios to passthrough remove the host's fixed cost from the
// comparison only partly: the host does more work for a module that makes
// more host calls, as Envoy does.
//
// Upstreams answer with a fixed response computed once (the bank demo's
// answer for the same request, examples/bank.ServeUpstream), so the
// upstream's cost is not measured.
//
// Logging: the VMs run at wasmtest.LogInfo, Envoy's default. apiwarden
// writes security events at warn without asking the log level first, so
// the guest's cost is the same at any level; at info the host captures
// them as Envoy would print them. The captured lines are taken every 256
// exchanges (VM.TakeLogs) so the capture does not grow without bound, and
// due ticks are fired then too (Host.FireDueTicks, real clock), as Envoy's
// worker would between requests.
//
// The hosts use wasmtest's default WASI profile, Envoy 1.33-1.38's (the
// project's floor), where a Go runtime poll is a fatal trap.
//
// Every benchmark checks the status of every exchange, and TestCasesBehave
// checks once that each case takes the path it claims to measure (allowed,
// validated, redacted, refused), so a policy change that turns a measured
// request into a refusal fails a test instead of silently changing what a
// number means.
package bench
