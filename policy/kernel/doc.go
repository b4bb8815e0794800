// Package kernel holds the terms every apiwarden engine shares, so that
// request validation, sequences, response protection and the stages to
// come (authentication, rate limits) speak one language without importing
// each other:
//
//   - decisions: Mode, Action, Verdict, Reason (one table: HTTP status,
//     problem type slug, title), Decision and Violation, Decide and Worse;
//   - the shared-data port: Store (proxy-wasm shared data: compare-and-swap,
//     no delete, no expiry), MemStore with Envoy's exact semantics, and
//     Update, the one compare-and-swap read-modify-write loop;
//   - the JSON toolkit: AppendString for everything that reaches a log line
//     or a report, AppendEscaped for JSON text whose bytes must be kept,
//     Object for members, and JSON-pointer token escapes.
//
// kernel is a leaf: it imports only the standard library.
package kernel
