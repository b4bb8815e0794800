// Package inventory counts traffic per known operation and learns the
// shadow endpoints: traffic that matches no operation of the policy,
// grouped into path templates. Counts are kept per VM and merged into
// proxy-wasm shared data from a tick, so that every worker VM contributes
// to one inventory, served as JSON on the admin endpoint.
//
// # Per request
//
// Count(op, status) counts a response (or local reply) of a known
// operation by status class (1xx..5xx, and "other" for a stream without a
// response). Learn(method, path) derives the template of an unknown
// request, counts a hit and returns the template; CountShadow records the
// status of its response. Both are cheap: Learn does not allocate for a
// template it has seen (about 250 ns, mostly the clock), Count is an array
// increment under a mutex.
//
// # Templates
//
// AppendTemplate collapses every path segment that IsID takes for an
// identifier into "{id}": integers and number-like values (dates, IP
// addresses), UUIDs, hex strings of 8+ characters with a digit, mixed
// letters and digits of 8+ characters with two digits or more, base64url-
// like tokens of 16+ characters with both cases well represented, e-mail
// addresses, segments longer than 64 bytes and segments with braces.
// /api/v1/users/42/cards and /api/v1/users/77/cards are both
// GET /api/v1/users/{id}/cards. Segments beyond the 16th become "{...}".
// The heuristics are written without regular expressions. Names such as
// "v1", "oauth2", "transferFunds" or "getAccountBalanceHistory" are kept.
// No raw path, id or query string is stored: only templates, counts, times
// and a 64-bit sketch of hashed paths, from which "examples" estimates the
// number of distinct paths seen (linear counting; exact for a few,
// saturating near 250).
//
// # Shared data
//
// Two keys, each a versioned binary value merged with compare-and-swap
// (up to 8 attempts per key per flush; counts that could not be written
// stay in the VM for the next flush, ErrContention):
//
//	<prefix>inv/ops     'o' 1, count, then per operation id: id, 6 status-class counters
//	<prefix>inv/shadow  's' 1, evicted endpoints, evicted hits, count, then per
//	                    endpoint: method, template, hits, 6 status-class counters,
//	                    first and last seen (unix seconds), 64-bit sketch
//
// Operation counters are keyed by operation id, not index, so a new
// configuration does not mix counts; at most MaxOps ids are kept (ids the
// current configuration does not know are dropped first). A value that
// does not decode (another version, corruption) is replaced.
//
// # Bounds and eviction
//
// The shadow table keeps at most MaxShadow endpoints (default 500, at most
// 10,000; about 100 bytes each). When a flush brings it over the bound,
// the endpoints with the fewest hits go first, then the least recently
// seen, then by template and method; what is evicted is added to the
// "shadow_evicted" counters. A flood of one-off paths thus churns only the
// least-hit entries while real shadow APIs, which accumulate hits, stay.
// Between two flushes a VM tracks at most MaxShadow distinct shadow
// endpoints (entries idle since the last flush make room); hits beyond
// that are counted as evicted hits.
//
// An Inventory is safe for concurrent use; in proxy-wasm each VM has one.
package inventory
