package wasmtest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// BuildModule builds the Go package in pkgDir as a proxy-wasm module with
// the stock toolchain (GOOS=wasip1 GOARCH=wasm go build
// -buildmode=c-shared) and writes it to out. The go command is taken from
// $GOROOT/bin when GOROOT is set, else from PATH. Tags are build tags.
func BuildModule(pkgDir, out string, tags ...string) error {
	goBin := "go"
	if root := os.Getenv("GOROOT"); root != "" {
		if p := filepath.Join(root, "bin", "go"); fileExists(p) {
			goBin = p
		}
	}
	absOut, err := filepath.Abs(out)
	if err != nil {
		return fmt.Errorf("wasmtest: build %s: %w", pkgDir, err)
	}
	if err := os.MkdirAll(filepath.Dir(absOut), 0o755); err != nil {
		return fmt.Errorf("wasmtest: build %s: %w", pkgDir, err)
	}
	// A unique temporary name: test binaries of several packages may build
	// the same module at once (go test ./... runs them in parallel).
	f, err := os.CreateTemp(filepath.Dir(absOut), filepath.Base(absOut)+".*.tmp")
	if err != nil {
		return fmt.Errorf("wasmtest: build %s: %w", pkgDir, err)
	}
	tmp := f.Name()
	_ = f.Close()
	args := []string{"build", "-buildmode=c-shared", "-trimpath", "-o", tmp}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	cmd := exec.Command(goBin, append(args, ".")...)
	cmd.Dir = pkgDir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stdout = &stderr
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("wasmtest: build %s: %w\n%s", pkgDir, err, stderr.String())
	}
	if err := os.Rename(tmp, absOut); err != nil {
		return fmt.Errorf("wasmtest: build %s: %w", pkgDir, err)
	}
	return nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
