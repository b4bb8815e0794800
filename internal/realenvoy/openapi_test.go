package realenvoy_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apiwarden/apiwarden/internal/realenvoy"
)

// TestLargeOpenAPIInRealEnvoy loads the committed cut of GitHub's
// description (1.1 MB, 217 operations) in the newest Envoy, two workers:
// a configuration that large is read into a slab reserved for it and
// compiled in place (the binding hands the slab over), so this is that
// path on the real host. Known operations reach the upstream with what
// the client sent; an unknown one and a spoiled parameter do not.
func TestLargeOpenAPIInRealEnvoy(t *testing.T) {
	bin := binary(t, realenvoy.Newest())
	root, err := realenvoy.Root()
	require.NoError(t, err)
	doc, err := os.ReadFile(filepath.Join(root, "policy", "openapi", "testdata", "github.json"))
	require.NoError(t, err)
	cfg := append(append([]byte(`{"unknown_endpoints":"block","openapi":`), doc...), '}')
	require.Greater(t, len(cfg), 1<<20)

	var mu sync.Mutex
	var got []string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.RequestURI())
		mu.Unlock()
		w.Header().Set("content-type", "application/json")
		_, _ = w.Write([]byte(`[]`))
	}))
	t.Cleanup(up.Close)

	e, err := realenvoy.Start(context.Background(), realenvoy.Options{Bin: bin, Concurrency: 2,
		Bootstrap: realenvoy.Bootstrap{Upstream: strings.TrimPrefix(up.URL, "http://"), Module: module(t), PluginConfig: cfg}})
	require.NoError(t, err)
	defer e.Stop()
	t.Logf("Envoy %s with a %d-byte configuration: LIVE after %v", realenvoy.Newest(), len(cfg), e.StartupTime())

	for _, c := range []struct {
		target string
		status int
	}{
		{"/repos/octocat/hello-world/issues?state=open&per_page=10", 200},
		{"/gists/public", 200},
		{"/repos/octocat/hello-world/issues?state=frozen", 400},
		{"/repos/octocat/hello-world/issues?per_page=ten", 400},
		{"/not/an/operation", 403},
	} {
		for range 2 { // both workers, whichever the connection lands on
			resp, body := do(t, "GET", e.URL()+c.target, "")
			assert.Equal(t, c.status, resp.StatusCode, "%s: %s", c.target, body)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{
		"GET /repos/octocat/hello-world/issues?state=open&per_page=10", "GET /repos/octocat/hello-world/issues?state=open&per_page=10",
		"GET /gists/public", "GET /gists/public",
	}, got, "the upstream saw exactly the allowed requests")
}
