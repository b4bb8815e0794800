package openapi

import (
	"github.com/apiwarden/apiwarden/policy/kernel"

	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/apiwarden/apiwarden/policy/internal/cfg"
	"github.com/valyala/fastjson"
)

// node is a configuration node that also knows its JSON pointer in the
// document, so that schema locations can be handed on as pointers.
type node struct {
	cfg.Node
	ptr string
}

func (n node) isObject() bool { return n.V != nil && n.V.Type() == fastjson.TypeObject }
func (n node) isArray() bool  { return n.V != nil && n.V.Type() == fastjson.TypeArray }

func (n node) child(key string) node {
	return node{
		Node: cfg.Node{Path: joinPath(n.Path, key), V: n.V.Get(key), Errs: n.Errs},
		ptr:  n.ptr + "/" + escapeToken(key),
	}
}

// get returns an object member.
func (n node) get(key string) (node, bool) {
	if !n.isObject() {
		return node{}, false
	}
	v := n.V.Get(key)
	if v == nil {
		return node{}, false
	}
	return node{
		Node: cfg.Node{Path: joinPath(n.Path, key), V: v, Errs: n.Errs},
		ptr:  n.ptr + "/" + escapeToken(key),
	}, true
}

// members calls fn for each member of an object node in document order.
// It records an error and returns false when the node is not an object.
func (n node) members(fn func(key string, v node)) bool {
	if !n.isObject() {
		n.Errorf("want an object, got %s", n.Kind())
		return false
	}
	o, _ := n.V.Object()
	o.Visit(func(k []byte, v *fastjson.Value) {
		key := string(k)
		fn(key, node{
			Node: cfg.Node{Path: joinPath(n.Path, key), V: v, Errs: n.Errs},
			ptr:  n.ptr + "/" + escapeToken(key),
		})
	})
	return true
}

// items returns the elements of an array node, recording an error when it
// is not an array.
func (n node) items() ([]node, bool) {
	if !n.isArray() {
		n.Errorf("want an array, got %s", n.Kind())
		return nil, false
	}
	vs, _ := n.V.Array()
	out := make([]node, len(vs))
	for i, v := range vs {
		is := strconv.Itoa(i)
		out[i] = node{
			Node: cfg.Node{Path: n.Path + "[" + is + "]", V: v, Errs: n.Errs},
			ptr:  n.ptr + "/" + is,
		}
	}
	return out, true
}

// object checks that n is an object whose keys are in allowed or start
// with "x-", reporting unknown and duplicated keys. It returns false when
// n is not an object.
func (n node) object(allowed ...string) bool {
	if !n.isObject() {
		n.Errorf("want an object, got %s", n.Kind())
		return false
	}
	o, _ := n.V.Object()
	var seen map[string]bool
	if o.Len() > 1 {
		seen = make(map[string]bool, o.Len())
	}
	o.Visit(func(k []byte, _ *fastjson.Value) {
		key := string(k)
		if seen != nil {
			if seen[key] {
				n.Errs.Addf(joinPath(n.Path, key), "duplicate key")
			}
			seen[key] = true
		}
		if strings.HasPrefix(key, "x-") || contains(allowed, key) {
			return
		}
		sorted := append([]string(nil), allowed...)
		sort.Strings(sorted)
		n.Errs.Addf(joinPath(n.Path, key), "unknown key (want one of %s, or an x- extension)", strings.Join(sorted, ", "))
	})
	return true
}

// str returns an optional string member.
func (n node) str(key string) (string, bool) {
	c, ok := n.get(key)
	if !ok {
		return "", false
	}
	return c.String()
}

// boolean returns an optional boolean member, def when absent.
func (n node) boolean(key string, def bool) bool {
	c, ok := n.get(key)
	if !ok {
		return def
	}
	b, ok := c.Bool()
	if !ok {
		return def
	}
	return b
}

func joinPath(base, key string) string {
	if base == "" {
		return key
	}
	return base + "." + key
}

// escapeToken escapes a JSON pointer reference token (RFC 6901).
func escapeToken(s string) string { return kernel.EscapeToken(s) }

func unescapeToken(s string) string { return kernel.UnescapeToken(s) }

// at walks a JSON pointer from the root, building the configuration path
// on the way. ok is false when the pointer leads nowhere.
func (p *parser) at(ptr string) (node, bool) {
	n := p.root
	if ptr == "" {
		return n, true
	}
	if ptr[0] != '/' {
		return node{}, false
	}
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = unescapeToken(tok)
		switch {
		case n.isObject():
			c, ok := n.get(tok)
			if !ok {
				return node{}, false
			}
			n = c
		case n.isArray():
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || strconv.Itoa(i) != tok {
				return node{}, false
			}
			vs, _ := n.V.Array()
			if i >= len(vs) {
				return node{}, false
			}
			n = node{
				Node: cfg.Node{Path: n.Path + "[" + tok + "]", V: vs[i], Errs: n.Errs},
				ptr:  n.ptr + "/" + tok,
			}
		default:
			return node{}, false
		}
	}
	return n, true
}

// pathOf converts a pointer to the configuration path of the deepest
// existing location, with the remaining tokens appended.
func (p *parser) pathOf(ptr string) string {
	n := p.root
	if ptr == "" || ptr == "/" || ptr[0] != '/' {
		return orRoot(n.Path)
	}
	toks := strings.Split(ptr[1:], "/")
	for i, tok := range toks {
		tok = unescapeToken(tok)
		var next node
		var ok bool
		switch {
		case n.isObject():
			next, ok = n.get(tok)
		case n.isArray():
			next, ok = p.index(n, tok)
		}
		if !ok {
			path := n.Path
			for _, rest := range toks[i:] {
				path = joinPath(path, unescapeToken(rest))
			}
			return orRoot(path)
		}
		n = next
	}
	return orRoot(n.Path)
}

func (p *parser) index(n node, tok string) (node, bool) {
	i, err := strconv.Atoi(tok)
	if err != nil || i < 0 {
		return node{}, false
	}
	vs, _ := n.V.Array()
	if i >= len(vs) {
		return node{}, false
	}
	return node{Node: cfg.Node{Path: n.Path + "[" + tok + "]", V: vs[i], Errs: n.Errs}, ptr: n.ptr + "/" + tok}, true
}

func orRoot(path string) string {
	if path == "" {
		return "(root)"
	}
	return path
}

// refTarget turns a local reference ("#/components/x") into a JSON pointer.
// ok is false for a reference that is not local.
func refTarget(ref string) (ptr string, ok bool) {
	if !strings.HasPrefix(ref, "#") {
		return "", false
	}
	frag := ref[1:]
	if strings.IndexByte(frag, '%') >= 0 {
		if u, err := url.PathUnescape(frag); err == nil {
			frag = u
		}
	}
	return frag, true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// require returns a member, recording an error when it is missing.
func (n node) require(key string) (node, bool) {
	c, ok := n.get(key)
	if !ok && n.isObject() {
		n.Errs.Addf(joinPath(n.Path, key), "required")
	}
	return c, ok
}
