// Package schema compiles JSON Schema (as used by OpenAPI 3.0 and 3.1) into
// an immutable validator that reads instances as raw JSON, without
// unmarshalling them.
//
// # Use
//
//	s, err := schema.Compile(openapiDoc, "/components/schemas/Transfer", schema.Options{})
//	...
//	out = s.Validate(body, schema.Request, 8, out[:0]) // len(out) == 0: valid
//
// Compile takes the whole JSON document and a JSON pointer to the schema in
// it, so $refs such as "#/components/schemas/Money" resolve against the
// document. Compile is pure and reports every problem it finds at once
// (errors.Join), each prefixed with its JSON pointer in the document:
//
//	/components/schemas/Transfer/properties/amount/minimum: want a number, got "x"
//
// To compile many locations of one document (an OpenAPI document's
// parameters, bodies and responses), use NewCompiler and Compiler.Compile:
// the document is checked once, each $ref is resolved once through an
// index (pointer prefixes cached, members of large objects in a map), and
// each location is compiled once and shared by every schema that reaches
// it. The compiled schemas copy the strings they keep (once per distinct
// value), so they hold no reference to the document.
//
// A *Schema is immutable and safe for concurrent use. Validate allocates
// nothing for a valid instance (it allocates only to build violations, and
// for numbers with more than 19 significant digits under multipleOf), and
// does not retain the instance.
//
// # Dialects
//
//   - OpenAPI30: draft 4 keywords plus "nullable"; exclusiveMinimum and
//     exclusiveMaximum are booleans beside minimum/maximum; siblings of
//     "$ref" are ignored; "type" must be a single name; "id" is not a
//     keyword. nullable: true adds null to the types named by "type" (and
//     only when "type" is present); other keywords such as "enum" still
//     apply to null, as clarified by OpenAPI 3.0.3.
//   - OpenAPI31, Draft2020: draft 2020-12. Boolean schemas, "const",
//     numeric exclusive bounds, type arrays, prefixItems, $ref with
//     siblings, $defs.
//   - Draft4: draft 4 (type arrays, "id" at the root only).
//
// In every dialect "integer" accepts numbers without a fractional part
// whatever their spelling (1.0, 1e2), as draft 6 and later do.
//
// In the OpenAPI dialects an empty "enum" is no constraint, as
// kin-openapi reads it: generators emit "enum": [] beside the real
// constraint (Discord's published description does, next to an allOf
// naming the enum), and JSON Schema's letter (nothing validates) would
// refuse every request to such an operation. Draft2020 keeps the letter.
//
// # Keywords
//
// Claimed (asserted) keywords: type, nullable (3.0), enum, const (2020),
// minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf,
// minLength, maxLength, pattern, format, items (schema; array form in
// draft 4), additionalItems (draft 4), prefixItems (2020), contains,
// minContains, maxContains (2020), minItems, maxItems, uniqueItems,
// properties, patternProperties, additionalProperties, propertyNames
// (2020), required, dependencies (draft 4), dependentRequired and
// dependentSchemas (2020), minProperties, maxProperties, allOf, anyOf,
// oneOf, not, if/then/else (2020), $ref, $defs/definitions, readOnly,
// writeOnly. Unknown keywords, "x-" extensions, "example", "default",
// "title", "description", "deprecated", "xml", "externalDocs" and
// "discriminator" are annotations and ignored: discriminator does not
// select a oneOf branch; oneOf still requires exactly one match.
//
// Not supported: unevaluatedProperties, unevaluatedItems, $dynamicRef,
// $dynamicAnchor, $anchor and location-independent "#name" references,
// $id/id that change the base URI below the document root (a $ref under
// such a schema is a compile error), $vocabulary, content* keywords
// (annotations). SUITE.md lists the JSON Schema Test Suite results.
//
// Numbers are compared exactly as decimals (no float64 rounding):
// bounds, const/enum/uniqueItems equality (1 == 1.0) and multipleOf
// (0.0075 is a multiple of 0.0001). JSON equality ignores object member
// order. Strings are compared after unescaping.
//
// # References
//
// Only references within the document are followed: "#" or "#/json/pointer",
// with "~0", "~1" and percent-encoding ("#/components/schemas/a%20b").
// Anything else (another file, a URL, an anchor) is refused at compile time.
// Recursive schemas (a tree node whose children refer back to it) compile
// once and validate as deep as the instance, within the depth limit. A
// reference cycle that never moves into the instance ({"$ref": "#"} at the
// root, or allOf/anyOf/oneOf/not/if/dependentSchemas that lead back to the
// same schema) is a compile error, since it could never terminate.
//
// # Direction: readOnly and writeOnly
//
// Validate takes the direction of the message. In a Request a value whose
// schema says readOnly: true is a violation (keyword "readOnly"), and a
// required readOnly property may be absent; in a Response the same holds
// for writeOnly. readOnly/writeOnly are found on the property schema, through
// its $ref chain and its allOf members.
//
// # Formats
//
// Formats are asserted by default (Options.IgnoreFormats turns them into
// annotations, as plain draft 2020-12 does), and only for the type they
// concern: string formats ignore non-strings, number formats ignore
// non-numbers. Unknown formats (and "password", "binary", "float",
// "double") are ignored.
//
//   - date-time, date, time: RFC 3339 (full-date, full-time with a
//     mandatory offset; real days of month and leap years; second 60 only
//     at 23:59:60 UTC).
//   - email: a pragmatic RFC 5321 subset: dot-atom or quoted local part, a
//     host name or [IPv4] / [IPv6:...] literal. No internationalised
//     addresses.
//   - uuid: 8-4-4-4-12 hexadecimal, any version.
//   - ipv4: dotted quad, no leading zeros. ipv6: RFC 4291 text form, no
//     zone ("%eth0").
//   - uri: absolute URI (scheme required), RFC 3986 characters only, valid
//     percent escapes, brackets only around an IPv6 host.
//   - hostname: RFC 1123 labels (letters, digits, hyphen; 1-63 bytes; 253
//     in all). A-labels ("xn--") are not Punycode-decoded.
//   - int32, int64: an integral number in the signed range.
//   - byte: standard base64 with padding.
//
// # Regular expressions
//
// "pattern" and "patternProperties" use Go's regexp (RE2), not ECMA-262,
// unanchored like ECMA's RegExp.test. Differences that matter:
// lookahead/lookbehind ((?=, (?!, (?<=, (?<!) and backreferences (\1, \k<n>)
// do not exist in RE2: such a pattern is a compile error naming its
// location. \c control escapes are errors too. \s matches only ASCII
// whitespace (ECMA includes Unicode spaces), \d and \w are ASCII-only
// in both. Matching is linear-time: no catastrophic backtracking.
//
// # Limits
//
//   - Instance nesting: Options.MaxDepth (default 64; a scalar is depth 0,
//     [] is 1). A deeper instance yields one "maxDepth" violation, checked
//     by an iterative scan before anything else, so hostile nesting
//     cannot exhaust the stack.
//   - Invalid JSON yields one "json" violation (checked with gjson.Valid).
//   - Schema documents: nesting at most 256, at most 100000 schemas.
//   - Violations: at most max per call (max < 1 means 1). Validation stops
//     as soon as the budget is spent.
//   - Duplicate member names in an instance are all validated (gjson and
//     most upstream parsers disagree on which one wins); this package does
//     not flag them.
//
// # Violations
//
// A Violation carries the JSON pointer of the offending value in the
// instance, the keyword, a message and the keyword's location in the
// schema document. Messages never include instance values, which may be
// secrets: "want integer, got string", "length 3 below minLength 5",
// "not a valid date-time". They may include schema constants (bounds,
// patterns, property names). anyOf/oneOf/not report one violation at the
// combinator, not the failures of each branch.
//
// # Dependencies
//
// Standard library (unsafe only to view the instance bytes as a string
// without copying) and github.com/tidwall/gjson. No file-system access.
//
// Validate is plain JSON Schema. ValidateWith takes Semantics: with
// Float64 numbers, bounds are compared on the value a float64 backend
// holds, and Scan refuses, before validation, numbers that become 0 or
// overflow as a float64 and (StrictText) strings that are not I-JSON text
// (invalid UTF-8, unpaired surrogate escapes).
package schema
