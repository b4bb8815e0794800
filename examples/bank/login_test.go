package bank

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/apiwarden/apiwarden/policy/auth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLoginIssuesTokensTheJWKSVerifies logs in, fetches the JWKS and
// verifies the token with policy/auth, its claims matching the user's
// account list.
func TestLoginIssuesTokensTheJWKSVerifies(t *testing.T) {
	srv := httptest.NewServer(Upstream())
	defer srv.Close()
	login := func(body string) *http.Response {
		resp, err := http.Post(srv.URL+"/api/v1/auth", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		return resp
	}
	resp := login(`{"username":"user42","password":"correct-horse-42"}`)
	require.Equal(t, 200, resp.StatusCode)
	var tok struct {
		Token     string `json:"token"`
		TokenType string `json:"token_type"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tok))
	resp.Body.Close()
	assert.Equal(t, "Bearer", tok.TokenType)

	resp, err := http.Get(srv.URL + "/.well-known/jwks.json")
	require.NoError(t, err)
	jwks, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)

	c, err := auth.ParseJSON([]byte(fmt.Sprintf(`{"providers":[{"name":"bank","issuer":%q,"audiences":[%q],"algorithms":["ES256"],"jwks":%s}]}`,
		Issuer, Audience, jwks)), "auth")
	require.NoError(t, err)
	p, r := auth.New(c, nil).Verify("bank", tok.Token, time.Now())
	require.Equal(t, auth.ReasonNone, r)
	assert.Equal(t, "42", p.Subject)
	assert.Equal(t, accountsOf("42"), p.ClaimStrings("accounts"))
	assert.True(t, p.ExpiresAt.After(time.Now().Add(TokenTTL-time.Minute)))

	// The accounts claim is what the user's account list answers.
	resp, err = http.Get(srv.URL + "/api/v1/users/42/accounts")
	require.NoError(t, err)
	var list struct {
		Accounts []struct{ ID string } `json:"accounts"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&list))
	resp.Body.Close()
	require.Len(t, list.Accounts, 2)
	assert.Equal(t, []string{list.Accounts[0].ID, list.Accounts[1].ID}, p.ClaimStrings("accounts"))
	_, r = auth.New(c, nil).Verify("bank", tok.Token, time.Now().Add(TokenTTL+2*time.Minute))
	assert.Equal(t, auth.ReasonExpired, r)

	for _, body := range []string{
		`{"username":"user42","password":"correct-horse-41"}`,
		`{"username":"user0","password":"correct-horse-0"}`,
		`{"username":"user101","password":"correct-horse-101"}`,
		`{"username":"user042","password":"correct-horse-042"}`,
		`{"username":"admin","password":"x"}`,
		`not json`,
	} {
		resp := login(body)
		assert.Equal(t, 401, resp.StatusCode, body)
		assert.Equal(t, "application/problem+json", resp.Header.Get("content-type"), body)
		resp.Body.Close()
	}
	resp = login(`{"username":"user100","password":"correct-horse-100"}`)
	assert.Equal(t, 200, resp.StatusCode)
	resp.Body.Close()
}
