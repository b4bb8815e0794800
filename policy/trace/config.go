package trace

import "github.com/apiwarden/apiwarden/policy/internal/cfg"

// Config is the "trace" section of the configuration.
type Config struct {
	Generate bool // start a trace when none (valid) arrives; default true
	B3       bool // also read the B3 single header when traceparent is absent or invalid; default false
	Sampled  bool // the sampled flag of traces this proxy starts; default false
}

// DefaultConfig is the configuration when the section is absent.
var DefaultConfig = Config{Generate: true}

// ParseConfig reads the "trace" section at n, recording problems with
// their JSON path in n.Errs.
func ParseConfig(n cfg.Node) Config {
	c := DefaultConfig
	if !n.Object("generate", "b3", "sampled") {
		return c
	}
	for _, f := range []struct {
		key string
		dst *bool
	}{{"generate", &c.Generate}, {"b3", &c.B3}, {"sampled", &c.Sampled}} {
		key, dst := f.key, f.dst
		if v, ok := n.Get(key); ok {
			if b, ok := v.Bool(); ok {
				*dst = b
			}
		}
	}
	return c
}

// Source says where a request's trace context came from.
type Source uint8

const (
	SourceNone        Source = iota // nothing valid arrived (and Generate is off)
	SourceTraceparent               // a valid traceparent header
	SourceB3                        // a valid b3 header (traceparent absent or invalid)
	SourceNew                       // started here
)

// String names the source for logs.
func (s Source) String() string {
	switch s {
	case SourceTraceparent:
		return "traceparent"
	case SourceB3:
		return "b3"
	case SourceNew:
		return "new"
	}
	return "none"
}

// Incoming decides the trace context of a request from its headers
// ("" when absent) and 24 random bytes for a new trace. The returned
// context is the sender's; call Child for the one to propagate upstream.
func (c Config) Incoming(traceparent, tracestate, b3 string, random [24]byte) (Context, Source) {
	if traceparent != "" {
		if ctx, err := Parse(traceparent, tracestate); err == nil {
			return ctx, SourceTraceparent
		}
	}
	if c.B3 && b3 != "" {
		if ctx, err := ParseB3(b3); err == nil {
			return ctx, SourceB3
		}
	}
	if c.Generate {
		return New(random, c.Sampled), SourceNew
	}
	return Context{}, SourceNone
}
