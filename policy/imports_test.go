package policy

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPolicyStaysPure keeps the wall of the layout: policy/ never depends on
// the proxy-wasm SDK, wazero, the filter or the host emulator, and never on
// file-system or network packages that would pull WASI imports Envoy 1.33
// does not provide.
func TestPolicyStaysPure(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "./...").CombinedOutput()
	require.NoError(t, err, string(out))
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"proxy-wasm", "wazero", "apiwarden/filter", "apiwarden/wasmtest", "net/http", "os/exec"} {
			require.NotContains(t, dep, banned, "policy/ must stay pure Go")
		}
		require.NotEqual(t, "net", dep, "package net pulls file-system WASI imports")
	}
}
