package abuse

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/apiwarden/apiwarden/policy/internal/cfg"
)

// Rate is a count per period, written "100/60s", "10/s", "5/m", "1000/1h".
type Rate struct {
	Count  int64
	Period time.Duration
}

// Bounds of a rate.
const (
	MaxRateCount  = 1_000_000_000
	MinRatePeriod = time.Millisecond
	MaxRatePeriod = 366 * 24 * time.Hour
)

// String returns the rate as ParseRate reads it.
func (r Rate) String() string { return strconv.FormatInt(r.Count, 10) + "/" + r.Period.String() }

// Interval is the GCRA emission interval: Period/Count, at least 1ns.
func (r Rate) Interval() time.Duration {
	if r.Count <= 0 {
		return r.Period
	}
	iv := r.Period / time.Duration(r.Count)
	if iv < 1 {
		iv = 1
	}
	return iv
}

// ParseRate reads "<count>/<period>": count an integer in 1..10^9, period a
// Go duration ("60s", "1m30s") or a bare unit ("s", "m", "h", "ms", "d" for
// 24h), between 1ms and 366 days.
func ParseRate(s string) (Rate, error) {
	c, p, ok := strings.Cut(s, "/")
	if !ok {
		return Rate{}, fmt.Errorf(`want a rate like "100/60s", got %q`, cfg.Clip(s))
	}
	n, err := strconv.ParseInt(c, 10, 64)
	if err != nil || n < 1 || n > MaxRateCount || c[0] == '+' {
		return Rate{}, fmt.Errorf(`want a count between 1 and %d before "/", got %q`, MaxRateCount, cfg.Clip(c))
	}
	var d time.Duration
	switch p {
	case "ms", "s", "m", "h":
		d, _ = time.ParseDuration("1" + p)
	case "d":
		d = 24 * time.Hour
	default:
		d, err = time.ParseDuration(p)
		if err != nil {
			return Rate{}, fmt.Errorf(`want a period like "60s" after "/", got %q`, cfg.Clip(p))
		}
	}
	if d < MinRatePeriod || d > MaxRatePeriod {
		return Rate{}, fmt.Errorf("want a period between 1ms and 366 days, got %q", cfg.Clip(p))
	}
	return Rate{Count: n, Period: d}, nil
}
