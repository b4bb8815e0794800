// Package openapi reads an OpenAPI 3.0.x or 3.1.x document (JSON; it
// arrives inline under "openapi" in the plugin configuration, and
// cmd/openapi2json turns YAML into it) into plain data that the policy
// compiler turns into endpoints. It runs once, at configure time.
//
// # Contract
//
// Parse (or ParseNode, for a document already inside a parsed
// configuration) validates the document and returns its operations in a
// stable order: paths in document order, methods in the order get, put,
// post, delete, options, head, patch, trace. Every problem is reported with
// its JSON path, all at once (at most cfg.MaxErrors), for example
//
//	openapi.paths./users/{id}.get.parameters[0].in: want one of "query", "header", "path", "cookie", got "body"
//	openapi.paths./a/{id}.get: path parameter "id" of "/a/{id}" is not declared (want a parameter with "in": "path")
//	openapi.components.schemas.User.properties.age.type: unknown type "int"
//	openapi.paths./a.get.parameters[0].$ref: external reference "common.yaml#/X" is not supported (bundle the document into one file)
//
// What is checked: the "openapi" version (3.0.x or 3.1.x; Swagger 2.0 is
// refused with a hint), info (title, version), paths (templates start with
// '/', balanced braces; templates that differ only in parameter names or
// a trailing '/' share a route and must not share a method), the fixed
// fields of every object read (unknown keys are errors, "x-" extensions are
// allowed everywhere), method keys (lower-case), unique operationIds,
// parameters (name, in, style allowed for the location, path parameters
// required, schema or content), every templated path parameter declared
// "in: path" and every path parameter in the template, request bodies,
// media type keys, response status keys ("200", "2XX", "default") and
// descriptions, security requirements naming declared schemes, security
// schemes, server variables used by the base path, and every schema: its
// location holds an object (or a boolean in 3.1) and it compiles with
// policy/schema in the document's dialect. servers (beyond the base path),
// tags, externalDocs, webhooks, callbacks, links, examples and headers'
// details are allowed and not interpreted.
//
// References: local $refs ("#/components/...", or any JSON pointer into the
// document) are resolved for parameters, request bodies, responses, path
// items and security schemes; chains are followed (at most 32 hops) and
// cycles are errors, never loops. Schema $refs are left to the schema
// compiler (pointers are handed on, so recursive schemas work). External
// references are refused with their JSON path.
//
// Defaults follow OpenAPI: style "form" for query and cookie, "simple" for
// path and header; explode true for "form"; path parameters required (an
// explicit "required": false is an error, a missing one is accepted).
// Header parameter names are lower-cased; header parameters named Accept,
// Content-Type and Authorization are ignored, as OpenAPI says. Parameters
// merge path item first, an operation parameter with the same name and
// location replacing it in place. Security is the operation's, else the
// document's; nil means none declared, an empty non-nil list an explicit
// "security: []".
//
// Operation ids are the operationId, or derived (DeriveID): the lower-case
// method and the runs of letters and digits of the path template joined
// with '_' ("GET /users/{id}/accounts" -> "get_users_id_accounts"), made
// unique with "_2", "_3", ... Paths are the template prefixed with the path
// of servers[0].url (server variables at their defaults); Options.BasePath
// overrides it ("/" for no prefix).
//
// # Schemas
//
// Every schema pointer (parameters, request and response media types) is
// compiled once with one schema.Compiler over Document.Raw and stored
// beside the pointer (Param.Schema, MediaType.Schema), so the policy
// compiler does not compile again. The Compiler resolves each $ref once
// through an index of the parsed document and compiles each location
// once, so operations that share components share compiled nodes; schemas
// that are nothing but a $ref are compiled at their target, so they share
// the *schema.Schema too. Components no operation uses are compiled too,
// to report their errors. (This replaced per-schema "minimal documents":
// openapitest.GenerateRefDense(6000, 600), 2.4 MB, went from about 90 s to 0.42 s.)
//
// Media type keys keep their parameters (MediaType.Params, normal form
// from SplitMediaType): "application/json;stream=watch" and
// "application/json" are two entries. readOnly/writeOnly are annotations of
// body properties; parameter values are validated with schema.Parameter,
// which asserts neither. A path parameter with "x-apiwarden-greedy": true
// (Param.Greedy) may span segments; the policy's router requires it to be
// the last segment of its template.
//
// # Limits
//
// Documents up to MaxDocumentBytes (32 MiB) and MaxOperations (20,000);
// $ref chains of 32 hops; the document must be UTF-8. Nothing is parsed
// into a tree: the reader walks gjson views of the document's own text
// (Document.Raw is that text), resolving pointers through one
// jsonptr.Index shared with the schema compiler and the response field
// sets.
//
// # Why hand-written, not kin-openapi
//
// The issue asked to choose between a library (github.com/getkin/kin-openapi,
// v0.152.0 measured) and a hand-written reader by measurement. Both were
// built as wasip1 c-shared modules (GOOS=wasip1 GOARCH=wasm go build
// -buildmode=c-shared) that parse openapitest.GenerateSynthetic(n) through an exported
// function, next to a base module that only generates the document:
//
//	module                        .wasm size   WASI imports
//	base (generator only)         3.75 MB      16, all on the allow-list
//	hand-written (this package)   4.75 MB      16, all on the allow-list
//	kin-openapi loader+Validate  15.65 MB      24: adds fd_filestat_get, fd_readdir,
//	                                           path_filestat_get, path_readlink
//
// kin-openapi adds 11.9 MB to the module (this package 1.0 MB, including
// policy/schema) and imports four file-system functions that are not on
// the design's allow-list (an Envoy that does not provide them refuses to
// load the module). Parse time for 2,000 operations (1.7 MB of JSON):
//
//	                                 native (go test -bench)     wasm (wazero, best of 5)
//	hand-written, schemas compiled   0.22 s, 190 MB, 1.64 M allocs   3.46 s
//	hand-written, SkipSchemas        0.05 s,  75 MB, 0.33 M allocs   1.00 s
//	kin-openapi LoadFromData         0.40 s, 157 MB, 2.55 M allocs
//	kin-openapi Load + Validate      0.43 s, 172 MB, 2.67 M allocs   4.58 s
//
// and for 200 operations in wasm: 0.18 s (0.05 s without schemas) against
// kin-openapi's 0.45 s. kin-openapi's result would still need its schemas
// compiled by policy/schema and its errors mapped to JSON paths; it also
// brings a YAML stack the plugin never needs (YAML is converted offline by
// cmd/openapi2json). Hence the hand-written reader. The measurement
// programs live outside the repository (a module with its own go.mod that
// replaces github.com/apiwarden/apiwarden with this checkout); the
// benchmark here is BenchmarkParseSynthetic2000.
package openapi
