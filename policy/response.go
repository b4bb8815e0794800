package policy

import (
	"github.com/apiwarden/apiwarden/policy/kernel"

	"strconv"

	"github.com/apiwarden/apiwarden/policy/internal/cfg"
	"github.com/apiwarden/apiwarden/policy/redact"
)

// compileRedactors builds one redactor per endpoint that needs one (path
// rules, detectors that apply to it, a declared response shape) and one for
// unknown endpoints. section is the "redaction" node (zero when absent).
func (p *Policy) compileRedactors(root, section cfg.Node) {
	base := p.Redaction
	p.ResponseHeaders = redact.CompileHeaders(base.Headers)
	if base.Endpoints != nil {
		list, _ := section.Get("endpoints")
		items, _ := list.Array()
		for i, id := range base.Endpoints {
			if p.endpointByID(id) == nil && i < len(items) {
				items[i].Errorf("unknown endpoint id %q", id)
			}
		}
	}
	detectorsFor := func(id string) []redact.DetectorConfig {
		if base.AppliesTo(id) {
			return base.Detectors
		}
		return nil
	}
	for _, ep := range p.Endpoints {
		c := base
		c.Endpoint = ep.ID
		c.Detectors = detectorsFor(ep.ID)
		c.Paths = p.responseRules[ep]
		c.Fields = ep.ResponseFields
		if len(c.Detectors) == 0 && len(c.Paths) == 0 && c.Fields == nil {
			continue
		}
		r, err := redact.Compile(c)
		if err != nil {
			root.Errs.Addf("endpoints", "endpoint %q: response protection: %v", ep.ID, err)
			continue
		}
		if r.Active() {
			ep.Redactor = r
		}
	}
	if base.Endpoints == nil && len(base.Detectors) > 0 {
		c := base
		c.Endpoint = unknownOperation
		if r, err := redact.Compile(c); err == nil && r.Active() {
			p.UnknownRedactor = r
		} else if err != nil {
			section.Errorf("%v", err)
		}
	}
	p.responseRules = nil
}

// unknownOperation names requests that matched no endpoint in metrics and
// redaction reports.
const unknownOperation = "_unknown"

func (p *Policy) endpointByID(id string) *Endpoint {
	for _, ep := range p.Endpoints {
		if ep.ID == id {
			return ep
		}
	}
	return nil
}

// RedactorFor returns the response protection of an endpoint (nil ep: an
// unknown endpoint), or nil when its responses pass untouched.
func (p *Policy) RedactorFor(ep *Endpoint) *redact.Redactor {
	if ep == nil {
		return p.UnknownRedactor
	}
	return ep.Redactor
}

// ResponseDecisions turns what response protection found into decisions
// to report (and, for a blocked body, the refusal first). Values never
// appear: detector names, counts and JSON pointers only.
func (p *Policy) ResponseDecisions(ep *Endpoint, res *redact.Result, dst []Decision) []Decision {
	mode := p.Mode
	if ep != nil {
		mode = ep.Mode
	}
	if res.Verdict == redact.Block {
		// In monitor mode this is a log: the body passes, reported.
		dst = append(dst, decide(ReasonResponseUninspected, "", ActionBlock, mode,
			"the response could not be inspected ("+string(res.Reason)+") and the policy blocks it"))
	} else if res.Reason != redact.ReasonNone {
		d := decide(ReasonResponseUninspected, "", ActionLog, mode, "the response was passed without inspection ("+string(res.Reason)+")")
		dst = append(dst, d)
	}
	rep := &res.Report
	if rep.Total() > 0 {
		d := decide(ReasonSensitiveData, "", ActionLog, mode, "the response carried sensitive values")
		d.Evidence = appendDetectorEvidence(nil, rep)
		dst = append(dst, d)
	}
	if len(rep.Undeclared) > 0 {
		d := decide(ReasonResponseSchema, "", ActionLog, mode, "the response carried fields its schema does not declare")
		d.Evidence = appendPointers(nil, "undeclared", rep.Undeclared, rep.Stripped)
		dst = append(dst, d)
	}
	return dst
}

func appendDetectorEvidence(dst []byte, rep *redact.Report) []byte {
	o := kernel.OpenObject(dst)
	o.Key("detectors")
	det := kernel.OpenObject(o.Buf)
	for d := redact.Detector(0); d < redact.NumDetectors; d++ {
		if n := rep.Count(d); n > 0 {
			det.Int(d.String(), int64(n))
		}
	}
	o.Buf = det.Close()
	var ptrs []string
	for _, h := range rep.Hits {
		if h.Detector != "path" && len(ptrs) < MaxViolations {
			ptrs = append(ptrs, h.Pointer)
		}
	}
	o.Key("pointers")
	o.Buf = appendStringList(o.Buf, ptrs)
	return o.Close()
}

func appendPointers(dst []byte, key string, ptrs []string, stripped int) []byte {
	o := kernel.OpenObject(dst)
	if len(ptrs) > MaxViolations {
		ptrs = ptrs[:MaxViolations]
	}
	o.Key(key)
	o.Buf = appendStringList(o.Buf, ptrs)
	if stripped > 0 {
		o.Int("stripped", int64(stripped))
	}
	return o.Close()
}

func appendStringList(dst []byte, list []string) []byte {
	dst = append(dst, '[')
	for i, s := range list {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = kernel.AppendString(dst, s)
	}
	return append(dst, ']')
}

// ResponseSizeDecision reports an unusual response size for an operation
// (the "silent privilege escalation" signal): p99 is the learned quantile.
func (p *Policy) ResponseSizeDecision(ep *Endpoint, size int, p99 float64) Decision {
	mode := p.Mode
	if ep != nil {
		mode = ep.Mode
	}
	d := decide(ReasonResponseSize, "", ActionLog, mode, "the response is much larger than this operation's usual responses")
	o := kernel.OpenObject(nil)
	o.Int("bytes", int64(size))
	o.Key("p99_bytes")
	o.Buf = strconv.AppendInt(o.Buf, int64(p99), 10)
	d.Evidence = o.Close()
	return d
}

// HeaderReplacement is what a redacted response header's value becomes.
func (p *Policy) HeaderReplacement() string {
	if p.Redaction.Replacement != "" {
		return p.Redaction.Replacement
	}
	return redact.DefaultReplacement
}

// RewritesResponseHeaders reports whether any response header is removed
// or redacted.
func (p *Policy) RewritesResponseHeaders() bool {
	return len(p.Redaction.Headers.Remove)+len(p.Redaction.Headers.Redact) > 0
}
