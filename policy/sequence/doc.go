// Package sequence checks the order of a session's requests against
// sequence rules and learns, across sessions and VMs, which sequences of
// operations are normal.
//
// # Configuration ("sequences")
//
//	rules      list of rules (below)
//	analytics  object; absent = no counting, no model, no anomaly rules
//
// Every rule has
//
//	id      non-empty, unique
//	kind    "requires" | "max_consecutive" | "deny" | "allow" | "anomaly";
//	        optional when the rule has "requires" or "max_consecutive"
//	action  "log" | "block"
//	mode    "monitor" | "enforce"; absent = the global mode
//
// and, per kind (any other key is an error; operation ids must be endpoint
// ids, an unknown one is reported at its path, e.g.
// sequences.rules[0].requires[1]):
//
//	requires         endpoint, requires [ids], match "any" (default) | "all",
//	                 within (duration), within_requests (1..64):
//	                 the endpoint must be preceded by one (all) of the listed
//	                 operations inside the window: seen within `within` and
//	                 among the last `within_requests` requests (both when both
//	                 are set; anywhere in the retained history when neither)
//	max_consecutive  endpoint, max_consecutive N (1..63), within:
//	                 the endpoint may not occur more than N times in a row;
//	                 with within, not more than N times inside the window
//	deny             sequence [2..16 ids], contiguous (default true), within:
//	                 the sequence must never end at the current request
//	                 (contiguous: the last steps are exactly the sequence;
//	                 otherwise in order with gaps), and with within all its
//	                 steps inside the window
//	allow            endpoint, predecessors [ids], allow_first (default false):
//	                 the request just before the endpoint must be one of the
//	                 predecessors; allow_first accepts the endpoint as the
//	                 first request of a session
//	anomaly          threshold (bits, 0.01..64), warmup (requests counted
//	                 globally before it may fire, default 1000), window (1..64
//	                 steps, default 8): fires when the session's mean surprise
//	                 over its last `window` steps exceeds threshold
//
// Rules only see the retained history (session.history entries, expiring
// after session.idle_timeout): size the history for the longest window.
//
// Analytics keys:
//
//	max_length      1..6, default 4: n-gram lengths counted, model order + 1
//	top             1..1000, default 20: sequences and proposals reported
//	max_ngrams      64..1048576, default 10000: counters kept in shared data
//	min_support     default 20: minimum count to rank or propose
//	shards          1..64, default 8: shared-data keys of the count table
//	min_confidence  0.5..1, default 0.95: precedence proposal threshold
//
// # Evaluation
//
// Engine.Observe reads the session's history, evaluates every rule against
// it as it was BEFORE the current request, appends the request and writes
// the history back with compare-and-swap; on a cas mismatch the whole read,
// evaluate, write is retried (session.cas_retries), so the hits always
// belong to the history the successful write replaced. The rule input
// mirrors Cloudflare's sequence fields: the current operation, the prior
// operations (most recent first in evidence) and the milliseconds since each
// was last seen. A Hit carries the rule id, kind, action, mode and evidence,
// as JSON {"prior":["list_accounts"],"ms_since":{"get_balance":null}}.
//
// # Counting
//
// For every observed request (operation x after prior history h) Analytics
// counts, in a per-VM table:
//
//   - the n-grams of lengths 1..max_length ending at x (h's last n-1
//     operations followed by x);
//   - for each distinct operation A != x in h, the smallest window (1m, 5m,
//     15m, 1h, anywhere in h) containing A's latest occurrence.
//
// Flush (from a tick) adds those counts to the shared table: `shards` keys
// "<prefix>ng/<i>", each at most ceil(max_ngrams/shards) counters, updated
// with compare-and-swap. When a shard is full, a new counter replaces the
// one with the smallest count and starts at that count plus its own
// (space-saving): frequent sequences are never lost and any count is
// overestimated by at most the count it replaced. The rarest, least useful
// counters are the ones evicted. Flush then rebuilds the model from the
// merged table; scores and reports lag the traffic by one tick. Between
// flushes the per-VM table keeps at most max_ngrams counters (beyond that
// the smallest half is dropped).
//
// # Correlation score
//
// For a counted sequence s = (p, x) of length >= 2 (prefix p, last step x),
// with N the number of requests counted, V the number of operations + 1 and
// alpha = 0.5:
//
//	P(x|p) = (c(p x) + alpha) / (c(p) + alpha V)
//	P(x)   = (c(x)   + alpha) / (N    + alpha V)
//	score  = PMI(p, x) = log2( P(x|p) / P(x) )      (bits)
//
// where c(p) is the count of p followed by any operation. Only sequences
// with c(p x) >= min_support are ranked; Top sorts by score, then count.
// The score measures how much more likely x is right after p than in
// general: a rare flow that is always followed the same way (x is rare, but
// certain after p) scores high, while frequent operations that follow each
// other at random score near 0 however often they occur. "confidence" in
// the reports is the unsmoothed c(p x)/c(p).
//
// # Proposed rules
//
// For each operation B counted at least min_support times and each other
// operation A, the fraction of B's requests preceded by A within 1m, 5m,
// 15m, 1h or anywhere in the history; the smallest window reaching
// min_confidence yields a proposal such as "transfer_funds was preceded by
// get_balance within 5m in 99.6% of 12000 requests" and the rule object
// {"id":"proposed-transfer_funds-after-get_balance","endpoint":
// "transfer_funds","requires":["get_balance"],"within":"5m","action":"log",
// "mode":"monitor"}.
//
// # Anomaly score
//
// A variable-order Markov model over the same counts, with Witten-Bell
// interpolation down to a smoothed unigram:
//
//	P0(x)     = (c(x) + alpha) / (N + alpha V)
//	Pk(x | s) = (c(s x) + T(s) Pk-1(x | s')) / (c(s .) + T(s))
//
// for the context s of the last k <= max_length-1 operations (s' drops its
// oldest one), T(s) the number of distinct operations seen after s and
// c(s .) the count of s followed by anything; an unseen context falls back
// to the shorter one. The surprise of a step is -log2 P(step | context);
// a session's score is the mean surprise of its last `window` steps,
// including the current request (Result.Score). Typical values: a learned
// flow ~1 bit per step, a never-seen flow 7-9 bits.
//
// # Reports
//
// Analytics.AppendJSON / MarshalJSON give the admin document
// {"requests","counters","top":[{"sequence","count","confidence","score"}],
// "proposals":[{"text","confidence","support","rule"}],"model":{...}};
// Summary is one line for a periodic log. Neither contains session keys.
//
// Everything is deterministic: times are passed in, nothing reads the clock
// or randomness.
package sequence
