package realenvoy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"regexp"
	"sort"
	"strings"
	"text/template"
)

// Bootstrap is a static Envoy bootstrap: one HTTP listener whose
// connection manager runs apiwarden and then the router to one upstream
// cluster, an admin listener, and the stats tags that turn apiwarden's
// metric names into Prometheus labels.
type Bootstrap struct {
	// Listen and Admin are host:port; port 0 lets the kernel choose (read
	// the ports back from Envoy.URL and Envoy.AdminURL).
	Listen, Admin string
	// Upstream is the host:port of the protected API.
	Upstream string
	// Module is the path of the .wasm file, as Envoy will open it.
	Module string
	// PluginConfig is apiwarden's JSON configuration, passed verbatim as a
	// google.protobuf.StringValue (key order and numbers kept exactly).
	PluginConfig []byte
	// MetricsName is apiwarden's `name` setting (default "apiwarden"): the
	// prefix of its metric names, which the stats tags match.
	MetricsName string
	// FailurePolicy is the PluginConfig failure_policy (default
	// FAIL_RELOAD).
	FailurePolicy string
	// HoldHeaders sets allow_on_headers_stop_iteration (Envoy >= 1.35).
	HoldHeaders bool
	// Clusters are extra STATIC clusters (name -> host:port), for HTTP
	// callouts.
	Clusters map[string]string
	// Comment is written at the top of the file.
	Comment string
	// NoWasm leaves the Wasm filter out (the router alone): the baseline
	// of the real-Envoy benchmark.
	NoWasm bool
}

// pluginName is the PluginConfig name, root_id and vm_id of apiwarden.
const pluginName = "apiwarden"

// StatsTag is one of Envoy's stats_config.stats_tags: the regex's first
// capture group is cut from the stat name, the second is the tag value.
type StatsTag struct{ Name, Regex string }

// StatsTags are the tag extractors for apiwarden's metrics named with the
// prefix name. Envoy matches them against the full stat name, which for
// a Wasm custom metric starts with "wasmcustom.".
func StatsTags(name string) []StatsTag {
	p := `^wasmcustom\.` + regexp.QuoteMeta(name) + `\.`
	return []StatsTag{
		{"endpoint", p + `(?:requests|redacted|detector_endpoint\.[^.]+)(\.([^.]+))(?:\.|$)`},
		{"verdict", p + `requests\.[^.]+(\.(allow|log|block))$`},
		{"rule", p + `rule(\.([^.]+))\.(?:log|block)$`},
		{"action", p + `rule\.[^.]+(\.(log|block))$`},
		{"detector", p + `detector(?:_endpoint)?(\.([^.]+))(?:\.|$)`},
	}
}

var bootstrapTmpl = template.Must(template.New("bootstrap").Funcs(template.FuncMap{
	"host": func(hp string) string { h, _, _ := net.SplitHostPort(hp); return h },
	"port": func(hp string) string { _, p, _ := net.SplitHostPort(hp); return p },
	"yq":   yamlQuote,
	"indent": func(n int, s string) string {
		pad := strings.Repeat(" ", n)
		return pad + strings.ReplaceAll(s, "\n", "\n"+pad)
	},
}).Parse(`{{with .Comment}}{{.}}
{{end}}stats_config:
  # apiwarden's metric names carry their dimensions (endpoint, verdict,
  # rule, action, detector); these extractors make them Prometheus labels:
  # apiwarden_requests{endpoint="get_balance",verdict="allow"}.
  stats_tags:
{{- range .Tags}}
  - tag_name: {{.Name}}
    regex: {{yq .Regex}}
{{- end}}
static_resources:
  listeners:
  - name: api
    address:
      socket_address: { address: {{host .Listen}}, port_value: {{port .Listen}} }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: api
          # The filter sees (and the upstream receives) the path after these:
          # RFC 3986 dot segments resolved, // merged, %2F left alone.
          normalize_path: true
          merge_slashes: true
          path_with_escaped_slashes_action: KEEP_UNCHANGED
          # Keep the upstream's server header so that apiwarden's
          # redaction.headers.remove decides (Envoy's default OVERWRITE would
          # add "server: envoy" to every answer).
          server_header_transformation: PASS_THROUGH
          route_config:
            name: api
            virtual_hosts:
            - name: api
              domains: ["*"]
              routes:
              - match: { prefix: "/" }
                route: { cluster: upstream }
          http_filters:
{{- if not .NoWasm}}
          - name: envoy.filters.http.wasm
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              config:
                name: {{.Plugin}}
                root_id: {{.Plugin}}
                # A trap in one worker's VM answers 503 for its in-flight
                # streams; FAIL_RELOAD starts a fresh VM for the next stream.
                failure_policy: {{.FailurePolicy}}
{{- if .HoldHeaders}}
                # Envoy >= 1.35: request headers wait for the body check and
                # response headers for the redacted body. Remove on 1.33/1.34
                # (and set apiwarden's host.allow_on_headers_stop_iteration false).
                allow_on_headers_stop_iteration: true
{{- end}}
                vm_config:
                  vm_id: {{.Plugin}}
                  runtime: envoy.wasm.runtime.v8
                  code:
                    local: { filename: {{yq .Module}} }
                configuration:
                  "@type": type.googleapis.com/google.protobuf.StringValue
                  value: |
{{indent 20 .Config}}
{{- end}}
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
  clusters:
{{- range .AllClusters}}
  - name: {{.Name}}
    type: STATIC
    connect_timeout: 1s
    load_assignment:
      cluster_name: {{.Name}}
      endpoints:
      - lb_endpoints:
        - endpoint:
            address:
              socket_address: { address: {{host .Addr}}, port_value: {{port .Addr}} }
{{- end}}
admin:
  address:
    socket_address: { address: {{host .Admin}}, port_value: {{port .Admin}} }
`))

type cluster struct{ Name, Addr string }

// Render writes the bootstrap as YAML.
func (b Bootstrap) Render() ([]byte, error) {
	for _, hp := range []string{b.Listen, b.Admin, b.Upstream} {
		if _, _, err := net.SplitHostPort(hp); err != nil {
			return nil, fmt.Errorf("realenvoy: bootstrap: %w", err)
		}
	}
	var pretty bytes.Buffer
	cfg := b.PluginConfig
	if b.NoWasm && len(cfg) == 0 {
		cfg = []byte("{}")
	}
	if err := json.Indent(&pretty, cfg, "", "  "); err != nil {
		return nil, fmt.Errorf("realenvoy: bootstrap: plugin configuration is not JSON: %w", err)
	}
	name := b.MetricsName
	if name == "" {
		name = configuredName(b.PluginConfig)
	}
	policy := b.FailurePolicy
	if policy == "" {
		policy = "FAIL_RELOAD"
	}
	all := []cluster{{"upstream", b.Upstream}}
	for _, n := range sortedKeys(b.Clusters) {
		all = append(all, cluster{n, b.Clusters[n]})
	}
	var out bytes.Buffer
	err := bootstrapTmpl.Execute(&out, map[string]any{
		"Comment": b.Comment, "Tags": StatsTags(name), "Listen": b.Listen, "Admin": b.Admin,
		"Plugin": pluginName, "FailurePolicy": policy, "HoldHeaders": b.HoldHeaders,
		"Module": b.Module, "Config": strings.TrimRight(pretty.String(), "\n"), "AllClusters": all, "NoWasm": b.NoWasm,
	})
	if err != nil {
		return nil, fmt.Errorf("realenvoy: bootstrap: %w", err)
	}
	return out.Bytes(), nil
}

// configuredName reads apiwarden's `name` setting, "apiwarden" when absent.
func configuredName(cfg []byte) string {
	var c struct {
		Name string `json:"name"`
	}
	if json.Unmarshal(cfg, &c) == nil && c.Name != "" {
		return c.Name
	}
	return "apiwarden"
}

// yamlQuote writes s as a YAML single-quoted scalar, where the only escape
// is a doubled quote.
func yamlQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// WithConfig returns b carrying the plugin configuration cfg, with
// request headers held when cfg asks for it
// (host.allow_on_headers_stop_iteration, Envoy >= 1.35).
func (b Bootstrap) WithConfig(cfg []byte) (Bootstrap, error) {
	var c struct {
		Host struct {
			Hold bool `json:"allow_on_headers_stop_iteration"`
		} `json:"host"`
	}
	if err := json.Unmarshal(cfg, &c); err != nil {
		return b, fmt.Errorf("realenvoy: plugin configuration: %w", err)
	}
	b.PluginConfig = cfg
	b.HoldHeaders = c.Host.Hold
	return b, nil
}

// ExampleBootstrap renders b for the plugin configuration cfg the way
// examples/envoy/envoy.yaml is written, with a comment saying how to run it.
func ExampleBootstrap(b Bootstrap, cfg []byte) ([]byte, error) {
	b, err := b.WithConfig(cfg)
	if err != nil {
		return nil, err
	}
	b.Comment = "# Generated by `make envoy-example` from examples/bank/apiwarden.json: do not edit.\n" +
		"# Envoy >= 1.36 static bootstrap: apiwarden in front of the bank demo API.\n" +
		"# `make run` serves it (the demo upstream on " + b.Upstream + ", Envoy from `make envoy`)."
	return b.Render()
}
