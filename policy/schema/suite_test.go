package schema

import (
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

var update = flag.Bool("update", false, "rewrite SUITE.md from the current results")

// suiteRoot is the JSON Schema Test Suite (draft4 and draft2020-12 only),
// copied into testdata with its licence so a clean clone tests the same
// thing everywhere (see testdata/json-schema-test-suite/SOURCE.md).
var suiteRoot = filepath.Join("testdata", "json-schema-test-suite")

// suiteDialect describes how one folder of the suite is run.
type suiteDialect struct {
	dir     string
	dialect Dialect
	// claimed lists the files run, with the options they need.
	claimed map[string]Options
	// unclaimed lists the files not run, with the reason.
	unclaimed map[string]string
	// expected lists the groups ("file: group description") known to
	// fail, with the reason. Any other failing group fails the test, and
	// so does a listed group that passes (the list must stay exact).
	expected map[string]string
}

func claim(d Dialect, files ...string) map[string]Options {
	m := map[string]Options{}
	for _, f := range files {
		m[f] = Options{Dialect: d}
	}
	return m
}

const (
	whyID      = "embedded $id/id changes the base URI; refs under it are refused"
	whyRemote  = "remote (non-\"#\") reference; refused at compile time by design"
	whyAnchor  = "$anchor / location-independent identifiers are not supported"
	whyUneval  = "unevaluatedProperties/unevaluatedItems are not supported"
	whyDynamic = "$dynamicRef/$dynamicAnchor are not supported"
	whyRegex   = "Go RE2 differs from ECMA-262"
	whyBignum  = "big numbers beyond float64"
)

var suites = []suiteDialect{
	{
		dir:     "draft4",
		dialect: Draft4,
		claimed: claim(Draft4,
			"additionalItems.json", "additionalProperties.json", "allOf.json", "anyOf.json",
			"default.json", "definitions.json", "dependencies.json", "enum.json", "format.json",
			"infinite-loop-detection.json", "items.json", "maxItems.json", "maxLength.json",
			"maxProperties.json", "maximum.json", "minItems.json", "minLength.json",
			"minProperties.json", "minimum.json", "multipleOf.json", "not.json", "oneOf.json",
			"pattern.json", "patternProperties.json", "properties.json", "ref.json",
			"required.json", "type.json", "uniqueItems.json",
			"optional/bignum.json", "optional/ecmascript-regex.json", "optional/float-overflow.json",
			"optional/non-bmp-regex.json", "optional/zeroTerminatedFloats.json",
			"optional/format/date-time.json", "optional/format/email.json",
			"optional/format/hostname.json", "optional/format/ipv4.json",
			"optional/format/ipv6.json", "optional/format/unknown.json", "optional/format/uri.json"),
		unclaimed: map[string]string{
			"refRemote.json":   whyRemote,
			"optional/id.json": whyID,
		},
		expected: map[string]string{
			"definitions.json: validate definition against metaschema":                                                       whyRemote,
			"optional/ecmascript-regex.json: ECMA 262 regex escapes control codes with \\c and upper letter":                 whyRegex + ": no \\c escapes (compile error)",
			"optional/ecmascript-regex.json: ECMA 262 regex escapes control codes with \\c and lower letter":                 whyRegex + ": no \\c escapes (compile error)",
			"optional/ecmascript-regex.json: ECMA 262 \\s matches whitespace":                                                whyRegex + ": \\s is ASCII whitespace only",
			"optional/ecmascript-regex.json: ECMA 262 \\S matches everything but whitespace":                                 whyRegex + ": \\s is ASCII whitespace only",
			"optional/zeroTerminatedFloats.json: some languages do not distinguish between different types of numeric value": "by design 1.0 is an integer (as in later drafts and OpenAPI practice)",
			"ref.json: $ref prevents a sibling id from changing the base uri":                                                whyID,
			"ref.json: remote ref, containing refs itself":                                                                   whyRemote,
			"ref.json: Recursive references between schemas":                                                                 whyRemote,
			"ref.json: Location-independent identifier":                                                                      whyAnchor,
			"ref.json: Location-independent identifier with base URI change in subschema":                                    whyRemote,
			"ref.json: id must be resolved against nearest parent, not just immediate parent":                                whyRemote,
		},
	},
	{
		dir:     "draft2020-12",
		dialect: Draft2020,
		claimed: claim(Draft2020,
			"additionalProperties.json", "allOf.json", "anyOf.json", "boolean_schema.json",
			"const.json", "contains.json", "default.json", "defs.json", "dependentRequired.json",
			"dependentSchemas.json", "enum.json", "exclusiveMaximum.json", "exclusiveMinimum.json",
			"format.json", "if-then-else.json", "infinite-loop-detection.json", "items.json",
			"maxContains.json", "maxItems.json", "maxLength.json", "maxProperties.json",
			"maximum.json", "minContains.json", "minItems.json", "minLength.json",
			"minProperties.json", "minimum.json", "multipleOf.json", "not.json", "oneOf.json",
			"pattern.json", "patternProperties.json", "prefixItems.json", "properties.json",
			"propertyNames.json", "ref.json", "required.json", "type.json", "uniqueItems.json",
			"optional/bignum.json", "optional/ecmascript-regex.json", "optional/float-overflow.json",
			"optional/non-bmp-regex.json", "optional/unknownKeyword.json",
			"optional/format/date-time.json", "optional/format/date.json",
			"optional/format/email.json", "optional/format/hostname.json",
			"optional/format/ipv4.json", "optional/format/ipv6.json",
			"optional/format/time.json", "optional/format/unknown.json",
			"optional/format/uri.json", "optional/format/uuid.json"),
		unclaimed: map[string]string{
			"anchor.json":                                whyAnchor,
			"content.json":                               "contentEncoding/contentMediaType/contentSchema are annotations only",
			"dynamicRef.json":                            whyDynamic,
			"refRemote.json":                             whyRemote,
			"unevaluatedItems.json":                      whyUneval,
			"unevaluatedProperties.json":                 whyUneval,
			"vocabulary.json":                            "$vocabulary and custom metaschemas are not supported",
			"optional/anchor.json":                       whyAnchor,
			"optional/cross-draft.json":                  whyRemote,
			"optional/dependencies-compatibility.json":   "draft 4-7 \"dependencies\" is not a 2020-12 keyword",
			"optional/dynamicRef.json":                   whyDynamic,
			"optional/format-assertion.json":             "format-assertion vocabulary needs custom metaschemas",
			"optional/id.json":                           whyID,
			"optional/no-schema.json":                    "tests schemas without $schema in another dialect",
			"optional/refOfUnknownKeyword.json":          "refs into unknown keywords are not schema locations we compile",
			"optional/format/duration.json":              "format not claimed",
			"optional/format/ecmascript-regex.json":      "format not claimed",
			"optional/format/idn-email.json":             "format not claimed",
			"optional/format/idn-hostname.json":          "format not claimed",
			"optional/format/iri-reference.json":         "format not claimed",
			"optional/format/iri.json":                   "format not claimed",
			"optional/format/json-pointer.json":          "format not claimed",
			"optional/format/regex.json":                 "format not claimed",
			"optional/format/relative-json-pointer.json": "format not claimed",
			"optional/format/uri-reference.json":         "format not claimed",
			"optional/format/uri-template.json":          "format not claimed",
		},
		expected: map[string]string{
			"defs.json: validate definition against metaschema":                                              whyRemote,
			"not.json: collect annotations inside a 'not', even if collection is disabled":                   whyUneval,
			"optional/ecmascript-regex.json: ECMA 262 regex escapes control codes with \\c and upper letter": whyRegex + ": no \\c escapes (compile error)",
			"optional/ecmascript-regex.json: ECMA 262 regex escapes control codes with \\c and lower letter": whyRegex + ": no \\c escapes (compile error)",
			"optional/ecmascript-regex.json: ECMA 262 \\s matches whitespace":                                whyRegex + ": \\s is ASCII whitespace only",
			"optional/ecmascript-regex.json: ECMA 262 \\S matches everything but whitespace":                 whyRegex + ": \\s is ASCII whitespace only",
			"optional/format/hostname.json: validation of A-label (punycode) host names":                     "A-labels are checked as LDH labels only; Punycode/IDNA rules need Unicode tables",
			"optional/unknownKeyword.json: $id inside an unknown keyword is not a real identifier":           whyRemote,
			"ref.json: remote ref, containing refs itself":                                                   whyRemote,
			"ref.json: Recursive references between schemas":                                                 whyRemote,
			"ref.json: ref creates new scope when adjacent to keywords":                                      whyUneval,
			"ref.json: refs with relative uris and defs":                                                     whyID,
			"ref.json: relative refs with absolute uris and defs":                                            whyID,
			"ref.json: $id must be resolved against nearest parent, not just immediate parent":               whyRemote,
			"ref.json: order of evaluation: $id and $ref":                                                    whyRemote,
			"ref.json: order of evaluation: $id and $anchor and $ref":                                        whyAnchor,
			"ref.json: order of evaluation: $id and $ref on nested schema":                                   whyRemote,
			"ref.json: simple URN base URI with $ref via the URN":                                            whyRemote,
			"ref.json: URN base URI with URN and JSON pointer ref":                                           whyRemote,
			"ref.json: URN base URI with URN and anchor ref":                                                 whyRemote,
			"ref.json: URN ref with nested pointer ref":                                                      whyRemote,
			"ref.json: ref to if":                        whyRemote,
			"ref.json: ref to then":                      whyRemote,
			"ref.json: ref to else":                      whyRemote,
			"ref.json: ref with absolute-path-reference": whyRemote,
		},
	},
}

func init() {
	// 2020-12 format.json checks that format is an annotation by default.
	suites[1].claimed["format.json"] = Options{Dialect: Draft2020, IgnoreFormats: true}
}

type suiteGroup struct {
	Description string          `json:"description"`
	Schema      json.RawMessage `json:"schema"`
	Tests       []struct {
		Description string          `json:"description"`
		Data        json.RawMessage `json:"data"`
		Valid       bool            `json:"valid"`
	} `json:"tests"`
}

type groupResult struct {
	key    string // "file: description"
	tests  int
	passed int
	detail string // first failure
}

type fileResult struct {
	file   string
	groups []groupResult
}

func runSuiteFile(t *testing.T, path string, opts Options) fileResult {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var groups []suiteGroup
	if err := json.Unmarshal(data, &groups); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var fr fileResult
	for _, g := range groups {
		gr := groupResult{tests: len(g.Tests)}
		s, cerr := Compile(g.Schema, "", opts)
		for _, tc := range g.Tests {
			if cerr != nil {
				if gr.detail == "" {
					gr.detail = "compile: " + firstLine(cerr.Error())
				}
				continue
			}
			got := s.Valid(tc.Data, Request)
			if got == tc.Valid {
				gr.passed++
			} else if gr.detail == "" {
				gr.detail = fmt.Sprintf("%q: got valid=%v", tc.Description, got)
			}
		}
		gr.key = g.Description
		fr.groups = append(fr.groups, gr)
	}
	return fr
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " (and more)"
	}
	return s
}

type dialectReport struct {
	dir                  string
	files, groups, tests int
	passedGroups, passed int
	failing              []string // "file: group — reason"
}

func runSuite(t *testing.T) []dialectReport {
	t.Helper()
	if _, err := os.Stat(suiteRoot); err != nil {
		t.Fatalf("JSON Schema Test Suite not found at %s: %v", suiteRoot, err)
	}
	var reports []dialectReport
	for _, sd := range suites {
		rep := dialectReport{dir: sd.dir}
		base := filepath.Join(suiteRoot, sd.dir)
		var all []string
		err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
				rel, _ := filepath.Rel(base, p)
				all = append(all, filepath.ToSlash(rel))
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(all)
		seen := map[string]bool{}
		for _, f := range all {
			seen[f] = true
			opts, ok := sd.claimed[f]
			if !ok {
				if _, ok := sd.unclaimed[f]; !ok {
					t.Errorf("%s/%s: file neither claimed nor listed as unclaimed", sd.dir, f)
				}
				continue
			}
			fr := runSuiteFile(t, filepath.Join(base, f), opts)
			rep.files++
			for _, g := range fr.groups {
				key := f + ": " + g.key
				rep.groups++
				rep.tests += g.tests
				rep.passed += g.passed
				reason, expected := sd.expected[key]
				switch {
				case g.passed == g.tests:
					rep.passedGroups++
					if expected {
						t.Errorf("%s/%s: listed as failing (%s) but passes; remove it from the list", sd.dir, key, reason)
					}
				case expected:
					rep.failing = append(rep.failing, fmt.Sprintf("%s (%d/%d) — %s", key, g.passed, g.tests, reason))
				default:
					t.Errorf("%s/%s: %d/%d passed; first failure: %s", sd.dir, key, g.passed, g.tests, g.detail)
				}
			}
		}
		for f := range sd.claimed {
			if !seen[f] {
				t.Errorf("%s/%s: claimed file is missing from the suite", sd.dir, f)
			}
		}
		for f := range sd.unclaimed {
			if !seen[f] {
				t.Errorf("%s/%s: unclaimed file is missing from the suite", sd.dir, f)
			}
		}
		reports = append(reports, rep)
	}
	return reports
}

func TestSuite(t *testing.T) {
	runSuite(t)
	// Every keyword kind was compiled and validated: a write through a
	// node instead of its nodeBuild would have changed a shared zero,
	// and with it every node that has no keyword of that kind.
	assert.Equal(t, numKw{}, zeroNum)
	assert.Equal(t, arrKw{minContains: -1, maxContains: -1, minItems: -1, maxItems: -1}, zeroArr)
	assert.Equal(t, objKw{minProps: -1, maxProps: -1}, zeroObj)
	assert.Equal(t, logicKw{}, zeroLogic)
}

// TestSuiteReport prints the pass counts and checks that SUITE.md is up to
// date (go test -run TestSuiteReport -update rewrites it).
func TestSuiteReport(t *testing.T) {
	reports := runSuite(t)
	var b strings.Builder
	b.WriteString("# JSON Schema Test Suite results\n\n")
	b.WriteString("Generated by `go test ./policy/schema -run TestSuiteReport -update`; checked by the same test without `-update`.\n")
	b.WriteString("Suite: `policy/schema/testdata/json-schema-test-suite` (see SOURCE.md there).\n\n")
	b.WriteString("| dialect | files run | groups passed | tests passed |\n|---|---|---|---|\n")
	for _, r := range reports {
		fmt.Fprintf(&b, "| %s | %d | %d/%d | %d/%d |\n", r.dir, r.files, r.passedGroups, r.groups, r.passed, r.tests)
	}
	for i, r := range reports {
		sd := suites[i]
		fmt.Fprintf(&b, "\n## %s\n\nClaimed files:\n\n", r.dir)
		var files []string
		for f := range sd.claimed {
			files = append(files, f)
		}
		sort.Strings(files)
		for _, f := range files {
			fmt.Fprintf(&b, "- %s\n", f)
		}
		b.WriteString("\nNot run (by file):\n\n")
		files = files[:0]
		for f := range sd.unclaimed {
			files = append(files, f)
		}
		sort.Strings(files)
		for _, f := range files {
			fmt.Fprintf(&b, "- %s — %s\n", f, sd.unclaimed[f])
		}
		b.WriteString("\nKnown failing groups:\n\n")
		if len(r.failing) == 0 {
			b.WriteString("- none\n")
		}
		sort.Strings(r.failing)
		for _, f := range r.failing {
			fmt.Fprintf(&b, "- %s\n", f)
		}
	}
	report := b.String()
	t.Log("\n" + report)
	if t.Failed() {
		return
	}
	if *update {
		if err := os.WriteFile("SUITE.md", []byte(report), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	old, err := os.ReadFile("SUITE.md")
	if err != nil || string(old) != report {
		t.Errorf("SUITE.md is stale; run go test -run TestSuiteReport -update")
	}
}
