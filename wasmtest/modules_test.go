package wasmtest

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Test modules are built once per test binary into WASMTEST_MODULE_DIR
// (or a temporary directory); a build failure fails the test.

var (
	moduleDirOnce sync.Once
	moduleDir     string
	moduleDirErr  error
	builds        sync.Map // name -> *builtModule
)

type builtModule struct {
	once sync.Once
	code []byte
	err  error
}

func testModuleDir() (string, error) {
	moduleDirOnce.Do(func() {
		if d := os.Getenv("WASMTEST_MODULE_DIR"); d != "" {
			moduleDir, moduleDirErr = d, os.MkdirAll(d, 0o755)
			return
		}
		moduleDir, moduleDirErr = os.MkdirTemp("", "wasmtest-modules-")
	})
	return moduleDir, moduleDirErr
}

// testModule returns the bytes of testdata/<name> built as a module.
func testModule(tb testing.TB, name string) []byte {
	tb.Helper()
	v, _ := builds.LoadOrStore(name, &builtModule{})
	bm := v.(*builtModule)
	bm.once.Do(func() {
		dir, err := testModuleDir()
		if err != nil {
			bm.err = err
			return
		}
		out := filepath.Join(dir, name+".wasm")
		if bm.err = BuildModule(filepath.Join("testdata", name), out); bm.err != nil {
			return
		}
		bm.code, bm.err = os.ReadFile(out)
	})
	if bm.err != nil {
		tb.Fatalf("build test module %s: %v", name, bm.err)
	}
	return bm.code
}

func TestMain(m *testing.M) {
	code := m.Run()
	if os.Getenv("WASMTEST_MODULE_DIR") == "" && moduleDir != "" {
		_ = os.RemoveAll(moduleDir)
	}
	os.Exit(code)
}
