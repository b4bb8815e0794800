// Package abuse holds apiwarden's abuse controls, pure policy: rate limits
// (GCRA), failure-driven lock-outs (brute force against one target),
// distinct counts (credential stuffing: many targets from one client;
// enumeration and scraping: many object references per session, client or
// principal), objects never given (ids captured from responses, checked on
// requests) and internal routes (reachable only from CIDRs or with an edge
// header). See the repository README ("Abuse controls") for the configuration with
// examples and the composition with Envoy's rate-limit filters.
//
// # Use (the exchange engine)
//
// One Engine per VM: New(ParseConfig(node, known), Options{Store, Salt,
// Prefix, InternalEndpoints}) in proxy_on_configure. Then per request:
//
//   - Admit(req, now) before the request goes upstream (on the request
//     headers, or on the body when NeedsRequestBody(endpoint)). A Block
//     result is answered with Result.Status (429, 403 or 404), a
//     problem+json of type Result.Reason, and Result.Headers (Retry-After,
//     RateLimit-Policy, RateLimit). Result.Err set (ErrContention or a
//     shared-data error) means "could not decide": apply failure_mode.
//     With headers_on_allow, Result.Headers of an allowed request go on
//     the upstream's response.
//   - Observe(req, resp, now) on the response when NeedsObserve(endpoint)
//     (with the body when NeedsResponseBody(endpoint)): counts failures,
//     resets them on success, captures object ids.
//   - Sweep(now) from the tick; Stats() for metrics.
//
// Engine is safe for concurrent use; nothing in it reads a clock, the file
// system or randomness.
//
// # Why GCRA
//
// A token bucket stores two numbers per key (tokens, last refill) and
// refills with floating-point arithmetic; GCRA stores one integer, the
// theoretical arrival time (TAT), and decides with integer comparisons:
// allowed when max(TAT, now) + T - burst*T <= now, then TAT =
// max(TAT, now) + T (T = period/count). The two admit the same traffic,
// but one timestamp is a 16-byte record (id + TAT) in a shared-data
// bucket, one Get and one compare-and-swap Set per request decide and
// spend atomically (a lost CAS retries with the fresh TAT, so no two VMs
// spend the same budget), a refused request writes nothing, and the
// record's expiry is the TAT itself: once TAT <= now the key has its full
// budget and the record is dead, so expiry, eviction and sweeping need no
// other field. Retry-After is the exact time until the next conforming
// request (ceil to seconds).
//
// # Store layout
//
// Every rule has its own table in shared data: keys
// "<prefix>ab/<rule id>/<bucket>" for bucket = 0 .. ceil(max_keys/ways)-1
// (the number of keys is fixed: shared data has no delete). A bucket value
// is
//
//	byte version (1), byte count,
//	count x { id uint64 LE, expires int64 LE (Unix ns), uvarint len, payload }
//
// where id is the first 8 bytes of SHA-256(salt 0x00 rule-id 0x00 part1
// 0x1f part2 0x1f ...): raw keys are never stored, and buckets are not
// computable without the salt. Per kind:
//
//	rate_limits  4 ways, payload empty, expires = TAT: <= 70 bytes/bucket
//	failures     4 ways, payload 21 bytes (failures in window uint32,
//	             window start, locked-until, level): <= 158 bytes/bucket
//	distinct     2 ways, payload <= 129 bytes (see below): <= 296 bytes
//	capture      2 ways, payload 4*max_ids bytes (hashed ids, oldest
//	             first): <= 2 + 2*(18 + 4*max_ids) bytes
//
// A record whose expires is <= now reads as absent. A write keeps the
// written record and the live neighbours, dropping dead ones; when the
// bucket is still full, the neighbour that expires first is evicted
// (counted in Stats.Evicted): for a rate limit that is the key closest to
// a full budget, so an eviction costs the least; an evicted key starts
// over (a fresh budget, no lock-out). Size max_keys at ~1.5x the keys live
// at once. Sweep rewrites buckets with dead records (an all-dead bucket
// becomes a 2-byte tombstone); the bound holds without it. A changed
// configuration leaves the old tables' keys in shared data until the proxy
// restarts.
//
// # Distinct counts and their error
//
// Per key at most 129 bytes: an exact set of up to 32 32-bit value hashes,
// then (from the 33rd value) a HyperLogLog sketch of 128 one-byte
// registers. Limits <= 32 are exact; above, the relative standard error is
// ~9% (TestDistinctErrorAtBound measures, 200 trials per size: RMS error
// 4.5% at 33, 7% at 100, 8-10% from 300 to 100000, bias within 3%; worst
// case seen ~28%).
//
// # Consistency and failure
//
// Every counting update is one read and one compare-and-swap write of one
// bucket, retried up to cas_retries times; then ErrContention (counted in
// Stats.Contention), and the caller applies failure_mode. Lock-outs, the
// over-limit state of failure-driven distinct counts and captured ids are
// read in Admit without a write. Failures are counted when the answer
// arrives, so attempts in flight when a target is locked still reach the
// upstream: add a rate limit on the same target key to bound them. When
// several rate limits apply, each spends its own budget in order and the
// first that refuses stops the evaluation (later ones are not spent; the
// earlier ones are).
//
// # Events
//
// Events carry the rule, reason, verdict, mode, the key's salted hash (16
// hex digits) and evidence (count, limit, window, retry-after, lock-out
// level); never a raw key, id, header value or body value.
package abuse
