package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apiwarden/apiwarden/examples/bank"
	"github.com/apiwarden/apiwarden/wasmtest"
)

// TestSoakUnderEnvoy133 plays enough traffic through the full bank policy
// for many garbage collections, under Envoy 1.33-1.38's WASI set, where a
// runtime poll answered NOSYS is a fatal trap (golang/go#78513). No VM may
// fail, large bodies must pass the allocator without trapping, and the
// VM's linear memory must level off.
func TestSoakUnderEnvoy133(t *testing.T) {
	host, err := wasmtest.New(context.Background(), wasmtest.Options{Module: builtModule(t), PluginConfig: bankConfig(t),
		Workers: 1, PluginName: "apiwarden", RootID: "apiwarden", VMID: "apiwarden", WASI: wasmtest.WASIEnvoy133,
		DisableTrace: true, LogLevel: wasmtest.LogError, Clock: wasmtest.NewClock(time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC))})
	require.NoError(t, err)
	defer host.Close(context.Background())
	vm := host.VM(0)
	// Every 40th account listing is a ~900 KB response, redacted whole.
	var accounts strings.Builder
	accounts.WriteString(`{"user_id":"1","owner":{"name":"A","national_id":"123-45-6789"},"accounts":[`)
	for i := 0; accounts.Len() < 900<<10; i++ {
		if i > 0 {
			accounts.WriteByte(',')
		}
		fmt.Fprintf(&accounts, `{"id":"ACC-%d","number":"DE89370400440532013000","type":"checking","currency":"EUR"}`, i)
	}
	accounts.WriteString(`]}`)
	hugeListing := []byte(accounts.String())
	listings := 0
	upstream := func(u *wasmtest.UpstreamRequest) *wasmtest.Response {
		if strings.HasSuffix(u.Path, "/accounts") {
			listings++
			if listings%40 == 0 {
				return &wasmtest.Response{Status: 200, Headers: [][2]string{{"content-type", "application/json"}}, Body: hugeListing}
			}
		}
		return bank.ServeUpstream(u.Method, u.Path, u.Headers, u.Body)
	}
	memo := strings.Repeat("m", 130)
	big := `{"from":"ACC-1","to":"ACC-2","amount":1,"memo":"` + memo + `","pad":"` + strings.Repeat("x", 64<<10) + `"}`
	var memAt [2]uint32
	const rounds = 1500
	for i := 0; i < rounds; i++ {
		sid := [][2]string{{"x-session-id", fmt.Sprintf("s-%d", i%200)}}
		reqs := []*wasmtest.Request{
			{Method: "GET", Path: fmt.Sprintf("/api/v1/users/%d/accounts", 1+i%50), Headers: sid},
			{Method: "GET", Path: "/api/v1/accounts/ACC-7/balance", Headers: sid},
			{Method: "POST", Path: "/api/v1/transferFunds", Headers: append(sid, [2]string{"content-type", "application/json"}),
				Body: []byte(`{"from":"ACC-1","to":"ACC-2","amount":10,"memo":"` + memo + `"}`), ChunkSize: 64},
			{Method: "GET", Path: "/api/v1/unknown/" + fmt.Sprint(i), Headers: sid},
		}
		if i%100 == 0 {
			// A 64 KiB body buffered through the arena, refused at 413.
			reqs = append(reqs, &wasmtest.Request{Method: "POST", Path: "/api/v1/transferFunds",
				Headers: append(sid, [2]string{"content-type", "application/json"}), Body: []byte(big), ChunkSize: 16 << 10})
		}
		for _, r := range reqs {
			ex, err := vm.RoundTrip(r, upstream)
			require.NoError(t, err)
			require.NoError(t, ex.Trapped, "round %d %s %s", i, r.Method, r.Path)
		}
		if i%50 == 0 {
			require.NoError(t, host.Advance(time.Second))
			vm.TakeLogs()
		}
		switch i {
		case rounds / 3:
			memAt[0] = vm.MemoryBytes()
		case rounds - 1:
			memAt[1] = vm.MemoryBytes()
		}
	}
	require.NoError(t, vm.Failed())
	assert.LessOrEqual(t, float64(memAt[1]), 1.25*float64(memAt[0]),
		"linear memory keeps growing: %d bytes after %d rounds, %d after %d", memAt[0], rounds/3, memAt[1], rounds)
	t.Logf("linear memory: %d KiB after %d rounds, %d KiB after %d", memAt[0]>>10, rounds/3, memAt[1]>>10, rounds)
}
