package main

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apiwarden/apiwarden/wasmtest"
)

var (
	faultsOnce sync.Once
	faultsErr  error
	faultsPath = filepath.Join("..", "build", "apiwarden-faults.wasm")
)

// faultsModule builds the test-only apiwarden_faults module, whose header
// x-apiwarden-fault: panic:<callback> makes that callback panic.
func faultsModule(t *testing.T) string {
	t.Helper()
	faultsOnce.Do(func() { faultsErr = wasmtest.BuildModule(".", faultsPath, "apiwarden_faults") })
	require.NoError(t, faultsErr)
	return faultsPath
}

// TestEveryCallbackRecoversFromPanics: a panic in any stream callback is
// contained (the VM survives) and failure_mode decides: open passes the
// upstream's answer, closed answers 503 while the request is still ours
// to answer.
func TestEveryCallbackRecoversFromPanics(t *testing.T) {
	path := faultsModule(t)
	// closed is what the client gets under failure_mode closed: 503 while
	// the response is still ours to replace, a reset once the upstream's
	// headers left (a local reply then resets the stream, as in Envoy), and
	// the upstream's answer when the stream is already done.
	cases := []struct {
		callback string
		closed   int // status, or 0 for a reset
	}{
		{"request_headers", 503},
		{"request_body", 503},
		{"request_trailers", 503},
		{"response_headers", 503},
		{"response_body", 0},
		{"response_trailers", 0},
		{"stream_done", 200},
	}
	for _, mode := range []string{"open", "closed"} {
		host, err := wasmtest.New(context.Background(), wasmtest.Options{ModulePath: path,
			PluginConfig: []byte(`{"failure_mode":"` + mode + `","unknown_endpoints":"allow"}`)})
		require.NoError(t, err)
		t.Cleanup(func() { _ = host.Close(context.Background()) })
		for _, c := range cases {
			t.Run(mode+"/"+c.callback, func(t *testing.T) {
				req := &wasmtest.Request{Method: "POST", Path: "/up", Authority: "api.example",
					Headers: [][2]string{{"x-apiwarden-fault", "panic:" + c.callback}, {"content-type", "application/octet-stream"}},
					Body:    []byte("payload"), Trailers: [][2]string{{"x-checksum", "1"}}}
				ex, err := host.RoundTrip(req, func(*wasmtest.UpstreamRequest) *wasmtest.Response {
					return &wasmtest.Response{Status: 200, Body: []byte("ok"), Trailers: [][2]string{{"x-done", "1"}}}
				})
				require.NoError(t, err)
				require.NoError(t, ex.Trapped, "a recovered panic must not trap the VM")
				require.NoError(t, host.VM(0).Failed())
				var logs []string
				for _, l := range host.VM(0).TakeLogs() {
					logs = append(logs, l.Message)
				}
				all := strings.Join(logs, "\n")
				assert.Contains(t, all, "recovered panic: apiwarden_faults: injected panic in "+c.callback)
				assert.Contains(t, all, "failure_mode "+mode)
				want := 200
				if mode == "closed" {
					want = c.closed
				}
				if want == 0 {
					assert.True(t, ex.Reset, "a refusal after the headers left resets the stream")
					return
				}
				require.NotNil(t, ex.Response)
				assert.Equal(t, want, ex.Response.Status)
			})
		}
	}
}
