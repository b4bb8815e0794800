package main

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apiwarden/apiwarden/internal/differential"
	"github.com/apiwarden/apiwarden/policy"
	"github.com/apiwarden/apiwarden/wasmtest"
)

// forwarder plays one case and returns what the upstream received (nil
// when the filter answered locally).
type forwarder func(t *testing.T, c *differential.Case) *differential.Forwarded

// nativeForwarder holds the SDK's one global emulator until t ends.
func nativeForwarder(t *testing.T, config []byte) forwarder {
	host, reset := newHost(t, config)
	t.Cleanup(reset)
	return func(t *testing.T, c *differential.Case) *differential.Forwarded {
		id := host.InitializeHttpContext()
		defer host.CompleteHttpContext(id)
		host.CallOnRequestHeaders(id, reqHeaders(c.Method, c.Target, c.Headers...), !c.HasBody())
		if host.GetSentLocalResponse(id) != nil {
			return nil
		}
		if c.HasBody() {
			host.CallOnRequestBody(id, []byte(c.Body), true)
			if host.GetSentLocalResponse(id) != nil {
				return nil
			}
		}
		f := &differential.Forwarded{Body: []byte(c.Body)}
		for _, kv := range host.GetCurrentRequestHeaders(id) {
			switch kv[0] {
			case ":method":
				f.Method = kv[1]
			case ":path":
				f.Target = kv[1]
			default:
				f.Headers = append(f.Headers, kv)
			}
		}
		host.CallOnResponseHeaders(id, [][2]string{{":status", "200"}}, true)
		return f
	}
}

func wasmForwarder(t *testing.T, config []byte, profile wasmtest.WASIProfile) forwarder {
	host, err := wasmtest.New(context.Background(), wasmtest.Options{
		Module: builtModule(t), PluginConfig: config, Workers: 2, WASI: profile,
		PluginName: "apiwarden", RootID: "apiwarden", VMID: "apiwarden", DisableTrace: true,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = host.Close(context.Background()) })
	return func(t *testing.T, c *differential.Case) *differential.Forwarded {
		var f *differential.Forwarded
		req := &wasmtest.Request{Method: c.Method, Path: c.Target, Authority: "bank.example", Headers: c.Headers,
			Body: []byte(c.Body), SourceAddress: "192.0.2.7:51234"}
		if c.Stream && c.Body == "" {
			req.Trailers = [][2]string{{"x-end", "1"}} // headers without end of stream, no body
		}
		res, err := host.RoundTrip(req, func(u *wasmtest.UpstreamRequest) *wasmtest.Response {
			f = &differential.Forwarded{Method: u.Method, Target: u.Path, Headers: u.Headers, Body: u.Body}
			return &wasmtest.Response{Status: 200}
		})
		require.NoError(t, err)
		require.NoError(t, res.Trapped)
		if res.LocalReply {
			return nil
		}
		return f
	}
}

// TestIntegrityThroughTheFilter is the differential bench of issue 9
// through the filter: natively under proxytest and through the built
// module under both WASI profiles. For every request the filter lets
// through, the Go backend routes it to the operation that was validated
// and parses values that satisfy the schema.
func TestIntegrityThroughTheFilter(t *testing.T) {
	cfgs := map[string][]byte{
		"defaults":     []byte(differential.Config),
		"strip-refuse": []byte(`{"request":{"method_override":"strip","path_integrity":"refuse"},` + differential.Config[1:]),
	}
	for cname, config := range cfgs {
		runs := map[string]func(t *testing.T) forwarder{
			"native":          func(t *testing.T) forwarder { return nativeForwarder(t, config) },
			"wasm-envoy-1.33": func(t *testing.T) forwarder { return wasmForwarder(t, config, wasmtest.WASIEnvoy133) },
			"wasm-april-2026": func(t *testing.T) forwarder { return wasmForwarder(t, config, wasmtest.WASIApril2026) },
		}
		for rname, mk := range runs {
			t.Run(cname+"/"+rname, func(t *testing.T) {
				fwd := mk(t)
				for class, cases := range differential.All() {
					allowed := 0
					for i := range cases {
						c := &cases[i]
						if testing.Short() && i%5 != 0 {
							continue
						}
						f := fwd(t, c)
						if f == nil {
							continue
						}
						allowed++
						if f.Method == "" {
							f.Method = c.Method
						}
						obs := differential.Serve(*f)
						// The operation the filter validated is the one the
						// policy's router picks for the validated path.
						if err := differential.Check(expectedOp(obs, f), c.Method, obs); err != nil {
							t.Errorf("%s: %s: %v (forwarded %q)", class, c.Name(), err, f.Target)
						}
					}
					t.Logf("%s: %d cases, %d allowed", class, len(cases), allowed)
				}
			})
		}
	}
}

// expectedOp is the operation apiwarden validated a forwarded request as.
// The filter only lets through requests that matched an endpoint (the
// configuration blocks unknown ones), and with path integrity the path it
// forwards is the normalised one it matched; so the operation is the one
// the validated path routes to, computed here from the forwarded path by
// the policy itself.
func expectedOp(_ differential.Observation, f *differential.Forwarded) string {
	r := routeOf(f.Method, f.Target)
	if r == "" {
		return "(unmatched)"
	}
	return r
}

func TestIntegrityBenchIsLarge(t *testing.T) {
	for class, cases := range differential.All() {
		assert.GreaterOrEqual(t, len(cases), 150, class)
	}
}

var benchPolicy = func() *policy.Policy {
	p, err := policy.Compile([]byte(differential.Config))
	if err != nil {
		panic(err)
	}
	return p
}()

// routeOf is the endpoint the policy matches for method and target.
func routeOf(method, target string) string {
	var r policy.Request
	r.Reset()
	r.Method, r.Target = method, target
	benchPolicy.CheckHead(&r)
	if r.Match.Endpoint == nil {
		return ""
	}
	return r.Match.Endpoint.ID
}
