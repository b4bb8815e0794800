package redact

import "fmt"

// DefaultReplacement replaces redacted values unless configured otherwise.
const DefaultReplacement = "[REDACTED]"

// DefaultMaxBodyBytes is the default bound on the response bodies (after
// decompression) the redactor inspects.
const DefaultMaxBodyBytes = 1 << 20

// Redactor is the compiled response protection of one endpoint. It is
// immutable and safe for concurrent use; per-call state lives in pooled
// walkers.
type Redactor struct {
	cfg        Config
	paths      []PathRule
	nfa        nfa
	fields     *FieldSet
	undeclared UndeclaredMode

	detect      bool // detectors apply to this endpoint
	scanNumbers bool
	scan        scanner
	dets        [NumDetectors]detSetting

	replJSON []byte // the replacement as a JSON string literal
	headers  Headers
}

type detSetting struct {
	action     Action // ActionReplace or ActionLog
	wholeValue bool
}

// Compile checks c and builds its Redactor. Path errors name the rule.
func Compile(c Config) (*Redactor, error) {
	r := &Redactor{cfg: c, fields: c.Fields, undeclared: c.Undeclared}
	if r.undeclared == "" {
		r.undeclared = UndeclaredReport
	}
	if r.undeclared == UndeclaredOff {
		r.fields = nil
	}
	repl := c.Replacement
	if repl == "" {
		repl = DefaultReplacement
	}
	r.replJSON = append(appendEscaped([]byte{'"'}, []byte(repl)), '"')
	for i, p := range c.Paths {
		segs, err := parsePath(p.Path)
		if err != nil {
			return nil, fmt.Errorf("redact: path %d (%q): %w", i, p.Path, err)
		}
		act := p.Action
		if act == ActionNone {
			act = ActionReplace
		}
		if act != ActionReplace && act != ActionRemove {
			return nil, fmt.Errorf("redact: path %d (%q): action must be replace or remove, got %s", i, p.Path, act)
		}
		r.paths = append(r.paths, PathRule{Path: p.Path, Action: act})
		r.nfa.add(segs, act, i)
	}
	var on [NumDetectors]bool
	for _, d := range c.Detectors {
		det, ok := DetectorByName(d.Name)
		if !ok {
			return nil, fmt.Errorf("redact: unknown detector %q", d.Name)
		}
		on[det] = true
		act := d.Action
		if act != ActionLog {
			act = ActionReplace
		}
		scope := d.Scope
		if scope == "" {
			scope = c.Scope
		}
		r.dets[det] = detSetting{action: act, wholeValue: scope != ScopeMatch}
	}
	r.scan = newScanner(on)
	r.detect = r.scan.any && c.AppliesTo(c.Endpoint)
	r.scanNumbers = c.ScanNumbers
	r.headers = CompileHeaders(c.Headers)
	return r, nil
}

// Active reports whether response bodies of this endpoint need to be
// inspected at all (path rules, detectors or a declared shape). When it is
// false the filter need not buffer the response body.
func (r *Redactor) Active() bool {
	return len(r.paths) > 0 || r.detect || r.fields != nil
}

// Replacement returns the configured replacement string.
func (r *Redactor) Replacement() string {
	if r.cfg.Replacement == "" {
		return DefaultReplacement
	}
	return r.cfg.Replacement
}

// MaxBodyBytes returns the bound on inspected bodies.
func (r *Redactor) MaxBodyBytes() int {
	if r.cfg.MaxBodyBytes <= 0 {
		return DefaultMaxBodyBytes
	}
	return r.cfg.MaxBodyBytes
}

// HeaderAction says what to do with a response header (see Headers.Action).
func (r *Redactor) HeaderAction(name string) (remove, replace bool) {
	return r.headers.Action(name)
}

// Apply rewrites the JSON document body in one pass: values at configured
// paths are replaced or removed, detected values are replaced (or only
// counted), undeclared members are reported (or removed).
//
// The output is appended to dst[:0] when something changed; when nothing
// changed (Report.Changed is false) Apply returns body itself. Insignificant
// whitespace of the input is kept, except where a member or element is
// removed. A body that is not valid JSON (or is nested deeper than
// MaxDepth) returns a nil slice, an empty report and ErrInvalidJSON or
// ErrTooDeep: never a partial body.
func (r *Redactor) Apply(dst, body []byte) ([]byte, Report, error) {
	w := walkers.Get().(*walker)
	w.r, w.in, w.out = r, body, dst[:0]
	w.mark, w.pos, w.depth = 0, 0, 0
	w.sets, w.path = w.sets[:0], w.path[:0]
	w.rep = Report{}
	w.arena, w.hits, w.undecl = w.arena[:0], w.hits[:0], w.undecl[:0]
	err := w.run()
	if err == nil {
		w.finish()
	}
	rep := w.rep
	out := w.out
	if err == nil && rep.Changed {
		out = append(out, body[w.mark:]...)
	}
	w.r, w.in, w.out, w.rep = nil, nil, nil, Report{}
	walkers.Put(w)
	if err != nil {
		return nil, Report{}, err
	}
	if !rep.Changed {
		out = body
	}
	// Never emit invalid UTF-8 or a lone surrogate, whatever came in.
	if fixed, changed := toIJSON(nil, out); changed {
		rep.Changed = true
		out = fixed
	}
	return out, rep, nil
}

// ScanText runs the detectors over a body that is not JSON and replaces
// each redacting match in place (only the match, whatever the scope). The
// output is appended to dst[:0] when something changed; otherwise text is
// returned. Hits carry an empty Pointer. Path rules and declared shapes do
// not apply to text.
func (r *Redactor) ScanText(dst, text []byte) ([]byte, Report) {
	var rep Report
	if !r.detect {
		return text, rep
	}
	w := walkers.Get().(*walker)
	w.matches = r.scan.scan(text, w.matches[:0])
	out := dst[:0]
	last := 0
	var per [NumDetectors]int32
	for _, m := range w.matches {
		rep.Counts[m.det]++
		per[m.det]++
		if r.dets[m.det].action == ActionLog {
			continue
		}
		if !rep.Changed && cap(out) < len(text)+64 {
			out = make([]byte, 0, len(text)+len(text)/8+64)
		}
		rep.Changed = true
		out = append(out, text[last:m.start]...)
		out = append(out, r.Replacement()...)
		last = m.end
	}
	walkers.Put(w)
	for d, n := range per {
		if n > 0 {
			act := r.dets[d].action
			if act != ActionLog {
				act = ActionReplace
			}
			rep.Hits = append(rep.Hits, Hit{Detector: detectorNames[d], Count: int(n), Action: act})
		}
	}
	if !rep.Changed {
		return text, rep
	}
	return append(out, text[last:]...), rep
}
