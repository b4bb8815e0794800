// Package examples_test parses the shipped Envoy and Istio configurations
// with Envoy's and Istio's own Go API types (including proto validation), so
// a typo in a field name fails the build, and checks that the apiwarden
// configuration they embed compiles.
package examples_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	wasmfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
	extensionsv1alpha1 "istio.io/api/extensions/v1alpha1"
	networkingv1alpha3 "istio.io/api/networking/v1alpha3"
	"sigs.k8s.io/yaml"

	"github.com/apiwarden/apiwarden/internal/realenvoy"
	"github.com/apiwarden/apiwarden/policy"
)

func yamlToJSON(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	js, err := yaml.YAMLToJSON(raw)
	require.NoError(t, err)
	return js
}

// istioObject reads a Kubernetes object of the given apiVersion and kind
// from path and parses its spec with Istio's own API type.
func istioObject(t *testing.T, path, apiVersion, kind string, spec proto.Message) {
	t.Helper()
	var obj struct {
		APIVersion string          `json:"apiVersion"`
		Kind       string          `json:"kind"`
		Spec       json.RawMessage `json:"spec"`
	}
	require.NoError(t, json.Unmarshal(yamlToJSON(t, path), &obj))
	assert.Equal(t, apiVersion, obj.APIVersion)
	assert.Equal(t, kind, obj.Kind)
	require.NoError(t, protojson.Unmarshal(obj.Spec, spec))
}

func TestEnvoyBootstrap(t *testing.T) {
	var bs bootstrapv3.Bootstrap
	require.NoError(t, protojson.UnmarshalOptions{DiscardUnknown: false}.Unmarshal(yamlToJSON(t, "envoy/envoy.yaml"), &bs))
	require.NoError(t, bs.ValidateAll())

	var hcm hcmv3.HttpConnectionManager
	require.NoError(t, bs.StaticResources.Listeners[0].FilterChains[0].Filters[0].GetTypedConfig().UnmarshalTo(&hcm))
	require.NoError(t, hcm.ValidateAll())
	require.Equal(t, "envoy.filters.http.wasm", hcm.HttpFilters[0].Name)
	var wasm wasmfilterv3.Wasm
	require.NoError(t, hcm.HttpFilters[0].GetTypedConfig().UnmarshalTo(&wasm))
	require.NoError(t, wasm.ValidateAll())
	pc := wasm.Config
	assert.Equal(t, "apiwarden", pc.RootId)
	assert.Equal(t, "apiwarden", pc.GetVmConfig().GetVmId())
	assert.Equal(t, "build/apiwarden.wasm", pc.GetVmConfig().GetCode().GetLocal().GetFilename())
	// The plugin configuration is the bank configuration, verbatim.
	var sv wrapperspb.StringValue
	require.NoError(t, pc.Configuration.UnmarshalTo(&sv))
	bank, err := os.ReadFile("bank/apiwarden.json")
	require.NoError(t, err)
	assert.JSONEq(t, string(bank), sv.Value)
	p, err := policy.Compile([]byte(sv.Value))
	require.NoError(t, err)
	assert.Equal(t, hcmv3.HttpConnectionManager_PASS_THROUGH.String(), hcm.ServerHeaderTransformation.String(), "the module decides about the server header")

	// The file is what `make envoy-example` writes.
	want, err := realenvoy.ExampleBootstrap(realenvoy.Bootstrap{Listen: "127.0.0.1:8080", Admin: "127.0.0.1:9901",
		Upstream: "127.0.0.1:9090", Module: "build/apiwarden.wasm"}, bank)
	require.NoError(t, err)
	got, err := os.ReadFile("envoy/envoy.yaml")
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), "run `make envoy-example`")
	assert.Len(t, p.Endpoints, 5)
}

func TestIstioWasmPlugin(t *testing.T) {
	var spec extensionsv1alpha1.WasmPlugin
	istioObject(t, "istio/wasmplugin.yaml", "extensions.istio.io/v1alpha1", "WasmPlugin", &spec)
	assert.Equal(t, "oci://ghcr.io/apiwarden/apiwarden:0.1.0", spec.Url)
	assert.Equal(t, extensionsv1alpha1.PluginPhase_AUTHZ, spec.Phase)
	assert.Equal(t, "apiwarden", spec.PluginName)
	// Istio passes pluginConfig to the plugin as JSON.
	cfg, err := protojson.Marshal(spec.PluginConfig)
	require.NoError(t, err)
	p, err := policy.Compile(cfg)
	require.NoError(t, err)
	assert.Equal(t, policy.Monitor, p.Mode)
}

// TestIstioStatsTags: the EnvoyFilter is a valid Istio object whose one
// patch merges into the sidecar bootstrap exactly the stats tags that the
// real-Envoy tests check against /stats/prometheus.
func TestIstioStatsTags(t *testing.T) {
	var spec networkingv1alpha3.EnvoyFilter
	istioObject(t, "istio/stats-tags.yaml", "networking.istio.io/v1alpha3", "EnvoyFilter", &spec)
	require.Len(t, spec.ConfigPatches, 1)
	p := spec.ConfigPatches[0]
	assert.Equal(t, networkingv1alpha3.EnvoyFilter_BOOTSTRAP, p.ApplyTo)
	assert.Equal(t, networkingv1alpha3.EnvoyFilter_Patch_MERGE, p.Patch.Operation)

	value, err := protojson.Marshal(p.Patch.Value)
	require.NoError(t, err)
	var bs bootstrapv3.Bootstrap
	require.NoError(t, protojson.Unmarshal(value, &bs), "the patch is a bootstrap fragment")
	require.NoError(t, bs.ValidateAll())
	want := realenvoy.StatsTags("apiwarden")
	require.Len(t, bs.StatsConfig.StatsTags, len(want))
	for i, tag := range bs.StatsConfig.StatsTags {
		assert.Equal(t, want[i].Name, tag.TagName)
		assert.Equal(t, want[i].Regex, tag.GetRegex())
	}

	gen, err := realenvoy.IstioStatsTags("apiwarden")
	require.NoError(t, err)
	got, err := os.ReadFile("istio/stats-tags.yaml")
	require.NoError(t, err)
	assert.Equal(t, string(gen), string(got), "run `make envoy-example`")
}

// TestBankConfigIsGeneratedFromOpenAPI keeps examples/bank/apiwarden.json
// in step with its sources: `make openapi` writes it from openapi.yaml and
// apiwarden.base.json.
func TestBankConfigIsGeneratedFromOpenAPI(t *testing.T) {
	out := t.TempDir() + "/apiwarden.json"
	cmd := exec.Command("go", "run", "../cmd/openapi2json", "-in", "bank/openapi.yaml",
		"-base", "bank/apiwarden.base.json", "-out", out)
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, string(msg))
	want, err := os.ReadFile(out)
	require.NoError(t, err)
	got, err := os.ReadFile("bank/apiwarden.json")
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), "run `make openapi`")
}
