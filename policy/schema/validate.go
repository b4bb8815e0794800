package schema

import (
	"slices"
	"strconv"
	"strings"
	"unsafe"
)

// maxEval bounds the recursion of one validation (instance nesting times
// schema indirection), as a last line of defence behind the depth limit
// and the compile-time cycle check.
const maxEval = 10_000

// state is the per-call validation state. It lives on the caller's stack.
type state struct {
	dir     Direction
	numbers Numbers
	out     []Violation
	limit   int // stop when len(out) reaches limit
	quiet   int // > 0 inside anyOf/oneOf/not/if/contains: no violations recorded
	level   int
	// The instance location: the first inlinePath steps live in the
	// state itself (on the caller's stack), deeper ones in more.
	depth int
	path  [inlinePath]seg
	more  []seg
}

const inlinePath = 64

// stop reports that validation of the current schema may end at the
// first failure: its outcome is only a boolean, or the violation budget is
// spent.
func (st *state) stop() bool { return st.quiet > 0 || len(st.out) >= st.limit }

// fail records a violation unless quiet. The message is built lazily so
// a quiet failure costs nothing.
func (st *state) fail(n *node, keyword, msg string) {
	if st.quiet > 0 || len(st.out) >= st.limit {
		return
	}
	st.out = append(st.out, Violation{
		Pointer:    st.pointer(),
		Keyword:    keyword,
		Message:    msg,
		SchemaPath: n.loc + "/" + escapeToken(keyword),
	})
}

func (st *state) push(key string, index int) {
	if st.depth < inlinePath {
		st.path[st.depth] = seg{key: key, index: index}
	} else {
		st.more = append(st.more[:st.depth-inlinePath], seg{key: key, index: index})
	}
	st.depth++
}

func (st *state) pop() { st.depth-- }

// pointer renders the current instance location as a JSON pointer.
func (st *state) pointer() string {
	if st.depth == 0 {
		return ""
	}
	var b strings.Builder
	for i := 0; i < st.depth; i++ {
		var p *seg
		if i < inlinePath {
			p = &st.path[i]
		} else {
			p = &st.more[i-inlinePath]
		}
		b.WriteByte('/')
		if p.index >= 0 {
			b.WriteString(itoa(p.index))
		} else {
			b.WriteString(escapeToken(p.key))
		}
	}
	return b.String()
}

// validate validates raw (a trimmed JSON value) against n and reports
// whether it is valid.
func (st *state) validate(n *node, raw string) bool {
	switch n.always {
	case 1:
		return true
	case -1:
		st.fail(n, "false", "no value is allowed here")
		return false
	}
	if st.level >= maxEval {
		st.fail(n, "maxDepth", "schema evaluation too deep")
		return false
	}
	st.level++
	ok := st.validateNode(n, raw)
	st.level--
	return ok
}

func (st *state) validateNode(n *node, raw string) bool {
	ok := true
	if n.ref != nil {
		if !st.validate(n.ref, raw) {
			ok = false
			if st.stop() {
				return false
			}
		}
		if n.refOnly {
			return ok
		}
	}
	k := kindOf(raw)
	if n.types != 0 {
		tok := n.types&(1<<k) != 0
		if tok && k == kNumber && n.integer {
			d := parseDecimal(raw)
			tok = d.isInteger()
		}
		if !tok {
			st.fail(n, "type", "want "+n.typeWant+", got "+k.String())
			return false // other keywords would only repeat the type error
		}
	}
	if n.readOnly && st.dir == Request {
		st.fail(n, "readOnly", "read-only value is not allowed in a request")
		ok = false
		if st.stop() {
			return false
		}
	}
	if n.writeOnly && st.dir == Response {
		st.fail(n, "writeOnly", "write-only value is not allowed in a response")
		ok = false
		if st.stop() {
			return false
		}
	}
	if n.enum != nil && !st.enumOK(n, raw, k) {
		st.fail(n, "enum", "value is not one of the allowed values")
		ok = false
		if st.stop() {
			return false
		}
	}
	if n.cnst != nil && !equalJSON(raw, *n.cnst) {
		st.fail(n, "const", "value is not the constant value")
		ok = false
		if st.stop() {
			return false
		}
	}
	switch {
	case k == kNumber && n.hasNum:
		if !st.number(n, raw) {
			ok = false
		}
	case k == kString && n.hasStr:
		if !st.string(n, raw) {
			ok = false
		}
	case k == kObject && n.hasObj:
		if !st.object(n, raw) {
			ok = false
		}
	case k == kArray && n.hasArr:
		if !st.array(n, raw) {
			ok = false
		}
	}
	if !ok && st.stop() {
		return false
	}
	if !st.combinators(n, raw) {
		ok = false
	}
	return ok
}

func (st *state) enumOK(n *node, raw string, k kind) bool {
	if n.enumStr != nil {
		if k != kString {
			return false
		}
		_, found := n.enumStr[unquote(raw)]
		return found
	}
	for _, e := range n.enum {
		if equalJSON(raw, e) {
			return true
		}
	}
	return false
}

func (st *state) combinators(n *node, raw string) bool {
	ok := true
	for _, a := range n.allOf {
		if !st.validate(a, raw) {
			ok = false
			if st.stop() {
				return false
			}
		}
	}
	if n.anyOf != nil {
		st.quiet++
		matched := false
		for _, a := range n.anyOf {
			if st.validate(a, raw) {
				matched = true
				break
			}
		}
		st.quiet--
		if !matched {
			st.fail(n, "anyOf", "matches none of the "+itoa(len(n.anyOf))+" allowed schemas")
			ok = false
			if st.stop() {
				return false
			}
		}
	}
	if n.oneOf != nil {
		st.quiet++
		matched, first, second := 0, -1, -1
		for i, a := range n.oneOf {
			if st.validate(a, raw) {
				matched++
				if first < 0 {
					first = i
				} else {
					second = i
					break
				}
			}
		}
		st.quiet--
		switch {
		case matched == 0:
			st.fail(n, "oneOf", "matches none of the "+itoa(len(n.oneOf))+" schemas")
			ok = false
		case matched > 1:
			st.fail(n, "oneOf", "matches schemas "+itoa(first)+" and "+itoa(second)+", want exactly one")
			ok = false
		}
		if !ok && st.stop() {
			return false
		}
	}
	if n.not != nil {
		st.quiet++
		matched := st.validate(n.not, raw)
		st.quiet--
		if matched {
			st.fail(n, "not", "matches a schema it must not match")
			ok = false
			if st.stop() {
				return false
			}
		}
	}
	if n.ifN != nil {
		st.quiet++
		cond := st.validate(n.ifN, raw)
		st.quiet--
		branch := n.elseN
		if cond {
			branch = n.thenN
		}
		if branch != nil && !st.validate(branch, raw) {
			ok = false
		}
	}
	return ok
}

func (st *state) number(n *node, raw string) bool {
	x := parseDecimal(raw)
	nv := numberView{x: &x, exact: true}
	if st.numbers == Float64 {
		// The backend holds f; an integer literal within int64 may also be
		// read exactly (into an int64), so it must pass both ways.
		nv.f, _ = strconv.ParseFloat(raw, 64)
		nv.float = true
		nv.exact = x.isInteger() && fitsInt(&x, 64)
	}
	ok := true
	if b := n.minimum; b != nil {
		if nv.fails(b, -1) {
			kw, msg := "minimum", "below minimum "+b.raw
			if b.exclusive {
				kw, msg = "exclusiveMinimum", "not above exclusive minimum "+b.raw
			}
			st.fail(n, kw, msg)
			ok = false
			if st.stop() {
				return false
			}
		}
	}
	if b := n.maximum; b != nil {
		if nv.fails(b, +1) {
			kw, msg := "maximum", "above maximum "+b.raw
			if b.exclusive {
				kw, msg = "exclusiveMaximum", "not below exclusive maximum "+b.raw
			}
			st.fail(n, kw, msg)
			ok = false
			if st.stop() {
				return false
			}
		}
	}
	if n.multipleOf != nil && !nv.multipleOf(n.multipleOf) {
		st.fail(n, "multipleOf", "not a multiple of "+n.multipleOfRaw)
		ok = false
		if st.stop() {
			return false
		}
	}
	switch n.fmtKind {
	case fmtInt32, fmtInt64:
		nbits := uint(32)
		if n.fmtKind == fmtInt64 {
			nbits = 64
		}
		if !fitsInt(&x, nbits) {
			st.fail(n, "format", "not an int"+itoa(int(nbits)))
			ok = false
		}
	}
	return ok
}

// numberView is an instance number as the configured Numbers reads it:
// the exact decimal, its float64, or both.
type numberView struct {
	x     *decimal
	f     float64
	exact bool // compare the exact decimal
	float bool // compare the float64
}

// fails reports whether the number is on the wrong side of a bound: side
// -1 for a lower bound, +1 for an upper one. Every reading compared must
// pass.
func (v numberView) fails(b *decimalBound, side int) bool {
	bad := func(c int) bool { return c == side || c == 0 && b.exclusive }
	if v.exact && bad(cmpDecimal(v.x, &b.d)) {
		return true
	}
	if v.float {
		// The bound's own rounding is what the backend compares against.
		bf, _ := strconv.ParseFloat(b.raw, 64)
		c := 0
		switch {
		case v.f < bf:
			c = -1
		case v.f > bf:
			c = 1
		}
		return bad(c)
	}
	return false
}

// multipleOf checks exactly, or on the shortest decimal that reads back as
// the float64 (what a float64 backend holds and would write back).
func (v numberView) multipleOf(m *decimal) bool {
	if v.exact && !isMultiple(v.x, m) {
		return false
	}
	if v.float && !v.exact {
		var buf [32]byte
		b := strconv.AppendFloat(buf[:0], v.f, 'g', -1, 64)
		d := parseDecimal(unsafe.String(unsafe.SliceData(b), len(b)))
		return isMultiple(&d, m)
	}
	return true
}

func (st *state) string(n *node, raw string) bool {
	ok := true
	if n.minLength >= 0 || n.maxLength >= 0 {
		l := runeCount(raw)
		if n.minLength >= 0 && l < n.minLength {
			st.fail(n, "minLength", "length "+itoa(l)+" below minLength "+itoa(n.minLength))
			ok = false
			if st.stop() {
				return false
			}
		}
		if n.maxLength >= 0 && l > n.maxLength {
			st.fail(n, "maxLength", "length "+itoa(l)+" above maxLength "+itoa(n.maxLength))
			ok = false
			if st.stop() {
				return false
			}
		}
	}
	if n.pattern == nil && (n.fmtKind == fmtNone || n.fmtKind == fmtInt32 || n.fmtKind == fmtInt64) {
		return ok
	}
	s := unquote(raw)
	if n.pattern != nil && !n.pattern.MatchString(s) {
		st.fail(n, "pattern", "does not match pattern "+n.pattern.String())
		ok = false
		if st.stop() {
			return false
		}
	}
	if n.fmtKind != fmtNone && !checkStringFormat(n.fmtKind, s) {
		st.fail(n, "format", "not a valid "+formatString(n.fmtKind))
		ok = false
	}
	return ok
}

func formatString(f format) string {
	for name, g := range formatNames {
		if g == f {
			return name
		}
	}
	return "value"
}

// object validates members in one pass: properties, patternProperties,
// additionalProperties, propertyNames and the member count.
func (st *state) object(n *node, raw string) bool {
	ok := true
	count := 0
	var small [4]uint64
	set := small[:]
	if w := (n.nbits + 63) / 64; w > len(small) {
		set = make([]uint64, w)
	}
	it := newIter(raw)
	for {
		kraw, v, more := it.next(true)
		if !more {
			break
		}
		count++
		if n.props == nil && n.patProps == nil && n.additional == nil && n.propNames == nil {
			continue
		}
		key := unquote(kraw)
		matched := false
		p, found := n.props[key]
		if found {
			set[p.bit/64] |= 1 << (p.bit % 64)
		}
		if found && p.n != nil {
			matched = true
			st.push(key, -1)
			r := st.validate(p.n, v)
			st.pop()
			if !r {
				ok = false
				if st.stop() {
					return false
				}
			}
		}
		for _, pp := range n.patProps {
			if !pp.re.MatchString(key) {
				continue
			}
			matched = true
			st.push(key, -1)
			r := st.validate(pp.n, v)
			st.pop()
			if !r {
				ok = false
				if st.stop() {
					return false
				}
			}
		}
		if !matched && n.additional != nil {
			st.push(key, -1)
			var r bool
			if n.additional.always == -1 {
				st.fail(n, "additionalProperties", "property is not allowed")
			} else {
				r = st.validate(n.additional, v)
			}
			st.pop()
			if !r {
				ok = false
				if st.stop() {
					return false
				}
			}
		}
		if n.propNames != nil {
			st.push(key, -1)
			st.quiet++
			r := st.validate(n.propNames, kraw)
			st.quiet--
			if !r {
				st.fail(n, "propertyNames", "property name is not allowed")
			}
			st.pop()
			if !r {
				ok = false
				if st.stop() {
					return false
				}
			}
		}
	}
	if n.minProps >= 0 && count < n.minProps {
		st.fail(n, "minProperties", itoa(count)+" properties, below minProperties "+itoa(n.minProps))
		ok = false
		if st.stop() {
			return false
		}
	}
	if n.maxProps >= 0 && count > n.maxProps {
		st.fail(n, "maxProperties", itoa(count)+" properties, above maxProperties "+itoa(n.maxProps))
		ok = false
		if st.stop() {
			return false
		}
	}
	if !st.presence(n, raw, set) {
		ok = false
	}
	return ok
}

// presence checks required, dependentRequired and dependentSchemas with
// the bit set of the names the schema mentions that object() saw.
func (st *state) presence(n *node, raw string, set []uint64) bool {
	has := func(bit int) bool { return set[bit/64]&(1<<(bit%64)) != 0 }
	ok := true
	for _, r := range n.required {
		if !has(r.bit) && r.skipIn != st.dir {
			st.fail(n, "required", "missing required property "+quoteName(r.name))
			ok = false
			if st.stop() {
				return false
			}
		}
	}
	for _, d := range n.depReq {
		if !has(d.bit) {
			continue
		}
		for _, r := range d.need {
			if !has(r.bit) {
				st.fail(n, "dependentRequired", "property "+quoteName(d.name)+" requires property "+quoteName(r.name))
				ok = false
				if st.stop() {
					return false
				}
			}
		}
	}
	for _, d := range n.depSchemas {
		if has(d.bit) && !st.validate(d.n, raw) {
			ok = false
			if st.stop() {
				return false
			}
		}
	}
	return ok
}

func quoteName(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return "\"" + s + "\""
}

// array validates elements in one pass: prefixItems, items, contains,
// uniqueItems and the element count.
func (st *state) array(n *node, raw string) bool {
	ok := true
	idx, contained := 0, 0
	var hashBuf [32]hashed
	hashes := hashBuf[:0]
	it := newIter(raw)
	for {
		_, v, more := it.next(false)
		if !more {
			break
		}
		var sub *node
		if idx < len(n.prefix) {
			sub = n.prefix[idx]
		} else {
			sub = n.items
		}
		if sub != nil {
			st.push("", idx)
			var r bool
			if sub.always == -1 {
				kw := "items"
				if idx >= len(n.prefix) && len(n.prefix) > 0 {
					kw = "additionalItems"
				}
				st.fail(n, kw, "no element is allowed at this index")
			} else {
				r = st.validate(sub, v)
			}
			st.pop()
			if !r {
				ok = false
				if st.stop() {
					return false
				}
			}
		}
		if n.contains != nil {
			st.quiet++
			if st.validate(n.contains, v) {
				contained++
			}
			st.quiet--
		}
		if n.unique {
			hashes = append(hashes, hashed{h: hashJSON(v), raw: v, idx: idx})
		}
		idx++
	}
	if n.minItems >= 0 && idx < n.minItems {
		st.fail(n, "minItems", itoa(idx)+" items, below minItems "+itoa(n.minItems))
		ok = false
		if st.stop() {
			return false
		}
	}
	if n.maxItems >= 0 && idx > n.maxItems {
		st.fail(n, "maxItems", itoa(idx)+" items, above maxItems "+itoa(n.maxItems))
		ok = false
		if st.stop() {
			return false
		}
	}
	if n.contains != nil {
		min := 1
		if n.minContains >= 0 {
			min = n.minContains
		}
		if contained < min {
			st.fail(n, "contains", itoa(contained)+" items match contains, want at least "+itoa(min))
			ok = false
			if st.stop() {
				return false
			}
		}
		if n.maxContains >= 0 && contained > n.maxContains {
			st.fail(n, "maxContains", itoa(contained)+" items match contains, want at most "+itoa(n.maxContains))
			ok = false
			if st.stop() {
				return false
			}
		}
	}
	if n.unique && len(hashes) > 1 {
		slices.SortFunc(hashes, func(a, b hashed) int {
			switch {
			case a.h < b.h:
				return -1
			case a.h > b.h:
				return 1
			}
			return a.idx - b.idx
		})
		for i := 1; i < len(hashes); i++ {
			// Equal hashes form runs; compare within the run.
			for j := i - 1; j >= 0 && hashes[j].h == hashes[i].h; j-- {
				if equalJSON(hashes[i].raw, hashes[j].raw) {
					a, b := hashes[j].idx, hashes[i].idx
					if a > b {
						a, b = b, a
					}
					st.fail(n, "uniqueItems", "items "+itoa(a)+" and "+itoa(b)+" are equal")
					return false
				}
			}
		}
	}
	return ok
}

type hashed struct {
	h   uint64
	raw string
	idx int
}
