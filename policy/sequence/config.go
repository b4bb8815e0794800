package sequence

import (
	"github.com/apiwarden/apiwarden/policy/kernel"

	"math"
	"strings"
	"time"

	"github.com/apiwarden/apiwarden/policy/internal/cfg"
	"github.com/apiwarden/apiwarden/policy/session"
)

// Action and Mode are the kernel's (aliases, to keep the sequence
// package's callers spelling them sequence.X): a rule's action is log or
// block; its mode is ModeInherit unless it sets one.
type (
	Action = kernel.Action
	Mode   = kernel.Mode
)

// Actions and modes.
const (
	ActionLog   = kernel.ActionLog
	ActionBlock = kernel.ActionBlock

	ModeInherit = kernel.ModeInherit
	ModeMonitor = kernel.Monitor
	ModeEnforce = kernel.Enforce
)

// Kind is a rule kind.
type Kind string

// Rule kinds.
const (
	KindRequires       Kind = "requires"
	KindMaxConsecutive Kind = "max_consecutive"
	KindDeny           Kind = "deny"
	KindAllow          Kind = "allow"
	KindAnomaly        Kind = "anomaly"
)

// Limits of the sequences section.
const (
	MaxSequenceSteps  = 16
	MaxLength         = 6
	DefaultMaxLength  = 4
	DefaultTop        = 20
	DefaultMaxNgrams  = 10000
	DefaultSupport    = 20
	DefaultShards     = 8
	DefaultWindow     = 8
	DefaultWarmup     = 1000
	DefaultConfidence = 0.95
)

// Rule is one compiled sequence rule. Operation ids are resolved to the
// indexes of the known operations passed to ParseSequences.
type Rule struct {
	ID     string
	Kind   Kind
	Action Action
	Mode   Mode

	// Endpoint is the operation the rule applies to (-1 for deny and
	// anomaly rules, which apply to every request).
	Endpoint int
	// Ops: requires' list, deny's sequence, allow's predecessors.
	Ops []uint16
	// MatchAll: requires with "match":"all".
	MatchAll bool
	// Within bounds the time window (0: no bound).
	Within time.Duration
	// WithinRequests bounds the requires window to the last K requests.
	WithinRequests int
	// MaxConsecutive is max_consecutive's N.
	MaxConsecutive int
	// Contiguous: deny without gaps.
	Contiguous bool
	// AllowFirst: allow accepts the endpoint as a session's first request.
	AllowFirst bool
	// Threshold (bits), Warmup (requests seen globally) and Window (steps)
	// of an anomaly rule.
	Threshold float64
	Warmup    int64
	Window    int
}

// AnalyticsConfig is the compiled "sequences.analytics" section.
type AnalyticsConfig struct {
	MaxLength     int
	Top           int
	MaxNgrams     int
	MinSupport    int64
	Shards        int
	MinConfidence float64
}

// DefaultAnalytics is the configuration of an empty analytics object.
func DefaultAnalytics() AnalyticsConfig {
	return AnalyticsConfig{MaxLength: DefaultMaxLength, Top: DefaultTop, MaxNgrams: DefaultMaxNgrams,
		MinSupport: DefaultSupport, Shards: DefaultShards, MinConfidence: DefaultConfidence}
}

// Config is the compiled "sequences" section.
type Config struct {
	// Ops are the known operation ids; an operation index is a position.
	Ops   []string
	Rules []Rule
	// Analytics is nil when the section has no "analytics" object.
	Analytics *AnalyticsConfig
	// CountAny makes every allowed request a step of its session as soon
	// as its rules pass (sequences.count "any"). By default ("success") a
	// request becomes a step only once the upstream answered it 2xx.
	CountAny bool
}

var ruleKeys = map[Kind][]string{
	KindRequires:       {"endpoint", "requires", "match", "within", "within_requests"},
	KindMaxConsecutive: {"endpoint", "max_consecutive", "within"},
	KindDeny:           {"sequence", "contiguous", "within"},
	KindAllow:          {"endpoint", "predecessors", "allow_first"},
	KindAnomaly:        {"threshold", "warmup", "window"},
}

// ParseSequences reads the "sequences" object at n. knownOps are the
// operation ids of the endpoint inventory (index = operation index); a rule
// naming any other id is an error at its JSON path. Every problem is
// recorded in n.Errs.
func ParseSequences(n cfg.Node, knownOps []string) Config {
	c := Config{Ops: append([]string(nil), knownOps...)}
	if n.IsNull() || !n.Object("rules", "analytics", "count") {
		return c
	}
	if v, ok := n.Get("count"); ok {
		s, _ := v.Enum("success", "any")
		c.CountAny = s == "any"
	}
	index := make(map[string]int, len(knownOps))
	for i, op := range knownOps {
		if _, dup := index[op]; !dup && i <= session.MaxOp {
			index[op] = i
		}
	}
	if a, ok := n.Get("analytics"); ok {
		ac := parseAnalytics(a)
		c.Analytics = &ac
	}
	rules, ok := n.Get("rules")
	if !ok {
		return c
	}
	items, ok := rules.Array()
	if !ok {
		return c
	}
	ids := map[string]bool{}
	for _, it := range items {
		r, ok := parseRule(it, index)
		if r.ID != "" {
			if ids[r.ID] {
				idn, _ := it.Get("id")
				idn.Errorf("duplicate rule id %q", r.ID)
				continue
			}
			ids[r.ID] = true
		}
		if !ok {
			continue
		}
		if r.Kind == KindAnomaly && c.Analytics == nil {
			it.Errorf("an anomaly rule needs sequences.analytics (the model it scores with)")
			continue
		}
		c.Rules = append(c.Rules, r)
	}
	return c
}

func parseAnalytics(n cfg.Node) AnalyticsConfig {
	a := DefaultAnalytics()
	if !n.Object("max_length", "top", "max_ngrams", "min_support", "shards", "min_confidence") {
		return a
	}
	if v, ok := n.Get("max_length"); ok {
		if i, ok := v.Int(1, MaxLength); ok {
			a.MaxLength = int(i)
		}
	}
	if v, ok := n.Get("top"); ok {
		if i, ok := v.Int(1, 1000); ok {
			a.Top = int(i)
		}
	}
	if v, ok := n.Get("max_ngrams"); ok {
		if i, ok := v.Int(64, 1<<20); ok {
			a.MaxNgrams = int(i)
		}
	}
	if v, ok := n.Get("min_support"); ok {
		if i, ok := v.Int(1, math.MaxInt32); ok {
			a.MinSupport = i
		}
	}
	if v, ok := n.Get("shards"); ok {
		if i, ok := v.Int(1, 64); ok {
			a.Shards = int(i)
		}
	}
	if v, ok := n.Get("min_confidence"); ok {
		if f, ok := v.Float(0.5, 1); ok {
			a.MinConfidence = f
		}
	}
	return a
}

func parseRule(n cfg.Node, index map[string]int) (Rule, bool) {
	r := Rule{Endpoint: -1, Mode: ModeInherit}
	if !n.IsObject() {
		n.Errorf("want an object, got %s", n.Kind())
		return r, false
	}
	// The kind decides which keys are allowed.
	if k, ok := n.Get("kind"); ok {
		s, ok := k.Enum(string(KindRequires), string(KindMaxConsecutive), string(KindDeny), string(KindAllow), string(KindAnomaly))
		if !ok {
			return r, false
		}
		r.Kind = Kind(s)
	} else if _, ok := n.Get("requires"); ok {
		r.Kind = KindRequires
	} else if _, ok := n.Get("max_consecutive"); ok {
		r.Kind = KindMaxConsecutive
	} else {
		n.Errorf(`cannot tell the rule kind: give "kind" (requires, max_consecutive, deny, allow, anomaly), "requires" or "max_consecutive"`)
		return r, false
	}
	allowed := append([]string{"id", "kind", "action", "mode"}, ruleKeys[r.Kind]...)
	before := n.Errs.Len()
	n.Object(allowed...)
	// The id is read first so that a duplicate is reported even for a rule
	// with other problems.
	if v, ok := n.Require("id"); ok {
		r.ID, _ = v.NonEmptyString()
	}
	if v, ok := n.Require("action"); ok {
		s, _ := v.Enum(ActionLog.String(), ActionBlock.String())
		r.Action = kernel.ParseAction(s)
	}
	if v, ok := n.Get("mode"); ok {
		if s, ok := v.Enum(ModeMonitor.String(), ModeEnforce.String()); ok {
			r.Mode = kernel.ParseMode(s)
		}
	}
	if v, ok := n.Get("within"); ok && r.Kind != KindAllow && r.Kind != KindAnomaly {
		r.Within, _ = v.Duration()
	}
	opsOf := func(key string, min, max int) {
		v, ok := n.Require(key)
		if !ok {
			return
		}
		items, ok := v.Array()
		if !ok {
			return
		}
		if len(items) < min || len(items) > max {
			v.Errorf("want %d to %d operation ids, got %d", min, max, len(items))
			return
		}
		for _, it := range items {
			if op, ok := resolve(it, index); ok {
				r.Ops = append(r.Ops, op)
			}
		}
	}
	endpoint := func() {
		if v, ok := n.Require("endpoint"); ok {
			if op, ok := resolve(v, index); ok {
				r.Endpoint = int(op)
			}
		}
	}
	switch r.Kind {
	case KindRequires:
		endpoint()
		opsOf("requires", 1, 64)
		if v, ok := n.Get("match"); ok {
			s, _ := v.Enum("any", "all")
			r.MatchAll = s == "all"
		}
		if v, ok := n.Get("within_requests"); ok {
			if i, ok := v.Int(1, session.MaxHistory); ok {
				r.WithinRequests = int(i)
			}
		}
	case KindMaxConsecutive:
		endpoint()
		if v, ok := n.Require("max_consecutive"); ok {
			if i, ok := v.Int(1, session.MaxHistory-1); ok {
				r.MaxConsecutive = int(i)
			}
		}
	case KindDeny:
		opsOf("sequence", 2, MaxSequenceSteps)
		r.Contiguous = true
		if v, ok := n.Get("contiguous"); ok {
			r.Contiguous, _ = v.Bool()
		}
	case KindAllow:
		endpoint()
		opsOf("predecessors", 1, 64)
		if v, ok := n.Get("allow_first"); ok {
			r.AllowFirst, _ = v.Bool()
		}
	case KindAnomaly:
		if v, ok := n.Require("threshold"); ok {
			r.Threshold, _ = v.Float(0.01, 64)
		}
		r.Warmup = DefaultWarmup
		if v, ok := n.Get("warmup"); ok {
			r.Warmup, _ = v.Int(0, math.MaxInt32)
		}
		r.Window = DefaultWindow
		if v, ok := n.Get("window"); ok {
			if i, ok := v.Int(1, session.MaxHistory); ok {
				r.Window = int(i)
			}
		}
	}
	return r, n.Errs.Len() == before
}

func resolve(n cfg.Node, index map[string]int) (uint16, bool) {
	s, ok := n.NonEmptyString()
	if !ok {
		return 0, false
	}
	i, ok := index[s]
	if !ok {
		n.Errorf("unknown operation id %q (not an endpoint id)", clip(s))
		return 0, false
	}
	return uint16(i), true
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}
