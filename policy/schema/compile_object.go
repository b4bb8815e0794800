package schema

import "github.com/tidwall/gjson"

// objectCtx numbers the property names an object schema mentions
// (properties, required, dependentRequired, ...): each name gets a bit, so
// validation tracks which members it has seen in one bit set.
type objectCtx struct {
	*schemaCtx
	names map[string]propInfo
}

func (o *objectCtx) bitOf(name string) int {
	p, ok := o.names[name]
	if !ok {
		p = propInfo{bit: len(o.names)}
		o.names[o.c.keep(name)] = p
	}
	return p.bit
}

// strList reads an array of strings.
func (o *objectCtx) strList(kwLoc string, v gjson.Result) []string {
	if !v.IsArray() {
		o.c.errorf(kwLoc, "want an array of strings, got %s", show(v))
		return nil
	}
	var out []string
	for _, x := range v.Array() {
		if x.Type != gjson.String {
			o.c.errorf(kwLoc, "want an array of strings, got %s", show(x))
			return nil
		}
		out = append(out, o.c.keep(x.Str))
	}
	return out
}

// members calls f for each member of an object keyword, reporting a
// keyword that is not an object.
func (o *objectCtx) members(name string, f func(k string, v gjson.Result)) bool {
	d, ok := o.get(name)
	if !ok {
		return false
	}
	if !d.IsObject() {
		o.errorf(name, "want an object, got %s", show(d))
		return false
	}
	o.c.tape.Members(d, func(k string, v gjson.Result) bool {
		f(k, v)
		return true
	})
	return true
}

// compileObjectKw compiles properties, required, patternProperties,
// additionalProperties, propertyNames, the dependencies keywords and
// minProperties/maxProperties.
func compileObjectKw(s *schemaCtx) {
	n := s.n
	o := &objectCtx{schemaCtx: s, names: map[string]propInfo{}}
	hasProps := o.members("properties", func(name string, v gjson.Result) {
		o.bitOf(name)
		info := o.names[name]
		info.n = s.c.compile(s.loc+"/properties/"+escapeToken(name), v, s.inID)
		o.names[o.c.keep(name)] = info
	})
	if r, ok := s.get("required"); ok {
		for _, name := range o.strList(s.loc+"/required", r) {
			n.required = append(n.required, required{name: name, bit: o.bitOf(name), skipIn: -1})
		}
	}
	compilePatternProps(o)
	if ap, ok := s.get("additionalProperties"); ok {
		n.additional = s.c.boolOrSchema(s.loc+"/additionalProperties", ap, s.inID)
	}
	if !s.draft4 {
		if pn, ok := s.get("propertyNames"); ok {
			n.propNames = s.sub("propertyNames", pn)
		}
	}
	compileDependencies(o)
	n.nbits = len(o.names)
	if hasProps || len(o.names) > 0 {
		n.props = o.names
	}
	n.minProps = s.count("minProperties")
	n.maxProps = s.count("maxProperties")
}

func compilePatternProps(o *objectCtx) {
	if _, ok := o.get("patternProperties"); !ok {
		return
	}
	var list []patProp
	if o.members("patternProperties", func(k string, v gjson.Result) {
		ploc := o.loc + "/patternProperties/" + escapeToken(k)
		re := o.c.regexp(ploc, gjson.Result{Type: gjson.String, Str: k})
		sn := o.c.compile(ploc, v, o.inID)
		if re != nil {
			list = append(list, patProp{re: re, n: sn})
		}
	}) {
		o.n.patProps = append([]patProp{}, list...)
	}
}

// compileDependencies compiles draft 4's dependencies, or 2020-12's
// dependentRequired and dependentSchemas.
func compileDependencies(o *objectCtx) {
	n := o.n
	addDepReq := func(kwLoc, name string, v gjson.Result) {
		var need []required
		for _, x := range o.strList(kwLoc, v) {
			need = append(need, required{name: x, bit: o.bitOf(x), skipIn: -1})
		}
		n.depReq = append(n.depReq, depRequired{bit: o.bitOf(name), name: o.c.keep(name), need: need})
	}
	if o.draft4 {
		o.members("dependencies", func(k string, v gjson.Result) {
			dloc := o.loc + "/dependencies/" + escapeToken(k)
			if v.IsArray() {
				addDepReq(dloc, k, v)
			} else {
				n.depSchemas = append(n.depSchemas, depSchema{bit: o.bitOf(k), n: o.c.compile(dloc, v, o.inID)})
			}
		})
		return
	}
	o.members("dependentRequired", func(k string, v gjson.Result) {
		addDepReq(o.loc+"/dependentRequired/"+escapeToken(k), k, v)
	})
	o.members("dependentSchemas", func(k string, v gjson.Result) {
		n.depSchemas = append(n.depSchemas, depSchema{bit: o.bitOf(k),
			n: o.c.compile(o.loc+"/dependentSchemas/"+escapeToken(k), v, o.inID)})
	})
}
