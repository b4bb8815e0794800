package openapi

import (
	"sort"
	"strconv"
	"strings"
)

// shapeOp is an operation already read, by template shape and method.
type shapeOp struct {
	tpl, id, path string
}

// paths reads the paths object: every path item and its operations.
// Templates that differ only in parameter names ("/a/{x}" and "/a/{y}")
// are accepted as long as no method is declared on both (they match the
// same requests: one route, the parameter named per operation); a method
// on both is refused, naming both operations. A trailing '/' is not part
// of the shape either ("/api/" and "/api" match the same requests).
func (p *parser) paths(n node, topSecurity [][]string, topScopes []map[string][]string) {
	shapes := map[string]map[string]shapeOp{} // template shape -> method -> first operation
	seen := map[string]bool{}
	n.members(func(tpl string, item node) {
		if strings.HasPrefix(tpl, "x-") {
			return
		}
		names, shape, err := parseTemplate(tpl)
		if err != "" {
			item.Errorf("%s", err)
			return
		}
		if seen[tpl] {
			item.Errorf("duplicate key")
			return
		}
		seen[tpl] = true
		fields, ok := p.pathItem(item)
		if !ok {
			return
		}
		var common []paramAt
		if ps, ok := fields["parameters"]; ok {
			common = p.paramList(ps)
		}
		methods := shapes[shape]
		if methods == nil {
			methods = map[string]shapeOp{}
			shapes[shape] = methods
		}
		for _, m := range Methods {
			op, ok := fields[m]
			if !ok {
				continue
			}
			if len(p.doc.Operations) >= MaxOperations {
				op.Errorf("more than %d operations", MaxOperations)
				return
			}
			id, _ := op.str("operationId")
			if prev, dup := methods[m]; dup {
				op.Errorf("%s %s (%s) matches the same requests as %s %s (%s, at %s): path templates that differ only in parameter names or a trailing '/' must not share a method",
					strings.ToUpper(m), clip(tpl), opName(id), strings.ToUpper(m), clip(prev.tpl), opName(prev.id), prev.path)
				continue
			}
			methods[m] = shapeOp{tpl: tpl, id: id, path: op.Path}
			p.operation(m, tpl, names, op, common, topSecurity, topScopes)
		}
	})
}

func opName(id string) string {
	if id == "" {
		return "no operationId"
	}
	return "operationId " + strconv.Quote(clip(id))
}

// pathItem returns the fields of a path item, following its $ref: the
// referenced item's fields, overridden by fields given beside the $ref.
func (p *parser) pathItem(n node) (map[string]node, bool) {
	if !n.object(pathItemKeys...) {
		return nil, false
	}
	fields := map[string]node{}
	if _, hasRef := n.get("$ref"); hasRef {
		t, ok := p.resolve(n)
		if !ok {
			return nil, false
		}
		if !t.object(pathItemKeys...) {
			return nil, false
		}
		t.members(func(k string, v node) { fields[k] = v })
	}
	n.members(func(k string, v node) {
		if k != "$ref" {
			fields[k] = v
		}
	})
	return fields, true
}

// operation reads one operation object into p.doc.Operations.
func (p *parser) operation(method, tpl string, names []string, n node, common []paramAt,
	topSecurity [][]string, topScopes []map[string][]string) {
	if !n.object(operationKeys...) {
		return
	}
	op := Operation{
		Method:         strings.ToUpper(method),
		Template:       tpl,
		Path:           joinTemplate(p.doc.BasePath, tpl),
		Pointer:        n.ptr,
		At:             n.Path,
		Security:       topSecurity,
		SecurityScopes: topScopes,
	}
	if v, ok := n.get("operationId"); ok {
		if id, ok := v.NonEmptyString(); ok {
			if prev, dup := p.opIDs[id]; dup {
				v.Errorf("duplicate operationId %q (first used at %s)", clip(id), prev)
			} else {
				p.opIDs[id] = v.Path
			}
			op.ID = id
		}
	}
	op.Deprecated = n.boolean("deprecated", false)
	op.Internal = n.boolean(InternalExtension, false)

	params := append([]paramAt(nil), common...)
	if ps, ok := n.get("parameters"); ok {
		for _, prm := range p.paramList(ps) {
			replaced := false
			for i := range params {
				if params[i].Name == prm.Name && params[i].In == prm.In {
					params[i] = prm
					replaced = true
					break
				}
			}
			if !replaced {
				params = append(params, prm)
			}
		}
	}
	// Every template parameter is declared "in: path", and every path
	// parameter appears in the template.
	for _, name := range names {
		found := false
		for _, prm := range params {
			found = found || prm.In == "path" && prm.Name == name
		}
		if !found {
			n.Errorf("path parameter %q of %q is not declared (want a parameter with \"in\": \"path\")", clip(name), clip(tpl))
		}
	}
	for _, prm := range params {
		if prm.In == "path" && !contains(names, prm.Name) {
			n.Errs.Addf(prm.path, "path parameter %q is not in the path template %q", clip(prm.Name), clip(tpl))
		}
	}
	op.Params = make([]Param, len(params))
	for i, prm := range params {
		op.Params[i] = prm.Param
	}

	if b, ok := n.get("requestBody"); ok {
		if body, ok := p.requestBody(b); ok {
			op.Body = &body
		}
	}
	if rs, ok := n.get("responses"); ok {
		op.Responses = p.responseMap(rs)
	} else if !p.v31 {
		n.Errs.Addf(joinPath(n.Path, "responses"), "required")
	}
	if s, ok := n.get("security"); ok {
		op.Security, op.SecurityScopes = p.security(s)
	}
	if cb, ok := n.get("callbacks"); ok && !cb.isObject() {
		cb.Errorf("want an object, got %s", cb.Kind())
	}
	p.doc.Operations = append(p.doc.Operations, op)
}

func joinTemplate(base, tpl string) string {
	if base == "" {
		return tpl
	}
	if tpl == "/" {
		return base
	}
	return base + tpl
}

// parseTemplate checks a path template and returns its parameter names
// and its shape (the template with the names removed: "/users/{}").
func parseTemplate(tpl string) (names []string, shape string, err string) {
	if tpl == "" || tpl[0] != '/' {
		return nil, "", "want a path template starting with '/', got " + strconv.Quote(clip(tpl))
	}
	if strings.ContainsAny(tpl, "?#") {
		return nil, "", "path template " + strconv.Quote(clip(tpl)) + " must not contain a query or fragment"
	}
	var b strings.Builder
	rest := tpl
	for {
		open := strings.IndexByte(rest, '{')
		close := strings.IndexByte(rest, '}')
		if open < 0 {
			if close >= 0 {
				return nil, "", "unbalanced '}' in path template " + strconv.Quote(clip(tpl))
			}
			b.WriteString(rest)
			break
		}
		if close >= 0 && close < open {
			return nil, "", "unbalanced '}' in path template " + strconv.Quote(clip(tpl))
		}
		if close < 0 {
			return nil, "", "unclosed '{' in path template " + strconv.Quote(clip(tpl))
		}
		name := rest[open+1 : close]
		if name == "" || strings.ContainsAny(name, "{/") {
			return nil, "", "invalid parameter name " + strconv.Quote(clip(name)) + " in path template " + strconv.Quote(clip(tpl))
		}
		if contains(names, name) {
			return nil, "", "path template " + strconv.Quote(clip(tpl)) + " repeats parameter " + strconv.Quote(clip(name))
		}
		names = append(names, name)
		b.WriteString(rest[:open])
		b.WriteString("{}")
		rest = rest[close+1:]
	}
	shape = b.String()
	if len(shape) > 1 {
		shape = strings.TrimSuffix(shape, "/")
	}
	return names, shape, ""
}

// paramList reads a parameters array, refusing duplicates (same name and
// location).
func (p *parser) paramList(n node) []paramAt {
	items, ok := n.items()
	if !ok {
		return nil
	}
	out := make([]paramAt, 0, len(items))
	for _, it := range items {
		e := p.param(it)
		// A parameter with a problem (already reported) still counts as
		// declared, so that one mistake does not cascade.
		if e == nil || e.prm.Name == "" || e.prm.In == "" || e.ignore {
			continue
		}
		dup := false
		for _, prev := range out {
			dup = dup || prev.Name == e.prm.Name && prev.In == e.prm.In
		}
		if dup {
			it.Errorf("duplicate parameter %q in %s", clip(e.prm.Name), e.prm.In)
			continue
		}
		out = append(out, paramAt{Param: e.prm, path: it.Path})
	}
	return out
}

// param reads a parameter object (following $refs), once per location.
func (p *parser) param(n node) *paramEntry {
	t, ok := p.resolve(n)
	if !ok {
		return nil
	}
	if e, ok := p.params[t.ptr]; ok {
		return e
	}
	e := &paramEntry{}
	p.params[t.ptr] = e
	if !t.object(parameterKeys...) {
		return e
	}
	before := p.errs.Len()
	prm := &e.prm
	if v, ok := t.require("name"); ok {
		prm.Name, _ = v.NonEmptyString()
	}
	if v, ok := t.require("in"); ok {
		prm.In, _ = v.Enum(paramLocations...)
	}
	switch prm.In {
	case "path":
		prm.Required, prm.Style = true, "simple"
		if v, ok := t.get("required"); ok {
			if b, ok := v.Bool(); ok && !b {
				v.Errorf("want true: path parameters are always required")
			}
		}
	case "header":
		prm.Style = "simple"
		prm.Name = strings.ToLower(prm.Name)
		e.ignore = contains(ignoredHeaders, prm.Name)
	default:
		prm.Style = "form"
	}
	if prm.In != "path" {
		prm.Required = t.boolean("required", false)
	}
	if v, ok := t.get("style"); ok {
		switch prm.In {
		case "path":
			prm.Style, _ = v.Enum("simple", "label", "matrix")
		case "query":
			prm.Style, _ = v.Enum("form", "spaceDelimited", "pipeDelimited", "deepObject")
		case "header":
			prm.Style, _ = v.Enum("simple")
		case "cookie":
			prm.Style, _ = v.Enum("form")
		}
	}
	if g, ok := t.get("x-apiwarden-greedy"); ok {
		if b, ok := g.Bool(); ok && b {
			if prm.In != "path" {
				g.Errorf("want x-apiwarden-greedy only on a path parameter")
			}
			prm.Greedy = true
		}
	}
	prm.Explode = t.boolean("explode", prm.Style == "form")
	prm.Deprecated = t.boolean("deprecated", false)
	prm.AllowEmpty = t.boolean("allowEmptyValue", false)
	t.boolean("allowReserved", false)
	sc, hasSchema := t.get("schema")
	ct, hasContent := t.get("content")
	switch {
	case hasSchema && hasContent:
		t.Errorf("want either \"schema\" or \"content\", not both")
	case hasSchema:
		prm.SchemaPointer = p.schemaAt(sc)
	case hasContent:
		mts := p.content(ct)
		if len(mts) != 1 {
			ct.Errorf("want exactly one media type, got %d", len(mts))
		} else {
			prm.ContentType, prm.SchemaPointer = mts[0].Type, mts[0].SchemaPointer
		}
	default:
		t.Errorf("want a \"schema\" or a \"content\"")
	}
	if prm.SchemaPointer != "" && prm.ContentType == "" {
		prm.Kind, prm.ItemKind = p.kinds(prm.SchemaPointer)
		if prm.Kind == "object" {
			prm.PropKinds = p.propKinds(prm.SchemaPointer)
		}
	}
	e.ok = p.errs.Len() == before && prm.Name != "" && prm.In != ""
	return e
}

// header checks a header object (response headers, components.headers).
func (p *parser) header(n node) {
	t, ok := p.resolve(n)
	if !ok || !t.object(headerKeys...) {
		return
	}
	if sc, ok := t.get("schema"); ok {
		p.schemaAt(sc)
	}
	if ct, ok := t.get("content"); ok {
		p.content(ct)
	}
}

// requestBody reads a request body object (following $refs).
func (p *parser) requestBody(n node) (RequestBody, bool) {
	t, ok := p.resolve(n)
	if !ok {
		return RequestBody{}, false
	}
	if e, ok := p.bodies[t.ptr]; ok {
		return e.body, e.ok
	}
	e := &bodyEntry{}
	p.bodies[t.ptr] = e
	if !t.object(bodyKeys...) {
		return e.body, false
	}
	before := p.errs.Len()
	if c, ok := t.require("content"); ok {
		e.body.Content = p.content(c)
	}
	e.body.Required = t.boolean("required", false)
	e.ok = p.errs.Len() == before
	return e.body, e.ok
}

// content reads a content map (media type -> media type object).
func (p *parser) content(n node) []MediaType {
	var out []MediaType
	n.members(func(key string, v node) {
		mt, params := SplitMediaType(key)
		if i := strings.IndexByte(mt, '/'); i <= 0 || i == len(mt)-1 {
			v.Errorf("want a media type like \"application/json\", got %q", clip(key))
			return
		}
		for _, prev := range out {
			if prev.Type == mt && prev.Params == params {
				v.Errorf("media type %q is declared twice", clip(key))
				return
			}
		}
		m := MediaType{Type: mt, Params: params}
		if v.object(mediaTypeKeys...) {
			if sc, ok := v.get("schema"); ok {
				m.SchemaPointer = p.schemaAt(sc)
			}
			enc, hasEnc := v.get("encoding")
			if hasEnc && !enc.isObject() {
				enc.Errorf("want an object, got %s", enc.Kind())
				hasEnc = false
			}
			if (mt == FormMediaType || mt == "multipart/form-data") && m.SchemaPointer != "" {
				m.Fields = p.formFields(m.SchemaPointer, enc, hasEnc)
			}
		}
		out = append(out, m)
	})
	return out
}

// SplitMediaType splits a media type into its lower-case type/subtype
// and its parameters in a normal form: names lower-case, spaces around
// ';' and '=' dropped, quotes around values removed, sorted by name,
// joined with ';' ("application/json; Stream=watch" -> "application/json",
// "stream=watch"). Parameter values keep their case.
func SplitMediaType(s string) (typ, params string) {
	typ, rest, has := strings.Cut(s, ";")
	typ = strings.ToLower(strings.TrimSpace(typ))
	if !has {
		return typ, ""
	}
	var list []string
	for _, p := range strings.Split(rest, ";") {
		name, val, _ := strings.Cut(p, "=")
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		val = strings.TrimSpace(val)
		if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
			val = val[1 : len(val)-1]
		}
		list = append(list, name+"="+val)
	}
	sort.Strings(list)
	return typ, strings.Join(list, ";")
}

// responseMap reads an operation's responses object.
func (p *parser) responseMap(n node) []Response {
	var out []Response
	count := 0
	n.members(func(status string, v node) {
		if strings.HasPrefix(status, "x-") {
			return
		}
		count++
		st, ok := statusKey(status)
		if !ok {
			v.Errorf("want an HTTP status code (100-599), a range like \"2XX\" or \"default\", got %q", clip(status))
			return
		}
		for _, prev := range out {
			if prev.Status == st {
				v.Errorf("status %q is declared twice", st)
				return
			}
		}
		if content, ok := p.response(v); ok {
			out = append(out, Response{Status: st, Content: content})
		}
	})
	if count == 0 && n.isObject() && !p.v31 {
		n.Errorf("want at least one response")
	}
	return out
}

// statusKey validates and normalises a responses key ("2xx" -> "2XX").
func statusKey(s string) (string, bool) {
	if s == "default" {
		return s, true
	}
	if len(s) != 3 || s[0] < '1' || s[0] > '5' {
		return "", false
	}
	if (s[1] == 'X' || s[1] == 'x') && (s[2] == 'X' || s[2] == 'x') {
		return s[:1] + "XX", true
	}
	if s[1] < '0' || s[1] > '9' || s[2] < '0' || s[2] > '9' {
		return "", false
	}
	return s, true
}

// response reads a response object (following $refs).
func (p *parser) response(n node) ([]MediaType, bool) {
	t, ok := p.resolve(n)
	if !ok {
		return nil, false
	}
	if e, ok := p.responses[t.ptr]; ok {
		return e.content, e.ok
	}
	e := &responseEntry{}
	p.responses[t.ptr] = e
	if !t.object(responseKeys...) {
		return nil, false
	}
	before := p.errs.Len()
	if v, ok := t.require("description"); ok {
		v.String()
	}
	if c, ok := t.get("content"); ok {
		e.content = p.content(c)
	}
	if hs, ok := t.get("headers"); ok {
		hs.members(func(_ string, h node) { p.header(h) })
	}
	if ls, ok := t.get("links"); ok && !ls.isObject() {
		ls.Errorf("want an object, got %s", ls.Kind())
	}
	e.ok = p.errs.Len() == before
	return e.content, e.ok
}

// assignIDs gives every operation without an operationId a derived one,
// unique among all operation ids.
func (p *parser) assignIDs() {
	used := make(map[string]bool, len(p.doc.Operations))
	for _, op := range p.doc.Operations {
		if op.ID != "" {
			used[op.ID] = true
		}
	}
	for i := range p.doc.Operations {
		op := &p.doc.Operations[i]
		if op.ID != "" {
			continue
		}
		base := DeriveID(op.Method, op.Template)
		id := base
		for k := 2; used[id]; k++ {
			id = base + "_" + strconv.Itoa(k)
		}
		used[id] = true
		op.ID, op.IDDerived = id, true
	}
}

// DeriveID makes an operation id from a method and the document's path
// template (without the server base path): the lower-case method, then
// each run of ASCII letters and digits of the template, joined with '_'
// ("GET", "/users/{id}/accounts" -> "get_users_id_accounts"; "/" gives
// "get_root"). Case is kept; the result is cut to 120 bytes. Parse appends
// "_2", "_3", ... when the id is already taken.
func DeriveID(method, tpl string) string {
	b := make([]byte, 0, len(method)+len(tpl)+1)
	b = append(b, strings.ToLower(method)...)
	sep := true
	words := 0
	for i := 0; i < len(tpl); i++ {
		c := tpl[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			if sep {
				b = append(b, '_')
				sep = false
				words++
			}
			b = append(b, c)
			continue
		}
		sep = true
	}
	if words == 0 {
		b = append(b, "_root"...)
	}
	if len(b) > 120 {
		b = b[:120]
	}
	return string(b)
}
