// Package trace gives every request a W3C trace context, so that every
// decision and security event carries a trace id.
//
// # Contract
//
// The filter reads traceparent, tracestate (and b3 when configured) in
// on_request_headers and calls Config.Incoming with 24 random bytes from
// the host. The result is the sender's context (or a new trace); Child
// with 8 more random bytes gives the context to propagate upstream: same
// trace id, flags and tracestate, this proxy's span as parent id. String
// (or the allocation-free AppendTraceparent) formats traceparent;
// TraceIDString is the id for logs. Everything is a value; nothing here
// touches the host.
//
// # traceparent
//
//	00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
//	version-trace-id-parent-id-flags, all lower-case hex
//
// Version ff is invalid. Version 00 must be exactly 55 characters. A
// higher version is read as 00 when it is at least 55 characters and,
// when longer, has '-' at position 55 (later fields are ignored), as the
// specification asks of version-00 parsers. Trace id (32 hex) and parent
// id (16 hex) must not be all zeros; flags are 2 hex digits, kept as
// received (bit 0 is "sampled"). Upper case is refused. An invalid
// traceparent is ignored as if absent; a new trace starts (Generate).
// Parsing does not allocate. Any accepted version-00 value formats back to
// exactly the input.
//
// # tracestate
//
// Kept, as received, only with a valid traceparent and when valid itself:
// at most 512 characters and 32 list members, each key=value with a
// lower-case key ("vendor" or "tenant@system") and a printable value
// without ',' or '='; empty members and spaces around members are allowed;
// a key may not repeat. Otherwise it is dropped, never an error.
//
// # B3
//
// With "b3": true, and only when traceparent is absent or invalid, the B3
// single header is read: {traceid}-{spanid}[-{sampling}[-{parentspanid}]]
// with a 16 or 32 hex trace id (16 is left-padded with zeros), sampling
// "1" or "d" (sampled) or "0". A header carrying only a sampling decision
// has no ids and is ignored. Multi-header B3 (X-B3-TraceId...) is not read.
//
// # New traces
//
// New(random, sampled) uses 16 bytes for the trace id and 8 for the parent
// id; the random bytes come from the caller (the host's random_get), so
// the package stays deterministic under test. An all-zero id gets its last
// bit set rather than producing an invalid context.
//
// # Configuration
//
//	"trace": {"generate": true, "b3": false, "sampled": false}
//
//	generate  start a trace when no valid context arrives (default true)
//	b3        read the B3 single header as a fallback (default false)
//	sampled   the sampled flag of traces started here (default false: the
//	          proxy does not force downstream tracers to record)
//
// Unknown keys and wrong types are reported with their JSON path.
package trace
