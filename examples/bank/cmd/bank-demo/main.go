// Command bank-demo serves the bank API through apiwarden on localhost
// (`make run`), or replays the design seed's sessions through it and prints
// what was allowed, logged and blocked (`make demo`).
//
// The module runs in wasmtest, the project's Envoy-faithful proxy-wasm host:
// the same build/apiwarden.wasm that Envoy loads.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/signal"
	"time"

	"github.com/apiwarden/apiwarden/examples/bank"
	"github.com/apiwarden/apiwarden/internal/realenvoy"
	"github.com/apiwarden/apiwarden/policy"
	"github.com/apiwarden/apiwarden/wasmtest"
)

func main() {
	module := flag.String("module", "build/apiwarden.wasm", "the proxy-wasm module")
	config := flag.String("config", "examples/bank/apiwarden.json", "the apiwarden configuration")
	listen := flag.String("listen", "127.0.0.1:8080", "where the protected API listens")
	upstreamAddr := flag.String("upstream", "127.0.0.1:0", "where the demo upstream listens")
	workers := flag.Int("workers", 2, "worker VMs (Envoy --concurrency)")
	replay := flag.Bool("replay", false, "replay the demo sessions and exit")
	quiet := flag.Bool("quiet", false, "do not print security events")
	hostKind := flag.String("host", "wazero", "where the module runs when serving: envoy (the official binary from `make envoy`) or wazero (wasmtest's gateway)")
	envoyVersion := flag.String("envoy-version", realenvoy.Newest(), "Envoy release for -host envoy")
	admin := flag.String("admin", "127.0.0.1:9901", "Envoy's admin listener for -host envoy")
	flag.Parse()
	if !*replay && *hostKind == "envoy" {
		serveEnvoy(*module, *config, *listen, *upstreamAddr, *admin, *envoyVersion, *workers, !*quiet)
		return
	}
	if *hostKind != "envoy" && *hostKind != "wazero" {
		log.Fatalf("-host: want envoy or wazero, got %q", *hostKind)
	}

	cfg, err := os.ReadFile(*config)
	if err != nil {
		log.Fatal(err)
	}
	opts := wasmtest.Options{ModulePath: *module, PluginConfig: cfg, Workers: *workers,
		PluginName: "apiwarden", RootID: "apiwarden", VMID: "apiwarden"}
	// One demo upstream answers the API and the module's key-set callouts
	// (cluster "upstream"); a replay signs its tokens on the replay clock.
	handler := bank.Upstream()
	if *replay {
		clock := wasmtest.NewClock(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC))
		opts.Clock = clock
		handler = bank.NewUpstream(clock.Now)
	}
	opts.HTTPCallHandler = bank.Callouts(handler)
	host, err := wasmtest.New(context.Background(), opts)
	if err != nil {
		log.Fatalf("apiwarden refused to start: %v", err)
	}
	defer host.Close(context.Background())

	up := httptest.NewUnstartedServer(handler)
	ln, err := net.Listen("tcp", *upstreamAddr)
	if err != nil {
		log.Fatal(err)
	}
	up.Listener = ln
	up.Start()
	defer up.Close()
	upURL, _ := url.Parse(up.URL)

	if *replay {
		// The first tick fetches the key set.
		if err := host.Advance(time.Second); err != nil {
			log.Fatal(err)
		}
		runReplay(bank.HostClient{Host: host, Upstream: handler}, cfg)
		return
	}

	gw := &http.Server{Addr: *listen, Handler: wasmtest.NewGatewayWith(host, upURL, wasmtest.ExampleGatewayOptions), ReadHeaderTimeout: 10 * time.Second}
	gl, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	base := "http://" + gl.Addr().String()
	fmt.Printf("bank API (demo upstream %s) protected by apiwarden in wasmtest on %s\n\n", up.URL, base)
	printCurls(base)
	fmt.Println("security events follow (Ctrl-C to stop):")
	go tickAndPrint(host, !*quiet)
	go func() {
		if err := gw.Serve(gl); err != nil && err != http.ErrServerClosed {
			log.Fatal(err)
		}
	}()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt)
	<-stop
	_ = gw.Close()
}

// tickAndPrint drives the module's ticks on the real clock (analytics
// flushes, session sweeps) and prints its log lines as they arrive.
func tickAndPrint(host *wasmtest.Host, print bool) {
	for {
		if err := host.FireDueTicks(); err != nil {
			log.Printf("tick: %v", err)
		}
		for _, vm := range host.VMs() {
			for _, l := range vm.TakeLogs() {
				if print {
					fmt.Printf("[%s] %s\n", wasmtest.LevelName(l.Level), l.Message)
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func runReplay(c bank.HostClient, cfg []byte) {
	host := c.Host
	outs, err := bank.DefaultScenario.Run(c)
	if err != nil {
		log.Fatal(err)
	}
	bank.Summarize(os.Stdout, outs)
	printLoggedRules(host)
	var admin struct {
		Admin struct {
			Prefix string `json:"path_prefix"`
			Token  string `json:"token"`
		} `json:"admin"`
	}
	_ = json.Unmarshal(cfg, &admin)
	if admin.Admin.Token == "" {
		return
	}
	_ = c.Advance(2 * time.Second) // one more flush of the analytics
	st, body, err := c.Do("GET", admin.Admin.Prefix+"/sequences", [][2]string{{"authorization", "Bearer " + admin.Admin.Token}}, "")
	if err != nil || st != 200 {
		log.Fatalf("admin sequences: %d %v", st, err)
	}
	var pretty bytes.Buffer
	_ = json.Indent(&pretty, body, "", "  ")
	fmt.Printf("\nsequence analytics (%s/sequences):\n%s\n", admin.Admin.Prefix, pretty.String())
	st, body, err = c.Do("GET", admin.Admin.Prefix+"/inventory", [][2]string{{"authorization", "Bearer " + admin.Admin.Token}}, "")
	if err != nil || st != 200 {
		log.Fatalf("admin inventory: %d %v", st, err)
	}
	pretty.Reset()
	_ = json.Indent(&pretty, body, "", "  ")
	fmt.Printf("\ninventory (%s/inventory):\n%s\n", admin.Admin.Prefix, pretty.String())
}

// printLoggedRules counts the security events the module logged (verdict
// "log": reported, not blocked), per rule: what clients did, then what
// responses carried.
func printLoggedRules(host *wasmtest.Host) {
	requests, responses := map[string]int{}, map[string]int{}
	for _, l := range host.Logs() {
		var ev struct {
			Verdict string `json:"apiwarden.verdict"`
			Rule    string `json:"apiwarden.rule"`
		}
		if json.Unmarshal([]byte(l.Message), &ev) != nil || ev.Verdict != "log" {
			continue
		}
		if policy.IsResponseRule(ev.Rule) {
			responses[ev.Rule]++
		} else {
			requests[ev.Rule]++
		}
	}
	for _, group := range []struct {
		title  string
		counts map[string]int
	}{{"requests logged (let through, reported)", requests}, {"responses protected (redacted or reported)", responses}} {
		fmt.Printf("\n%s:\n", group.title)
		if len(group.counts) == 0 {
			fmt.Println("  nothing")
		}
		for rule, n := range group.counts {
			fmt.Printf("  %-30s %d\n", rule, n)
		}
	}
}

func printCurls(base string) {
	fmt.Printf("  log in as user1 (password correct-horse-1), keep the token:\n")
	fmt.Printf("    TOKEN=$(curl -s -X POST -H 'content-type: application/json' -d '{\"username\":\"user1\",\"password\":\"correct-horse-1\"}' %s/api/v1/auth | sed 's/.*\"token\":\"\\([^\"]*\\)\".*/\\1/')\n", base)
	fmt.Printf("  passes:  curl -s -H \"authorization: Bearer $TOKEN\" %s/api/v1/users/1/accounts\n", base)
	fmt.Printf("  BOLA:    curl -s -i -H \"authorization: Bearer $TOKEN\" %s/api/v1/users/2/accounts    (403 object-not-owned)\n", base)
	fmt.Printf("  no token: curl -s -i %s/api/v1/users/1/accounts    (401, WWW-Authenticate)\n", base)
	fmt.Printf("  blocked: curl -s -i %s/api/v1/admin/users    (403 unknown-endpoint)\n", base)
	fmt.Printf("  internal: curl -s -i %s/api/v1/internal/customers    (404 from outside)\n", base)
	fmt.Printf("  invalid: curl -s -i -X POST -H \"authorization: Bearer $TOKEN\" -H 'content-type: application/json' -d '{\"from\":\"ACC-1\",\"to\":\"ACC-2\",\"amount\":\"12\"}' %s/api/v1/transferFunds\n\n", base)
}

// serveEnvoy serves the bank API through the official Envoy binary: the
// demo upstream here, Envoy with the bootstrap rendered from the same
// apiwarden configuration, the module's log lines printed as they come.
func serveEnvoy(module, config, listen, upstreamAddr, admin, version string, workers int, print bool) {
	cfg, err := os.ReadFile(config)
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", upstreamAddr)
	if err != nil {
		log.Fatal(err)
	}
	up := &http.Server{Handler: bank.Upstream(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = up.Serve(ln) }()
	defer up.Close()
	b := realenvoy.Bootstrap{Listen: listen, Admin: admin, Upstream: ln.Addr().String(), Module: module}
	e, err := startEnvoy(b, cfg, version, workers)
	if err != nil {
		log.Fatalf("apiwarden in Envoy %s: %v", version, err)
	}
	defer e.Stop()
	fmt.Printf("bank API (demo upstream http://%s) protected by apiwarden in Envoy %s on %s (admin %s, ready in %v)\n\n",
		ln.Addr(), version, e.URL(), e.AdminURL(), e.StartupTime().Round(time.Millisecond))
	printCurls(e.URL())
	fmt.Printf("  metrics: curl -s %s/stats/prometheus | grep ^apiwarden\n\n", e.AdminURL())
	fmt.Println("security events follow (Ctrl-C to stop):")
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt)
	mark := 0
	for {
		select {
		case <-stop:
			return
		case <-time.After(200 * time.Millisecond):
		}
		if e.Exited() {
			log.Fatal("Envoy exited")
		}
		n := e.LogLen()
		for _, l := range e.ModuleLogSince(mark) {
			if print {
				fmt.Printf("[%s] %s\n", l.Level, l.Message)
			}
		}
		mark = n
	}
}

func startEnvoy(b realenvoy.Bootstrap, cfg []byte, version string, workers int) (*realenvoy.Envoy, error) {
	b, err := b.WithConfig(cfg)
	if err != nil {
		return nil, err
	}
	return realenvoy.Start(context.Background(), realenvoy.Options{Version: version, Bootstrap: b, Concurrency: workers})
}
