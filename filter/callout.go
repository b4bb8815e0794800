package main

import (
	"time"

	"github.com/apiwarden/apiwarden/filter/internal/abi"
	"github.com/apiwarden/apiwarden/policy/exchange"
)

// maxCalloutBody bounds what is read of a callout's answer (a key set).
const maxCalloutBody = 1 << 20

// dispatch starts one callout of the runtime and hands its answer back.
func (p *pluginContext) dispatch(c exchange.Callout) {
	id := c.ID
	_, err := abi.DispatchHttpCall(c.Cluster, c.Headers, nil, nil, uint32(c.Timeout/time.Millisecond),
		func(numHeaders, bodySize, _ int) {
			if numHeaders == 0 {
				// Envoy answers a timeout or a reset with no headers.
				p.publish(p.rt.CalloutFailed(id, "no answer (timeout or connection failure)"), nil)
				return
			}
			hs, err := abi.GetHttpCallResponseHeaders()
			if err != nil {
				p.publish(p.rt.CalloutFailed(id, "cannot read the answer's headers: "+err.Error()), nil)
				return
			}
			var body []byte
			if bodySize > 0 {
				b, err := abi.GetHttpCallResponseBody(0, min(bodySize, maxCalloutBody))
				if err != nil {
					p.publish(p.rt.CalloutFailed(id, "cannot read the answer: "+err.Error()), nil)
					return
				}
				body = b
			}
			p.publish(p.rt.CalloutDone(id, hs, body), nil)
		})
	if err != nil {
		p.publish(p.rt.CalloutFailed(id, err.Error()), nil)
	}
}
