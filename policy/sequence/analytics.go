package sequence

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apiwarden/apiwarden/policy/kernel"
	"github.com/apiwarden/apiwarden/policy/session"
)

// precWindows are the time windows precedence is counted in; 0 means
// "anywhere in the retained history".
var precWindows = [...]time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 0}

var precWindowText = [...]string{"1m", "5m", "15m", "1h", ""}

// Alpha is the additive smoothing of the unigram base distribution and of
// P(x|p) in the correlation score.
const Alpha = 0.5

// ErrFlushContention reports that some count table shards could not be
// written after all compare-and-swap attempts; their counts stay local and
// are retried by the next Flush.
var ErrFlushContention = errors.New("sequence: shared data contention: count table shards not flushed")

// Analytics counts operation n-grams and precedence statistics across
// sessions and VMs and learns the Markov model anomaly rules score with.
//
// Per request (Record) it only increments counters in a per-VM table,
// bounded by max_ngrams. Flush, called from a tick, merges those counts into
// the shared table (Shards keys "<prefix>ng/<i>", compare-and-swap, the
// space-saving algorithm bounding each shard to max_ngrams/shards entries)
// and rebuilds the read-only model from what it read: the model and the
// reports lag the traffic by one tick. Safe for concurrent use.
type Analytics struct {
	cfg     AnalyticsConfig
	ops     []string
	prefix  string
	retries int

	mu       sync.Mutex
	local    map[ckey]uint64
	recorded uint64

	model      atomic.Pointer[model]
	flushes    atomic.Uint64
	contention atomic.Uint64
	corrupt    atomic.Uint64
}

// NewAnalytics returns the analytics of c over the known operations; keys
// start with prefix; retries bounds compare-and-swap attempts per shard.
func NewAnalytics(c AnalyticsConfig, ops []string, prefix string, retries int) *Analytics {
	d := DefaultAnalytics()
	if c.MaxLength < 1 || c.MaxLength > MaxLength {
		c.MaxLength = d.MaxLength
	}
	if c.Top <= 0 {
		c.Top = d.Top
	}
	if c.MaxNgrams <= 0 {
		c.MaxNgrams = d.MaxNgrams
	}
	if c.MinSupport <= 0 {
		c.MinSupport = d.MinSupport
	}
	if c.Shards <= 0 {
		c.Shards = d.Shards
	}
	if c.MinConfidence <= 0 {
		c.MinConfidence = d.MinConfidence
	}
	if retries <= 0 {
		retries = session.DefaultRetries
	}
	a := &Analytics{cfg: c, ops: ops, prefix: prefix, retries: retries, local: map[ckey]uint64{}}
	a.model.Store(buildModel(nil, len(ops)))
	return a
}

// Config returns the effective configuration.
func (a *Analytics) Config() AnalyticsConfig { return a.cfg }

// Record counts one request: op following the session's prior history
// (oldest first) at now (Unix ms). It counts the n-grams of lengths
// 1..max_length ending at op and, for every distinct earlier operation A
// of the history, the smallest window (1m, 5m, 15m, 1h, history) that holds
// A's latest occurrence.
func (a *Analytics) Record(prior []session.Entry, op uint16, now int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.recorded++
	for n := 1; n <= a.cfg.MaxLength && n-1 <= len(prior); n++ {
		k := ckey{kind: kindGram, n: uint8(n)}
		for i := 0; i < n-1; i++ {
			k.ops[i] = prior[len(prior)-(n-1)+i].Op
		}
		k.ops[n-1] = op
		a.local[k]++
	}
	var seen [session.MaxHistory]uint16
	ns := 0
outer:
	for i := len(prior) - 1; i >= 0; i-- {
		p := prior[i].Op
		if p == op {
			continue
		}
		for _, s := range seen[:ns] {
			if s == p {
				continue outer
			}
		}
		if ns < len(seen) {
			seen[ns] = p
			ns++
		}
		a.local[ckey{kind: kindPrec, n: 3, ops: [MaxLength]uint16{p, op, windowOf(now - prior[i].At)}}]++
	}
	if len(a.local) > a.cfg.MaxNgrams {
		a.trimLocal()
	}
}

func windowOf(ms int64) uint16 {
	for i, w := range precWindows[:len(precWindows)-1] {
		if ms <= w.Milliseconds() {
			return uint16(i)
		}
	}
	return uint16(len(precWindows) - 1)
}

// trimLocal bounds the per-VM table between flushes: it keeps the
// max_ngrams/2 largest counters and drops the rest (counted as lost).
func (a *Analytics) trimLocal() {
	all := make([]centry, 0, len(a.local))
	for k, c := range a.local {
		all = append(all, centry{k, c})
	}
	sortDeltas(all)
	for _, e := range all[a.cfg.MaxNgrams/2:] {
		delete(a.local, e.key)
	}
}

// FlushStats describes one Flush.
type FlushStats struct {
	Shards, Written, Contended, Corrupt int
	Entries                             int
}

// Flush merges the per-VM counts into shared data and rebuilds the model
// from the merged shared table. Shards that kept losing compare-and-swap
// keep their counts for the next Flush (ErrFlushContention). A shard that
// does not decode is replaced.
func (a *Analytics) Flush(st session.Store) (FlushStats, error) {
	a.mu.Lock()
	local := a.local
	a.local = make(map[ckey]uint64, len(local))
	a.mu.Unlock()

	shards := a.cfg.Shards
	per := make([][]centry, shards)
	for k, c := range local {
		s := shardOf(k, shards)
		per[s] = append(per[s], centry{k, c})
	}
	capacity := (a.cfg.MaxNgrams + shards - 1) / shards
	stats := FlushStats{Shards: shards}
	var merged []centry
	var firstErr error
	var buf []byte
	var table []centry
	for s := 0; s < shards; s++ {
		deltas := per[s]
		sortDeltas(deltas)
		key := a.prefix + "ng/" + strconv.Itoa(s)
		var last []centry
		var corrupt, wrote bool
		err := kernel.Update(st, key, a.retries, func(raw []byte, found bool) ([]byte, bool, error) {
			table = table[:0]
			dropped := 0
			if found {
				table, dropped = decodeShard(raw, table)
			}
			corrupt = dropped > 0
			last = append(last[:0], table...)
			if len(deltas) == 0 && !corrupt {
				return nil, false, nil
			}
			table = mergeSpaceSaving(table, deltas, capacity)
			buf = appendShard(buf[:0], table)
			wrote = true
			return buf, true, nil
		})
		done := err == nil
		switch {
		case done && wrote:
			last = append(last[:0], table...)
			stats.Written++
			if corrupt {
				// The bad entries are gone, the rest of the shard kept.
				stats.Corrupt++
				a.corrupt.Add(1)
			}
		case err != nil && !errors.Is(err, kernel.ErrContention) && firstErr == nil:
			firstErr = fmt.Errorf("sequence: count table: %w", err)
		}
		if !done {
			stats.Contended++
			a.contention.Add(1)
			a.mu.Lock()
			for _, d := range deltas {
				a.local[d.key] += d.count
			}
			a.mu.Unlock()
		}
		merged = append(merged, last...)
	}
	stats.Entries = len(merged)
	a.model.Store(buildModel(merged, len(a.ops)))
	a.flushes.Add(1)
	if firstErr != nil {
		return stats, firstErr
	}
	if stats.Contended > 0 {
		return stats, ErrFlushContention
	}
	return stats, nil
}

// model is the read-only view rebuilt by Flush.
type model struct {
	counts   map[ckey]uint64
	ctxTotal map[ckey]uint64 // sum of counts of the n-grams extending a context
	ctxTypes map[ckey]uint32 // number of distinct operations following it
	total    uint64          // requests counted (sum of unigrams)
	vocab    float64         // size of the operation alphabet (+1 unseen)
	entries  int
}

func buildModel(entries []centry, knownOps int) *model {
	m := &model{counts: make(map[ckey]uint64, len(entries)), ctxTotal: map[ckey]uint64{}, ctxTypes: map[ckey]uint32{}, entries: len(entries)}
	distinct := 0
	for _, e := range entries {
		m.counts[e.key] = e.count
		if e.key.kind != kindGram {
			continue
		}
		if e.key.n == 1 {
			m.total += e.count
			distinct++
			continue
		}
		p := prefixOf(e.key)
		m.ctxTotal[p] += e.count
		m.ctxTypes[p]++
	}
	if distinct < knownOps {
		distinct = knownOps
	}
	m.vocab = float64(distinct + 1)
	return m
}

func prefixOf(k ckey) ckey {
	p := ckey{kind: k.kind, n: k.n - 1}
	copy(p.ops[:], k.ops[:k.n-1])
	return p
}

// prob is the Witten-Bell interpolated probability of x after ctx (oldest
// first, the whole ctx is used as the longest context):
//
//	P0(x)       = (c(x) + Alpha) / (N + Alpha*V)
//	Pk(x | s_k) = (c(s_k x) + T(s_k) * Pk-1(x | s_k-1)) / (c(s_k .) + T(s_k))
//
// where s_k is the last k operations of ctx, c(s_k .) the count of s_k
// followed by anything and T(s_k) the number of distinct operations seen
// after it. An unseen context stops the recursion (longer ones are unseen
// too).
func (m *model) prob(ctx []uint16, x uint16) float64 {
	p := (float64(m.counts[ckey{kind: kindGram, n: 1, ops: [MaxLength]uint16{x}}]) + Alpha) / (float64(m.total) + Alpha*m.vocab)
	for k := 1; k <= len(ctx); k++ {
		c := ckey{kind: kindGram, n: uint8(k)}
		copy(c.ops[:], ctx[len(ctx)-k:])
		ct := m.ctxTotal[c]
		if ct == 0 {
			break
		}
		t := float64(m.ctxTypes[c])
		g := c
		g.n++
		g.ops[k] = x
		p = (float64(m.counts[g]) + t*p) / (float64(ct) + t)
	}
	return p
}

// surprise is -log2 P(step i | up to maxLen-1 previous steps) for the
// sequence prior..., op (index len(prior) is op).
func (m *model) surprise(prior []session.Entry, op uint16, i, maxLen int) float64 {
	var ctx [MaxLength]uint16
	lo := i - (maxLen - 1)
	if lo < 0 {
		lo = 0
	}
	n := 0
	for j := lo; j < i; j++ {
		ctx[n] = prior[j].Op
		n++
	}
	x := op
	if i < len(prior) {
		x = prior[i].Op
	}
	return -math.Log2(m.prob(ctx[:n], x))
}

// Requests returns the number of requests the model was built from (the
// shared table's total after the last Flush): the anomaly warm-up counter.
func (a *Analytics) Requests() uint64 { return a.model.Load().total }

// Score returns the mean surprise, in bits, of the last window steps of the
// session (the prior history followed by op; fewer when the session is
// shorter), under the model of the last Flush.
func (a *Analytics) Score(prior []session.Entry, op uint16, window int) float64 {
	m := a.model.Load()
	steps := len(prior) + 1
	if window > steps {
		window = steps
	}
	if window < 1 {
		window = 1
	}
	sum := 0.0
	for i := steps - window; i < steps; i++ {
		sum += m.surprise(prior, op, i, a.cfg.MaxLength)
	}
	return sum / float64(window)
}

// Sequence is one ranked n-gram.
type Sequence struct {
	Ops   []string
	Count uint64
	// Confidence is P(last | prefix) = c(sequence) / c(prefix).
	Confidence float64
	// Score is the smoothed PMI of the last step given the prefix (bits).
	Score float64
}

// Top returns up to n sequences of length >= 2 with a count of at least
// min_support, ranked by Score (then count, then shorter, then ids).
func (a *Analytics) Top(n int) []Sequence {
	m := a.model.Load()
	var out []Sequence
	var keys []ckey
	for k, c := range m.counts {
		if k.kind != kindGram || k.n < 2 || int64(c) < a.cfg.MinSupport {
			continue
		}
		keys = append(keys, k)
	}
	type ranked struct {
		k   ckey
		c   uint64
		cf  float64
		pmi float64
	}
	rs := make([]ranked, 0, len(keys))
	for _, k := range keys {
		c := m.counts[k]
		p := prefixOf(k)
		cp := m.counts[p]
		if t := m.ctxTotal[p]; t > cp {
			cp = t
		}
		cx := m.counts[ckey{kind: kindGram, n: 1, ops: [MaxLength]uint16{k.ops[k.n-1]}}]
		conf := float64(c) / float64(cp)
		if conf > 1 {
			conf = 1
		}
		pxp := (float64(c) + Alpha) / (float64(cp) + Alpha*m.vocab)
		px := (float64(cx) + Alpha) / (float64(m.total) + Alpha*m.vocab)
		rs = append(rs, ranked{k, c, conf, math.Log2(pxp / px)})
	}
	sort.Slice(rs, func(i, j int) bool {
		x, y := rs[i], rs[j]
		if x.pmi != y.pmi {
			return x.pmi > y.pmi
		}
		if x.c != y.c {
			return x.c > y.c
		}
		if x.k.n != y.k.n {
			return x.k.n < y.k.n
		}
		return keyLess(x.k, y.k)
	})
	if n > len(rs) {
		n = len(rs)
	}
	for _, r := range rs[:n] {
		names := make([]string, r.k.n)
		for i := range names {
			names[i] = a.opName(r.k.ops[i])
		}
		out = append(out, Sequence{Ops: names, Count: r.c, Confidence: r.cf, Score: r.pmi})
	}
	return out
}

func (a *Analytics) opName(op uint16) string {
	if int(op) < len(a.ops) {
		return a.ops[op]
	}
	return "#" + strconv.Itoa(int(op))
}

// Proposal is a precedence rule suggested by the data.
type Proposal struct {
	Endpoint, Requires string
	// Within is the smallest window that reaches min_confidence; 0 means
	// "earlier in the retained history" (the rule then has no "within").
	Within     time.Duration
	Confidence float64
	Support    uint64
}

// Text is the proposal in words.
func (p Proposal) Text() string {
	win := "earlier in the session"
	if p.Within > 0 {
		win = "within " + durationText(p.Within)
	}
	return fmt.Sprintf("%s was preceded by %s %s in %.1f%% of %d requests", p.Endpoint, p.Requires, win, 100*p.Confidence, p.Support)
}

// AppendRule appends the ready-to-paste rule object (log, monitor mode).
func (p Proposal) AppendRule(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = kernel.AppendString(b, "proposed-"+p.Endpoint+"-after-"+p.Requires)
	b = append(b, `,"endpoint":`...)
	b = kernel.AppendString(b, p.Endpoint)
	b = append(b, `,"requires":[`...)
	b = kernel.AppendString(b, p.Requires)
	b = append(b, ']')
	if p.Within > 0 {
		b = append(b, `,"within":"`...)
		b = append(b, durationText(p.Within)...)
		b = append(b, '"')
	}
	return append(b, `,"action":"log","mode":"monitor"}`...)
}

func durationText(d time.Duration) string {
	for i, w := range precWindows {
		if w == d {
			return precWindowText[i]
		}
	}
	return d.String()
}

// Proposals returns up to n precedence rules "B requires A within W": for
// every operation B counted at least min_support times and every other
// operation A, the smallest window in which A preceded B in at least
// min_confidence of B's requests. Ranked by confidence, then support.
func (a *Analytics) Proposals(n int) []Proposal {
	m := a.model.Load()
	type pair struct{ a, b uint16 }
	win := map[pair]*[len(precWindows)]uint64{}
	for k, c := range m.counts {
		if k.kind != kindPrec {
			continue
		}
		p := pair{k.ops[0], k.ops[1]}
		w := win[p]
		if w == nil {
			w = new([len(precWindows)]uint64)
			win[p] = w
		}
		w[k.ops[2]] += c
	}
	var out []Proposal
	for p, w := range win {
		support := m.counts[ckey{kind: kindGram, n: 1, ops: [MaxLength]uint16{p.b}}]
		if support == 0 || int64(support) < a.cfg.MinSupport {
			continue
		}
		cum := uint64(0)
		for i := range w {
			cum += w[i]
			conf := float64(cum) / float64(support)
			if conf > 1 {
				conf = 1
			}
			if conf >= a.cfg.MinConfidence {
				out = append(out, Proposal{Endpoint: a.opName(p.b), Requires: a.opName(p.a), Within: precWindows[i], Confidence: conf, Support: support})
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		x, y := out[i], out[j]
		if x.Confidence != y.Confidence {
			return x.Confidence > y.Confidence
		}
		if x.Support != y.Support {
			return x.Support > y.Support
		}
		if x.Endpoint != y.Endpoint {
			return x.Endpoint < y.Endpoint
		}
		return x.Requires < y.Requires
	})
	if n < len(out) {
		out = out[:n]
	}
	return out
}

// AppendJSON appends the admin report: totals, the top sequences, the
// proposed rules and model statistics.
func (a *Analytics) AppendJSON(b []byte) []byte {
	m := a.model.Load()
	b = append(b, `{"requests":`...)
	b = strconv.AppendUint(b, m.total, 10)
	b = append(b, `,"counters":`...)
	b = strconv.AppendInt(b, int64(m.entries), 10)
	b = append(b, `,"top":[`...)
	for i, s := range a.Top(a.cfg.Top) {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"sequence":[`...)
		for j, op := range s.Ops {
			if j > 0 {
				b = append(b, ',')
			}
			b = kernel.AppendString(b, op)
		}
		b = append(b, `],"count":`...)
		b = strconv.AppendUint(b, s.Count, 10)
		b = append(b, `,"confidence":`...)
		b = strconv.AppendFloat(b, round(s.Confidence, 4), 'f', -1, 64)
		b = append(b, `,"score":`...)
		b = strconv.AppendFloat(b, round(s.Score, 3), 'f', -1, 64)
		b = append(b, '}')
	}
	b = append(b, `],"proposals":[`...)
	for i, p := range a.Proposals(a.cfg.Top) {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"text":`...)
		b = kernel.AppendString(b, p.Text())
		b = append(b, `,"confidence":`...)
		b = strconv.AppendFloat(b, round(p.Confidence, 4), 'f', -1, 64)
		b = append(b, `,"support":`...)
		b = strconv.AppendUint(b, p.Support, 10)
		b = append(b, `,"rule":`...)
		b = p.AppendRule(b)
		b = append(b, '}')
	}
	b = append(b, `],"model":{"max_length":`...)
	b = strconv.AppendInt(b, int64(a.cfg.MaxLength), 10)
	b = append(b, `,"contexts":`...)
	b = strconv.AppendInt(b, int64(len(m.ctxTotal)), 10)
	b = append(b, `,"vocabulary":`...)
	b = strconv.AppendInt(b, int64(m.vocab)-1, 10)
	b = append(b, `,"flushes":`...)
	b = strconv.AppendUint(b, a.flushes.Load(), 10)
	b = append(b, `,"flush_contention":`...)
	b = strconv.AppendUint(b, a.contention.Load(), 10)
	b = append(b, `,"corrupt_shards":`...)
	b = strconv.AppendUint(b, a.corrupt.Load(), 10)
	return append(b, "}}"...)
}

// MarshalJSON implements json.Marshaler with AppendJSON.
func (a *Analytics) MarshalJSON() ([]byte, error) { return a.AppendJSON(nil), nil }

// Summary is a one-line report for a periodic log.
func (a *Analytics) Summary() string {
	m := a.model.Load()
	var sb strings.Builder
	fmt.Fprintf(&sb, "sequences: %d requests, %d counters", m.total, m.entries)
	if top := a.Top(1); len(top) > 0 {
		fmt.Fprintf(&sb, ", top %s (score %.2f, n=%d, p=%.2f)", strings.Join(top[0].Ops, ">"), top[0].Score, top[0].Count, top[0].Confidence)
	}
	fmt.Fprintf(&sb, ", %d proposed rules", len(a.Proposals(a.cfg.Top)))
	return sb.String()
}

func round(f float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(f*p) / p
}
