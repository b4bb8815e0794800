package abi

import (
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// dispatcher routes ABI callbacks to the plugin's contexts. It is plain Go
// so the routing is tested natively; the wasip1 exports are one-line calls
// into it.
type dispatcher struct {
	vm      types.VMContext
	plugins map[uint32]types.PluginContext
	streams map[uint32]types.HttpContext
	owner   map[uint32]uint32 // stream id -> plugin (root) context id
	// callouts are the answers awaited, by the host's token (unique per
	// VM, so one table serves every root context).
	callouts map[uint32]callout
	active   uint32
	logf     func(level uint32, msg string)
}

func newDispatcher(logf func(level uint32, msg string)) *dispatcher {
	return &dispatcher{
		plugins:  map[uint32]types.PluginContext{},
		streams:  map[uint32]types.HttpContext{},
		owner:    map[uint32]uint32{},
		callouts: map[uint32]callout{},
		logf:     logf,
	}
}

func (d *dispatcher) contextCreate(id, parent uint32) {
	if d.vm == nil {
		d.logf(logCritical, "apiwarden: no VM context registered")
		return
	}
	if parent == 0 {
		if p := d.vm.NewPluginContext(id); p != nil {
			d.plugins[id] = p
		}
		return
	}
	p, ok := d.plugins[parent]
	if !ok {
		return
	}
	if h := p.NewHttpContext(id); h != nil {
		d.streams[id] = h
		d.owner[id] = parent
	}
}

func (d *dispatcher) vmStart(size int) bool {
	if d.vm == nil {
		return false
	}
	return bool(d.vm.OnVMStart(size))
}

func (d *dispatcher) configure(root uint32, size int) bool {
	p, ok := d.plugins[root]
	if !ok {
		return false
	}
	return bool(p.OnPluginStart(size))
}

func (d *dispatcher) stream(id uint32) types.HttpContext {
	d.active = id
	return d.streams[id]
}

func action(a types.Action) uint32 { return uint32(a) }

func (d *dispatcher) requestHeaders(id uint32, n int, eos bool) uint32 {
	if h := d.stream(id); h != nil {
		return action(h.OnHttpRequestHeaders(n, eos))
	}
	return 0
}

func (d *dispatcher) requestBody(id uint32, n int, eos bool) uint32 {
	if h := d.stream(id); h != nil {
		return action(h.OnHttpRequestBody(n, eos))
	}
	return 0
}

func (d *dispatcher) requestTrailers(id uint32, n int) uint32 {
	if h := d.stream(id); h != nil {
		return action(h.OnHttpRequestTrailers(n))
	}
	return 0
}

func (d *dispatcher) responseHeaders(id uint32, n int, eos bool) uint32 {
	if h := d.stream(id); h != nil {
		return action(h.OnHttpResponseHeaders(n, eos))
	}
	return 0
}

func (d *dispatcher) responseBody(id uint32, n int, eos bool) uint32 {
	if h := d.stream(id); h != nil {
		return action(h.OnHttpResponseBody(n, eos))
	}
	return 0
}

func (d *dispatcher) responseTrailers(id uint32, n int) uint32 {
	if h := d.stream(id); h != nil {
		return action(h.OnHttpResponseTrailers(n))
	}
	return 0
}

// log runs the stream's completion hook. Envoy calls on_log before
// on_done/on_delete, and on_log is the last point where request and
// response headers are still readable.
func (d *dispatcher) log(id uint32) {
	if h := d.stream(id); h != nil {
		h.OnHttpStreamDone()
	}
}

func (d *dispatcher) done(id uint32) bool {
	if p, ok := d.plugins[id]; ok {
		d.active = id
		return p.OnPluginDone()
	}
	return true
}

func (d *dispatcher) delete(id uint32) {
	delete(d.streams, id)
	delete(d.owner, id)
	if _, ok := d.plugins[id]; ok {
		delete(d.plugins, id)
		// Envoy cancels a deleted context's callouts without answering
		// them: their callbacks would stay in the table forever, holding
		// the dead plugin context.
		for token, c := range d.callouts {
			if c.root == id {
				delete(d.callouts, token)
			}
		}
	}
}

func (d *dispatcher) tick(root uint32) {
	if p, ok := d.plugins[root]; ok {
		d.active = root
		p.OnTick()
	}
}

type callout struct {
	root uint32
	cb   func(numHeaders, bodySize, numTrailers int)
}

// awaitCallout records the callback of a callout the host accepted. The
// callout belongs to the root context of whoever dispatched it, a stream's
// plugin when a stream callback sent it: that is where the host answers.
func (d *dispatcher) awaitCallout(token uint32, cb func(numHeaders, bodySize, numTrailers int)) {
	root := d.active
	if r, ok := d.owner[root]; ok {
		root = r
	}
	d.callouts[token] = callout{root: root, cb: cb}
}

// calloutResponse runs the callback of callout token once; an answer for
// a token nobody waits for (answered already, or never ours) is dropped.
// The entry goes before the callback runs, so a callback that panics is
// not run again.
func (d *dispatcher) calloutResponse(root, token uint32, nh, body, nt int) {
	c, ok := d.callouts[token]
	if !ok {
		return
	}
	delete(d.callouts, token)
	d.active = root
	c.cb(nh, body, nt)
}
