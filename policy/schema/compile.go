package schema

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unsafe"

	"github.com/apiwarden/apiwarden/policy/internal/jsonptr"
	"github.com/tidwall/gjson"
)

// Limits on the schema document, so that a hostile or broken document
// cannot exhaust the stack or memory at configure time.
const (
	maxSchemaDepth = 256       // nesting of the schema document
	maxNodes       = 1_000_000 // compiled schema objects of one Compiler
	maxErrors      = 100       // errors kept per Compiler
)

// Compile compiles the schema found at JSON pointer at ("" for the whole
// document) inside the JSON document root. Local $refs ("#/...") resolve
// against root, so a schema inside an OpenAPI document may refer to
// "#/components/schemas/X". Every error names its location in root; all
// errors found are returned together (errors.Join). To compile several
// locations of one document, use a Compiler: it reads the document once
// and shares what the schemas have in common.
func Compile(root []byte, at string, opts Options) (*Schema, error) {
	c, err := NewCompiler(slices.Clone(root), opts)
	if err != nil {
		return nil, err
	}
	return c.Compile(at)
}

// Compiler compiles the schemas of one JSON document by location. Each
// location is compiled once: schemas compiled later that reach it (through
// $ref or as a subschema) share the compiled node, so the components of a
// large OpenAPI document are compiled once for all its operations. Each
// $ref is resolved once, through an index of the document (no rescanning
// of the text per hop).
//
// The compiled schemas keep no reference to the document (the strings
// they need are copied, once per distinct value); the Compiler does, so
// drop it when done. The document must not change while the Compiler is
// in use. A Compiler is not safe for concurrent use; the schemas it
// returns are.
type Compiler struct {
	doc   string
	opts  Options
	idx   *jsonptr.Index
	tape  *jsonptr.Tape    // the index's (nil: members are scanned)
	idKw  string           // the dialect's id keyword, "" when the document has none
	nodes map[string]*node // the targets compiled, by location
	count int              // nodes compiled

	// per Compile call
	refs  []pendingRef
	errs  []error
	fresh []*node // nodes created by the current call

	all     []error           // every error so far (bounded)
	tainted map[*node][]error // nodes of a call that failed, with its errors
	kidBuf  []*node           // cycle check scratch: the subschemas of the nodes on its path
	strs    map[string]string // interned strings kept by compiled nodes
	kwBuf   []kwPair          // keyword scratch, a stack shared by nested compiles
	builds  []*nodeBuild      // the nodes being compiled, a stack (reused)
	slabs   slabs             // what the nodes are made of
	arrBuf  []gjson.Result    // array scratch for schema lists
}

type pendingRef struct {
	from *node // the schema with the $ref (its keyword is at from.loc + "/$ref")
	ref  string
}

// NewCompiler prepares a Compiler over the JSON document root (which it
// keeps, unchanged, until dropped).
func NewCompiler(root []byte, opts Options) (*Compiler, error) {
	if opts.MaxDepth == 0 {
		opts.MaxDepth = DefaultMaxDepth
	}
	if opts.MaxDepth < 0 {
		return nil, errors.New("schema: MaxDepth must not be negative")
	}
	switch opts.Dialect {
	case OpenAPI30, OpenAPI31, Draft4, Draft2020:
	default:
		return nil, fmt.Errorf("schema: unknown dialect %d", opts.Dialect)
	}
	doc := unsafe.String(unsafe.SliceData(root), len(root))
	if d := maxDepth(doc, maxSchemaDepth); d > maxSchemaDepth {
		return nil, fmt.Errorf("schema: document nested deeper than %d", maxSchemaDepth)
	}
	idx := opts.Index
	if idx == nil {
		if !gjson.Valid(doc) {
			return nil, errors.New("schema: document is not valid JSON")
		}
		idx = jsonptr.New(gjson.Parse(doc), nil)
	}
	c := &Compiler{doc: doc, opts: opts, idx: idx, tape: idx.Tape(), nodes: map[string]*node{},
		tainted: map[*node][]error{}, strs: map[string]string{}}
	if kw := opts.Dialect.idKeyword(); kw != "" && strings.Contains(doc, `"`+kw+`"`) {
		c.idKw = kw
	}
	return c, nil
}

// Compile compiles the schema at JSON pointer at ("" for the whole
// document). Every error names its location in the document; errors of
// locations compiled by earlier calls that this schema reaches are
// returned again, so a schema is returned only when everything it reaches
// compiled.
func (c *Compiler) Compile(at string) (*Schema, error) {
	if at != "" && at[0] != '/' {
		return nil, fmt.Errorf("schema: %q is not a JSON pointer", at)
	}
	val, loc, ok := c.idx.Resolve(at)
	if !ok {
		return nil, fmt.Errorf("schema: %s: no such location in the document", displayLoc(at))
	}
	return c.CompileValue(loc, val)
}

// CompileValue is Compile for a caller that already holds the value: val
// must be the document's value at the canonical JSON pointer loc (as
// found by walking the same text), which saves resolving loc again.
func (c *Compiler) CompileValue(loc string, val gjson.Result) (*Schema, error) {
	c.refs, c.errs, c.fresh = c.refs[:0], nil, c.fresh[:0]
	root := c.compileTarget(loc, val, c.underID(loc))
	// A queue: linking compiles what it reaches, which queues more. The
	// linked part is dropped as it grows, so the queue holds what is
	// pending, not every $ref of the document (42,000 in the $ref-dense
	// one).
	for i := 0; i < len(c.refs); i++ {
		c.link(c.refs[i])
		if i >= 1024 && 2*i >= len(c.refs) {
			c.refs = c.refs[:copy(c.refs, c.refs[i+1:])]
			i = -1
		}
	}
	if len(c.errs) == 0 {
		c.checkCycles(c.fresh)
	}
	if len(c.errs) == 0 {
		finish(c.fresh)
	}
	errs := c.errs
	if len(errs) > 0 {
		for _, n := range c.fresh {
			c.tainted[n] = errs
		}
	} else if len(c.tainted) > 0 {
		errs = c.reachedErrors(root)
	}
	c.all = append(c.all, errs...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &Schema{root: root, maxDepth: c.opts.MaxDepth, nodes: len(c.fresh)}, nil
}

// NewSlabs makes the nodes compiled from now on share no allocation with
// the earlier ones (nodes are allocated many to a block): a caller that
// compiles schemas it will not keep (only to report their errors) lets
// them be collected apart from those it keeps.
func (c *Compiler) NewSlabs() { c.slabs = slabs{} }

// NumNodes is the number of compiled schema objects so far.
func (c *Compiler) NumNodes() int { return c.count }

// reachedErrors collects the errors of earlier calls at nodes reachable
// from n.
func (c *Compiler) reachedErrors(n *node) []error {
	seen := map[*node]bool{}
	var out []error
	stack := []*node{n}
	for len(stack) > 0 {
		m := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if m == nil || seen[m] {
			continue
		}
		seen[m] = true
		if e, ok := c.tainted[m]; ok {
			out = append(out, e...)
		}
		stack = appendChildren(stack, m)
	}
	slices.SortStableFunc(out, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return slices.CompactFunc(out, func(a, b error) bool { return a.Error() == b.Error() })
}

func (c *Compiler) errorf(loc, format string, args ...any) {
	if len(c.errs) >= maxErrors {
		return
	}
	c.errs = append(c.errs, fmt.Errorf("%s: %s", displayLoc(loc), fmt.Sprintf(format, args...)))
}

// keep returns a copy of s that does not share the document's memory,
// one copy per distinct value.
func (c *Compiler) keep(s string) string {
	if k, ok := c.strs[s]; ok {
		return k
	}
	k := strings.Clone(s)
	c.strs[k] = k
	return k
}

// build starts compiling node n: a nodeBuild from the stack, popped by
// the caller when n is packed.
func (c *Compiler) build(n *node) *nodeBuild {
	d := len(c.builds)
	if d == cap(c.builds) {
		c.builds = append(c.builds, new(nodeBuild))
	} else {
		c.builds = c.builds[:d+1]
		if c.builds[d] == nil {
			c.builds[d] = new(nodeBuild)
		}
	}
	b := c.builds[d]
	b.reset(n)
	return b
}

func (c *Compiler) underID(ptr string) bool { return underID(c.idx, ptr, c.idKw) }

func (d Dialect) idKeyword() string {
	switch d {
	case Draft4:
		return "id"
	case OpenAPI30:
		return "" // OpenAPI 3.0 has no id keyword
	}
	return "$id"
}

func displayLoc(loc string) string {
	if loc == "" {
		return "/"
	}
	return loc
}

func kindName(v gjson.Result) string {
	switch v.Type {
	case gjson.Null:
		return "null"
	case gjson.True, gjson.False:
		return "boolean"
	case gjson.Number:
		return "number"
	case gjson.String:
		return "string"
	}
	if v.IsArray() {
		return "array"
	}
	return "object"
}

// show renders a schema value for an error message, shortened.
func show(v gjson.Result) string {
	s := v.Raw
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return strings.Clone(s)
}

// link resolves one $ref.
func (c *Compiler) link(r pendingRef) {
	ref := r.ref
	if !strings.HasPrefix(ref, "#") {
		c.errorf(r.from.loc+"/$ref", "external reference %q is not supported (only \"#/...\" within the document)", ref)
		return
	}
	frag := ref[1:]
	if strings.IndexByte(frag, '%') >= 0 {
		var err error
		if frag, err = url.PathUnescape(frag); err != nil {
			c.errorf(r.from.loc+"/$ref", "bad percent-encoding in %q", ref)
			return
		}
	}
	if frag != "" && frag[0] != '/' {
		c.errorf(r.from.loc+"/$ref", "anchor reference %q is not supported (use a JSON pointer \"#/...\")", ref)
		return
	}
	val, loc, ok := c.idx.Resolve(frag)
	if !ok {
		c.errorf(r.from.loc+"/$ref", "reference %q points to nothing in the document", ref)
		return
	}
	r.from.ref = c.compileTarget(loc, val, c.underID(loc))
}

// checkCycles refuses reference cycles that never move into the instance
// (such as {"$ref": "#"} at the root, or a schema whose allOf refers back
// to itself): they would loop forever at validation time. Nodes checked
// by earlier calls are known to be free of such cycles. The walk keeps
// its own stack, so chains of any length are checked.
func (c *Compiler) checkCycles(nodes []*node) {
	const (
		onStack = 1
		done    = 2
	)
	type frame struct {
		n          *node
		kids, next int // kids: where n's subschemas start in c.kidBuf
	}
	var path []frame
	push := func(n *node) {
		n.color = onStack
		path = append(path, frame{n: n, kids: len(c.kidBuf), next: len(c.kidBuf)})
		c.kidBuf = appendInPlace(c.kidBuf, n)
	}
	for _, start := range nodes {
		if start.color != 0 {
			continue
		}
		path, c.kidBuf = path[:0], c.kidBuf[:0]
		push(start)
		for len(path) > 0 {
			top := &path[len(path)-1]
			// The subschemas of top end where c.kidBuf does: those of
			// the nodes above it went when they were popped.
			if top.next == len(c.kidBuf) {
				top.n.color = done
				c.kidBuf = c.kidBuf[:top.kids]
				path = path[:len(path)-1]
				continue
			}
			m := c.kidBuf[top.next]
			top.next++
			switch {
			case m == nil || m.color == done:
			case m.color == onStack:
				i := slices.IndexFunc(path, func(f frame) bool { return f.n == m })
				var locs []string
				for _, f := range path[i:] {
					locs = append(locs, displayLoc(f.n.loc))
				}
				locs = append(locs, displayLoc(m.loc))
				c.errorf(m.loc, "schema refers to itself without descending into the instance: %s", strings.Join(locs, " -> "))
				for _, f := range path {
					f.n.color = 0
				}
				return
			default:
				push(m)
			}
		}
	}
}

// appendInPlace appends the subschemas applied to the same instance
// location as n.
func appendInPlace(out []*node, n *node) []*node {
	out = append(out, n.ref, n.not, n.ifN, n.thenN, n.elseN)
	out = append(out, n.allOf...)
	out = append(out, n.anyOf...)
	out = append(out, n.oneOf...)
	for _, d := range n.depSchemas {
		out = append(out, d.n)
	}
	return out
}

// appendChildren appends every subschema of n (in place or not).
func appendChildren(out []*node, n *node) []*node {
	out = appendInPlace(out, n)
	out = append(out, n.prefix...)
	out = append(out, n.items, n.contains, n.additional, n.propNames)
	for _, p := range n.props {
		out = append(out, p.n)
	}
	for _, p := range n.patProps {
		out = append(out, p.n)
	}
	return out
}

// finish computes what needs resolved references: required properties
// that are readOnly (not required in requests) or writeOnly (not required
// in responses).
func finish(nodes []*node) {
	for _, n := range nodes {
		for i, r := range n.required {
			p := n.props[r.name].n
			switch {
			case p == nil:
			case flagged(p, func(m *node) bool { return m.readOnly }):
				n.required[i].skipIn = Request
			case flagged(p, func(m *node) bool { return m.writeOnly }):
				n.required[i].skipIn = Response
			}
		}
	}
}

// flagged follows $ref and allOf to find a readOnly/writeOnly annotation.
func flagged(n *node, f func(*node) bool) bool {
	for depth := 0; n != nil && depth < 64; depth++ {
		if f(n) {
			return true
		}
		for _, a := range n.allOf {
			if f(a) || (a.ref != nil && f(a.ref)) {
				return true
			}
		}
		n = n.ref
	}
	return false
}
