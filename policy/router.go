package policy

import (
	"fmt"
	"sort"
	"strings"
)

// MaxPathParams bounds the templated parameters of one path, so a match
// keeps its captures in a fixed array and never allocates.
const MaxPathParams = 16

// maxSegments bounds how deep a request path is matched; a longer path
// cannot match any template (templates are checked against the same bound)
// and is simply unknown.
const maxSegments = 64

// router matches a normalised path and a method to an endpoint through a
// segment trie. Precedence at every segment, tried in this order with
// backtracking: a static segment, then partially templated segments (most
// literal characters first, then template text), then a whole-segment
// parameter, then a greedy parameter ("{path+}", the last segment of a
// template, from an OpenAPI path parameter with x-apiwarden-greedy: true),
// which takes the rest of the path: one or more whole segments, '/'
// included. Among the leaves a path reaches, the first (most specific) one
// that defines the method wins; if none does, the most specific leaf answers
// 405 with its methods. HEAD falls back to GET when a path does not define
// HEAD. The trie is a tree, so a match visits each node at most once.
type router struct {
	root rnode
}

type rnode struct {
	static   map[string]*rnode
	patterns []*patternEdge
	param    *rnode
	greedy   *rnode // a last segment "{name+}": one or more whole segments
	methods  map[string]*Endpoint
	allow    string // methods of this leaf, sorted, for 405 answers
	template string // first template that reached this leaf, for messages
}

type patternEdge struct {
	key     string   // template text with names removed: "{}.{}"
	lits    []string // literal pieces around the parameters (len = params+1)
	litLen  int
	node    *rnode
	nparams int
}

// Match is the result of routing one request. It holds the captured path
// parameters inline: routing never allocates.
type Match struct {
	Endpoint *Endpoint
	// Path is the normalised path, Query the raw query string.
	Path, Query string
	// PathKnown reports that the path matched a template whose methods do
	// not include the request's; Allow then lists them.
	PathKnown bool
	Allow     string
	params    [MaxPathParams]string
	nparams   int
}

// Param returns the raw (still percent-encoded) value of the i-th path
// parameter of the matched template.
func (m *Match) Param(i int) string {
	if i < 0 || i >= m.nparams {
		return ""
	}
	return m.params[i]
}

// NumParams is the number of captured path parameters.
func (m *Match) NumParams() int { return m.nparams }

// segment is one parsed piece of a path template.
type segment struct {
	kind  int // segStatic, segParam, segPattern
	text  string
	lits  []string
	names []string
}

const (
	segStatic = iota
	segParam
	segPattern
	segGreedy
)

// parseTemplate splits "/accounts/{account_id}/files/{name}.{ext}" into
// segments, refusing what cannot be matched unambiguously.
func parseTemplate(tpl string) ([]segment, []string, error) {
	if tpl == "" || tpl[0] != '/' {
		return nil, nil, fmt.Errorf("want a path template starting with '/', got %q", tpl)
	}
	norm, _, err := NormalizePath(tpl)
	if err != nil || strings.ContainsAny(tpl, "?#") {
		return nil, nil, fmt.Errorf("%q is not a valid path template", tpl)
	}
	if norm != tpl && !strings.ContainsAny(tpl, "{}") {
		return nil, nil, fmt.Errorf("path template %q is not in normal form (want %q)", tpl, norm)
	}
	if strings.ContainsAny(tpl, "{}") {
		// The literal parts must be in normal form too, or the template can
		// never match a normalised path.
		probe := templateProbe(tpl)
		if n2, _, err := NormalizePath(probe); err != nil || n2 != probe {
			return nil, nil, fmt.Errorf("path template %q is not in normal form (no '.', '..', '//', trailing '/' or percent-encoded unreserved characters)", tpl)
		}
	}
	var segs []segment
	var names []string
	for _, raw := range strings.Split(strings.TrimPrefix(tpl, "/"), "/") {
		if raw == "" {
			if tpl == "/" {
				break
			}
			return nil, nil, fmt.Errorf("path template %q has an empty segment", tpl)
		}
		seg, err := parseSegment(raw)
		if err != nil {
			return nil, nil, fmt.Errorf("path template %q: %w", tpl, err)
		}
		if seg.kind == segGreedy && len(segs) != len(strings.Split(strings.TrimPrefix(tpl, "/"), "/"))-1 {
			return nil, nil, fmt.Errorf("path template %q: a greedy parameter {%s+} must be the last segment", tpl, seg.names[0])
		}
		for _, n := range seg.names {
			for _, prev := range names {
				if prev == n {
					return nil, nil, fmt.Errorf("path template %q repeats parameter %q", tpl, n)
				}
			}
			names = append(names, n)
		}
		segs = append(segs, seg)
	}
	if len(names) > MaxPathParams {
		return nil, nil, fmt.Errorf("path template %q has %d parameters, at most %d are supported", tpl, len(names), MaxPathParams)
	}
	if len(segs) > maxSegments {
		return nil, nil, fmt.Errorf("path template %q has more than %d segments", tpl, maxSegments)
	}
	return segs, names, nil
}

func parseSegment(raw string) (segment, error) {
	if !strings.ContainsAny(raw, "{}") {
		return segment{kind: segStatic, text: raw}, nil
	}
	if len(raw) > 3 && raw[0] == '{' && strings.HasSuffix(raw, "+}") && validParamName(raw[1:len(raw)-2]) {
		return segment{kind: segGreedy, names: []string{raw[1 : len(raw)-2]}}, nil
	}
	var lits, names []string
	rest := raw
	for {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			if strings.IndexByte(rest, '}') >= 0 {
				return segment{}, fmt.Errorf("unbalanced '}' in segment %q", raw)
			}
			lits = append(lits, rest)
			break
		}
		if c := strings.IndexByte(rest[:open], '}'); c >= 0 {
			return segment{}, fmt.Errorf("unbalanced '}' in segment %q", raw)
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return segment{}, fmt.Errorf("unclosed '{' in segment %q", raw)
		}
		name := rest[open+1 : open+end]
		if !validParamName(name) {
			return segment{}, fmt.Errorf("invalid parameter name %q in segment %q", name, raw)
		}
		lits = append(lits, rest[:open])
		names = append(names, name)
		rest = rest[open+end+1:]
	}
	for i := 1; i < len(lits)-1; i++ {
		if lits[i] == "" {
			return segment{}, fmt.Errorf("adjacent parameters in segment %q cannot be told apart", raw)
		}
	}
	if len(names) == 1 && lits[0] == "" && lits[1] == "" {
		return segment{kind: segParam, names: names}, nil
	}
	return segment{kind: segPattern, lits: lits, names: names, text: strings.Join(lits, "{}")}, nil
}

func validParamName(n string) bool {
	if n == "" || len(n) > 128 {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(unreserved(c) || c == '$' || c == '@') {
			return false
		}
	}
	return true
}

// add inserts an endpoint. Two endpoints with the same template shape and
// method are a configuration error.
func (r *router) add(ep *Endpoint, segs []segment) error {
	n := &r.root
	for _, s := range segs {
		switch s.kind {
		case segStatic:
			if n.static == nil {
				n.static = map[string]*rnode{}
			}
			next, ok := n.static[s.text]
			if !ok {
				next = &rnode{}
				n.static[s.text] = next
			}
			n = next
		case segParam:
			if n.param == nil {
				n.param = &rnode{}
			}
			n = n.param
		case segGreedy:
			if n.greedy == nil {
				n.greedy = &rnode{}
			}
			n = n.greedy
		case segPattern:
			var edge *patternEdge
			for _, e := range n.patterns {
				if e.key == s.text {
					edge = e
				}
			}
			if edge == nil {
				edge = &patternEdge{key: s.text, lits: s.lits, node: &rnode{}, nparams: len(s.names)}
				for _, l := range s.lits {
					edge.litLen += len(l)
				}
				n.patterns = append(n.patterns, edge)
				sort.SliceStable(n.patterns, func(i, j int) bool {
					a, b := n.patterns[i], n.patterns[j]
					if a.litLen != b.litLen {
						return a.litLen > b.litLen
					}
					return a.key < b.key
				})
			}
			n = edge.node
		}
	}
	if n.methods == nil {
		n.methods = map[string]*Endpoint{}
		n.template = ep.Path
	}
	if prev, dup := n.methods[ep.Method]; dup {
		return fmt.Errorf("%s %s has the same method and path shape as endpoint %q (%s)", ep.Method, ep.Path, prev.ID, prev.Path)
	}
	n.methods[ep.Method] = ep
	methods := make([]string, 0, len(n.methods))
	for m := range n.methods {
		methods = append(methods, m)
	}
	sort.Strings(methods)
	n.allow = strings.Join(methods, ", ")
	return nil
}

// match routes method and a normalised path into m.
func (r *router) match(method, path string, m *Match) {
	m.Endpoint, m.PathKnown, m.Allow, m.nparams = nil, false, "", 0
	var first *rnode
	rest := path
	if rest == "/" {
		rest = ""
	} else {
		rest = rest[1:]
	}
	if leaf := r.walk(&r.root, rest, method, m, 0, &first); leaf != nil {
		return
	}
	if first != nil {
		m.PathKnown = true
		m.Allow = first.allow
	}
	m.nparams = 0
}

// walk matches the remaining path below n. It returns the leaf whose
// method matched (m.Endpoint set, captures in m), or nil. first records the
// most specific leaf reached regardless of method.
func (r *router) walk(n *rnode, rest, method string, m *Match, depth int, first **rnode) *rnode {
	if rest == "" {
		if n.methods == nil {
			return nil
		}
		if *first == nil {
			*first = n
		}
		ep := n.methods[method]
		if ep == nil && method == "HEAD" {
			ep = n.methods["GET"]
		}
		if ep == nil {
			return nil
		}
		m.Endpoint = ep
		return n
	}
	if depth >= maxSegments {
		return nil
	}
	seg, tail := rest, ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		seg, tail = rest[:i], rest[i+1:]
	}
	if next, ok := n.static[seg]; ok {
		if leaf := r.walk(next, tail, method, m, depth+1, first); leaf != nil {
			return leaf
		}
	}
	saved := m.nparams
	for _, e := range n.patterns {
		if e.capture(seg, m) {
			if leaf := r.walk(e.node, tail, method, m, depth+1, first); leaf != nil {
				return leaf
			}
			m.nparams = saved
		}
	}
	if n.param != nil && seg != "" && m.nparams < MaxPathParams {
		m.params[m.nparams] = seg
		m.nparams++
		if leaf := r.walk(n.param, tail, method, m, depth+1, first); leaf != nil {
			return leaf
		}
		m.nparams = saved
	}
	if n.greedy != nil && seg != "" && m.nparams < MaxPathParams {
		m.params[m.nparams] = rest
		m.nparams++
		if leaf := r.walk(n.greedy, "", method, m, depth+1, first); leaf != nil {
			return leaf
		}
		m.nparams = saved
	}
	return nil
}

// capture matches one segment against literal pieces with non-empty
// parameters between them (leftmost match of each inner literal).
func (e *patternEdge) capture(seg string, m *Match) bool {
	if m.nparams+e.nparams > MaxPathParams {
		return false
	}
	first, last := e.lits[0], e.lits[len(e.lits)-1]
	if len(seg) < e.litLen+e.nparams || !strings.HasPrefix(seg, first) || !strings.HasSuffix(seg, last) {
		return false
	}
	body := seg[len(first) : len(seg)-len(last)]
	n := m.nparams
	for i := 1; i < len(e.lits)-1; i++ {
		if body == "" {
			m.nparams = n
			return false
		}
		j := strings.Index(body[1:], e.lits[i])
		if j < 0 {
			m.nparams = n
			return false
		}
		m.params[m.nparams] = body[:j+1]
		m.nparams++
		body = body[j+1+len(e.lits[i]):]
	}
	if body == "" {
		m.nparams = n
		return false
	}
	m.params[m.nparams] = body
	m.nparams++
	return true
}

// templateProbe replaces every {parameter} with a plain value, so the
// literal parts of a template can be checked for normal form.
func templateProbe(tpl string) string {
	var b strings.Builder
	depth := 0
	for i := 0; i < len(tpl); i++ {
		switch c := tpl[i]; {
		case c == '{':
			if depth == 0 {
				b.WriteByte('p')
			}
			depth++
		case c == '}':
			if depth > 0 {
				depth--
			}
		case depth == 0:
			b.WriteByte(c)
		}
	}
	return b.String()
}
