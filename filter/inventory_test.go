package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apiwarden/apiwarden/examples/bank"
	"github.com/apiwarden/apiwarden/wasmtest"
)

// TestAdminInventoryAfterMixedTraffic replays known and shadow traffic over
// two VMs and reads the inventory from the admin endpoint: known endpoints
// with their status classes, and shadow endpoints learned as templates.
func TestAdminInventoryAfterMixedTraffic(t *testing.T) {
	var c map[string]any
	require.NoError(t, json.Unmarshal(bankConfig(t), &c))
	c["unknown_endpoints"] = "log" // let shadow traffic reach the upstream
	delete(c, "sequences")
	cfg, err := json.Marshal(c)
	require.NoError(t, err)
	host, err := wasmtest.New(context.Background(), wasmtest.Options{Module: builtModule(t), PluginConfig: cfg, Workers: 2,
		PluginName: "apiwarden", RootID: "apiwarden", VMID: "apiwarden",
		Clock: wasmtest.NewClock(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC))})
	require.NoError(t, err)
	defer host.Close(context.Background())
	up := func(u *wasmtest.UpstreamRequest) *wasmtest.Response {
		return bank.ServeUpstream(u.Method, u.Path, u.Headers, u.Body)
	}
	for _, path := range []string{
		"/api/v1/accounts/ACC-1/balance", "/api/v1/accounts/ACC-2/balance", "/api/v1/accounts/bad/balance",
		"/api/v1/users/42/accounts", "/api/v1/users/42/cards", "/api/v1/users/77/cards",
		"/api/v1/users/9f86d081884c7d65/cards", "/internal/debug/config",
	} {
		_, err := host.RoundTrip(&wasmtest.Request{Method: "GET", Path: path}, up)
		require.NoError(t, err)
	}
	require.NoError(t, host.Advance(2*time.Second)) // every VM flushes

	ex, err := host.RoundTrip(&wasmtest.Request{Method: "GET", Path: "/.apiwarden/inventory",
		Headers: [][2]string{{"authorization", "Bearer demo-admin-token-change-me"}}}, up)
	require.NoError(t, err)
	require.Equal(t, 200, ex.Response.Status, string(ex.Response.Body))
	var inv struct {
		Known []struct {
			ID       string
			Requests int
			Status   map[string]int
		}
		Shadow []struct {
			Method, Template string
			Hits, Examples   int
		}
	}
	require.NoError(t, json.Unmarshal(ex.Response.Body, &inv), string(ex.Response.Body))
	known := map[string]int{}
	for _, k := range inv.Known {
		known[k.ID] = k.Requests
		if k.ID == "get_balance" {
			assert.Equal(t, 2, k.Status["2xx"])
			assert.Equal(t, 1, k.Status["4xx"], "the refused one counts as 4xx")
		}
	}
	assert.Equal(t, map[string]int{"get_balance": 3, "list_accounts": 1, "transfer_funds": 0, "auth": 0, "internal_customers": 0}, known)
	shadow := map[string]int{}
	for _, s := range inv.Shadow {
		shadow[s.Method+" "+s.Template] = s.Hits
	}
	assert.Equal(t, 3, shadow["GET /api/v1/users/{id}/cards"], "ids collapse into one shadow endpoint")
	assert.Equal(t, 1, shadow["GET /internal/debug/config"])
	assert.NotContains(t, string(ex.Response.Body), "9f86d081884c7d65", "raw ids are never stored")

	found := false
	for _, l := range host.Logs() {
		found = found || strings.Contains(l.Message, `"apiwarden.shadow_route":"/api/v1/users/{id}/cards"`)
	}
	assert.True(t, found, "events name the shadow endpoint")

	denied, err := host.RoundTrip(&wasmtest.Request{Method: "GET", Path: "/.apiwarden/inventory",
		Headers: [][2]string{{"authorization", "Bearer wrong-token-wrong-token"}}}, up)
	require.NoError(t, err)
	assert.Equal(t, 401, denied.Response.Status)
}
