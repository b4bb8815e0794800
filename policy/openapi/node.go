package openapi

import (
	"github.com/apiwarden/apiwarden/policy/kernel"

	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/apiwarden/apiwarden/policy/internal/cfg"
	"github.com/tidwall/gjson"
)

// node is a configuration node that also knows its JSON pointer in the
// document, so that schema locations can be handed on as pointers.
type node struct {
	cfg.Node
	ptr string
}

func (n node) isObject() bool { return n.V.IsObject() }
func (n node) isArray() bool  { return n.V.IsArray() }

func (n node) child(key string) node {
	c, _ := n.get(key)
	if !c.Exists() {
		c.Path, c.ptr, c.Errs = joinPath(n.Path, key), n.ptr+"/"+escapeToken(key), n.Errs
	}
	return c
}

// get returns an object member (the first, when the key is duplicated).
func (n node) get(key string) (node, bool) {
	if !n.isObject() {
		return node{}, false
	}
	c, ok := n.Node.Get(key)
	if !ok {
		return node{}, false
	}
	return node{Node: c, ptr: n.ptr + "/" + escapeToken(key)}, true
}

// members calls fn for each member of an object node in document order.
// It records an error and returns false when the node is not an object.
func (n node) members(fn func(key string, v node)) bool {
	if !n.isObject() {
		n.Errorf("want an object, got %s", n.Kind())
		return false
	}
	n.Tape().Members(n.V, func(k string, v gjson.Result) bool {
		key := strings.Clone(k) // kept in maps and messages: never a view of the text
		fn(key, node{Node: n.At(joinPath(n.Path, key), v), ptr: n.ptr + "/" + escapeToken(key)})
		return true
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
	var out []node
	n.Tape().Elements(n.V, func(v gjson.Result) bool {
		is := strconv.Itoa(len(out))
		out = append(out, node{Node: n.At(n.Path+"["+is+"]", v), ptr: n.ptr + "/" + is})
		return true
	})
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
	var seen map[string]bool
	n.Tape().EachKey(n.V, func(key string) bool {
		if seen == nil {
			seen = map[string]bool{}
		}
		if seen[key] {
			n.Errs.Addf(joinPath(n.Path, key), "duplicate key")
		}
		seen[key] = true
		if strings.HasPrefix(key, "x-") || contains(allowed, key) {
			return true
		}
		sorted := append([]string(nil), allowed...)
		sort.Strings(sorted)
		n.Errs.Addf(joinPath(n.Path, key), "unknown key (want one of %s, or an x- extension)", strings.Join(sorted, ", "))
		return true
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

// at resolves a JSON pointer from the root (through the document's
// pointer index), with the configuration path of what it finds. ok is
// false when the pointer leads nowhere.
func (p *parser) at(ptr string) (node, bool) {
	v, canon, ok := p.idx.Resolve(ptr)
	if !ok {
		return node{}, false
	}
	return node{Node: p.root.At(p.pathOf(canon), v), ptr: canon}, true
}

// value is the value at a JSON pointer (not Exists when there is none).
func (p *parser) value(ptr string) gjson.Result {
	v, _, _ := p.idx.Resolve(ptr)
	return v
}

// pathOf converts a pointer to the configuration path of the deepest
// existing location, with the remaining tokens appended.
func (p *parser) pathOf(ptr string) string {
	path := p.root.Path
	if ptr == "" || ptr == "/" || ptr[0] != '/' {
		return orRoot(path)
	}
	parent := p.root.V
	for cut := 0; cut < len(ptr); {
		next := strings.IndexByte(ptr[cut+1:], '/')
		end := len(ptr)
		if next >= 0 {
			end = cut + 1 + next
		}
		tok := unescapeToken(ptr[cut+1 : end])
		v, _, ok := p.idx.Resolve(ptr[:end])
		switch {
		case ok && parent.IsArray():
			path += "[" + tok + "]"
		default:
			path = joinPath(path, tok)
		}
		if !ok {
			parent = gjson.Result{}
		} else {
			parent = v
		}
		cut = end
	}
	return orRoot(path)
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
