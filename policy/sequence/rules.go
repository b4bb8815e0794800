package sequence

import (
	"strconv"
	"time"

	"github.com/apiwarden/apiwarden/policy/kernel"
	"github.com/apiwarden/apiwarden/policy/session"
)

// MaxEvidencePrior bounds the prior operations copied into evidence.
const MaxEvidencePrior = 8

// Input is what rules are evaluated on, mirroring Cloudflare's sequence
// fields: the current operation, the session's prior operations (Prior,
// oldest first, as stored; PreviousOps gives them most recent first) and
// the time of the request. Prior is the history BEFORE the current request.
type Input struct {
	Op    uint16
	Prior []session.Entry
	Now   int64 // Unix ms

	// Arenas the hits' evidence is appended to (Engine.evaluate lends
	// the Result's, so an evaluation into a reused Result allocates
	// nothing once warm); nil ones grow on demand.
	names []string
	times []OpTime
}

// MsSince returns the milliseconds since op was last seen in Prior.
func (in *Input) MsSince(op uint16) (int64, bool) {
	for i := len(in.Prior) - 1; i >= 0; i-- {
		if in.Prior[i].Op == op {
			return in.Now - in.Prior[i].At, true
		}
	}
	return 0, false
}

// PreviousOps returns up to max prior operations, most recent first.
func (in *Input) PreviousOps(max int) []uint16 {
	n := len(in.Prior)
	if n > max {
		n = max
	}
	out := make([]uint16, n)
	for i := 0; i < n; i++ {
		out[i] = in.Prior[len(in.Prior)-1-i].Op
	}
	return out
}

// OpTime is the time since an operation was last seen; Seen is false when
// it is not in the history (JSON null).
type OpTime struct {
	Op   string
	Ms   int64
	Seen bool
}

// Evidence is why a rule matched: the prior operations (most recent first,
// at most MaxEvidencePrior), the milliseconds since the operations the rule
// is about were last seen, and kind-specific numbers.
type Evidence struct {
	Prior   []string
	MsSince []OpTime
	// Run and Count: max_consecutive's repetitions in a row before this
	// request, and occurrences within the window (when one is set).
	Run, Count int
	// Score: anomaly's mean surprise in bits over the window.
	Score float64
}

// Hit is one rule that matched the current request.
type Hit struct {
	Rule     string
	Kind     Kind
	Action   Action
	Mode     Mode
	Evidence Evidence
}

// AppendJSON appends the evidence as a JSON object, for example
// {"prior":["list_accounts"],"ms_since":{"get_balance":null}}.
func (e Evidence) AppendJSON(b []byte) []byte {
	b = append(b, `{"prior":[`...)
	for i, p := range e.Prior {
		if i > 0 {
			b = append(b, ',')
		}
		b = kernel.AppendString(b, p)
	}
	b = append(b, `],"ms_since":{`...)
	for i, t := range e.MsSince {
		if i > 0 {
			b = append(b, ',')
		}
		b = kernel.AppendString(b, t.Op)
		b = append(b, ':')
		if t.Seen {
			b = strconv.AppendInt(b, t.Ms, 10)
		} else {
			b = append(b, "null"...)
		}
	}
	b = append(b, '}')
	if e.Run > 0 || e.Count > 0 {
		b = append(b, `,"run":`...)
		b = strconv.AppendInt(b, int64(e.Run), 10)
		b = append(b, `,"count":`...)
		b = strconv.AppendInt(b, int64(e.Count), 10)
	}
	if e.Score != 0 {
		b = append(b, `,"score":`...)
		b = strconv.AppendFloat(b, e.Score, 'f', 2, 64)
	}
	return append(b, '}')
}

// AppendJSON appends the hit as a JSON object.
func (h Hit) AppendJSON(b []byte) []byte {
	b = append(b, `{"rule":`...)
	b = kernel.AppendString(b, h.Rule)
	b = append(b, `,"kind":"`...)
	b = append(b, h.Kind...)
	b = append(b, `","action":"`...)
	b = append(b, h.Action.String()...)
	b = append(b, '"')
	if h.Mode != ModeInherit {
		b = append(b, `,"mode":"`...)
		b = append(b, h.Mode.String()...)
		b = append(b, '"')
	}
	b = append(b, `,"evidence":`...)
	b = h.Evidence.AppendJSON(b)
	return append(b, '}')
}

// opName returns the id of operation op.
func (c *Config) opName(op uint16) string {
	if int(op) < len(c.Ops) {
		return c.Ops[op]
	}
	return "#" + strconv.Itoa(int(op))
}

// Evaluate matches rule r against in. score is the session's mean anomaly
// score over r.Window steps (used by anomaly rules; ok=false when the model
// is not warm). It reports whether r matched and, if so, the evidence.
func (c *Config) Evaluate(r *Rule, in *Input, score float64, warm bool) (Hit, bool) {
	var ev Evidence
	switch r.Kind {
	case KindRequires:
		if int(in.Op) != r.Endpoint {
			return Hit{}, false
		}
		lo := 0
		if r.WithinRequests > 0 && len(in.Prior) > r.WithinRequests {
			lo = len(in.Prior) - r.WithinRequests
		}
		found := 0
		for _, want := range r.Ops {
			if c.seenSince(in, want, lo, r.Within) {
				found++
				if !r.MatchAll {
					break
				}
			}
		}
		if (r.MatchAll && found == len(r.Ops)) || (!r.MatchAll && found > 0) {
			return Hit{}, false
		}
		ev.MsSince = c.times(in, r.Ops)
	case KindMaxConsecutive:
		if int(in.Op) != r.Endpoint {
			return Hit{}, false
		}
		run, count := 0, 0
		inRun := true
		for i := len(in.Prior) - 1; i >= 0; i-- {
			e := in.Prior[i]
			if r.Within > 0 && in.Now-e.At > r.Within.Milliseconds() {
				break
			}
			if int(e.Op) == r.Endpoint {
				count++
				if inRun {
					run++
				}
			} else {
				inRun = false
				if r.Within == 0 {
					break
				}
			}
		}
		// run+1 (this request) repetitions in a row; with a window, count+1
		// within it (count >= run).
		n := run
		if r.Within > 0 {
			n = count
		}
		if n+1 <= r.MaxConsecutive {
			return Hit{}, false
		}
		ev.Run, ev.Count = run, count
		ev.MsSince = c.times(in, []uint16{uint16(r.Endpoint)})
	case KindDeny:
		steps := r.Ops
		last := len(steps) - 1
		if in.Op != steps[last] || len(in.Prior) < last {
			return Hit{}, false
		}
		// Match the earlier steps backwards from the newest entry; greedy
		// latest matches give the shortest span ending now.
		j := len(in.Prior) - 1
		first := int64(0)
		for s := last - 1; s >= 0; s-- {
			if r.Contiguous {
				if in.Prior[j].Op != steps[s] {
					return Hit{}, false
				}
			} else {
				for j >= 0 && in.Prior[j].Op != steps[s] {
					j--
				}
				if j < 0 {
					return Hit{}, false
				}
			}
			first = in.Prior[j].At
			j--
			if s > 0 && j < 0 {
				return Hit{}, false
			}
		}
		if r.Within > 0 && in.Now-first > r.Within.Milliseconds() {
			return Hit{}, false
		}
		ev.MsSince = c.times(in, steps[:last])
	case KindAllow:
		if int(in.Op) != r.Endpoint {
			return Hit{}, false
		}
		if len(in.Prior) == 0 {
			if r.AllowFirst {
				return Hit{}, false
			}
		} else {
			prev := in.Prior[len(in.Prior)-1].Op
			for _, p := range r.Ops {
				if p == prev {
					return Hit{}, false
				}
			}
		}
		ev.MsSince = c.times(in, r.Ops)
	case KindAnomaly:
		if !warm || score <= r.Threshold {
			return Hit{}, false
		}
		ev.Score = score
	default:
		return Hit{}, false
	}
	ev.Prior = c.names(in, in.PreviousOps(MaxEvidencePrior))
	return Hit{Rule: r.ID, Kind: r.Kind, Action: r.Action, Mode: r.Mode, Evidence: ev}, true
}

// seenSince reports whether op occurs in in.Prior[lo:] within the window.
func (c *Config) seenSince(in *Input, op uint16, lo int, within time.Duration) bool {
	w := within.Milliseconds()
	for i := len(in.Prior) - 1; i >= lo; i-- {
		e := in.Prior[i]
		if w > 0 && in.Now-e.At > w {
			return false
		}
		if e.Op == op {
			return true
		}
	}
	return false
}

func (c *Config) times(in *Input, ops []uint16) []OpTime {
	start := len(in.times)
	for _, op := range ops {
		dup := false
		for _, t := range in.times[start:] {
			if t.Op == c.opName(op) {
				dup = true
			}
		}
		if dup {
			continue
		}
		ms, seen := in.MsSince(op)
		in.times = append(in.times, OpTime{Op: c.opName(op), Ms: ms, Seen: seen})
	}
	if len(in.times) == start {
		return nil
	}
	return in.times[start:len(in.times):len(in.times)]
}

func (c *Config) names(in *Input, ops []uint16) []string {
	start := len(in.names)
	for _, op := range ops {
		in.names = append(in.names, c.opName(op))
	}
	return in.names[start:len(in.names):len(in.names)]
}
