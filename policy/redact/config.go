package redact

import (
	"fmt"
	"strings"

	"github.com/apiwarden/apiwarden/policy/internal/cfg"
)

// Scope says how much of a string a detector match redacts.
type Scope string

const (
	ScopeValue Scope = "value" // the whole string value (default)
	ScopeMatch Scope = "match" // only the matched bytes
)

// NonJSONMode says what happens to a protected response body that is not
// JSON (by content type, or because it does not parse).
type NonJSONMode string

const (
	NonJSONPass  NonJSONMode = "pass"  // let it through, reported (default)
	NonJSONScan  NonJSONMode = "scan"  // run the detectors over the text
	NonJSONBlock NonJSONMode = "block" // refuse the response
)

// LimitMode says what happens to a body the redactor cannot inspect: over
// max_body_bytes, a decompression bomb, an encoding it cannot decode.
type LimitMode string

const (
	LimitPass  LimitMode = "pass"  // let it through unexamined, reported (default)
	LimitBlock LimitMode = "block" // refuse the response
)

// CompressedMode says what happens to a content-encoded response body.
type CompressedMode string

const (
	CompressedDecompress CompressedMode = "decompress" // gunzip, inspect, gzip again (default)
	CompressedPass       CompressedMode = "pass"       // let it through unexamined, reported
	CompressedBlock      CompressedMode = "block"      // refuse the response
)

// UndeclaredMode says what happens to members a response schema does not
// declare (only when the endpoint has a FieldSet).
type UndeclaredMode string

const (
	UndeclaredReport UndeclaredMode = "report" // list them in the report (default)
	UndeclaredStrip  UndeclaredMode = "strip"  // remove them from the body
	UndeclaredOff    UndeclaredMode = "off"    // do not check
)

// DetectorConfig enables one detector.
type DetectorConfig struct {
	Name   string // one of the names DetectorByName knows
	Action Action // ActionReplace ("redact", default) or ActionLog ("log")
	Scope  Scope  // "" inherits Config.Scope
}

// HeaderConfig lists response headers to remove or to redact.
type HeaderConfig struct {
	Remove []string
	Redact []string
}

// Config is the redaction section of the configuration plus, filled in
// by the policy compiler for each endpoint, that endpoint's own rules.
type Config struct {
	Detectors    []DetectorConfig
	Scope        Scope
	ScanNumbers  bool
	Replacement  string
	NonJSON      NonJSONMode
	MaxBodyBytes int
	OverLimit    LimitMode
	Compressed   CompressedMode
	Headers      HeaderConfig
	Endpoints    []string // endpoint ids the detectors apply to; nil: all
	Undeclared   UndeclaredMode

	Endpoint string     // id of the endpoint this Redactor serves
	Paths    []PathRule // its response.redact rules
	Fields   *FieldSet  // its declared response shape (nil: no check)
}

// AppliesTo reports whether the detectors apply to endpoint id.
func (c Config) AppliesTo(id string) bool {
	if c.Endpoints == nil {
		return true
	}
	for _, e := range c.Endpoints {
		if e == id {
			return true
		}
	}
	return false
}

// Section keys, for documentation and for the unknown-key check.
var sectionKeys = []string{
	"detectors", "scope", "scan_numbers", "headers", "replacement", "non_json",
	"max_body_bytes", "over_limit", "compressed", "endpoints", "undeclared",
}

// ParseConfig reads the "redaction" section at n, recording every problem
// with its JSON path in n.Errs. The endpoint ids in "endpoints" are only
// checked for shape; the caller checks them against its inventory.
func ParseConfig(n cfg.Node) Config {
	var c Config
	if !n.Object(sectionKeys...) {
		return c
	}
	if v, ok := n.Get("detectors"); ok {
		c.Detectors = parseDetectors(v)
	}
	if v, ok := n.Get("scope"); ok {
		s, _ := v.Enum(string(ScopeValue), string(ScopeMatch))
		c.Scope = Scope(s)
	}
	if v, ok := n.Get("scan_numbers"); ok {
		c.ScanNumbers, _ = v.Bool()
	}
	if v, ok := n.Get("headers"); ok {
		c.Headers = parseHeaders(v)
	}
	if v, ok := n.Get("replacement"); ok {
		if s, ok := v.String(); ok {
			if len(s) > 256 {
				v.Errorf("want at most 256 bytes, got %d", len(s))
			} else {
				c.Replacement = s
			}
		}
	}
	if v, ok := n.Get("non_json"); ok {
		s, _ := v.Enum(string(NonJSONPass), string(NonJSONScan), string(NonJSONBlock))
		c.NonJSON = NonJSONMode(s)
	}
	if v, ok := n.Get("max_body_bytes"); ok {
		i, _ := v.Int(1, 1<<30)
		c.MaxBodyBytes = int(i)
	}
	if v, ok := n.Get("over_limit"); ok {
		s, _ := v.Enum(string(LimitPass), string(LimitBlock))
		c.OverLimit = LimitMode(s)
	}
	if v, ok := n.Get("compressed"); ok {
		s, _ := v.Enum(string(CompressedDecompress), string(CompressedPass), string(CompressedBlock))
		c.Compressed = CompressedMode(s)
	}
	if v, ok := n.Get("endpoints"); ok {
		if items, ok := v.Array(); ok {
			c.Endpoints = make([]string, 0, len(items))
			for _, it := range items {
				if s, ok := it.NonEmptyString(); ok {
					c.Endpoints = append(c.Endpoints, s)
				}
			}
		}
	}
	if v, ok := n.Get("undeclared"); ok {
		s, _ := v.Enum(string(UndeclaredReport), string(UndeclaredStrip), string(UndeclaredOff))
		c.Undeclared = UndeclaredMode(s)
	}
	return c
}

func detectorNameList() string {
	return `"` + strings.Join(detectorNames[:], `", "`) + `"`
}

func parseDetectors(n cfg.Node) []DetectorConfig {
	items, ok := n.Array()
	if !ok {
		return nil
	}
	var out []DetectorConfig
	seen := map[string]bool{}
	for _, it := range items {
		var d DetectorConfig
		nameNode := it
		if it.IsObject() {
			it.Object("name", "action", "scope")
			nn, ok := it.Require("name")
			if !ok {
				continue
			}
			nameNode = nn
			if a, ok := it.Get("action"); ok {
				if s, ok := a.Enum("redact", "log"); ok && s == "log" {
					d.Action = ActionLog
				}
			}
			if s, ok := it.Get("scope"); ok {
				v, _ := s.Enum(string(ScopeValue), string(ScopeMatch))
				d.Scope = Scope(v)
			}
		}
		name, ok := nameNode.String()
		if !ok {
			continue
		}
		if _, known := DetectorByName(name); !known {
			nameNode.Errorf("unknown detector %q (want one of %s)", clip(name), detectorNameList())
			continue
		}
		if seen[name] {
			nameNode.Errorf("detector %q listed twice", name)
			continue
		}
		seen[name] = true
		d.Name = name
		if d.Action == ActionNone {
			d.Action = ActionReplace
		}
		out = append(out, d)
	}
	return out
}

func parseHeaders(n cfg.Node) HeaderConfig {
	var h HeaderConfig
	if n.IsArray() {
		h.Redact = headerNames(n)
		return h
	}
	if !n.Object("remove", "redact") {
		return h
	}
	if v, ok := n.Get("remove"); ok {
		h.Remove = headerNames(v)
	}
	if v, ok := n.Get("redact"); ok {
		h.Redact = headerNames(v)
	}
	seen := map[string]bool{}
	for _, r := range h.Remove {
		seen[r] = true
	}
	if v, ok := n.Get("redact"); ok {
		for _, r := range h.Redact {
			if seen[r] {
				v.Errorf("header %q is also in remove", r)
			}
		}
	}
	return h
}

func headerNames(n cfg.Node) []string {
	items, ok := n.Array()
	if !ok {
		return nil
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, ok := it.NonEmptyString()
		if !ok {
			continue
		}
		if !isHeaderName(s) {
			it.Errorf("want an HTTP header name, got %q", clip(s))
			continue
		}
		out = append(out, strings.ToLower(s))
	}
	return out
}

// isHeaderName accepts RFC 9110 tokens (and the ':'-prefixed pseudo-headers
// are refused: they are not response headers one may remove).
func isHeaderName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAlnum(c) {
			continue
		}
		switch c {
		case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
			continue
		}
		return false
	}
	return true
}

// ParseRules reads an endpoint's response.redact list at n: each item is a
// path string (action replace) or {"path": ..., "action": "replace"|"remove"}.
// Path syntax errors are recorded with the item's JSON path.
func ParseRules(n cfg.Node) []PathRule {
	items, ok := n.Array()
	if !ok {
		return nil
	}
	var out []PathRule
	for _, it := range items {
		r := PathRule{Action: ActionReplace}
		pathNode := it
		if it.IsObject() {
			it.Object("path", "action")
			pn, ok := it.Require("path")
			if !ok {
				continue
			}
			pathNode = pn
			if a, ok := it.Get("action"); ok {
				if s, ok := a.Enum("replace", "remove"); ok && s == "remove" {
					r.Action = ActionRemove
				}
			}
		}
		p, ok := pathNode.NonEmptyString()
		if !ok {
			continue
		}
		if _, err := parsePath(p); err != nil {
			pathNode.Errorf("%v", err)
			continue
		}
		r.Path = p
		out = append(out, r)
	}
	return out
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// String formats a rule as the configuration would spell it.
func (r PathRule) String() string {
	return fmt.Sprintf("%s %s", r.Action, r.Path)
}
