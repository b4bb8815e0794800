package session

import (
	"time"

	"github.com/apiwarden/apiwarden/policy/internal/cfg"
)

// Defaults and bounds of the session configuration.
const (
	DefaultIdleTimeout = 10 * time.Minute
	DefaultMaxSessions = 10000
	MaxMaxSessions     = 1 << 22
	DefaultRetries     = 8
	MaxRetries         = 64
	MaxTrustedHops     = 16
	// Ways is the associativity of the session table: how many sessions
	// share one shared-data value (a bucket).
	Ways = 4
	// DefaultPrefix prefixes every shared-data key when Config.Prefix is
	// empty; the filter sets Prefix to the plugin name.
	DefaultPrefix = "apiwarden/"
)

// Config is the compiled "session" section (see doc.go for the keys).
type Config struct {
	From        []KeySource
	IdleTimeout time.Duration
	History     int
	MaxSessions int
	TrustedHops int
	Retries     int
	// Salt is mixed into every key hash. It is a secret: never log it.
	Salt string
	// Prefix starts every shared-data key; not read from JSON, the filter
	// sets it (to the plugin name: Istio shares one namespace).
	Prefix string
}

// DefaultConfig is the configuration of an absent "session" section.
func DefaultConfig() Config {
	return Config{
		From:        []KeySource{{Kind: SourceIP}},
		IdleTimeout: DefaultIdleTimeout,
		History:     DefaultHistory,
		MaxSessions: DefaultMaxSessions,
		Retries:     DefaultRetries,
		Prefix:      DefaultPrefix,
	}
}

// ParseSession reads the "session" object at n, recording every problem in
// n.Errs with its JSON path. Missing keys take their defaults; a null or
// absent node yields DefaultConfig.
func ParseSession(n cfg.Node) Config {
	c := DefaultConfig()
	if n.IsNull() {
		return c
	}
	if !n.Object("from", "idle_timeout", "history", "max_sessions", "trusted_hops", "salt", "cas_retries") {
		return c
	}
	if v, ok := n.Get("from"); ok {
		items, ok := v.Array()
		if ok {
			if len(items) == 0 {
				v.Errorf("want at least one key source")
			}
			c.From = c.From[:0]
			seen := map[string]bool{}
			for _, it := range items {
				s, ok := it.NonEmptyString()
				if !ok {
					continue
				}
				ks, err := ParseKeySource(s)
				if err != nil {
					it.Errorf("%v", err)
					continue
				}
				if seen[ks.String()] {
					it.Errorf("duplicate key source %q", ks.String())
					continue
				}
				seen[ks.String()] = true
				c.From = append(c.From, ks)
			}
		}
	}
	if v, ok := n.Get("idle_timeout"); ok {
		if d, ok := v.Duration(); ok {
			if d < time.Second {
				v.Errorf("want at least 1s, got %s", d)
			} else {
				c.IdleTimeout = d
			}
		}
	}
	if v, ok := n.Get("history"); ok {
		if i, ok := v.Int(1, MaxHistory); ok {
			c.History = int(i)
		}
	}
	if v, ok := n.Get("max_sessions"); ok {
		if i, ok := v.Int(Ways, MaxMaxSessions); ok {
			c.MaxSessions = int(i)
		}
	}
	if v, ok := n.Get("trusted_hops"); ok {
		if i, ok := v.Int(0, MaxTrustedHops); ok {
			c.TrustedHops = int(i)
		}
	}
	if v, ok := n.Get("cas_retries"); ok {
		if i, ok := v.Int(1, MaxRetries); ok {
			c.Retries = int(i)
		}
	}
	if v, ok := n.Get("salt"); ok {
		// The value is never echoed in messages: it is a secret.
		if s, ok := v.String(); ok {
			c.Salt = s
		}
	}
	return c
}
