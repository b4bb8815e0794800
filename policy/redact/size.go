package redact

import "math/bits"

// SizeEstimator learns the distribution of one operation's response sizes
// online and flags sizes far above what the operation usually returns
// (bulk exfiltration, a filter that stopped applying, an error page
// leaking a dump). Its zero value is ready to use with the defaults below.
//
// It is a log-linear histogram: sizes below 16 bytes are counted exactly;
// above, every power of two is split into 8 equal buckets, so a quantile
// is known within 12.5 % (it is reported as its bucket's upper bound, which
// errs towards fewer alarms). Memory is fixed (about 1.3 KB); Observe is
// O(1) plus a short scan from the highest bucket in use. When the count
// reaches 2*HalfLife all buckets are halved, so the model follows traffic
// that changes over time, and an anomaly that becomes common becomes the
// norm after a while (by design: the alarm is about the unusual).
//
// It is not safe for concurrent use: the filter keeps one per operation
// per VM (Go globals are per worker), and each VM learns on its own.
type SizeEstimator struct {
	Warmup   int     // observations before any verdict; default 100
	Factor   float64 // anomalous when size > Factor * p99; default 2
	HalfLife int     // counts halve after 2*HalfLife observations; default 10000
	MinBytes int     // sizes <= MinBytes are never anomalous; default 1024

	counts [sizeBuckets]uint32
	total  int
	seen   int // observations ever, for the warm-up
	hi     int // highest non-empty bucket
}

const sizeBuckets = 16 + 37*8 // exact 0..15, then 2^4 .. 2^40 in eighths

func sizeBucket(s uint64) int {
	if s < 16 {
		return int(s)
	}
	e := bits.Len64(s) - 1
	if e > 40 {
		return sizeBuckets - 1
	}
	sub := int(s>>(uint(e)-3)) & 7
	return 16 + (e-4)*8 + sub
}

// bucketUpper is the largest size counted in bucket i.
func bucketUpper(i int) float64 {
	if i < 16 {
		return float64(i)
	}
	e := uint((i-16)/8 + 4)
	sub := uint64((i - 16) % 8)
	return float64((9+sub)<<(e-3) - 1)
}

// Observe records one response size. It reports whether size is anomalous
// against what was learned before it (never during the warm-up), and that
// estimate of the 99th percentile (0 during the warm-up). The size is
// learned either way.
func (e *SizeEstimator) Observe(size int) (anomalous bool, p99 float64) {
	if size < 0 {
		size = 0
	}
	warm := e.Warmup
	if warm <= 0 {
		warm = 100
	}
	if e.seen >= warm {
		p99 = e.Quantile(0.99)
		factor := e.Factor
		if factor <= 0 {
			factor = 2
		}
		minb := e.MinBytes
		if minb <= 0 {
			minb = 1024
		}
		anomalous = size > minb && float64(size) > factor*p99
	}
	e.add(uint64(size))
	return anomalous, p99
}

func (e *SizeEstimator) add(s uint64) {
	i := sizeBucket(s)
	e.counts[i]++
	e.total++
	e.seen++
	if i > e.hi {
		e.hi = i
	}
	half := e.HalfLife
	if half <= 0 {
		half = 10000
	}
	if e.total >= 2*half {
		e.total, e.hi = 0, 0
		for k, c := range e.counts {
			c >>= 1
			e.counts[k] = c
			e.total += int(c)
			if c > 0 {
				e.hi = k
			}
		}
	}
}

// Quantile returns the upper bound of the bucket holding the q-quantile
// (0 < q < 1) of the sizes learned so far, 0 when nothing was learned.
func (e *SizeEstimator) Quantile(q float64) float64 {
	if e.total == 0 {
		return 0
	}
	above := float64(e.total) * (1 - q) // how many may lie above the quantile
	cum := 0.0
	for i := e.hi; i >= 0; i-- {
		cum += float64(e.counts[i])
		if cum > above {
			return bucketUpper(i)
		}
	}
	return bucketUpper(0)
}

// Count returns how many sizes were observed since the start.
func (e *SizeEstimator) Count() int { return e.seen }
