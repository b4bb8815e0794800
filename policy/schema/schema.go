package schema

import (
	"github.com/apiwarden/apiwarden/policy/kernel"

	"regexp"
	"unsafe"

	"github.com/apiwarden/apiwarden/policy/internal/jsonptr"
	"github.com/tidwall/gjson"
)

// Dialect selects the JSON Schema semantics a document is compiled with.
type Dialect int

const (
	// OpenAPI30 is the Schema Object of OpenAPI 3.0: draft 4 semantics
	// plus nullable, boolean exclusiveMinimum/exclusiveMaximum,
	// readOnly/writeOnly; $ref siblings are ignored; id is ignored.
	OpenAPI30 Dialect = iota
	// OpenAPI31 is the Schema Object of OpenAPI 3.1: JSON Schema draft
	// 2020-12 semantics.
	OpenAPI31
	// Draft4 is JSON Schema draft 4.
	Draft4
	// Draft2020 is JSON Schema draft 2020-12.
	Draft2020
)

func (d Dialect) String() string {
	switch d {
	case OpenAPI30:
		return "openapi-3.0"
	case OpenAPI31:
		return "openapi-3.1"
	case Draft4:
		return "draft4"
	case Draft2020:
		return "draft2020-12"
	}
	return "unknown"
}

// draft4Like reports draft-4 keyword semantics (OpenAPI 3.0 and draft 4).
func (d Dialect) draft4Like() bool { return d == OpenAPI30 || d == Draft4 }

// Direction says which way an instance travels. readOnly properties are
// refused in requests and writeOnly properties in responses.
type Direction int

const (
	Request Direction = iota
	Response
	// Parameter is a request parameter's value (path, query, header,
	// cookie): readOnly and writeOnly apply to properties of bodies, never
	// to parameters, so neither is asserted.
	Parameter
)

// DefaultMaxDepth is the instance nesting limit used when Options.MaxDepth
// is zero.
const DefaultMaxDepth = 64

// Options configure Compile. The zero value compiles OpenAPI 3.0 schemas,
// asserts formats and limits instances to DefaultMaxDepth.
type Options struct {
	Dialect Dialect
	// MaxDepth is the deepest array/object nesting an instance may have
	// (a scalar is depth 0, [] is 1). 0 means DefaultMaxDepth.
	MaxDepth int
	// IgnoreFormats turns "format" into an annotation. By default the
	// formats listed in the package documentation are asserted.
	IgnoreFormats bool
	// Index, when set, is the caller's pointer index of the document it
	// hands NewCompiler (the same text, already checked to be valid
	// JSON): the Compiler resolves through it instead of indexing and
	// validating the document again.
	Index *jsonptr.Index
}

// Schema is a compiled schema. It is immutable and safe for concurrent use.
type Schema struct {
	root     *node
	maxDepth int
	nodes    int
}

// Violation is one reason an instance does not match. It never contains
// a value taken from the instance, only its location.
type Violation struct {
	// Pointer is the RFC 6901 JSON pointer of the offending instance
	// value ("" for the whole instance).
	Pointer string
	// Keyword is the schema keyword that failed ("type", "required", ...),
	// or "maxDepth" / "json" for the limits checked before validation.
	Keyword string
	// Message explains the failure without echoing the instance value.
	Message string
	// SchemaPath is the JSON pointer of the failing keyword inside the
	// schema document.
	SchemaPath string
}

func (v Violation) String() string {
	p := v.Pointer
	if p == "" {
		p = "/"
	}
	return p + ": " + v.Message + " (" + v.Keyword + " at " + v.SchemaPath + ")"
}

// Validate validates a JSON instance and appends at most max violations
// (max < 1 means 1) to out, returning the extended slice: no violation was
// appended exactly when the instance is valid. Invalid JSON and instances
// nested deeper than the configured limit yield a single violation.
// Validate does not retain instance.
func (s *Schema) Validate(instance []byte, dir Direction, max int, out []Violation) []Violation {
	raw := unsafe.String(unsafe.SliceData(instance), len(instance))
	if d := maxDepth(raw, s.maxDepth); d > s.maxDepth {
		return append(out, depthViolation(s.maxDepth))
	}
	if !gjson.Valid(raw) {
		return append(out, Violation{Keyword: "json", Message: "not valid JSON"})
	}
	return s.validate(trimWS(raw), dir, max, out)
}

// ValidateResult is Validate for a value already parsed by gjson (for
// example a member of a larger document). The value must come from valid
// JSON; the depth limit is still checked.
func (s *Schema) ValidateResult(r gjson.Result, dir Direction, max int, out []Violation) []Violation {
	if !r.Exists() {
		return append(out, Violation{Keyword: "json", Message: "no value"})
	}
	if d := maxDepth(r.Raw, s.maxDepth); d > s.maxDepth {
		return append(out, depthViolation(s.maxDepth))
	}
	return s.validate(trimWS(r.Raw), dir, max, out)
}

// Valid reports whether instance is valid, stopping at the first failure.
func (s *Schema) Valid(instance []byte, dir Direction) bool {
	return len(s.Validate(instance, dir, 1, nil)) == 0
}

func depthViolation(limit int) Violation {
	return Violation{Keyword: "maxDepth", Message: "nesting deeper than " + itoa(limit)}
}

func (s *Schema) validate(raw string, dir Direction, max int, out []Violation) []Violation {
	if max < 1 {
		max = 1
	}
	st := state{dir: dir, out: out, limit: len(out) + max}
	st.validate(s.root, raw)
	return st.out
}

// seg is one step of the instance pointer being validated.
type seg struct {
	key   string
	index int // -1 for object members
}

// escapeToken escapes a JSON pointer reference token (RFC 6901).
func escapeToken(s string) string { return kernel.EscapeToken(s) }

func unescapeToken(s string) string { return kernel.UnescapeToken(s) }

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	neg := i < 0
	if neg {
		i = -i
	}
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	if neg {
		n--
		b[n] = '-'
	}
	return string(b[n:])
}

// node is one compiled schema object.
type node struct {
	loc    string // JSON pointer of the schema in the document
	always int8   // +1 true schema, -1 false schema, 0 ordinary

	ref     *node
	refOnly bool // draft 4: $ref siblings are ignored

	types    uint8  // bit set of kind bits; 0 means any
	integer  bool   // "integer" listed (and "number" not)
	typeWant string // e.g. "integer or null"

	enum    []string // canonical raw values
	enumStr map[string]struct{}
	cnst    *string

	fmtKind              format
	hasNum, hasStr       bool
	hasObj, hasArr       bool
	minLength, maxLength int // -1 when absent
	pattern              *regexp.Regexp

	readOnly, writeOnly bool
	color               uint8 // cycle check: 1 on the stack, 2 checked

	// The keywords of one kind each, read through these pointers; a node
	// without any of a kind shares its kind's read-only zero (most nodes
	// have one or two kinds: a 504-byte node was most of a large
	// document's compiled size). Only the compiler writes them, through a
	// nodeBuild.
	*numKw
	*arrKw
	*objKw
	*logicKw
}

type numKw struct {
	minimum, maximum *decimalBound
	multipleOf       *decimal
	multipleOfRaw    string
}

type arrKw struct {
	prefix                   []*node
	items                    *node
	contains                 *node
	minContains, maxContains int
	minItems, maxItems       int
	unique                   bool
}

type objKw struct {
	props      map[string]propInfo
	nbits      int
	required   []required
	patProps   []patProp
	additional *node
	propNames  *node
	depReq     []depRequired
	depSchemas []depSchema
	minProps   int
	maxProps   int
}

type logicKw struct {
	allOf, anyOf, oneOf []*node
	not                 *node
	ifN, thenN, elseN   *node
}

// The shared zeros, never written.
var (
	zeroNum   = numKw{}
	zeroArr   = arrKw{minContains: -1, maxContains: -1, minItems: -1, maxItems: -1}
	zeroObj   = objKw{minProps: -1, maxProps: -1}
	zeroLogic = logicKw{}
)

// maxSlab is how many nodes (or keyword kinds) one allocation holds at
// most: a large document compiles to some 10^5 nodes, and one allocation
// each was a large part of a start-up through wazero. Blocks start small
// and double, so a small document allocates little.
const maxSlab = 128

// slab hands out pointers to zeroed values of T, many per allocation.
type slab[T any] struct {
	free []T
	size int
}

func (s *slab[T]) take() *T {
	if len(s.free) == 0 {
		s.size = min(maxSlab, max(4, 2*s.size))
		s.free = make([]T, s.size)
	}
	p := &s.free[0]
	s.free = s.free[1:]
	return p
}

// slabs hold what a Compiler's nodes are made of.
type slabs struct {
	nodes slab[node]
	num   slab[numKw]
	arr   slab[arrKw]
	obj   slab[objKw]
	logic slab[logicKw]
}

// newNode is a node with no keyword.
func (s *slabs) newNode(loc string) *node {
	n := s.nodes.take()
	*n = node{loc: loc, minLength: -1, maxLength: -1, numKw: &zeroNum, arrKw: &zeroArr, objKw: &zeroObj, logicKw: &zeroLogic}
	return n
}

// nodeBuild is a node being compiled: base fields go to the node, the
// keywords of each kind to a full copy, packed into the node when its
// schema object is done (nodeBuild.pack).
type nodeBuild struct {
	*node
	numKw
	arrKw
	objKw
	logicKw
}

func (b *nodeBuild) reset(n *node) {
	*b = nodeBuild{node: n, numKw: zeroNum, arrKw: zeroArr, objKw: zeroObj, logicKw: zeroLogic}
}

// pack gives the node its own copy of each kind that has a keyword.
func (b *nodeBuild) pack(s *slabs) {
	n := b.node
	if b.numKw != zeroNum {
		n.numKw = s.num.take()
		*n.numKw = b.numKw
	}
	if a := &b.arrKw; a.prefix != nil || a.items != nil || a.contains != nil || a.unique ||
		a.minContains != -1 || a.maxContains != -1 || a.minItems != -1 || a.maxItems != -1 {
		n.arrKw = s.arr.take()
		*n.arrKw = *a
	}
	if o := &b.objKw; o.props != nil || o.nbits != 0 || o.required != nil || o.patProps != nil || o.additional != nil ||
		o.propNames != nil || o.depReq != nil || o.depSchemas != nil || o.minProps != -1 || o.maxProps != -1 {
		n.objKw = s.obj.take()
		*n.objKw = *o
	}
	if l := &b.logicKw; l.allOf != nil || l.anyOf != nil || l.oneOf != nil || l.not != nil || l.ifN != nil || l.thenN != nil || l.elseN != nil {
		n.logicKw = s.logic.take()
		*n.logicKw = *l
	}
}

type decimalBound struct {
	d         decimal
	raw       string
	exclusive bool
}

type propInfo struct {
	n   *node // nil for names only listed in required/dependentRequired
	bit int
}

type required struct {
	name string
	bit  int
	// skipIn is the direction in which the requirement does not apply:
	// a required readOnly property is not required in requests (and a
	// writeOnly one in responses). -1 when it always applies.
	skipIn Direction
}

type patProp struct {
	re *regexp.Regexp
	n  *node
}

type depRequired struct {
	bit  int
	name string
	need []required
}

type depSchema struct {
	bit int
	n   *node
}

const (
	bitNull = 1 << kNull
	bitBool = 1 << kBool
	bitObj  = 1 << kObject
	bitArr  = 1 << kArray
	bitNum  = 1 << kNumber
	bitStr  = 1 << kString
)
