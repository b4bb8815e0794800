package schema

import (
	"errors"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// kwPair is one member of a schema object.
type kwPair struct {
	name string
	v    gjson.Result
}

// schemaCtx is the schema object being compiled: its node, location and
// keywords (a window of the Compiler's keyword stack, valid while the
// object compiles: nested compiles push above it and pop back).
type schemaCtx struct {
	c          *Compiler
	n          *nodeBuild
	loc        string
	start, end int
	inID       bool
	draft4     bool
}

func (s *schemaCtx) get(name string) (gjson.Result, bool) {
	for _, p := range s.c.kwBuf[s.start:s.end] {
		if p.name == name {
			return p.v, true
		}
	}
	return gjson.Result{}, false
}

func (s *schemaCtx) errorf(kw, format string, args ...any) {
	s.c.errorf(s.loc+"/"+kw, format, args...)
}

// sub compiles the subschema under keyword name.
func (s *schemaCtx) sub(name string, v gjson.Result) *node {
	return s.c.compile(s.loc+"/"+escapeToken(name), v, s.inID)
}

// count reads a non-negative integer keyword, -1 when absent.
func (s *schemaCtx) count(name string) int {
	v, ok := s.get(name)
	if !ok {
		return -1
	}
	d := parseDecimal(v.Raw)
	if v.Type != gjson.Number || !d.isInteger() || d.neg || !fitsInt(&d, 32) {
		s.errorf(name, "want a non-negative integer, got %s", show(v))
		return -1
	}
	return int(v.Int())
}

// flag reads a boolean keyword, false when absent.
func (s *schemaCtx) flag(name string) bool {
	v, ok := s.get(name)
	if !ok {
		return false
	}
	if !v.IsBool() {
		s.errorf(name, "want a boolean, got %s", show(v))
		return false
	}
	return v.Bool()
}

// list compiles a non-empty array of schemas (allOf, anyOf, oneOf).
func (s *schemaCtx) list(name string) []*node {
	v, ok := s.get(name)
	if !ok {
		return nil
	}
	if !v.IsArray() || len(v.Array()) == 0 {
		s.errorf(name, "want a non-empty array of schemas, got %s", show(v))
		return nil
	}
	return s.array(name, v)
}

// array compiles every element of an array of schemas (possibly empty).
func (s *schemaCtx) array(name string, v gjson.Result) []*node {
	out := []*node{}
	i := 0
	s.c.tape.Elements(v, func(it gjson.Result) bool {
		out = append(out, s.c.compile(s.loc+"/"+escapeToken(name)+"/"+itoa(i), it, s.inID))
		i++
		return true
	})
	return out
}

// compileTarget compiles the schema value at loc, a location schemas are
// reached at by reference (a $ref's target, or a Compile call's). Such
// nodes are cached by location, so recursive schemas, and locations
// reached from several schemas, compile once.
func (c *Compiler) compileTarget(loc string, v gjson.Result, inID bool) *node {
	if n, ok := c.nodes[loc]; ok {
		return n
	}
	return c.compileNode(loc, v, inID, true)
}

// compile compiles a subschema, reached only through its parent, which
// compiles once: it needs no entry in the cache (in a large document
// nearly every node is one, and the cache was a large part of its
// start-up). A $ref into a subschema compiles it again there, once, as a
// target: the same value, so the same checks.
func (c *Compiler) compile(loc string, v gjson.Result, inID bool) *node {
	return c.compileNode(loc, v, inID, false)
}

func (c *Compiler) compileNode(loc string, v gjson.Result, inID, cached bool) *node {
	n := c.slabs.newNode(loc)
	if cached {
		c.nodes[loc] = n
	}
	c.fresh = append(c.fresh, n)
	if c.count++; c.count > maxNodes {
		if c.count == maxNodes+1 {
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
	if draft4 && c.idKw == "" {
		// The siblings of a $ref are ignored, so nothing else is read: in
		// a large document most nodes are such references.
		if r, ok := c.tape.Child(v, "$ref"); ok {
			c.addRef(n, loc, r, inID)
			n.refOnly = true
			return n
		}
	}
	b := c.build(n)
	s := &schemaCtx{c: c, n: b, loc: loc, start: len(c.kwBuf), inID: inID, draft4: draft4}
	c.tape.Members(v, func(k string, val gjson.Result) bool {
		c.kwBuf = append(c.kwBuf, kwPair{name: k, v: val})
		return true
	})
	s.end = len(c.kwBuf)
	defer func() {
		b.pack(&c.slabs)
		c.kwBuf = c.kwBuf[:s.start]
		c.builds = c.builds[:len(c.builds)-1]
	}()
	if kw := c.idKw; kw != "" && loc != "" {
		if id, ok := s.get(kw); ok && id.Type == gjson.String {
			s.inID = true
		}
	}
	if compileRef(s) {
		return n // draft 4: siblings of $ref are ignored
	}
	// One concern each, in this order (the order errors are reported in).
	compileTypeKw(s)
	compileEnumConst(s)
	compileNumberKw(s)
	compileStringKw(s)
	compileArrayKw(s)
	compileObjectKw(s)
	compileCombinators(s)
	compileAnnotations(s)
	b.hasNum = b.minimum != nil || b.maximum != nil || b.multipleOf != nil || b.fmtKind == fmtInt32 || b.fmtKind == fmtInt64
	b.hasStr = b.minLength >= 0 || b.maxLength >= 0 || b.pattern != nil || (b.fmtKind != fmtNone && b.fmtKind != fmtInt32 && b.fmtKind != fmtInt64)
	b.hasArr = b.prefix != nil || b.items != nil || b.contains != nil || b.minItems >= 0 || b.maxItems >= 0 || b.unique
	b.hasObj = b.props != nil || b.patProps != nil || b.additional != nil || b.propNames != nil ||
		b.minProps >= 0 || b.maxProps >= 0 || b.required != nil || b.depReq != nil || b.depSchemas != nil
	return n
}

// addRef queues the $ref r of the schema at loc for linking.
func (c *Compiler) addRef(from *node, loc string, r gjson.Result, inID bool) {
	switch {
	case r.Type != gjson.String:
		c.errorf(loc+"/$ref", "want a string, got %s", kindName(r))
	case inID:
		c.errorf(loc+"/$ref", "$ref inside a schema with an embedded %s is not supported (base URI changes)", c.opts.Dialect.idKeyword())
	default:
		c.refs = append(c.refs, pendingRef{from: from, ref: c.keep(r.Str)})
	}
}

// compileRef queues a $ref for linking. It reports true when the schema
// is nothing but the reference (draft 4 and OpenAPI 3.0 ignore siblings).
func compileRef(s *schemaCtx) bool {
	r, ok := s.get("$ref")
	if !ok {
		return false
	}
	s.c.addRef(s.n.node, s.loc, r, s.inID)
	if s.draft4 {
		s.n.refOnly = true
		return true
	}
	return false
}

var typeBits = map[string]uint8{
	"null": bitNull, "boolean": bitBool, "object": bitObj, "array": bitArr,
	"number": bitNum, "string": bitStr, "integer": bitNum,
}

// compileTypeKw compiles type (and OpenAPI 3.0's nullable).
func compileTypeKw(s *schemaCtx) {
	n := s.n
	if t, ok := s.get("type"); ok {
		compileType(s, t)
	}
	if s.c.opts.Dialect == OpenAPI30 && s.flag("nullable") && n.types != 0 {
		n.types |= bitNull
		n.typeWant += " or null"
	}
}

func compileType(s *schemaCtx, t gjson.Result) {
	n := s.n
	var names []string
	switch {
	case t.Type == gjson.String:
		names = []string{t.Str}
	case t.IsArray() && s.c.opts.Dialect != OpenAPI30:
		for _, x := range t.Array() {
			if x.Type != gjson.String {
				s.errorf("type", "want type names, got %s", show(x))
				return
			}
			names = append(names, x.Str)
		}
	default:
		s.errorf("type", "want a type name, got %s", show(t))
		return
	}
	number, integer := false, false
	for i, name := range names {
		if slices.Contains(names[:i], name) {
			s.errorf("type", "duplicate type %q", name)
			continue
		}
		b, ok := typeBits[name]
		if !ok {
			s.errorf("type", "unknown type %q", name)
			continue
		}
		n.types |= b
		number = number || name == "number"
		integer = integer || name == "integer"
	}
	n.integer = integer && !number
	if len(names) == 0 {
		s.errorf("type", "want at least one type name")
		return
	}
	n.typeWant = s.c.keep(strings.Join(names, " or "))
}

// isEmptyArray reports whether the array a has no element (without
// building the element list).
func isEmptyArray(a gjson.Result) bool {
	empty := true
	a.ForEach(func(_, _ gjson.Result) bool { empty = false; return false })
	return empty
}

// compileEnumConst compiles enum and (2020-12) const.
func compileEnumConst(s *schemaCtx) {
	n, c := s.n, s.c
	if e, ok := s.get("enum"); ok {
		switch {
		case !e.IsArray():
			s.errorf("enum", "want an array, got %s", show(e))
		case isEmptyArray(e) && (c.opts.Dialect == OpenAPI30 || c.opts.Dialect == OpenAPI31):
			// No constraint (doc.go, "Dialects").
		default:
			allStr := true
			n.enum = []string{}
			c.tape.Elements(e, func(x gjson.Result) bool {
				n.enum = append(n.enum, c.keep(x.Raw))
				allStr = allStr && x.Type == gjson.String
				return true
			})
			if allStr {
				n.enumStr = map[string]struct{}{}
				c.tape.Elements(e, func(x gjson.Result) bool {
					n.enumStr[c.keep(x.Str)] = struct{}{}
					return true
				})
			}
		}
	}
	if cv, ok := s.get("const"); ok && !s.draft4 {
		raw := c.keep(cv.Raw)
		n.cnst = &raw
	}
}

// compileNumberKw compiles minimum, maximum, their exclusive forms and
// multipleOf.
func compileNumberKw(s *schemaCtx) {
	n := s.n
	n.minimum = bound(s, "minimum", "exclusiveMinimum")
	n.maximum = bound(s, "maximum", "exclusiveMaximum")
	if m, ok := s.get("multipleOf"); ok {
		d := parseDecimal(s.c.keep(m.Raw))
		if m.Type != gjson.Number || d.zero() || d.neg {
			s.errorf("multipleOf", "want a number greater than 0, got %s", show(m))
		} else {
			n.multipleOf = &d
			n.multipleOfRaw = s.c.keep(m.Raw)
		}
	}
}

// bound compiles minimum/maximum and their exclusive forms: booleans in
// draft 4 / OpenAPI 3.0, numbers in 2020-12 / OpenAPI 3.1. When both a
// numeric exclusive bound and an inclusive one are present, the stricter
// one wins.
func bound(s *schemaCtx, incName, exName string) *decimalBound {
	var b *decimalBound
	lower := incName == "minimum"
	if v, ok := s.get(incName); ok {
		if v.Type != gjson.Number {
			s.errorf(incName, "want a number, got %s", show(v))
		} else {
			raw := s.c.keep(v.Raw) // the decimal keeps views of its text
			b = &decimalBound{d: parseDecimal(raw), raw: raw}
		}
	}
	ex, ok := s.get(exName)
	if !ok {
		return b
	}
	if s.draft4 {
		if !ex.IsBool() {
			s.errorf(exName, "want a boolean, got %s", show(ex))
			return b
		}
		if b != nil {
			b.exclusive = ex.Bool()
		} else if ex.Bool() {
			s.errorf(exName, "needs %s beside it", incName)
		}
		return b
	}
	if ex.Type != gjson.Number {
		s.errorf(exName, "want a number, got %s", show(ex))
		return b
	}
	raw := s.c.keep(ex.Raw)
	e := &decimalBound{d: parseDecimal(raw), raw: raw, exclusive: true}
	if b == nil {
		return e
	}
	cmp := cmpDecimal(&e.d, &b.d)
	if (lower && cmp >= 0) || (!lower && cmp <= 0) {
		return e
	}
	return b
}

// compileStringKw compiles minLength, maxLength, pattern and format.
func compileStringKw(s *schemaCtx) {
	n := s.n
	n.minLength = s.count("minLength")
	n.maxLength = s.count("maxLength")
	if p, ok := s.get("pattern"); ok {
		n.pattern = s.c.regexp(s.loc+"/pattern", p)
	}
	if f, ok := s.get("format"); ok {
		if f.Type != gjson.String {
			s.errorf("format", "want a string, got %s", show(f))
		} else if !s.c.opts.IgnoreFormats {
			n.fmtKind = formatNames[f.Str] // unknown formats are annotations
		}
	}
}

func (c *Compiler) regexp(loc string, p gjson.Result) *regexp.Regexp {
	if p.Type != gjson.String {
		c.errorf(loc, "want a string, got %s", show(p))
		return nil
	}
	src := c.keep(p.Str) // the regexp (and its cache) keep the source
	re, err := compileRegexp(src)
	if err != nil {
		msg := err.Error()
		var se *syntax.Error
		if errors.As(err, &se) {
			msg = string(se.Code) + " " + strconv.Quote(se.Expr)
		}
		if strings.Contains(src, "(?=") || strings.Contains(src, "(?!") || strings.Contains(src, "(?<") {
			msg += " (lookaround is not supported by RE2)"
		} else if hasBackref(src) {
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

// compileArrayKw compiles items (and draft 4's additionalItems),
// prefixItems, contains, minItems, maxItems and uniqueItems.
func compileArrayKw(s *schemaCtx) {
	n := s.n
	if it, ok := s.get("items"); ok {
		switch {
		case !it.IsArray():
			n.items = s.sub("items", it)
		case s.draft4:
			n.prefix = s.array("items", it)
			n.items = nil
			if ai, ok := s.get("additionalItems"); ok {
				n.items = s.c.boolOrSchema(s.loc+"/additionalItems", ai, s.inID)
			}
		default:
			s.errorf("items", "want a schema, got array (use prefixItems)")
		}
	}
	if !s.draft4 {
		if pi, ok := s.get("prefixItems"); ok {
			if !pi.IsArray() {
				s.errorf("prefixItems", "want an array of schemas, got %s", show(pi))
			} else {
				n.prefix = s.array("prefixItems", pi)
			}
		}
		if ct, ok := s.get("contains"); ok {
			n.contains = s.sub("contains", ct)
			n.minContains = s.count("minContains")
			n.maxContains = s.count("maxContains")
		}
	}
	n.minItems = s.count("minItems")
	n.maxItems = s.count("maxItems")
	n.unique = s.flag("uniqueItems")
}

func (c *Compiler) boolOrSchema(loc string, v gjson.Result, inID bool) *node {
	if v.IsBool() {
		if v.Bool() {
			return nil
		}
		n := c.slabs.newNode(loc)
		n.always = -1
		return n
	}
	return c.compile(loc, v, inID)
}

// compileCombinators compiles allOf, anyOf, oneOf, not and (2020-12)
// if/then/else.
func compileCombinators(s *schemaCtx) {
	n := s.n
	n.allOf = s.list("allOf")
	n.anyOf = s.list("anyOf")
	n.oneOf = s.list("oneOf")
	if x, ok := s.get("not"); ok {
		n.not = s.sub("not", x)
	}
	if s.draft4 {
		return
	}
	if x, ok := s.get("if"); ok {
		n.ifN = s.sub("if", x)
		if y, ok := s.get("then"); ok {
			n.thenN = s.sub("then", y)
		}
		if y, ok := s.get("else"); ok {
			n.elseN = s.sub("else", y)
		}
	}
}

// compileAnnotations compiles readOnly and writeOnly.
func compileAnnotations(s *schemaCtx) {
	s.n.readOnly = s.flag("readOnly")
	s.n.writeOnly = s.flag("writeOnly")
}
