// Package session identifies the client session of a request and keeps the
// session's recent history of operations in proxy-wasm shared data, bounded
// in keys and bytes whatever the number of sessions ever seen.
//
// # Configuration ("session")
//
//	from          list of key sources tried in order, default ["ip"]:
//	              "header:<name>"  a request header (trimmed)
//	              "cookie:<name>"  a cookie of the Cookie header
//	              "jwt:<claim>"    a top-level string or number claim of the
//	                               JWT in "Authorization: Bearer <jwt>",
//	                               decoded WITHOUT signature verification
//	                               (it only groups requests; tokens over
//	                               8 KiB or malformed are ignored)
//	              "ip"             the client address: with trusted_hops = 0
//	                               the host of source.address ("a.b.c.d:p",
//	                               "[v6]:p"); otherwise the X-Forwarded-For
//	                               element trusted_hops places from the right
//	                               (1 = the last), falling back to
//	                               source.address when the header is shorter
//	                               or that element is not an address
//	idle_timeout  duration (>= 1s), default "10m": a session idle longer than
//	              this reads as new (empty history)
//	history       1..64, default 16: entries kept per session
//	max_sessions  4..4194304, default 10000: sessions kept at once (rounded
//	              up to a multiple of 4)
//	trusted_hops  0..16, default 0: see "ip"
//	salt          string, default "": mixed into every key hash. A secret:
//	              never logged, never echoed in configuration errors
//	cas_retries   1..64, default 8: compare-and-swap attempts per update
//
// A request for which no source yields a key has no session (Key returns
// ""); the caller skips sequence checks for it.
//
// # Keys are hashed
//
// Sessions.Key returns Hash(raw key), never the raw key: the first 16 bytes
// of SHA-256(salt || 0x00 || key) as 32 hex digits. Only hashes are stored
// in shared data or logged.
//
// # Storage and footprint
//
// Shared data has compare-and-swap but no delete, no expiry and no size
// limit, so the table bounds itself. Sessions live in B = max_sessions/4
// buckets; bucket i is the key "<prefix>s/<i>" (prefix: Config.Prefix, set by
// the filter to the plugin name because Istio gives every plugin the same
// namespace). A session hash maps to one bucket and a 64-bit id by FNV-1a;
// a bucket value holds up to 4 sessions (4-way associativity):
//
//	byte version (1), byte count (<= 4),
//	count x { id uint64 little-endian, uvarint length, encoded History }
//
// and an encoded History (see History.AppendBinary) is a version byte, the
// last-seen time, the count, and per entry (newest first) the operation
// index and the milliseconds since the next newer entry, as uvarints: about
// 3 bytes per entry, ~60 bytes for a 16-entry session.
//
// Eviction: a write keeps the writer's session and drops every neighbour
// idle for longer than idle_timeout; if the bucket is still over 4, the
// least recently seen neighbour is evicted. So the number of keys is at
// most B <= max_sessions and each value at most 4 histories of `history`
// entries: the footprint plateaus however many sessions are seen. Buckets
// fill unevenly: with as many live sessions as 3/4 of max_sessions about
// 10% of them are evicted early by a busier neighbour (measured by
// BenchmarkFullHistoryBytes), so size max_sessions at ~1.5x the expected
// number of concurrently live sessions. Sweep,
// optional and called from a tick over a few buckets at a time, rewrites
// buckets holding only expired sessions to a 2-byte tombstone, returning
// the memory of idle traffic early.
//
// # Consistency
//
// Begin reads a bucket and its cas; Commit appends the operation and writes
// the bucket back with that cas, failing with ErrCASMismatch if anyone wrote
// it in between; Record (and sequence.Engine.Observe) loop up to
// cas_retries times and then return ErrContention. A bucket that did not
// exist is written with a cas that Envoy ignores for a missing key but that
// fails when a racing writer created the key first. Times are Unix
// milliseconds passed in by the caller; a time older than the session's
// last-seen time (clock skew between workers) is clamped to it.
//
// Nothing here reads the clock, the file system or randomness; MemStore is
// an in-memory Store with Envoy's semantics for tests and native runs.
package session
