package main

import (
	"github.com/apiwarden/apiwarden/policy"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/apiwarden/apiwarden/filter/internal/abi"
)

// vmContext is the per-VM root of the plugin (one per Envoy worker).
type vmContext struct {
	types.DefaultVMContext
}

func (*vmContext) NewPluginContext(id uint32) types.PluginContext {
	return &pluginContext{id: id}
}

// pluginContext holds what every stream of this VM shares: the compiled
// policy (immutable) and per-VM counters and limiters.
type pluginContext struct {
	types.DefaultPluginContext
	id      uint32
	policy  *policy.Policy
	metrics *metrics
	events  *policy.TokenBucket
	// nextStream numbers streams for debugging; not an id the host uses.
	nextStream uint64
}

// OnPluginStart compiles the configuration once. A configuration that does
// not compile stops the plugin from starting: one log line names every
// problem with its JSON path, nothing half-applies.
func (p *pluginContext) OnPluginStart(size int) types.OnPluginStartStatus {
	var raw []byte
	if size > 0 {
		b, err := abi.GetPluginConfiguration()
		if err != nil {
			abi.LogCriticalf("apiwarden: cannot read the plugin configuration: %v", err)
			return types.OnPluginStartStatusFailed
		}
		raw = b
	}
	pol, err := policy.Compile(raw)
	if err != nil {
		abi.LogCriticalf("apiwarden: invalid configuration: %s", oneLine(err.Error()))
		return types.OnPluginStartStatusFailed
	}
	p.policy = pol
	p.metrics = defineMetrics(pol)
	p.events = policy.NewTokenBucket(pol.Events.PerSecond, pol.Events.Burst)
	abi.LogInfof("apiwarden: configured %d endpoints, mode %s, unknown endpoints %s, failure mode %s",
		len(pol.Endpoints), pol.Mode, pol.UnknownEndpoints, pol.FailureMode)
	return types.OnPluginStartStatusOK
}

func (p *pluginContext) NewHttpContext(id uint32) types.HttpContext {
	if p.policy == nil {
		return nil
	}
	p.nextStream++
	s := &stream{plugin: p, id: id}
	s.req.Reset()
	return s
}

// oneLine joins a multi-line error (errors.Join) into one log line.
func oneLine(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '\n' {
			b[i] = ';'
		}
	}
	return string(b)
}
