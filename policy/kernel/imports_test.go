package kernel

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestKernelIsALeaf: every engine imports the kernel, so the kernel
// imports no apiwarden package (and nothing outside the standard library).
func TestKernelIsALeaf(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, ".").CombinedOutput()
	require.NoError(t, err, string(out))
	for _, imp := range strings.Fields(string(out)) {
		require.NotContains(t, imp, ".", "kernel imports only the standard library, not %s", imp)
	}
}
