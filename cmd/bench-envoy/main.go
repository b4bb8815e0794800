// Command bench-envoy measures apiwarden's per-request cost in the
// official Envoy binary (`make bench-envoy`): the same workloads through
// Envoy without a Wasm filter, with the stock-Go pass-through module
// (wasmtest/testdata/passthrough), with apiwarden and an empty
// configuration, and with the bank example's configuration, all in one
// run, one worker, wrk as the load generator. It prints one Markdown table
// with throughput, latency percentiles, start-up, RSS and the ratios to
// the pass-through module, followed by what crosses the ABI per request
// (measured on the same module in wasmtest, which can count it).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/apiwarden/apiwarden/examples/bank"
	"github.com/apiwarden/apiwarden/internal/realenvoy"
	"github.com/apiwarden/apiwarden/wasmtest"
)

func main() {
	version := flag.String("envoy", realenvoy.Newest(), "the installed Envoy release to run")
	duration := flag.Duration("duration", 10*time.Second, "measured time per workload")
	warmup := flag.Duration("warmup", 3*time.Second, "unmeasured load before each workload")
	rounds := flag.Int("rounds", 1, "runs of every configuration, interleaved")
	conns := flag.Int("connections", 8, "concurrent connections")
	only := flag.String("only", "", "comma-separated configurations to run (default all)")
	out := flag.String("out", "", "also write the table to this file")
	compare := flag.String("compare", "", "another build of apiwarden.wasm (an older tree, say), measured beside this one as \"{} (compare)\" and \"bank (compare)\"")
	flag.Parse()
	if _, err := exec.LookPath("wrk"); err != nil {
		log.Fatal("bench-envoy: wrk not found (make bench-envoy installs Debian's wrk)")
	}
	root, err := realenvoy.Root()
	if err != nil {
		log.Fatal(err)
	}
	bin, err := realenvoy.Binary(*version)
	if err != nil {
		log.Fatalf("bench-envoy: %v (make envoy installs it)", err)
	}
	mods := map[string]string{
		"passthrough": filepath.Join(root, "build", "passthrough.wasm"),
		"apiwarden":   filepath.Join(root, "build", "apiwarden.wasm"),
	}
	if err := wasmtest.BuildModule(filepath.Join(root, "wasmtest", "testdata", "passthrough"), mods["passthrough"]); err != nil {
		log.Fatal(err)
	}
	if err := wasmtest.BuildModule(filepath.Join(root, "filter"), mods["apiwarden"]); err != nil {
		log.Fatal(err)
	}
	bankCfg, err := os.ReadFile(filepath.Join(root, "examples", "bank", "apiwarden.json"))
	if err == nil {
		// The load sends no tokens: the bank's positive model (schemas,
		// sequences, redaction) is what is measured here.
		bankCfg, err = bank.PositiveModel(bankCfg)
	}
	if err != nil {
		log.Fatal(err)
	}
	configs := []config{
		{name: "no wasm filter", noWasm: true},
		{name: "pass-through module", module: mods["passthrough"], cfg: []byte(`{}`)},
		{name: "apiwarden {}", module: mods["apiwarden"], cfg: []byte(`{}`)},
		{name: "apiwarden bank", module: mods["apiwarden"], cfg: bankCfg},
	}
	if *compare != "" {
		configs = append(configs,
			config{name: "apiwarden {} (compare)", module: *compare, cfg: []byte(`{}`)},
			config{name: "apiwarden bank (compare)", module: *compare, cfg: bankCfg})
	}
	if *only != "" {
		configs = filterConfigs(configs, *only)
	}

	pinned := pinning()
	wrkPinned = pinned
	up := httptest.NewServer(benchUpstream())
	defer up.Close()
	scripts, err := writeScripts()
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(scripts)

	results := map[string]map[string][]sample{}
	for r := 0; r < *rounds; r++ {
		for _, c := range configs {
			res, err := c.run(bin, strings.TrimPrefix(up.URL, "http://"), scripts, *conns, *warmup, *duration, pinned)
			if err != nil {
				log.Fatalf("bench-envoy: %s: %v", c.name, err)
			}
			if results[c.name] == nil {
				results[c.name] = map[string][]sample{}
			}
			for w, s := range res {
				results[c.name][w] = append(results[c.name][w], s)
			}
		}
	}
	table := render(configs, results, *version, *conns, *duration, *rounds, pinned)
	profile, err := abiProfile(mods["apiwarden"], mods["passthrough"], bankCfg)
	if err != nil {
		log.Fatal(err)
	}
	table += "\n" + profile
	fmt.Print(table)
	if *out != "" {
		if err := os.WriteFile(*out, []byte(table), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

func filterConfigs(all []config, only string) []config {
	var out []config
	for _, c := range all {
		for _, n := range strings.Split(only, ",") {
			if strings.TrimSpace(n) == c.name {
				out = append(out, c)
			}
		}
	}
	return out
}

// config is one way of putting Envoy in front of the upstream.
type config struct {
	name   string
	module string
	cfg    []byte
	noWasm bool
}

// run starts Envoy with c (one worker), measures the start-up to the first
// answer, runs every workload and reads the RSS at the end.
func (c config) run(bin, upstream, scripts string, conns int, warmup, duration time.Duration, pin bool) (map[string]sample, error) {
	t0 := time.Now()
	e, err := realenvoy.Start(context.Background(), realenvoy.Options{Bin: bin, Concurrency: 1,
		Bootstrap: realenvoy.Bootstrap{Upstream: upstream, Module: c.module, PluginConfig: c.cfg, NoWasm: c.noWasm}})
	if err != nil {
		return nil, err
	}
	defer e.Stop()
	startup, err := firstAnswer(e.URL()+balancePath, t0)
	if err != nil {
		return nil, err
	}
	if pin {
		// After the first answer: start-up compiles the module with
		// every core, as it would in production.
		if err := pinEnvoy(e.Pid()); err != nil {
			return nil, err
		}
	}
	out := map[string]sample{}
	for _, w := range workloads {
		// Arguments per wrk run: the POST mix gives each run sessions of
		// its own.
		if _, err := runWrk(append([]string{"-d", fmt.Sprintf("%ds", int(warmup.Seconds()))}, w.args(e.URL(), scripts, conns)...)); err != nil {
			return nil, fmt.Errorf("%s warm-up: %w", w.name, err)
		}
		mark := e.LogLen()
		s, err := runWrk(append([]string{"-d", fmt.Sprintf("%ds", int(duration.Seconds())), "--latency"}, w.args(e.URL(), scripts, conns)...))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", w.name, err)
		}
		s.startup = startup
		s.refusals = refusals(e.ModuleLogSince(mark))
		if rss, err := e.RSS(); err == nil {
			s.rssMiB = float64(rss) / (1 << 20)
		}
		out[w.name] = s
	}
	return out, nil
}

// refusals counts the blocking security events among lines, by rule and
// status ("sequence-violation 409").
func refusals(lines []realenvoy.LogLine) map[string]int {
	out := map[string]int{}
	for _, l := range lines {
		if !strings.Contains(l.Message, `"apiwarden.verdict":"block"`) {
			continue
		}
		rule := fieldOf(l.Message, `"apiwarden.rule":"`)
		status := fieldOf(l.Message, `"http.response.status_code":`)
		out[rule+" "+status]++
	}
	return out
}

// fieldOf is the value after key in an event line, up to the next quote
// or comma.
func fieldOf(line, key string) string {
	_, v, ok := strings.Cut(line, key)
	if !ok {
		return "?"
	}
	if i := strings.IndexAny(v, `",}`); i >= 0 {
		v = v[:i]
	}
	return v
}

const balancePath = "/api/v1/accounts/ACC-1001/balance"

// firstAnswer polls url until it answers 200 and returns the time since t0.
func firstAnswer(url string, t0 time.Time) (time.Duration, error) {
	c := &http.Client{Timeout: 2 * time.Second}
	for time.Since(t0) < 90*time.Second {
		resp, err := c.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return time.Since(t0), nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return 0, fmt.Errorf("no 200 from %s within 90 s", url)
}

// benchUpstream is the bank demo upstream; list_accounts answers a ~64 KB
// account list (emails, IBANs and national ids the bank policy redacts)
// when the request carries x-bench-big.
func benchUpstream() http.Handler {
	api := bank.Upstream()
	big := bigAccounts()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-bench-big") != "" {
			w.Header().Set("content-type", "application/json")
			_, _ = io.WriteString(w, big)
			return
		}
		api.ServeHTTP(w, r)
	})
}

func bigAccounts() string {
	var b strings.Builder
	b.WriteString(`{"user_id":"7","owner":{"name":"Ada Lovelace","national_id":"123-45-6789","email":"ada@example.com","risk_score":3},"accounts":[`)
	for i := 0; b.Len() < 64<<10; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"ACC-%d","number":"DE89370400440532013000","type":"checking","currency":"EUR","contact":"holder%d@example.com","note":"statement %d"}`, 1000+i, i, i)
	}
	b.WriteString(`]}`)
	return b.String()
}
