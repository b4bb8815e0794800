package bank

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUpstreamAnswersTheBankOperations(t *testing.T) {
	srv := httptest.NewServer(Upstream())
	defer srv.Close()
	get := func(path string) map[string]any {
		resp, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode)
		var v map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
		return v
	}
	accounts := get("/api/v1/users/42/accounts")
	owner := accounts["owner"].(map[string]any)
	assert.Regexp(t, `^\d{3}-\d{2}-\d{4}$`, owner["national_id"])
	assert.Len(t, accounts["accounts"], 2)
	assert.Equal(t, "ACC-7", get("/api/v1/accounts/ACC-7/balance")["account_id"])

	resp, err := http.Post(srv.URL+"/api/v1/transferFunds", "application/json", strings.NewReader(`{"from":"A","to":"B","amount":5}`))
	require.NoError(t, err)
	var tx map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tx))
	resp.Body.Close()
	assert.Equal(t, "accepted", tx["status"])
	assert.Equal(t, "bank-demo/1.0", resp.Header.Get("server"))
}

func TestUpstreamCompressesWhenAsked(t *testing.T) {
	srv := httptest.NewServer(Upstream())
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/users/1/accounts", nil)
	req.Header.Set("accept-encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, "gzip", resp.Header.Get("content-encoding"))
	gz, err := gzip.NewReader(resp.Body)
	require.NoError(t, err)
	b, err := io.ReadAll(gz)
	require.NoError(t, err)
	assert.Contains(t, string(b), "national_id")
}
