package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/apiwarden/apiwarden/examples/bank"
	"github.com/apiwarden/apiwarden/wasmtest"
)

// abiProfile plays each workload's requests through wasmtest (the same
// modules and configurations, one VM) with a Profile, and renders what
// crosses the ABI per request: what Envoy cannot count for us.
func abiProfile(apiwarden, passthrough string, bankCfg []byte) (string, error) {
	var b strings.Builder
	b.WriteString("Per request, counted in wasmtest on the same modules (Envoy cannot count these):\n\n")
	b.WriteString("| configuration | workload | host calls | exports entered | allocations (proxy_on_memory_allocate) | bytes to guest | bytes from guest | log lines | top host calls |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---|\n")
	for _, c := range []struct {
		name, module string
		cfg          []byte
	}{{"pass-through module", passthrough, []byte(`{}`)}, {"apiwarden {}", apiwarden, []byte(`{}`)}, {"apiwarden bank", apiwarden, bankCfg}} {
		code, err := os.ReadFile(c.module)
		if err != nil {
			return "", err
		}
		var prof wasmtest.Profile
		host, err := wasmtest.New(context.Background(), wasmtest.Options{Module: code, PluginConfig: c.cfg,
			PluginName: "apiwarden", RootID: "apiwarden", VMID: "apiwarden", Profile: &prof})
		if err != nil {
			return "", fmt.Errorf("%s: %w", c.name, err)
		}
		for _, w := range profileWorkloads() {
			const warm, n = 20, 100
			logs := 0
			var before wasmtest.ProfileCounts
			for i := 0; i < warm+n; i++ {
				if i == warm {
					before = prof.Counts()
					for _, vm := range host.VMs() {
						vm.TakeLogs()
					}
				}
				req := w.requests[i%len(w.requests)]
				if _, err := host.RoundTrip(req, w.upstream); err != nil {
					return "", fmt.Errorf("%s %s: %w", c.name, w.name, err)
				}
			}
			for _, vm := range host.VMs() {
				logs += len(vm.TakeLogs())
			}
			d := prof.Counts().Sub(before)
			top := []string{}
			for i, name := range wasmtest.Names(d.HostCalls) {
				if i == 4 {
					break
				}
				top = append(top, fmt.Sprintf("%s %.1f", strings.TrimPrefix(name, "env.proxy_"), float64(d.HostCalls[name])/n))
			}
			fmt.Fprintf(&b, "| %s | %s | %.1f | %.1f | %.1f | %.0f | %.0f | %.2f | %s |\n", c.name, w.name,
				float64(wasmtest.Total(d.HostCalls))/n, float64(wasmtest.Total(d.Exports))/n,
				float64(d.Exports["proxy_on_memory_allocate"])/n, float64(d.BytesToGuest)/n, float64(d.BytesFromGuest)/n,
				float64(logs)/n, strings.Join(top, ", "))
		}
		_ = host.Close(context.Background())
	}
	return b.String(), nil
}

type profileWorkload struct {
	name     string
	requests []*wasmtest.Request
	upstream wasmtest.Upstream
}

// profileWorkloads mirror the wrk workloads, with the headers wrk sends.
func profileWorkloads() []profileWorkload {
	hdr := func(extra ...[2]string) [][2]string {
		return append([][2]string{{"user-agent", "wrk"}, {"x-session-id", "bench"}}, extra...)
	}
	serve := func(u *wasmtest.UpstreamRequest) *wasmtest.Response {
		return bank.ServeUpstream(u.Method, u.Path, u.Headers, u.Body)
	}
	big := bigAccounts()
	return []profileWorkload{
		{"GET balance", []*wasmtest.Request{{Method: "GET", Path: balancePath, Headers: hdr()}}, serve},
		{"POST mix", []*wasmtest.Request{
			{Method: "GET", Path: balancePath, Headers: hdr()},
			{Method: "POST", Path: "/api/v1/transferFunds", Headers: hdr([2]string{"content-type", "application/json"}), Body: []byte(transferBody())},
		}, serve},
		{"64 KB redacted", []*wasmtest.Request{{Method: "GET", Path: "/api/v1/users/7/accounts", Headers: hdr()}},
			func(*wasmtest.UpstreamRequest) *wasmtest.Response {
				return &wasmtest.Response{Status: 200, Headers: [][2]string{{"content-type", "application/json"}}, Body: []byte(big)}
			}},
	}
}
