package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestProfilesAGuest builds a guest that spends its time in one function
// and checks that the report puts it on top, under its callers.
func TestProfilesAGuest(t *testing.T) {
	wasm := filepath.Join(t.TempDir(), "spin.wasm")
	build := exec.Command("go", "build", "-o", wasm, "./testdata/spin")
	build.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	var stdout, stderr bytes.Buffer
	require.NoError(t, run([]string{"-env", "SPIN=guest-env", "-top", "10", wasm}, &stdout, &stderr), stderr.String())
	report := stdout.String()
	assert.Contains(t, report, "true guest-env", "the guest ran, with its environment")
	share := func(table, fn string) float64 {
		m := regexp.MustCompile(`(?m)^\s*([0-9.]+)\s+([0-9.]+)\s+` + regexp.QuoteMeta(fn) + `$`).FindStringSubmatch(report)
		require.NotNil(t, m, "%s not in the report:\n%s", fn, report)
		col := 1
		if table == "incl" {
			col = 2
		}
		v, err := strconv.ParseFloat(m[col], 64)
		require.NoError(t, err)
		return v
	}
	// warm's loop and hot share the time (the listener inflates what
	// calls most); nothing else takes any.
	assert.Greater(t, share("excl", "main.hot")+share("excl", "main.warm"), 80.0, report)
	assert.Greater(t, share("excl", "main.hot"), 10.0, report)
	assert.Greater(t, share("incl", "main.warm"), 80.0, report)
	assert.GreaterOrEqual(t, share("incl", "main.main"), share("incl", "main.warm"))
	assert.LessOrEqual(t, share("incl", "main.hot"), share("incl", "main.warm"))
}
