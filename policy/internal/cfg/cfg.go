package cfg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/apiwarden/apiwarden/policy/internal/jsonptr"
	"github.com/tidwall/gjson"
	"github.com/valyala/fastjson"
)

// MaxErrors bounds how many problems one document reports; beyond it the
// rest are summarised, so a pathological config cannot make a huge log line.
const MaxErrors = 20

// Errors collects configuration problems in document order.
type Errors struct {
	list    []error
	dropped int
	reasons reasonCounts
}

// Addf records a problem at path.
func (e *Errors) Addf(path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if path == "" {
		path = "(root)"
	}
	e.reasons.count(msg, path+": "+msg)
	if len(e.list) >= MaxErrors {
		e.dropped++
		return
	}
	e.list = append(e.list, fmt.Errorf("%s: %s", path, msg))
}

// Add records an error that already carries its own location.
func (e *Errors) Add(err error) {
	if err == nil {
		return
	}
	msg := err.Error()
	reason := msg
	if _, r, ok := strings.Cut(msg, ": "); ok {
		reason = r
	}
	e.reasons.count(reason, msg)
	if len(e.list) >= MaxErrors {
		e.dropped++
		return
	}
	e.list = append(e.list, err)
}

// Len reports how many problems were recorded.
func (e *Errors) Len() int { return len(e.list) + e.dropped }

// Err joins the recorded problems, or returns nil when there are none.
func (e *Errors) Err() error {
	if len(e.list) == 0 {
		return nil
	}
	list := e.list
	if e.dropped > 0 {
		list = append(list[:len(list):len(list)], fmt.Errorf("... and %d more problems", e.dropped))
	}
	return &joined{error: errors.Join(list...), list: list, reasons: e.reasons.list}
}

// joined is what Err returns: errors.Join's text and unwrapping, plus
// every distinct reason (the message with its quoted names and numbers
// blanked) with how often it occurred, the dropped problems included.
type joined struct {
	error
	list    []error
	reasons []reasonCount
}

func (j *joined) Unwrap() []error { return j.list }

// Reasons lists every distinct reason in order of first occurrence:
// "<count>x <reason> (first: <path>: <message>)".
func (j *joined) Reasons() []string {
	out := make([]string, len(j.reasons))
	for i, r := range j.reasons {
		out[i] = fmt.Sprintf("%dx %s (first: %s)", r.n, r.key, r.first)
	}
	return out
}

type reasonCount struct {
	key, first string
	n          int
}

// reasonCounts counts problems by reason, bounded (a pathological
// document cannot grow it without limit: past the bound, new reasons are
// counted under one line).
type reasonCounts struct {
	list  []reasonCount
	index map[string]int
}

const maxReasons = 200

func (rc *reasonCounts) count(msg, full string) {
	key := reasonKey(msg)
	if rc.index == nil {
		rc.index = map[string]int{}
	}
	i, ok := rc.index[key]
	if !ok {
		if len(rc.list) >= maxReasons {
			key = "(other reasons)"
			if i, ok = rc.index[key]; !ok {
				i = len(rc.list)
				rc.list = append(rc.list, reasonCount{key: key, first: full})
				rc.index[key] = i
			}
		} else {
			i = len(rc.list)
			rc.list = append(rc.list, reasonCount{key: key, first: full})
			rc.index[key] = i
		}
	}
	rc.list[i].n++
}

// reasonKey blanks the quoted strings and the numbers of a message, so
// that one mistake repeated at many places counts as one reason.
func reasonKey(msg string) string {
	var b strings.Builder
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		switch {
		case c == '"':
			j := i + 1
			for j < len(msg) && msg[j] != '"' {
				if msg[j] == '\\' {
					j++
				}
				j++
			}
			b.WriteString(`"…"`)
			i = j
		case c >= '0' && c <= '9':
			for i+1 < len(msg) && msg[i+1] >= '0' && msg[i+1] <= '9' {
				i++
			}
			b.WriteByte('N')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Node is one JSON value of the configuration with the path that leads to it.
// V is a gjson result that aliases the configuration's text: nothing is
// parsed into a tree (GitHub's 13 MB OpenAPI description made a 45 MB one,
// which a VM's linear memory kept for its whole life). The text must not
// change while nodes are in use, and the strings a Node returns are copies,
// so a compiled policy never keeps the text alive.
type Node struct {
	Path string
	V    gjson.Result
	Errs *Errors
	// look is shared by every node of one document: it keeps the member
	// bounds of recently read large objects.
	look *jsonptr.Lookup
}

// Parse checks that data is one JSON document and returns its root. A
// syntax error is returned as is (with the byte offset fastjson's
// validator reports; it builds no tree); the returned Node records later
// problems into errs. The Node aliases data.
func Parse(data []byte, errs *Errors) (Node, error) {
	if err := Check(data); err != nil {
		return Node{}, fmt.Errorf("configuration is not valid JSON: %w", err)
	}
	return FromText("", unsafe.String(unsafe.SliceData(data), len(data)), errs), nil
}

// Check reports whether data is one JSON text, strictly: fastjson's
// validator (whose messages give the offset) and, what it lets through,
// UTF-8 throughout (RFC 8259 §8.1) and no raw control character inside a
// string (§7). Such text is refused rather than read as whatever the
// bytes happen to be.
func Check(data []byte) error {
	if err := fastjson.ValidateBytes(data); err != nil {
		return err
	}
	if !utf8.Valid(data) {
		for i := 0; i < len(data); {
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				return fmt.Errorf("not UTF-8 at byte %d", i)
			}
			i += size
		}
	}
	if at := controlInString(data); at >= 0 {
		return fmt.Errorf("a control character (0x%02x) inside a string at byte %d", data[at], at)
	}
	return nil
}

// controlInString is the offset of the first byte below 0x20 inside a
// string of the valid JSON text data, or -1. It reads eight bytes at a
// time where it can (a 13 MB document is read in every VM's start-up, and
// byte by byte that cost more than the validator).
func controlInString(data []byte) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	// has reports a byte of x equal to b; below, one under 0x20.
	has := func(x uint64, b byte) bool { y := x ^ (ones * uint64(b)); return (y-ones)&^y&highs != 0 }
	below := func(x uint64) bool { return (x-ones*0x20)&^x&highs != 0 }
	inString := false
	for i := 0; i < len(data); {
		if i+8 <= len(data) {
			x := binary.LittleEndian.Uint64(data[i:])
			if !has(x, '"') && (!inString || (!has(x, '\\') && !below(x))) {
				i += 8
				continue
			}
		}
		c := data[i]
		switch {
		case c == '"':
			inString = !inString
		case !inString:
		case c == '\\':
			i++ // the escaped byte (validated)
		case c < ' ':
			return i
		}
		i++
	}
	return -1
}

// tapeFrom is the size from which a document gets a jsonptr.Tape.
const tapeFrom = 64 << 10

// FromText is the root of doc, a document already checked to be valid
// JSON, read at the configuration path path. The Node aliases doc.
func FromText(path, doc string, errs *Errors) Node {
	var t *jsonptr.Tape
	if len(doc) >= tapeFrom {
		t = jsonptr.NewTape(doc)
	}
	return Node{Path: path, V: gjson.Parse(doc), Errs: errs, look: jsonptr.NewLookup(t)}
}

// Tape is the structural index of the node's document (nil for a small
// one).
func (n Node) Tape() *jsonptr.Tape { return n.look.Tape() }

// At is the value v of the same document at the configuration path path.
func (n Node) At(path string, v gjson.Result) Node {
	return Node{Path: path, V: v, Errs: n.Errs, look: n.look}
}

// Errorf records a problem at this node's path.
func (n Node) Errorf(format string, args ...any) { n.Errs.Addf(n.Path, format, args...) }

func (n Node) child(key string) string {
	if n.Path == "" {
		return key
	}
	return n.Path + "." + key
}

// Exists reports a value (false for the zero Node and absent members).
func (n Node) Exists() bool { return n.V.Exists() }

// IsObject, IsArray and IsString report the node's JSON type.
func (n Node) IsObject() bool { return n.V.IsObject() }
func (n Node) IsArray() bool  { return n.V.IsArray() }
func (n Node) IsString() bool { return n.V.Type == gjson.String }

// IsScalar reports a number or a boolean.
func (n Node) IsScalar() bool {
	return n.V.Type == gjson.Number || n.V.Type == gjson.True || n.V.Type == gjson.False
}

// Text is the node's JSON text (a copy).
func (n Node) Text() string { return strings.Clone(n.V.Raw) }

// Kind names the JSON type of the node for messages.
func (n Node) Kind() string {
	if !n.V.Exists() {
		return "nothing"
	}
	switch n.V.Type {
	case gjson.JSON:
		if n.V.IsArray() {
			return "an array"
		}
		return "an object"
	case gjson.String:
		return "a string"
	case gjson.Number:
		return "a number"
	case gjson.True, gjson.False:
		return "a boolean"
	default:
		return "null"
	}
}

// IsNull reports whether the value is JSON null.
func (n Node) IsNull() bool { return n.V.Type == gjson.Null }

// Object checks that the node is an object whose keys are all in allowed
// (no check when allowed is empty), recording unknown and duplicated keys.
// It returns false when the node is not an object.
func (n Node) Object(allowed ...string) bool {
	if !n.V.IsObject() {
		n.Errorf("want an object, got %s", n.Kind())
		return false
	}
	var seen map[string]bool
	n.Tape().EachKey(n.V, func(key string) bool {
		if seen == nil {
			seen = map[string]bool{}
		}
		if seen[key] {
			n.Errs.Addf(n.child(key), "duplicate key")
		}
		seen[key] = true
		if len(allowed) > 0 && !contains(allowed, key) {
			sorted := append([]string(nil), allowed...)
			sort.Strings(sorted)
			n.Errs.Addf(n.child(key), "unknown key (want one of %s)", strings.Join(sorted, ", "))
		}
		return true
	})
	return true
}

// Keys returns the object's keys in document order (empty if not an object).
func (n Node) Keys() []string {
	if !n.V.IsObject() {
		return nil
	}
	var keys []string
	n.Tape().EachKey(n.V, func(k string) bool {
		keys = append(keys, strings.Clone(k))
		return true
	})
	return keys
}

// Members calls fn for each member of an object node in document order
// (the key aliases the text: clone it to keep it). It records an error and
// returns false when the node is not an object.
func (n Node) Members(fn func(key string, v Node)) bool {
	if !n.V.IsObject() {
		n.Errorf("want an object, got %s", n.Kind())
		return false
	}
	n.Tape().Members(n.V, func(k string, v gjson.Result) bool {
		fn(k, n.At(n.child(k), v))
		return true
	})
	return true
}

// Get returns the member key of an object node (the first, when the key
// is duplicated).
func (n Node) Get(key string) (Node, bool) {
	if !n.V.IsObject() {
		return Node{}, false
	}
	v, ok := n.look.Child(n.V, key)
	if !ok {
		return Node{}, false
	}
	return n.At(n.child(key), v), true
}

// Require returns the member key, recording an error when it is missing.
func (n Node) Require(key string) (Node, bool) {
	c, ok := n.Get(key)
	if !ok {
		n.Errs.Addf(n.child(key), "required")
	}
	return c, ok
}

// Array returns the elements of an array node.
func (n Node) Array() ([]Node, bool) {
	if !n.V.IsArray() {
		n.Errorf("want an array, got %s", n.Kind())
		return nil, false
	}
	var out []Node
	n.Tape().Elements(n.V, func(v gjson.Result) bool {
		out = append(out, n.At(n.Path+"["+strconv.Itoa(len(out))+"]", v))
		return true
	})
	return out, true
}

// String returns a string node's value.
func (n Node) String() (string, bool) {
	if n.V.Type != gjson.String {
		n.Errorf("want a string, got %s", n.Kind())
		return "", false
	}
	return strings.Clone(n.V.Str), true
}

// NonEmptyString is String that also refuses "".
func (n Node) NonEmptyString() (string, bool) {
	s, ok := n.String()
	if ok && s == "" {
		n.Errorf("want a non-empty string")
		return "", false
	}
	return s, ok
}

// Strings returns an array of strings.
func (n Node) Strings() ([]string, bool) {
	items, ok := n.Array()
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		if s, ok := it.String(); ok {
			out = append(out, s)
		}
	}
	return out, len(out) == len(items)
}

// Enum returns a string that must be one of allowed.
func (n Node) Enum(allowed ...string) (string, bool) {
	s, ok := n.String()
	if !ok {
		return "", false
	}
	if !contains(allowed, s) {
		n.Errorf("want one of %s, got %q", quoteAll(allowed), Clip(s))
		return "", false
	}
	return s, true
}

// Bool returns a boolean node's value.
func (n Node) Bool() (bool, bool) {
	switch n.V.Type {
	case gjson.True:
		return true, true
	case gjson.False:
		return false, true
	}
	n.Errorf("want a boolean, got %s", n.Kind())
	return false, false
}

// Int returns an integer in [min, max].
func (n Node) Int(min, max int64) (int64, bool) {
	if n.V.Type != gjson.Number {
		n.Errorf("want an integer, got %s", n.Kind())
		return 0, false
	}
	f := n.V.Num
	if f != math.Trunc(f) || f < math.MinInt64 || f > math.MaxInt64 {
		n.Errorf("want an integer, got %s", Clip(n.V.Raw))
		return 0, false
	}
	i := int64(f)
	if i < min || i > max {
		n.Errorf("want an integer between %d and %d, got %d", min, max, i)
		return 0, false
	}
	return i, true
}

// Float returns a number in [min, max].
func (n Node) Float(min, max float64) (float64, bool) {
	if n.V.Type != gjson.Number {
		n.Errorf("want a number, got %s", n.Kind())
		return 0, false
	}
	f := n.V.Num
	if f < min || f > max {
		n.Errorf("want a number between %s and %s, got %s", fmtFloat(min), fmtFloat(max), fmtFloat(f))
		return 0, false
	}
	return f, true
}

// Duration returns a positive duration written like "5m", "300ms" or "1h30m".
func (n Node) Duration() (time.Duration, bool) {
	if n.V.Type != gjson.String {
		n.Errorf(`want a duration like "5m", got %s`, n.Kind())
		return 0, false
	}
	s := n.V.Str
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		n.Errorf(`want a positive duration like "5m", got %q`, Clip(s))
		return 0, false
	}
	return d, true
}

// Raw returns the node's JSON text, a copy (nil when absent).
func (n Node) Raw() []byte {
	if !n.V.Exists() {
		return nil
	}
	return []byte(n.V.Raw)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func quoteAll(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

// Clip keeps messages one short line even when a value is huge.
func Clip(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// IsToken reports an RFC 9110 token (header names, rule ids, cookie
// names): one or more of letters, digits and !#$%&'*+-.^_`|~.
func IsToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return s != ""
}
