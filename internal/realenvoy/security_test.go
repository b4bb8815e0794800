package realenvoy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apiwarden/apiwarden/internal/realenvoy"
)

// TestBankSecurityInRealEnvoy runs the whole example policy (tokens,
// object bindings, abuse controls, the internal route) in each pinned
// Envoy with two workers: the key set comes through a real
// proxy_http_call to the "upstream" cluster, the failure counts through
// shared data.
func TestBankSecurityInRealEnvoy(t *testing.T) {
	root, err := realenvoy.Root()
	require.NoError(t, err)
	cfg, err := os.ReadFile(filepath.Join(root, "examples", "bank", "apiwarden.json"))
	require.NoError(t, err)
	for _, v := range realenvoy.Versions() {
		t.Run(v, func(t *testing.T) {
			b, err := realenvoy.Bootstrap{Upstream: upstream(t), Module: module(t)}.WithConfig(cfg)
			require.NoError(t, err)
			e, err := realenvoy.Start(context.Background(), realenvoy.Options{Bin: binary(t, v), Concurrency: 2, Bootstrap: b})
			require.NoError(t, err)
			t.Cleanup(e.Stop)

			resp, body := do(t, "POST", e.URL()+"/api/v1/auth", `{"username":"user1","password":"correct-horse-1"}`, "content-type", "application/json")
			require.Equal(t, 200, resp.StatusCode, string(body))
			var tok struct{ Token string }
			require.NoError(t, json.Unmarshal(body, &tok))
			authz := "Bearer " + tok.Token

			// Until the key set arrives, failure_mode (open) lets
			// requests that need it through; the first tick fetches it.
			require.Eventually(t, func() bool {
				resp, _ := do(t, "GET", e.URL()+"/api/v1/users/2/accounts", "", "authorization", authz)
				return resp.StatusCode == 403
			}, 10*time.Second, 100*time.Millisecond, "user 1's token reading user 2's accounts is refused")
			assert.NotEmpty(t, e.WaitGrep(`key set of provider "bearerAuth" fetched`, 5*time.Second))

			resp, body = do(t, "GET", e.URL()+"/api/v1/users/2/accounts", "", "authorization", authz)
			assert.Contains(t, string(body), `"rule":"object-not-owned"`)
			resp, body = do(t, "GET", e.URL()+"/api/v1/users/1/accounts", "", "authorization", authz)
			require.Equal(t, 200, resp.StatusCode, string(body))
			assert.NotEmpty(t, resp.Header.Get("ratelimit-policy"), "headers_on_allow: the client can pace itself")

			resp, body = do(t, "GET", e.URL()+"/api/v1/users/1/accounts", "")
			assert.Equal(t, 401, resp.StatusCode, string(body))
			assert.Equal(t, `Bearer realm="bank"`, resp.Header.Get("www-authenticate"))
			resp, body = do(t, "GET", e.URL()+"/api/v1/users/1/accounts", "", "authorization", authz[:len(authz)-4]+"AAAA")
			assert.Equal(t, 401, resp.StatusCode, string(body))
			assert.Contains(t, string(body), `"rule":"bad-signature"`)

			resp, body = do(t, "GET", e.URL()+"/api/v1/internal/customers", "")
			assert.Equal(t, 404, resp.StatusCode, string(body))
			assert.NotContains(t, string(body), "rule")

			// Five failures against user9 from five addresses reach the
			// upstream; the sixth, from a sixth address, is refused,
			// whichever worker takes it.
			for i := 0; i < 6; i++ {
				resp, body = do(t, "POST", e.URL()+"/api/v1/auth", fmt.Sprintf(`{"username":"user9","password":"guess-%04d"}`, i),
					"content-type", "application/json", "x-forwarded-for", fmt.Sprintf("198.51.100.%d", i+1))
				if i < 5 {
					assert.Equal(t, 401, resp.StatusCode, "attempt %d: %s", i+1, body)
				}
			}
			assert.Equal(t, 429, resp.StatusCode, string(body))
			assert.Contains(t, string(body), `"rule":"login-failures"`)
			assert.NotEmpty(t, resp.Header.Get("retry-after"))
		})
	}
}
