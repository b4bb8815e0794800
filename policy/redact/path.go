package redact

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Action says what happens to a matched value.
type Action uint8

const (
	// ActionNone leaves the value alone.
	ActionNone Action = iota
	// ActionReplace replaces the value with the replacement string.
	ActionReplace
	// ActionRemove removes the member (or array element) holding the value.
	ActionRemove
	// ActionLog only counts the value in the report (detectors only).
	ActionLog
)

// String names the action as the configuration spells it.
func (a Action) String() string {
	switch a {
	case ActionReplace:
		return "replace"
	case ActionRemove:
		return "remove"
	case ActionLog:
		return "log"
	}
	return "none"
}

// PathRule is one entry of an endpoint's response.redact list.
type PathRule struct {
	Path   string // gjson path subset, see the package documentation
	Action Action // ActionReplace (default) or ActionRemove
}

// segKind is the kind of one compiled path component.
type segKind uint8

const (
	segKey   segKind = iota // literal object key (also matches an array index when numeric)
	segGlob                 // object key with * or ? wildcards
	segEvery                // "#": every array element
)

// segment is one compiled path component.
type segment struct {
	kind segKind
	key  string // unescaped literal key, or the glob pattern (escapes kept)
	idx  int    // array index when key is a canonical non-negative integer, else -1
}

// maxPathLen bounds a configured path; the configuration is trusted but a
// pathological path should still fail loudly rather than slowly.
const maxPathLen = 1024

// parsePath splits a gjson-syntax path into components, refusing the parts
// of gjson's syntax that are not a plain location (modifiers, queries,
// multipaths, pipes, literals).
func parsePath(p string) ([]segment, error) {
	if p == "" {
		return nil, fmt.Errorf("empty path")
	}
	if len(p) > maxPathLen {
		return nil, fmt.Errorf("path longer than %d bytes", maxPathLen)
	}
	switch p[0] {
	case '[', '{':
		return nil, fmt.Errorf("multipaths (%q) are not supported; escape a literal key as \\%c", p[0], p[0])
	}
	var segs []segment
	var lit strings.Builder // unescaped key
	var raw strings.Builder // component with escapes kept (for globs)
	wild := false
	start := true // at the start of a component
	flush := func() error {
		r := raw.String()
		switch {
		case r == "":
			return fmt.Errorf("empty component (a key \"\" cannot be addressed)")
		case r == "#":
			segs = append(segs, segment{kind: segEvery, idx: -1})
		case wild:
			segs = append(segs, segment{kind: segGlob, key: r, idx: -1})
		default:
			k := lit.String()
			segs = append(segs, segment{kind: segKey, key: k, idx: canonicalIndex(k)})
		}
		lit.Reset()
		raw.Reset()
		wild = false
		start = true
		return nil
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if start {
			start = false
			switch c {
			case '@':
				return nil, fmt.Errorf("modifiers (@...) are not supported; escape a literal key as \\@")
			case '!':
				return nil, fmt.Errorf("literals (!...) are not supported; escape a literal key as \\!")
			case '#':
				if i+1 < len(p) && p[i+1] != '.' {
					if p[i+1] == '(' {
						return nil, fmt.Errorf("queries (#(...)) are not supported")
					}
					return nil, fmt.Errorf("'#' must be a whole component (every array element); escape a literal key as \\#")
				}
			}
		}
		switch c {
		case '\\':
			if i+1 == len(p) {
				return nil, fmt.Errorf("path ends with a lone backslash")
			}
			i++
			lit.WriteByte(p[i])
			raw.WriteByte('\\')
			raw.WriteByte(p[i])
		case '.':
			if err := flush(); err != nil {
				return nil, err
			}
		case '|':
			return nil, fmt.Errorf("pipes (|) are not supported; escape a literal key as \\|")
		case '*', '?':
			wild = true
			raw.WriteByte(c)
		default:
			lit.WriteByte(c)
			raw.WriteByte(c)
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return segs, nil
}

// canonicalIndex returns n when k is the decimal form of n >= 0 without
// leading zeros, else -1.
func canonicalIndex(k string) int {
	if k == "" || len(k) > 9 || (len(k) > 1 && k[0] == '0') {
		return -1
	}
	n, err := strconv.Atoi(k)
	if err != nil || n < 0 || k[0] == '+' || k[0] == '-' {
		return -1
	}
	return n
}

// globMatch reports whether s matches pattern, where * matches any run of
// bytes, ? one UTF-8 character (or one invalid byte) and a backslash escapes the next byte.
func globMatch(pattern string, s []byte) bool {
	// Iterative matcher with one backtracking point (the last star).
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(pattern) {
			switch c := pattern[pi]; c {
			case '*':
				starP, starS = pi, si
				pi++
				continue
			case '?':
				pi++
				_, n := utf8.DecodeRune(s[si:])
				si += n
				continue
			case '\\':
				if pi+1 < len(pattern) && pattern[pi+1] == s[si] {
					pi += 2
					si++
					continue
				}
			default:
				if c == s[si] {
					pi++
					si++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		si = starS
		pi = starP + 1
	}
	for pi < len(pattern) && pattern[pi] == '*' {
		pi++
	}
	return pi == len(pattern)
}

// nfa is the compiled set of paths: a trie whose edges are path segments.
// Walking a document keeps the set of trie nodes reached by the keys on the
// way down; a node with an action decides the value it is reached at.
type nfa struct {
	nodes []nfaNode
}

type nfaNode struct {
	edges  []nfaEdge
	action Action // ActionNone for inner nodes
	rule   int    // index into Redactor.paths of the rule that set action
}

type nfaEdge struct {
	seg segment
	to  int32
}

func (n *nfa) add(segs []segment, act Action, rule int) {
	if len(n.nodes) == 0 {
		n.nodes = append(n.nodes, nfaNode{})
	}
	cur := int32(0)
	for _, s := range segs {
		next := int32(-1)
		for _, e := range n.nodes[cur].edges {
			if e.seg == s {
				next = e.to
				break
			}
		}
		if next < 0 {
			n.nodes = append(n.nodes, nfaNode{})
			next = int32(len(n.nodes) - 1)
			n.nodes[cur].edges = append(n.nodes[cur].edges, nfaEdge{seg: s, to: next})
		}
		cur = next
	}
	nd := &n.nodes[cur]
	// remove wins over replace when two rules name the same location.
	if nd.action == ActionNone || act == ActionRemove && nd.action != ActionRemove {
		nd.action, nd.rule = act, rule
	}
}
