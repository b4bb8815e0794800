package abi

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

type recVM struct {
	types.DefaultVMContext
	calls *[]string
}

func (v *recVM) NewPluginContext(id uint32) types.PluginContext { return &recPlugin{calls: v.calls} }

type recPlugin struct {
	types.DefaultPluginContext
	calls *[]string
}

func (p *recPlugin) OnPluginStart(n int) types.OnPluginStartStatus {
	*p.calls = append(*p.calls, "start")
	return n > 0
}
func (p *recPlugin) OnTick() { *p.calls = append(*p.calls, "tick") }
func (p *recPlugin) NewHttpContext(id uint32) types.HttpContext {
	return &recStream{calls: p.calls}
}

type recStream struct {
	types.DefaultHttpContext
	calls *[]string
}

func (s *recStream) OnHttpRequestHeaders(n int, eos bool) types.Action {
	*s.calls = append(*s.calls, "req-headers")
	return types.ActionPause
}
func (s *recStream) OnHttpStreamDone() { *s.calls = append(*s.calls, "done") }

func TestDispatcherRoutesToContexts(t *testing.T) {
	var calls []string
	d := newDispatcher(func(uint32, string) {})
	assert.False(t, d.vmStart(0), "no VM context registered")
	d.vm = &recVM{calls: &calls}
	assert.True(t, d.vmStart(0))
	d.contextCreate(1, 0)
	assert.True(t, d.configure(1, 10))
	assert.False(t, d.configure(1, 0))
	assert.False(t, d.configure(9, 10), "unknown root context")
	d.contextCreate(2, 1)
	d.contextCreate(3, 99) // unknown parent: ignored
	assert.EqualValues(t, types.ActionPause, d.requestHeaders(2, 4, true))
	assert.EqualValues(t, types.ActionContinue, d.requestHeaders(3, 4, true), "unknown stream continues")
	d.log(2)
	d.delete(2)
	assert.EqualValues(t, types.ActionContinue, d.requestHeaders(2, 4, true), "deleted stream is gone")
	d.tick(1)
	assert.Equal(t, []string{"start", "start", "req-headers", "done", "tick"}, calls)
}

func TestDispatcherCalloutRunsOnce(t *testing.T) {
	d := newDispatcher(func(uint32, string) {})
	n := 0
	d.awaitCallout(4, func(h, b, tr int) { n += h + b + tr })
	d.calloutResponse(1, 4, 1, 2, 3)
	d.calloutResponse(1, 4, 1, 2, 3)
	d.calloutResponse(1, 5, 1, 2, 3)
	assert.Equal(t, 6, n, "once, and not for an unknown token")
	assert.Empty(t, d.callouts)
}

func TestDispatcherCalloutThatPanicsIsNotRunAgain(t *testing.T) {
	d := newDispatcher(func(uint32, string) {})
	n := 0
	d.awaitCallout(4, func(int, int, int) { n++; panic("plugin bug") })
	func() {
		defer func() { assert.NotNil(t, recover()) }()
		d.calloutResponse(1, 4, 0, 0, 0)
	}()
	d.calloutResponse(1, 4, 0, 0, 0)
	assert.Equal(t, 1, n)
}

func TestDispatcherCalloutsGoWithTheirRootContext(t *testing.T) {
	var calls []string
	d := newDispatcher(func(uint32, string) {})
	d.vm = &recVM{calls: &calls}
	d.contextCreate(1, 0)
	d.contextCreate(2, 1)
	d.contextCreate(3, 0)

	d.tick(1)
	d.awaitCallout(4, func(int, int, int) { calls = append(calls, "root 1") })
	d.requestHeaders(2, 0, true)
	d.awaitCallout(8, func(int, int, int) { calls = append(calls, "stream of root 1") })
	d.tick(3)
	d.awaitCallout(12, func(int, int, int) { calls = append(calls, "root 3") })
	assert.EqualValues(t, 1, d.callouts[8].root, "a stream's callout is its plugin's")

	d.delete(2) // a stream ending leaves its plugin's callouts alone
	assert.Len(t, d.callouts, 3)
	d.delete(1)
	assert.Len(t, d.callouts, 1, "a deleted root context is never answered")
	d.calloutResponse(1, 4, 1, 0, 0)
	d.calloutResponse(1, 8, 1, 0, 0)
	d.calloutResponse(3, 12, 1, 0, 0)
	assert.Equal(t, []string{"tick", "req-headers", "tick", "root 3"}, calls)
}
