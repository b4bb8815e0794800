package schema

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// Limits on the schema document, so that a hostile or broken document
// cannot exhaust the stack or memory at configure time.
const (
	maxSchemaDepth = 256     // nesting of the schema document
	maxNodes       = 100_000 // compiled schema objects
)

// Compile compiles the schema found at JSON pointer at ("" for the whole
// document) inside the JSON document root. Local $refs ("#/...") resolve
// against root, so a schema inside an OpenAPI document may refer to
// "#/components/schemas/X". Every error names its location in root; all
// errors found are returned together (errors.Join).
func Compile(root []byte, at string, opts Options) (*Schema, error) {
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
	doc := string(root) // the compiled schema keeps no reference to root
	if d := maxDepth(doc, maxSchemaDepth); d > maxSchemaDepth {
		return nil, fmt.Errorf("schema: document nested deeper than %d", maxSchemaDepth)
	}
	if !gjson.Valid(doc) {
		return nil, errors.New("schema: document is not valid JSON")
	}
	c := &compiler{doc: gjson.Parse(doc), opts: opts, nodes: map[string]*node{}}
	if at != "" && at[0] != '/' {
		return nil, fmt.Errorf("schema: %q is not a JSON pointer", at)
	}
	val, loc, ok := c.resolve(at)
	if !ok {
		return nil, fmt.Errorf("schema: %s: no such location in the document", displayLoc(at))
	}
	rootNode := c.compile(loc, val, c.underID(at))
	for len(c.refs) > 0 {
		r := c.refs[0]
		c.refs = c.refs[1:]
		c.link(r)
	}
	if len(c.errs) == 0 {
		c.checkCycles()
	}
	if len(c.errs) == 0 {
		c.finish()
	}
	if len(c.errs) > 0 {
		return nil, errors.Join(c.errs...)
	}
	return &Schema{root: rootNode, maxDepth: opts.MaxDepth, nodes: len(c.nodes)}, nil
}

type pendingRef struct {
	from *node
	ref  string
	loc  string // location of the $ref keyword
}

type compiler struct {
	doc   gjson.Result
	opts  Options
	nodes map[string]*node
	refs  []pendingRef
	errs  []error
	order []*node
}

func displayLoc(loc string) string {
	if loc == "" {
		return "/"
	}
	return loc
}

func (c *compiler) errorf(loc, format string, args ...any) {
	if len(c.errs) >= 100 {
		return
	}
	c.errs = append(c.errs, fmt.Errorf("%s: %s", displayLoc(loc), fmt.Sprintf(format, args...)))
}

// resolve walks a JSON pointer from the document root. It returns the
// value and the canonical form of the pointer.
func (c *compiler) resolve(ptr string) (gjson.Result, string, bool) {
	cur := c.doc
	if ptr == "" {
		return cur, "", true
	}
	var canon strings.Builder
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = unescapeToken(tok)
		next, ok := child(cur, tok)
		if !ok {
			return gjson.Result{}, "", false
		}
		cur = next
		canon.WriteByte('/')
		canon.WriteString(escapeToken(tok))
	}
	return cur, canon.String(), true
}

// child returns the member named tok of an object, or the element at
// index tok of an array.
func child(v gjson.Result, tok string) (gjson.Result, bool) {
	var out gjson.Result
	found := false
	switch {
	case v.IsObject():
		v.ForEach(func(k, val gjson.Result) bool {
			if k.String() == tok {
				out, found = val, true
				return false
			}
			return true
		})
	case v.IsArray():
		idx := 0
		if tok == "" || (len(tok) > 1 && tok[0] == '0') {
			return out, false
		}
		for i := 0; i < len(tok); i++ {
			if tok[i] < '0' || tok[i] > '9' || idx > 1<<24 {
				return out, false
			}
			idx = idx*10 + int(tok[i]-'0')
		}
		i := 0
		v.ForEach(func(_, val gjson.Result) bool {
			if i == idx {
				out, found = val, true
				return false
			}
			i++
			return true
		})
	}
	return out, found
}

func (c *compiler) idKeyword() string {
	switch c.opts.Dialect {
	case Draft4:
		return "id"
	case OpenAPI30:
		return "" // OpenAPI 3.0 has no id keyword
	}
	return "$id"
}

// underID reports whether a location lies inside a schema that sets an
// embedded $id (changing the base URI), by looking at its ancestors.
func (c *compiler) underID(ptr string) bool {
	kw := c.idKeyword()
	if kw == "" || ptr == "" {
		return false
	}
	cur := c.doc
	toks := strings.Split(ptr[1:], "/")
	for i, tok := range toks {
		next, ok := child(cur, unescapeToken(tok))
		if !ok {
			return false
		}
		cur = next
		if i == len(toks)-1 {
			break
		}
		if cur.IsObject() && cur.Get(gjsonEscape(kw)).Type == gjson.String {
			return true
		}
	}
	return false
}

func gjsonEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '.', '*', '?', '|', '#', '@', '\\', '!', '=', '<', '>', '%', '(', ')', '[', ']', '{', '}', ',', ':', '"':
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
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
	return s
}

// compile compiles the schema value at loc. Nodes are cached by location,
// so recursive schemas compile once.
func (c *compiler) compile(loc string, v gjson.Result, inID bool) *node {
	if n, ok := c.nodes[loc]; ok {
		return n
	}
	n := &node{loc: loc, minLength: -1, maxLength: -1, minItems: -1, maxItems: -1,
		minProps: -1, maxProps: -1, minContains: -1, maxContains: -1}
	c.nodes[loc] = n
	c.order = append(c.order, n)
	if len(c.nodes) > maxNodes {
		if len(c.nodes) == maxNodes+1 {
			c.errorf(loc, "more than %d schemas", maxNodes)
		}
		return n
	}
	draft4 := c.opts.Dialect.draft4Like()
	switch {
	case (v.Type == gjson.True || v.Type == gjson.False) && !draft4:
		n.always = -1
		if v.Type == gjson.True {
			n.always = 1
		}
		return n
	case !v.IsObject():
		c.errorf(loc, "want a schema object, got %s", kindName(v))
		return n
	}
	kw := map[string]gjson.Result{}
	v.ForEach(func(k, val gjson.Result) bool {
		kw[k.String()] = val
		return true
	})
	if idk := c.idKeyword(); idk != "" && loc != "" {
		if id, ok := kw[idk]; ok && id.Type == gjson.String {
			inID = true
		}
	}
	if r, ok := kw["$ref"]; ok {
		rloc := loc + "/$ref"
		switch {
		case r.Type != gjson.String:
			c.errorf(rloc, "want a string, got %s", kindName(r))
		case inID:
			c.errorf(rloc, "$ref inside a schema with an embedded %s is not supported (base URI changes)", c.idKeyword())
		default:
			c.refs = append(c.refs, pendingRef{from: n, ref: r.Str, loc: rloc})
		}
		if draft4 {
			n.refOnly = true
			return n
		}
	}
	sub := func(name string, val gjson.Result) *node {
		return c.compile(loc+"/"+escapeToken(name), val, inID)
	}
	subAt := func(name string, i int, val gjson.Result) *node {
		return c.compile(loc+"/"+escapeToken(name)+"/"+itoa(i), val, inID)
	}
	schemaList := func(name string) []*node {
		val, ok := kw[name]
		if !ok {
			return nil
		}
		if !val.IsArray() || len(val.Array()) == 0 {
			c.errorf(loc+"/"+name, "want a non-empty array of schemas, got %s", show(val))
			return nil
		}
		var out []*node
		for i, s := range val.Array() {
			out = append(out, subAt(name, i, s))
		}
		return out
	}
	count := func(name string) int {
		val, ok := kw[name]
		if !ok {
			return -1
		}
		d := parseDecimal(val.Raw)
		if val.Type != gjson.Number || !d.isInteger() || d.neg || !fitsInt(&d, 32) {
			c.errorf(loc+"/"+name, "want a non-negative integer, got %s", show(val))
			return -1
		}
		return int(val.Int())
	}
	flag := func(name string) bool {
		val, ok := kw[name]
		if !ok {
			return false
		}
		if !val.IsBool() {
			c.errorf(loc+"/"+name, "want a boolean, got %s", show(val))
			return false
		}
		return val.Bool()
	}

	// type (+ nullable)
	if t, ok := kw["type"]; ok {
		c.compileType(n, loc, t, draft4)
	}
	if c.opts.Dialect == OpenAPI30 && flag("nullable") && n.types != 0 {
		n.types |= bitNull
		n.typeWant += " or null"
	}

	// enum, const
	if e, ok := kw["enum"]; ok {
		if !e.IsArray() {
			c.errorf(loc+"/enum", "want an array, got %s", show(e))
		} else {
			allStr := true
			n.enum = []string{}
			for _, x := range e.Array() {
				n.enum = append(n.enum, x.Raw)
				allStr = allStr && x.Type == gjson.String
			}
			if allStr {
				n.enumStr = map[string]struct{}{}
				for _, x := range e.Array() {
					n.enumStr[x.Str] = struct{}{}
				}
			}
		}
	}
	if cv, ok := kw["const"]; ok && !draft4 {
		s := cv.Raw
		n.cnst = &s
	}

	// numbers
	n.minimum = c.bound(loc, kw, "minimum", "exclusiveMinimum", draft4)
	n.maximum = c.bound(loc, kw, "maximum", "exclusiveMaximum", draft4)
	if m, ok := kw["multipleOf"]; ok {
		d := parseDecimal(m.Raw)
		if m.Type != gjson.Number || d.zero() || d.neg {
			c.errorf(loc+"/multipleOf", "want a number greater than 0, got %s", show(m))
		} else {
			n.multipleOf = &d
			n.multipleOfRaw = m.Raw
		}
	}

	// strings
	n.minLength = count("minLength")
	n.maxLength = count("maxLength")
	if p, ok := kw["pattern"]; ok {
		n.pattern = c.regexp(loc+"/pattern", p)
	}
	if f, ok := kw["format"]; ok {
		if f.Type != gjson.String {
			c.errorf(loc+"/format", "want a string, got %s", show(f))
		} else if !c.opts.IgnoreFormats {
			n.fmtKind = formatNames[f.Str] // unknown formats are annotations
		}
	}

	// arrays
	if it, ok := kw["items"]; ok {
		if it.IsArray() {
			if draft4 {
				n.prefix = schemaListAllowEmpty(it, func(i int, s gjson.Result) *node { return subAt("items", i, s) })
				n.items = nil
				if ai, ok := kw["additionalItems"]; ok {
					n.items = c.boolOrSchema(loc+"/additionalItems", ai, inID)
				}
			} else {
				c.errorf(loc+"/items", "want a schema, got array (use prefixItems)")
			}
		} else {
			n.items = sub("items", it)
		}
	}
	if !draft4 {
		if pi, ok := kw["prefixItems"]; ok {
			if !pi.IsArray() {
				c.errorf(loc+"/prefixItems", "want an array of schemas, got %s", show(pi))
			} else {
				n.prefix = schemaListAllowEmpty(pi, func(i int, s gjson.Result) *node { return subAt("prefixItems", i, s) })
			}
		}
		if ct, ok := kw["contains"]; ok {
			n.contains = sub("contains", ct)
			n.minContains = count("minContains")
			n.maxContains = count("maxContains")
		}
	}
	n.minItems = count("minItems")
	n.maxItems = count("maxItems")
	n.unique = flag("uniqueItems")

	// objects
	c.compileObject(n, loc, kw, inID, draft4, sub)
	n.minProps = count("minProperties")
	n.maxProps = count("maxProperties")

	// combinators
	n.allOf = schemaList("allOf")
	n.anyOf = schemaList("anyOf")
	n.oneOf = schemaList("oneOf")
	if x, ok := kw["not"]; ok {
		n.not = sub("not", x)
	}
	if !draft4 {
		if x, ok := kw["if"]; ok {
			n.ifN = sub("if", x)
			if y, ok := kw["then"]; ok {
				n.thenN = sub("then", y)
			}
			if y, ok := kw["else"]; ok {
				n.elseN = sub("else", y)
			}
		}
	}
	n.readOnly = flag("readOnly")
	n.writeOnly = flag("writeOnly")

	n.hasNum = n.minimum != nil || n.maximum != nil || n.multipleOf != nil || n.fmtKind == fmtInt32 || n.fmtKind == fmtInt64
	n.hasStr = n.minLength >= 0 || n.maxLength >= 0 || n.pattern != nil || (n.fmtKind != fmtNone && n.fmtKind != fmtInt32 && n.fmtKind != fmtInt64)
	n.hasArr = n.prefix != nil || n.items != nil || n.contains != nil || n.minItems >= 0 || n.maxItems >= 0 || n.unique
	n.hasObj = n.props != nil || n.patProps != nil || n.additional != nil || n.propNames != nil ||
		n.minProps >= 0 || n.maxProps >= 0 || n.required != nil || n.depReq != nil || n.depSchemas != nil
	return n
}

func schemaListAllowEmpty(v gjson.Result, f func(int, gjson.Result) *node) []*node {
	out := []*node{}
	for i, s := range v.Array() {
		out = append(out, f(i, s))
	}
	return out
}

var typeBits = map[string]uint8{
	"null": bitNull, "boolean": bitBool, "object": bitObj, "array": bitArr,
	"number": bitNum, "string": bitStr, "integer": bitNum,
}

func (c *compiler) compileType(n *node, loc string, t gjson.Result, draft4 bool) {
	var names []string
	switch {
	case t.Type == gjson.String:
		names = []string{t.Str}
	case t.IsArray() && c.opts.Dialect != OpenAPI30:
		for _, x := range t.Array() {
			if x.Type != gjson.String {
				c.errorf(loc+"/type", "want type names, got %s", show(x))
				return
			}
			names = append(names, x.Str)
		}
	default:
		c.errorf(loc+"/type", "want a type name, got %s", show(t))
		return
	}
	number, integer := false, false
	for i, name := range names {
		if slices.Contains(names[:i], name) {
			c.errorf(loc+"/type", "duplicate type %q", name)
			continue
		}
		b, ok := typeBits[name]
		if !ok {
			c.errorf(loc+"/type", "unknown type %q", name)
			continue
		}
		n.types |= b
		number = number || name == "number"
		integer = integer || name == "integer"
	}
	n.integer = integer && !number
	if len(names) == 0 {
		c.errorf(loc+"/type", "want at least one type name")
		return
	}
	n.typeWant = strings.Join(names, " or ")
}

// bound compiles minimum/maximum and their exclusive forms: booleans in
// draft 4 / OpenAPI 3.0, numbers in 2020-12 / OpenAPI 3.1. When both a
// numeric exclusive bound and an inclusive one are present, the stricter
// one wins.
func (c *compiler) bound(loc string, kw map[string]gjson.Result, incName, exName string, draft4 bool) *decimalBound {
	var b *decimalBound
	lower := incName == "minimum"
	if v, ok := kw[incName]; ok {
		if v.Type != gjson.Number {
			c.errorf(loc+"/"+incName, "want a number, got %s", show(v))
		} else {
			b = &decimalBound{d: parseDecimal(v.Raw), raw: v.Raw}
		}
	}
	ex, ok := kw[exName]
	if !ok {
		return b
	}
	if draft4 {
		if !ex.IsBool() {
			c.errorf(loc+"/"+exName, "want a boolean, got %s", show(ex))
			return b
		}
		if b != nil {
			b.exclusive = ex.Bool()
		} else if ex.Bool() {
			c.errorf(loc+"/"+exName, "needs %s beside it", incName)
		}
		return b
	}
	if ex.Type != gjson.Number {
		c.errorf(loc+"/"+exName, "want a number, got %s", show(ex))
		return b
	}
	e := &decimalBound{d: parseDecimal(ex.Raw), raw: ex.Raw, exclusive: true}
	if b == nil {
		return e
	}
	cmp := cmpDecimal(&e.d, &b.d)
	if (lower && cmp >= 0) || (!lower && cmp <= 0) {
		return e
	}
	return b
}

func (c *compiler) regexp(loc string, p gjson.Result) *regexp.Regexp {
	if p.Type != gjson.String {
		c.errorf(loc, "want a string, got %s", show(p))
		return nil
	}
	re, err := compileRegexp(p.Str)
	if err != nil {
		msg := err.Error()
		var se *syntax.Error
		if errors.As(err, &se) {
			msg = string(se.Code) + " " + strconv.Quote(se.Expr)
		}
		if strings.Contains(p.Str, "(?=") || strings.Contains(p.Str, "(?!") || strings.Contains(p.Str, "(?<") {
			msg += " (lookaround is not supported by RE2)"
		} else if hasBackref(p.Str) {
			msg += " (backreferences are not supported by RE2)"
		}
		c.errorf(loc, "pattern does not compile as an RE2 regular expression: %s", msg)
		return nil
	}
	return re
}

func hasBackref(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '\\' {
			if s[i+1] >= '1' && s[i+1] <= '9' || s[i+1] == 'k' {
				return true
			}
			i++
		}
	}
	return false
}

func (c *compiler) boolOrSchema(loc string, v gjson.Result, inID bool) *node {
	if v.IsBool() {
		if v.Bool() {
			return nil
		}
		n := &node{loc: loc, always: -1}
		return n
	}
	return c.compile(loc, v, inID)
}

func (c *compiler) compileObject(n *node, loc string, kw map[string]gjson.Result, inID, draft4 bool, sub func(string, gjson.Result) *node) {
	bits := 0
	names := map[string]propInfo{}
	bitOf := func(name string) int {
		p, ok := names[name]
		if !ok {
			p = propInfo{bit: bits}
			bits++
			names[name] = p
		}
		return p.bit
	}
	hasProps := false
	if p, ok := kw["properties"]; ok {
		if !p.IsObject() {
			c.errorf(loc+"/properties", "want an object, got %s", show(p))
		} else {
			hasProps = true
			p.ForEach(func(k, v gjson.Result) bool {
				name := k.String()
				bitOf(name)
				info := names[name]
				info.n = c.compile(loc+"/properties/"+escapeToken(name), v, inID)
				names[name] = info
				return true
			})
		}
	}
	strList := func(kwLoc string, v gjson.Result) []string {
		if !v.IsArray() {
			c.errorf(kwLoc, "want an array of strings, got %s", show(v))
			return nil
		}
		var out []string
		for _, x := range v.Array() {
			if x.Type != gjson.String {
				c.errorf(kwLoc, "want an array of strings, got %s", show(x))
				return nil
			}
			out = append(out, x.Str)
		}
		return out
	}
	if r, ok := kw["required"]; ok {
		for _, name := range strList(loc+"/required", r) {
			n.required = append(n.required, required{name: name, bit: bitOf(name), skipIn: -1})
		}
	}
	if pp, ok := kw["patternProperties"]; ok {
		if !pp.IsObject() {
			c.errorf(loc+"/patternProperties", "want an object, got %s", show(pp))
		} else {
			n.patProps = []patProp{}
			pp.ForEach(func(k, v gjson.Result) bool {
				ploc := loc + "/patternProperties/" + escapeToken(k.String())
				re := c.regexp(ploc, k)
				sn := c.compile(ploc, v, inID)
				if re != nil {
					n.patProps = append(n.patProps, patProp{re: re, n: sn})
				}
				return true
			})
		}
	}
	if ap, ok := kw["additionalProperties"]; ok {
		n.additional = c.boolOrSchema(loc+"/additionalProperties", ap, inID)
	}
	if !draft4 {
		if pn, ok := kw["propertyNames"]; ok {
			n.propNames = sub("propertyNames", pn)
		}
	}
	addDepReq := func(kwLoc, name string, v gjson.Result) {
		var need []required
		for _, x := range strList(kwLoc, v) {
			need = append(need, required{name: x, bit: bitOf(x), skipIn: -1})
		}
		n.depReq = append(n.depReq, depRequired{bit: bitOf(name), name: name, need: need})
	}
	depObj := func(name string, f func(k string, v gjson.Result)) {
		d, ok := kw[name]
		if !ok {
			return
		}
		if !d.IsObject() {
			c.errorf(loc+"/"+name, "want an object, got %s", show(d))
			return
		}
		d.ForEach(func(k, v gjson.Result) bool {
			f(k.String(), v)
			return true
		})
	}
	if draft4 {
		depObj("dependencies", func(k string, v gjson.Result) {
			dloc := loc + "/dependencies/" + escapeToken(k)
			if v.IsArray() {
				addDepReq(dloc, k, v)
			} else {
				n.depSchemas = append(n.depSchemas, depSchema{bit: bitOf(k), n: c.compile(dloc, v, inID)})
			}
		})
	} else {
		depObj("dependentRequired", func(k string, v gjson.Result) {
			addDepReq(loc+"/dependentRequired/"+escapeToken(k), k, v)
		})
		depObj("dependentSchemas", func(k string, v gjson.Result) {
			n.depSchemas = append(n.depSchemas, depSchema{bit: bitOf(k),
				n: c.compile(loc+"/dependentSchemas/"+escapeToken(k), v, inID)})
		})
	}
	n.nbits = bits
	if hasProps || bits > 0 {
		n.props = names
	}
}

// link resolves one $ref.
func (c *compiler) link(r pendingRef) {
	ref := r.ref
	if !strings.HasPrefix(ref, "#") {
		c.errorf(r.loc, "external reference %q is not supported (only \"#/...\" within the document)", ref)
		return
	}
	frag, err := url.PathUnescape(ref[1:])
	if err != nil {
		c.errorf(r.loc, "bad percent-encoding in %q", ref)
		return
	}
	if frag != "" && frag[0] != '/' {
		c.errorf(r.loc, "anchor reference %q is not supported (use a JSON pointer \"#/...\")", ref)
		return
	}
	val, loc, ok := c.resolve(frag)
	if !ok {
		c.errorf(r.loc, "reference %q points to nothing in the document", ref)
		return
	}
	r.from.ref = c.compile(loc, val, c.underID(loc))
}

// checkCycles refuses reference cycles that never move into the instance
// (such as {"$ref": "#"} at the root, or a schema whose allOf refers back
// to itself): they would loop forever at validation time.
func (c *compiler) checkCycles() {
	const (
		white = iota
		grey
		black
	)
	color := map[*node]int{}
	var stack []*node
	var visit func(n *node) bool
	visit = func(n *node) bool {
		switch color[n] {
		case grey:
			i := slices.Index(stack, n)
			var locs []string
			for _, s := range stack[i:] {
				locs = append(locs, displayLoc(s.loc))
			}
			locs = append(locs, displayLoc(n.loc))
			c.errorf(n.loc, "schema refers to itself without descending into the instance: %s", strings.Join(locs, " -> "))
			return false
		case black:
			return true
		}
		color[n] = grey
		stack = append(stack, n)
		ok := true
		for _, m := range inPlace(n) {
			if m != nil && !visit(m) {
				ok = false
				break
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
		return ok
	}
	for _, n := range c.order {
		if !visit(n) {
			return
		}
	}
}

// inPlace lists the subschemas applied to the same instance location.
func inPlace(n *node) []*node {
	out := []*node{n.ref, n.not, n.ifN, n.thenN, n.elseN}
	out = append(out, n.allOf...)
	out = append(out, n.anyOf...)
	out = append(out, n.oneOf...)
	for _, d := range n.depSchemas {
		out = append(out, d.n)
	}
	return out
}

// finish computes what needs resolved references: required properties
// that are readOnly (not required in requests) or writeOnly (not required
// in responses).
func (c *compiler) finish() {
	for _, n := range c.order {
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
