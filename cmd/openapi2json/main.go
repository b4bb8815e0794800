// Command openapi2json turns an OpenAPI document written in YAML (or JSON)
// into the JSON the plugin configuration embeds under "openapi", and checks
// it with the same parser the plugin uses.
//
//	go run ./cmd/openapi2json -in examples/bank/openapi.yaml \
//	    -base examples/bank/apiwarden.base.json -out build/apiwarden.json
//
// With -base, the base configuration (a JSON object) is written with its
// "openapi" key set to the document (added last when absent, replaced in
// place otherwise); without it, only the document is written. -out
// defaults to standard output. The output is indented JSON that keeps the
// key order of both inputs (paths stay in document order, which decides
// the order of the operations).
//
// An invalid document exits with status 1 and one line per problem, each
// naming its JSON path in the configuration ("openapi.paths./users.get...").
//
// YAML is read with go.yaml.in/yaml/v3 as a node tree rather than with
// sigs.k8s.io/yaml, whose conversion goes through Go maps and sorts keys.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apiwarden/apiwarden/policy"
	"github.com/apiwarden/apiwarden/policy/openapi"
	yaml "go.yaml.in/yaml/v3"
)

func main() {
	in := flag.String("in", "", "OpenAPI document, YAML or JSON (required)")
	base := flag.String("base", "", "base apiwarden configuration (JSON object) whose \"openapi\" key is set")
	out := flag.String("out", "", "output file (default: standard output)")
	basePath := flag.String("base-path", "", "check with this base path instead of the path of servers[0].url (\"/\": none)")
	flag.Parse()
	if *in == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: openapi2json -in openapi.yaml [-base apiwarden.base.json] [-out apiwarden.json]")
		os.Exit(2)
	}
	if err := run(*in, *base, *out, *basePath, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "openapi2json:", strings.ReplaceAll(err.Error(), "\n", "\nopenapi2json: "))
		os.Exit(1)
	}
}

func run(inPath, basePath, outPath, serverBase string, stdout io.Writer) error {
	src, err := os.ReadFile(inPath)
	if err != nil {
		return err
	}
	var base []byte
	if basePath != "" {
		if base, err = os.ReadFile(basePath); err != nil {
			return err
		}
	}
	out, err := Convert(src, base, openapi.Options{BasePath: serverBase})
	if err != nil {
		return fmt.Errorf("%s: %w", inPath, err)
	}
	if outPath == "" {
		_, err = stdout.Write(out)
		return err
	}
	return os.WriteFile(outPath, out, 0o644)
}

// Convert turns an OpenAPI document (YAML or JSON) into JSON, checks it
// and, when base is not empty, embeds it as the "openapi" member of that
// configuration object. The check is policy.Compile on the configuration
// (base, or an empty one, with the document embedded, and
// opts.BasePath as openapi_base_path), the same as check-config and
// proxy_on_configure: the same problems at the same JSON paths. The result
// is indented and ends with a newline.
func Convert(src, base []byte, opts openapi.Options) ([]byte, error) {
	doc, err := ToJSON(src)
	if err != nil {
		return nil, err
	}
	check := base
	if len(check) == 0 {
		check = []byte(`{}`)
		if opts.BasePath != "" {
			check = appendJSONString([]byte(`{"openapi_base_path":`), opts.BasePath)
			check = append(check, '}')
		}
	}
	if check, err = embed(check, doc); err != nil {
		return nil, err
	}
	if _, err := policy.Compile(check); err != nil {
		return nil, err
	}
	out := doc
	if len(base) > 0 {
		out = check
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, out, "", "  "); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// embed sets the "openapi" member of the JSON object base to doc, keeping
// the other members (and their text) in order.
func embed(base, doc []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(base))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("base configuration: want a JSON object")
	}
	out := []byte{'{'}
	replaced := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("base configuration: %w", err)
		}
		key := tok.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, fmt.Errorf("base configuration: %s: %w", key, err)
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = appendJSONString(out, key)
		out = append(out, ':')
		if key == "openapi" {
			if replaced {
				return nil, errors.New("base configuration: duplicate key \"openapi\"")
			}
			replaced = true
			val = doc
		}
		out = append(out, val...)
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("base configuration: %w", err)
	}
	if dec.More() {
		return nil, errors.New("base configuration: want one JSON object")
	}
	if !replaced {
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(out, `"openapi":`...)
		out = append(out, doc...)
	}
	return append(out, '}'), nil
}

// maxOutput bounds the JSON a YAML document may expand into (aliases can
// multiply a small document).
const maxOutput = openapi.MaxDocumentBytes

// ToJSON converts a YAML 1.2 document (JSON is YAML) into compact JSON,
// keeping the key order. Mapping keys become strings; anchors and aliases
// are expanded; merge keys ("<<") are applied; .inf and .nan are refused.
func ToJSON(src []byte) ([]byte, error) {
	trimmed := bytes.TrimSpace(src)
	if len(trimmed) > 0 && trimmed[0] == '{' && json.Valid(trimmed) {
		var buf bytes.Buffer
		if err := json.Compact(&buf, trimmed); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	if root.Kind == 0 {
		return nil, errors.New("empty document")
	}
	c := converter{}
	if err := c.value(&root, 0); err != nil {
		return nil, err
	}
	return c.out, nil
}

type converter struct {
	out []byte
}

func (c *converter) value(n *yaml.Node, depth int) error {
	if depth > 256 {
		return fmt.Errorf("line %d: nested deeper than 256", n.Line)
	}
	if len(c.out) > maxOutput {
		return fmt.Errorf("document expands to more than %d bytes of JSON", maxOutput)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return errors.New("want one YAML document")
		}
		return c.value(n.Content[0], depth)
	case yaml.AliasNode:
		return c.value(n.Alias, depth+1)
	case yaml.SequenceNode:
		c.out = append(c.out, '[')
		for i, it := range n.Content {
			if i > 0 {
				c.out = append(c.out, ',')
			}
			if err := c.value(it, depth+1); err != nil {
				return err
			}
		}
		c.out = append(c.out, ']')
		return nil
	case yaml.MappingNode:
		pairs, err := mappingPairs(n, 0)
		if err != nil {
			return err
		}
		c.out = append(c.out, '{')
		for i, kv := range pairs {
			if i > 0 {
				c.out = append(c.out, ',')
			}
			c.out = appendJSONString(c.out, kv.key)
			c.out = append(c.out, ':')
			if err := c.value(kv.val, depth+1); err != nil {
				return err
			}
		}
		c.out = append(c.out, '}')
		return nil
	case yaml.ScalarNode:
		return c.scalar(n)
	}
	return fmt.Errorf("line %d: unsupported YAML node", n.Line)
}

type pair struct {
	key string
	val *yaml.Node
}

// mappingPairs lists a mapping's members in order, applying merge keys:
// merged members come first at the place of "<<", explicit keys win.
func mappingPairs(n *yaml.Node, depth int) ([]pair, error) {
	if depth > 32 {
		return nil, fmt.Errorf("line %d: merge keys nested too deep", n.Line)
	}
	explicit := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := deref(n.Content[i])
		if k.Kind == yaml.ScalarNode && k.ShortTag() != "!!merge" {
			explicit[k.Value] = true
		}
	}
	var out []pair
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("line %d: mapping keys must be scalars", k.Line)
		}
		if k.ShortTag() == "!!merge" {
			srcs := []*yaml.Node{deref(v)}
			if srcs[0].Kind == yaml.SequenceNode {
				srcs = nil
				for _, s := range deref(v).Content {
					srcs = append(srcs, deref(s))
				}
			}
			for _, s := range srcs {
				if s.Kind != yaml.MappingNode {
					return nil, fmt.Errorf("line %d: a merge key needs a mapping", s.Line)
				}
				merged, err := mappingPairs(s, depth+1)
				if err != nil {
					return nil, err
				}
				for _, kv := range merged {
					if !explicit[kv.key] && !seen[kv.key] {
						seen[kv.key] = true
						out = append(out, kv)
					}
				}
			}
			continue
		}
		if seen[k.Value] {
			return nil, fmt.Errorf("line %d: duplicate key %q", k.Line, k.Value)
		}
		seen[k.Value] = true
		out = append(out, pair{key: k.Value, val: v})
	}
	return out, nil
}

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 64; i++ {
		n = n.Alias
	}
	return n
}

func (c *converter) scalar(n *yaml.Node) error {
	switch n.ShortTag() {
	case "!!null":
		c.out = append(c.out, "null"...)
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		c.out = strconv.AppendBool(c.out, b)
	case "!!int", "!!float":
		if json.Valid([]byte(n.Value)) {
			c.out = append(c.out, n.Value...)
			return nil
		}
		var f float64
		if err := n.Decode(&f); err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return fmt.Errorf("line %d: %s has no JSON representation", n.Line, n.Value)
		}
		if n.ShortTag() == "!!int" {
			var i int64
			if err := n.Decode(&i); err == nil {
				c.out = strconv.AppendInt(c.out, i, 10)
				return nil
			}
		}
		c.out = strconv.AppendFloat(c.out, f, 'g', -1, 64)
	default: // !!str, !!timestamp, !!binary and custom tags keep their text
		c.out = appendJSONString(c.out, n.Value)
	}
	return nil
}

// appendJSONString appends s as a JSON string (invalid UTF-8 becomes
// U+FFFD).
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			dst = append(dst, '\\', byte(r))
		case r == '\n':
			dst = append(dst, '\\', 'n')
		case r == '\t':
			dst = append(dst, '\\', 't')
		case r == '\r':
			dst = append(dst, '\\', 'r')
		case r < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[r>>4], hex[r&0xf])
		default:
			dst = utf8.AppendRune(dst, r)
		}
	}
	return append(dst, '"')
}
