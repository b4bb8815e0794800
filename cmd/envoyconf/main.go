// Command envoyconf writes the Envoy bootstrap that serves an API through
// apiwarden (`make envoy-example` regenerates examples/envoy/envoy.yaml from
// the bank configuration with it, and examples/istio/stats-tags.yaml). The plugin configuration is the given
// apiwarden JSON, verbatim, as a google.protobuf.StringValue, so the
// example and the configuration it embeds cannot drift.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/apiwarden/apiwarden/internal/realenvoy"
)

func main() {
	config := flag.String("config", "examples/bank/apiwarden.json", "apiwarden configuration (JSON)")
	out := flag.String("out", "-", "where to write the bootstrap (- for stdout)")
	listen := flag.String("listen", "127.0.0.1:8080", "the API listener")
	admin := flag.String("admin", "127.0.0.1:9901", "Envoy's admin listener")
	upstream := flag.String("upstream", "127.0.0.1:9090", "the protected API")
	module := flag.String("module", "build/apiwarden.wasm", "the module, as Envoy opens it")
	istio := flag.String("istio-stats", "", "also write the Istio EnvoyFilter with the stats tags here")
	flag.Parse()
	if *istio != "" {
		if err := writeIstio(*istio); err != nil {
			fmt.Fprintln(os.Stderr, "envoyconf:", err)
			os.Exit(1)
		}
	}
	if err := run(*config, *out, realenvoy.Bootstrap{Listen: *listen, Admin: *admin, Upstream: *upstream, Module: *module}); err != nil {
		fmt.Fprintln(os.Stderr, "envoyconf:", err)
		os.Exit(1)
	}
}

func run(config, out string, b realenvoy.Bootstrap) error {
	cfg, err := os.ReadFile(config)
	if err != nil {
		return err
	}
	yaml, err := realenvoy.ExampleBootstrap(b, cfg)
	if err != nil {
		return err
	}
	if out == "-" {
		_, err = os.Stdout.Write(yaml)
		return err
	}
	return os.WriteFile(out, yaml, 0o644)
}

func writeIstio(out string) error {
	yaml, err := realenvoy.IstioStatsTags("apiwarden")
	if err != nil {
		return err
	}
	return os.WriteFile(out, yaml, 0o644)
}
