package kernel

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSharedTermsAreDeclaredOnce: mode, action, verdict, reason and
// decision are the kernel's; an engine that needs one names it with an
// alias (type Mode = kernel.Mode), so that no engine drifts into strings
// of its own. Two types share a name with a different meaning and are
// allowed, each for its reason.
func TestSharedTermsAreDeclaredOnce(t *testing.T) {
	shared := map[string]bool{"Mode": true, "Action": true, "Verdict": true, "Reason": true, "Decision": true}
	otherMeaning := map[string]string{
		"redact/Action":   "what happens to a matched response value: none, replace, remove, log",
		"exchange/Action": "what a Step asks of the host: continue, pause, reply",
		"redact/Verdict":  "what becomes of a response body: pass, rewrite, block",
		// An engine's own cause, its stable event and metric label, which
		// policy maps onto a kernel Reason (AuthDecision, AbuseDecision,
		// ResponseDecisions) for the status and the problem type.
		"auth/Reason":   "an authentication cause, with its RFC 6750 error code",
		"abuse/Reason":  "an abuse-control cause",
		"redact/Reason": "why a response body was not inspected normally",
	}
	seen := map[string]bool{}
	fset := token.NewFileSet()
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		pkg := strings.TrimPrefix(strings.TrimPrefix(dir, ".."), "/")
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				if !shared[ts.Name.Name] || ts.Assign.IsValid() || pkg == "kernel" {
					continue
				}
				key := pkg + "/" + ts.Name.Name
				seen[key] = true
				_, allowed := otherMeaning[key]
				assert.True(t, allowed, "%s declares its own %s: alias the kernel's", path, ts.Name.Name)
			}
		}
		return nil
	})
	require.NoError(t, err)
	for key := range otherMeaning {
		assert.True(t, seen[key], "%s is no longer declared: drop it from the list", key)
	}
}
