package wasmtest

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestWasmtestNeverImportsApiwarden: the emulator is a host library; it
// must not learn the plugin's internals, so it depends on wazero and the
// standard library, never on an apiwarden package.
func TestWasmtestNeverImportsApiwarden(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	require.NoError(t, err, string(out))
	for _, dep := range strings.Fields(string(out)) {
		if dep == "github.com/apiwarden/apiwarden/wasmtest" {
			continue
		}
		require.NotContains(t, dep, "github.com/apiwarden/apiwarden/", "wasmtest must not import apiwarden packages")
	}
}
