package redact

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/apiwarden/apiwarden/policy/kernel"
)

// MaxDepth bounds the nesting of JSON documents Apply accepts.
const MaxDepth = 512

// MaxHits bounds Report.Hits and Report.Undeclared; beyond it hits are
// only counted (Report.Dropped, Report.Counts).
const MaxHits = 64

// Errors returned by Apply for bodies it refuses. None of them carries a
// part of the body.
var (
	ErrInvalidJSON = errors.New("redact: body is not valid JSON")
	ErrTooDeep     = fmt.Errorf("redact: JSON nested deeper than %d levels", MaxDepth)
)

// Hit is one report line: a detector or a path rule matched the value at
// Pointer, Count times. It never holds the matched value.
type Hit struct {
	Detector string // detector name, or "path" for a response.redact rule
	Rule     string // the configured path for path rules
	Pointer  string // RFC 6901 JSON pointer of the value ("" for text bodies)
	Count    int
	Action   Action
}

// Report says what Apply found and did.
type Report struct {
	Changed    bool                // the output differs from the input
	Counts     [NumDetectors]int   // detector matches, per detector (logged ones too)
	Paths      int                 // values hit by path rules
	Hits       []Hit               // one per value, at most MaxHits
	Undeclared []string            // pointers of undeclared members, at most MaxHits
	Dropped    int                 // hits and undeclared members beyond MaxHits
	Stripped   int                 // undeclared members removed
	detScratch [NumDetectors]int32 // per-value detector counts (internal)
}

// Total returns the number of detector matches of all detectors.
func (r *Report) Total() int {
	n := 0
	for _, c := range r.Counts {
		n += c
	}
	return n
}

// Count returns the matches of one detector.
func (r *Report) Count(d Detector) int {
	if d >= NumDetectors {
		return 0
	}
	return r.Counts[d]
}

// pseg is one step of the JSON pointer to the current value: an array
// index, or an object key given as its raw (still escaped) range in the
// input.
type pseg struct {
	start, end int32
	idx        int32 // >= 0 for an array index
	esc        bool
}

// walker is the state of one Apply call; pooled so that a steady stream of
// calls allocates nothing.
type walker struct {
	r     *Redactor
	in    []byte
	out   []byte
	mark  int // in[:mark] has been dealt with (copied or replaced)
	pos   int
	depth int

	sets    []int32 // active NFA node sets, one region per level
	path    []pseg
	key     []byte // decoded key
	str     []byte // decoded string value
	enc     []byte // re-encoded string value
	matches []match
	rep     Report
	arena   []byte   // JSON pointers of the hits
	hits    []hitRec // hits, pointers as arena ranges
	undecl  [][2]int32
}

type hitRec struct {
	Hit
	ps, pe int32
}

var walkers = sync.Pool{New: func() any { return new(walker) }}

// edit replaces in[start:end] by repl in the output. Edits come in
// increasing, non-overlapping order.
func (w *walker) edit(start, end int, repl []byte) {
	if !w.rep.Changed && cap(w.out) < len(w.in)+64 {
		w.out = make([]byte, 0, len(w.in)+len(w.in)/8+64)
	}
	w.out = append(w.out, w.in[w.mark:start]...)
	w.out = append(w.out, repl...)
	w.mark = end
	w.rep.Changed = true
}

var errSyntax = ErrInvalidJSON

func (w *walker) ws() { w.pos = kernel.SkipWS(w.in, w.pos) }

// run walks the whole document.
func (w *walker) run() error {
	w.ws()
	var a, b int
	if len(w.r.nfa.nodes) > 0 {
		w.sets = append(w.sets[:0], 0)
		a, b = 0, 1
	}
	if err := w.value(a, b, w.r.fields); err != nil {
		return err
	}
	w.ws()
	if w.pos != len(w.in) {
		return errSyntax
	}
	return nil
}

// value handles the value at w.pos, reached with active NFA nodes
// w.sets[a:b] and declared shape fs.
func (w *walker) value(a, b int, fs *FieldSet) error {
	if w.pos >= len(w.in) {
		return errSyntax
	}
	interesting := a < b || fs != nil || w.r.detect
	if !interesting {
		return w.skip()
	}
	switch c := w.in[w.pos]; {
	case c == '{':
		return w.object(a, b, fs)
	case c == '[':
		return w.array(a, b, fs)
	case c == '"':
		start := w.pos
		esc, err := w.str1()
		if err != nil {
			return err
		}
		if w.r.detect {
			w.detectString(start, w.pos, esc)
		}
		return nil
	case c == '-' || isDigit(c):
		start := w.pos
		plain, err := w.number()
		if err != nil {
			return err
		}
		if plain && w.r.detect && w.r.scanNumbers {
			w.detectNumber(start, w.pos)
		}
		return nil
	default:
		return w.literal()
	}
}

// step computes the NFA nodes reached from w.sets[a:b] by an object key
// (idx < 0) or an array index, appends them to w.sets and returns the
// strongest action among them with its rule.
func (w *walker) step(a, b int, key []byte, idx int) (Action, int) {
	act, rule := ActionNone, -1
	nodes := w.r.nfa.nodes
	base := len(w.sets)
	for _, n := range w.sets[a:b] {
		for _, e := range nodes[n].edges {
			var ok bool
			switch e.seg.kind {
			case segKey:
				if idx >= 0 {
					ok = e.seg.idx == idx
				} else {
					ok = string(key) == e.seg.key
				}
			case segGlob:
				ok = idx < 0 && globMatch(e.seg.key, key)
			case segEvery:
				ok = idx >= 0
			}
			if !ok {
				continue
			}
			dup := false
			for _, m := range w.sets[base:] {
				if m == e.to {
					dup = true
					break
				}
			}
			if dup {
				continue
			}
			w.sets = append(w.sets, e.to)
			if na := nodes[e.to].action; na != ActionNone && (act == ActionNone || na == ActionRemove && act != ActionRemove) {
				act, rule = na, nodes[e.to].rule
			}
		}
	}
	return act, rule
}

func (w *walker) enter() error {
	w.depth++
	if w.depth > MaxDepth {
		return ErrTooDeep
	}
	return nil
}

func (w *walker) object(a, b int, fs *FieldSet) error {
	if err := w.enter(); err != nil {
		return err
	}
	w.pos++ // {
	w.ws()
	if w.pos < len(w.in) && w.in[w.pos] == '}' {
		w.pos++
		w.depth--
		return nil
	}
	kept := false // a member of this object is in the output
	comma := -1   // position of the comma before the current member
	for {
		if w.pos >= len(w.in) || w.in[w.pos] != '"' {
			return errSyntax
		}
		keyStart := w.pos
		kesc, err := w.str1()
		if err != nil {
			return err
		}
		keyEnd := w.pos
		w.ws()
		if w.pos >= len(w.in) || w.in[w.pos] != ':' {
			return errSyntax
		}
		w.pos++
		w.ws()
		valStart := w.pos

		base := len(w.sets)
		act, rule := ActionNone, -1
		var cfs *FieldSet
		undeclared := false
		if a < b || fs != nil {
			key := w.in[keyStart+1 : keyEnd-1]
			if kesc {
				w.key = unescape(w.key[:0], key)
				key = w.key
			}
			if a < b {
				act, rule = w.step(a, b, key, -1)
			}
			if fs != nil {
				cfs, undeclared = fs.child(key)
			}
		}
		w.path = append(w.path, pseg{start: int32(keyStart + 1), end: int32(keyEnd - 1), idx: -1, esc: kesc})
		if undeclared {
			w.undeclared()
			if w.r.undeclared == UndeclaredStrip && act == ActionNone {
				act = ActionRemove
				w.rep.Stripped++
			}
		}
		cut, err := w.cut(act, rule, keyStart, valStart, comma, &kept)
		if err != nil {
			return err
		}
		if !cut {
			w.keep(comma, &kept)
			if undeclared {
				err = w.skip() // its content is all undeclared anyway
			} else {
				err = w.value(base, len(w.sets), cfs)
			}
			if err != nil {
				return err
			}
		}
		w.path = w.path[:len(w.path)-1]
		w.sets = w.sets[:base]
		w.ws()
		if w.pos >= len(w.in) {
			return errSyntax
		}
		switch w.in[w.pos] {
		case ',':
			comma = w.pos
			w.pos++
			w.ws()
		case '}':
			w.pos++
			w.depth--
			return nil
		default:
			return errSyntax
		}
	}
}

// cut applies a remove or replace action to one object member or array
// element: from is where its text starts (its key, or its value in an
// array), valStart where its value starts, comma the offset of the comma
// before it (-1 for the first). It reports false for any other action; the
// caller then keeps the value and walks it.
func (w *walker) cut(act Action, rule, from, valStart, comma int, kept *bool) (bool, error) {
	switch act {
	case ActionRemove:
		if rule >= 0 { // -1: stripped as undeclared, not by a path rule
			w.pathHit(rule, act)
		}
		if err := w.skip(); err != nil {
			return true, err
		}
		if comma >= 0 {
			from = comma // the comma goes with the removed sibling
		}
		w.edit(from, w.pos, nil)
		return true, nil
	case ActionReplace:
		w.pathHit(rule, act)
		w.keep(comma, kept)
		if err := w.skip(); err != nil {
			return true, err
		}
		w.edit(valStart, w.pos, w.r.replJSON)
		return true, nil
	}
	return false, nil
}

// keep marks a sibling as kept: the first one kept after removed siblings
// drops the comma in front of it, so the output stays valid JSON.
func (w *walker) keep(comma int, kept *bool) {
	if !*kept && comma >= 0 {
		w.edit(comma, comma+1, nil)
	}
	*kept = true
}

func (w *walker) array(a, b int, fs *FieldSet) error {
	if err := w.enter(); err != nil {
		return err
	}
	w.pos++ // [
	w.ws()
	if w.pos < len(w.in) && w.in[w.pos] == ']' {
		w.pos++
		w.depth--
		return nil
	}
	var items *FieldSet
	if fs != nil {
		items = fs.Items
	}
	kept := false
	comma := -1
	for idx := 0; ; idx++ {
		valStart := w.pos
		base := len(w.sets)
		act, rule := ActionNone, -1
		if a < b {
			act, rule = w.step(a, b, nil, idx)
		}
		w.path = append(w.path, pseg{idx: int32(min(idx, 1<<31-1))})
		cut, err := w.cut(act, rule, valStart, valStart, comma, &kept)
		if err != nil {
			return err
		}
		if !cut {
			w.keep(comma, &kept)
			if err := w.value(base, len(w.sets), items); err != nil {
				return err
			}
		}
		w.path = w.path[:len(w.path)-1]
		w.sets = w.sets[:base]
		w.ws()
		if w.pos >= len(w.in) {
			return errSyntax
		}
		switch w.in[w.pos] {
		case ',':
			comma = w.pos
			w.pos++
			w.ws()
		case ']':
			w.pos++
			w.depth--
			return nil
		default:
			return errSyntax
		}
	}
}

// skip validates the value at w.pos and moves past it without looking
// inside (nothing below it can match).
func (w *walker) skip() error {
	if w.pos >= len(w.in) {
		return errSyntax
	}
	switch c := w.in[w.pos]; {
	case c == '"':
		_, err := w.str1()
		return err
	case c == '-' || isDigit(c):
		_, err := w.number()
		return err
	case c == '{':
		if err := w.enter(); err != nil {
			return err
		}
		w.pos++
		w.ws()
		if w.pos < len(w.in) && w.in[w.pos] == '}' {
			w.pos++
			w.depth--
			return nil
		}
		for {
			if w.pos >= len(w.in) || w.in[w.pos] != '"' {
				return errSyntax
			}
			if _, err := w.str1(); err != nil {
				return err
			}
			w.ws()
			if w.pos >= len(w.in) || w.in[w.pos] != ':' {
				return errSyntax
			}
			w.pos++
			w.ws()
			if err := w.skip(); err != nil {
				return err
			}
			w.ws()
			if w.pos >= len(w.in) {
				return errSyntax
			}
			if w.in[w.pos] == '}' {
				w.pos++
				w.depth--
				return nil
			}
			if w.in[w.pos] != ',' {
				return errSyntax
			}
			w.pos++
			w.ws()
		}
	case c == '[':
		if err := w.enter(); err != nil {
			return err
		}
		w.pos++
		w.ws()
		if w.pos < len(w.in) && w.in[w.pos] == ']' {
			w.pos++
			w.depth--
			return nil
		}
		for {
			if err := w.skip(); err != nil {
				return err
			}
			w.ws()
			if w.pos >= len(w.in) {
				return errSyntax
			}
			if w.in[w.pos] == ']' {
				w.pos++
				w.depth--
				return nil
			}
			if w.in[w.pos] != ',' {
				return errSyntax
			}
			w.pos++
			w.ws()
		}
	default:
		return w.literal()
	}
}

func (w *walker) literal() error {
	rest := w.in[w.pos:]
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(rest) >= len(lit) && string(rest[:len(lit)]) == lit {
			w.pos += len(lit)
			return nil
		}
	}
	return errSyntax
}

// str1 validates the string at w.pos (which is '"') and moves past it. It
// reports whether the string contains escapes.
func (w *walker) str1() (bool, error) {
	end, esc, ok := kernel.ScanString(w.in, w.pos)
	if !ok {
		return false, errSyntax
	}
	w.pos = end
	return esc, nil
}

// number validates the number at w.pos and moves past it. plain reports a
// non-negative integer without fraction or exponent.
func (w *walker) number() (plain bool, err error) {
	in := w.in
	i := w.pos
	plain = true
	if in[i] == '-' {
		plain = false
		i++
	}
	if i >= len(in) || !isDigit(in[i]) {
		return false, errSyntax
	}
	if in[i] == '0' {
		i++
	} else {
		for i < len(in) && isDigit(in[i]) {
			i++
		}
	}
	if i < len(in) && in[i] == '.' {
		plain = false
		i++
		if i >= len(in) || !isDigit(in[i]) {
			return false, errSyntax
		}
		for i < len(in) && isDigit(in[i]) {
			i++
		}
	}
	if i < len(in) && (in[i] == 'e' || in[i] == 'E') {
		plain = false
		i++
		if i < len(in) && (in[i] == '+' || in[i] == '-') {
			i++
		}
		if i >= len(in) || !isDigit(in[i]) {
			return false, errSyntax
		}
		for i < len(in) && isDigit(in[i]) {
			i++
		}
	}
	w.pos = i
	return plain, nil
}

// detectString runs the detectors over the string token in[start:end].
func (w *walker) detectString(start, end int, esc bool) {
	content := w.in[start+1 : end-1]
	if esc {
		w.str = unescape(w.str[:0], content)
		content = w.str
	}
	w.matches = w.r.scan.scan(content, w.matches[:0])
	if len(w.matches) == 0 {
		return
	}
	whole, redact := false, false
	for _, m := range w.matches {
		w.rep.Counts[m.det]++
		w.rep.detScratch[m.det]++
		d := w.r.dets[m.det]
		if d.action == ActionLog {
			continue
		}
		redact = true
		if d.wholeValue {
			whole = true
		}
	}
	w.flushDetHits()
	if !redact {
		return
	}
	if whole {
		w.edit(start, end, w.r.replJSON)
		return
	}
	repl := w.r.replJSON[1 : len(w.r.replJSON)-1]
	if !esc {
		base := start + 1
		for _, m := range w.matches {
			if w.r.dets[m.det].action == ActionLog {
				continue
			}
			w.edit(base+m.start, base+m.end, repl)
		}
		return
	}
	// The raw string has escapes: rebuild it from the decoded content.
	enc := append(w.enc[:0], '"')
	last := 0
	for _, m := range w.matches {
		if w.r.dets[m.det].action == ActionLog {
			continue
		}
		enc = appendEscaped(enc, content[last:m.start])
		enc = append(enc, repl...)
		last = m.end
	}
	enc = appendEscaped(enc, content[last:])
	enc = append(enc, '"')
	w.enc = enc
	w.edit(start, end, enc)
}

// detectNumber checks an integer token for a card number.
func (w *walker) detectNumber(start, end int) {
	if !w.r.scan.on[CardNumber] || end-start < 13 || end-start > 19 {
		return
	}
	var d [19]byte
	for i, c := range w.in[start:end] {
		d[i] = c - '0'
	}
	if !cardDigitsOK(d[:end-start]) {
		return
	}
	w.rep.Counts[CardNumber]++
	w.rep.detScratch[CardNumber]++
	w.flushDetHits()
	if w.r.dets[CardNumber].action != ActionLog {
		w.edit(start, end, w.r.replJSON)
	}
}

// flushDetHits turns the per-value detector counts into report lines.
func (w *walker) flushDetHits() {
	for d, n := range w.rep.detScratch {
		if n == 0 {
			continue
		}
		w.rep.detScratch[d] = 0
		if len(w.hits) >= MaxHits {
			w.rep.Dropped++
			continue
		}
		act := w.r.dets[d].action
		if act != ActionLog {
			act = ActionReplace
		}
		ps, pe := w.pointer()
		w.hits = append(w.hits, hitRec{Hit: Hit{Detector: detectorNames[d], Count: int(n), Action: act}, ps: ps, pe: pe})
	}
}

func (w *walker) pathHit(rule int, act Action) {
	w.rep.Paths++
	if len(w.hits) >= MaxHits {
		w.rep.Dropped++
		return
	}
	ps, pe := w.pointer()
	w.hits = append(w.hits, hitRec{Hit: Hit{Detector: "path", Rule: w.r.paths[rule].Path, Count: 1, Action: act}, ps: ps, pe: pe})
}

func (w *walker) undeclared() {
	if len(w.undecl) >= MaxHits {
		w.rep.Dropped++
		return
	}
	ps, pe := w.pointer()
	w.undecl = append(w.undecl, [2]int32{ps, pe})
}

// pointer appends the RFC 6901 pointer of the current value to the arena
// and returns its range there.
func (w *walker) pointer() (int32, int32) {
	start := len(w.arena)
	buf := w.arena
	for _, s := range w.path {
		buf = append(buf, '/')
		if s.idx >= 0 {
			buf = strconv.AppendInt(buf, int64(s.idx), 10)
			continue
		}
		k := w.in[s.start:s.end]
		if s.esc {
			w.key = unescape(w.key[:0], k)
			k = w.key
		}
		for _, c := range k {
			switch c {
			case '~':
				buf = append(buf, '~', '0')
			case '/':
				buf = append(buf, '~', '1')
			default:
				buf = append(buf, c)
			}
		}
	}
	w.arena = buf
	return int32(start), int32(len(buf))
}

// finish moves the recorded hits into the report: all pointers share one
// string, so a report costs at most three allocations however many hits
// it lists.
func (w *walker) finish() {
	if len(w.hits) == 0 && len(w.undecl) == 0 {
		return
	}
	all := string(w.arena)
	if len(w.hits) > 0 {
		w.rep.Hits = make([]Hit, len(w.hits))
		for i, h := range w.hits {
			h.Hit.Pointer = all[h.ps:h.pe]
			w.rep.Hits[i] = h.Hit
		}
	}
	if len(w.undecl) > 0 {
		w.rep.Undeclared = make([]string, len(w.undecl))
		for i, u := range w.undecl {
			w.rep.Undeclared[i] = all[u[0]:u[1]]
		}
	}
}

// unescape appends the decoded content of a valid JSON string (without
// quotes) to dst. Lone surrogates decode to U+FFFD.
func unescape(dst, s []byte) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		i++
		switch s[i] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := rune(hex4(s[i+1:]))
			i += 4
			if r >= 0xD800 && r < 0xDC00 && i+6 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
				r2 := rune(hex4(s[i+3:]))
				if r2 >= 0xDC00 && r2 < 0xE000 {
					r = (r-0xD800)<<10 | (r2 - 0xDC00) + 0x10000
					i += 6
				}
			}
			if r >= 0xD800 && r < 0xE000 {
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
		default: // " \ /
			dst = append(dst, s[i])
		}
	}
	return dst
}

func hex4(s []byte) int {
	v := 0
	for _, c := range s[:4] {
		v <<= 4
		switch {
		case isDigit(c):
			v |= int(c - '0')
		case c >= 'a' && c <= 'f':
			v |= int(c-'a') + 10
		default:
			v |= int(c-'A') + 10
		}
	}
	return v
}

// appendEscaped appends s as JSON string content (no quotes).
func appendEscaped(dst, s []byte) []byte { return kernel.AppendEscaped(dst, s) }
