// Package redact protects what leaves the API: it rewrites JSON response
// bodies to replace or remove fields named by path and values found by
// sensitive-data detectors, reports members a response schema does not
// declare, decides what happens to bodies it cannot inspect, redacts
// response headers, and learns each operation's usual response size.
//
// It is pure Go (standard library and gjson only): no proxy-wasm, no host
// call, no file access, so the filter and the tests run the same code.
//
// # Contract
//
// Compile turns a Config (the "redaction" section plus one endpoint's
// rules) into an immutable *Redactor, once, at configure time. The filter
// keeps one per endpoint and calls, per response:
//
//   - HeaderAction(name) for each response header: remove it, or replace
//     its value with the replacement string;
//   - Active() to know whether the body must be buffered at all;
//   - Body(dst, body, contentType, contentEncoding) on the complete body,
//     which returns the body to send and a Result (Pass, Rewrite, Block,
//     a Reason and a Report). On Rewrite the caller replaces the body and
//     fixes content-length.
//
// Apply (JSON), ScanText (other text), Gunzip/Gzip and Undeclared are the
// parts Body is made of, exported for callers that need one of them.
//
// Apply reads the document once, left to right, with a small validating
// tokenizer: it never builds a tree and never runs one gjson query per
// path. Path rules are compiled into a trie walked alongside the document;
// every output byte is either copied from the input in bulk or a
// replacement, so the insignificant whitespace of the input is kept. When
// nothing changes, Apply returns the input slice itself; when something
// does, the output goes to the caller's dst (reused across calls). Per-call
// scratch state is pooled: a call allocates nothing when it reports no
// hit, and two allocations (the hit list and one string for all its JSON
// pointers) when it does. A body that is not valid JSON, or nested deeper
// than MaxDepth (512), returns ErrInvalidJSON/ErrTooDeep and no body at
// all, never a partial one.
//
// # Path syntax
//
// response.redact paths use the location subset of gjson's path syntax:
//
//	owner.ssn            nested object members, separated by '.'
//	accounts.#.number    '#' is every element of an array
//	accounts.0.number    a number is an array index (or a member of that name in an object)
//	headers.x\.api\.key  '\' escapes the next character: the key "x.api.key"
//	user.*_token         '*' matches any run of characters in a key, '?' one character
//	\@meta, \#tag        a key starting with @, #, ! must be escaped
//
// Keys are compared with the decoded JSON key, so "ab" matches "a\u0062".
// Unlike gjson, which stops at the first match, every matching member is
// redacted: all duplicate keys, every key a wildcard matches, every
// element '#' covers. A trailing '#' ("tags.#") means every element, not
// gjson's element count. A rule on an object or array replaces or removes
// it whole; when rules overlap, the outer one wins and remove beats
// replace. Refused at configuration time, with the rule's JSON path:
// modifiers (@reverse...), queries (#(...)), multipaths ([..], {..}),
// pipes (|), literals (!true), empty components ("a..b", so the key ""
// cannot be addressed), a '#' that is not a whole component.
//
// Removing an object member or array element keeps the rest valid JSON
// (the separating comma goes with it): {"a":1,"b":2} without a is {"b":2}.
// Removing an element shifts the later ones down.
//
// # Detectors
//
// Detectors run over every JSON string value (not over keys) and, with
// scan_numbers, over integer numbers for card numbers. They find matches
// inside a string ("contact: a@b.com"); with scope "value" (the default)
// the whole string is replaced, with "match" only the matched bytes. A
// string with JSON escapes is decoded before detection and re-encoded
// when part of it is replaced. A detector's action is "redact" (default)
// or "log" (count and report, leave the value). The report counts matches
// per detector and lists, per value, the detector name, the RFC 6901
// pointer of the value and the count: never the value.
//
//	card_number   13-19 digits, single spaces or dashes between digits, not glued to
//	              letters or digits, more than 19 digits is not a card; the issuer prefix
//	              and length must belong to Visa, Mastercard, Amex, Discover, Diners, JCB,
//	              UnionPay, Maestro or Mir, and the Luhn check must pass (so ids and
//	              millisecond timestamps, which start with 1, do not match)
//	email         local@domain.tld, local part [A-Za-z0-9._%+-], a dotted domain whose
//	              last label is 2+ letters
//	ssn           ddd-dd-dddd, not area 000, 666 or 9xx, not group 00, not serial 0000,
//	              not adjacent to letters, digits or dashes; 9 bare digits do not match
//	iban          upper-case country code with its registered length (ISO 13616 table
//	              of 78 countries), check digits, BBAN, single spaces allowed, mod-97 == 1
//	jwt           three base64url segments starting "ey" or "ew", whose first segment
//	              decodes to a JSON object with an "alg" member (five-segment JWE is not
//	              matched)
//	bearer_token  "Bearer <token>" (scheme in any case); the token is the match, 8+
//	              token68 characters, at least one not a letter
//	cloud_key     AKIA/ASIA + 16 (AWS key id), AIza + 35 (GCP), ghp_/gho_/ghu_/ghs_/ghr_
//	              + 36 and github_pat_ + 22+ (GitHub), xoxa-/xoxb-/xoxp-/xoxr- + 10+
//	              (Slack), sk_live_ + 16+ (Stripe)
//	private_key   "-----BEGIN ...PRIVATE KEY-----" through its END line, or to the end
//	              of the string when the END line is missing
//
// Detection is a single scan per string driven by a byte table of the
// characters that can start a match of an enabled detector.
//
// # Bodies the redactor cannot read as JSON
//
// Body decides, in this order: a body over max_body_bytes is not inspected
// and over_limit says pass (reported) or block. A content-encoded body
// follows compressed: "pass" or "block" without looking, or "decompress"
// (default): gzip is decompressed with the same size bound (a
// decompression bomb stops at the bound and is over_limit), inspected and,
// if changed, compressed again; any other encoding, or a corrupt gzip
// stream, is "undecodable" and over_limit decides. The filter also strips
// Accept-Encoding from requests to protected endpoints, so the upstream
// should answer uncompressed; decompression is the fallback for upstreams
// that compress anyway. A body whose content type is not JSON
// (application/json, text/json, */*+json; without a content type, a body
// starting with { or [ is tried as JSON), or that claims JSON but does not
// parse, follows non_json: "pass" (default, reported), "scan" (ScanText:
// detectors over the raw text, each match replaced in place) or "block".
//
// # Excessive data exposure
//
// A FieldSet, built by the OpenAPI compiler from a response schema, lists
// the declared members per object level. Members it does not declare are
// reported as JSON pointers (Report.Undeclared; Undeclared does only this)
// and, with undeclared "strip", removed in the same single pass.
//
// # Response size anomalies
//
// SizeEstimator learns an operation's response sizes online (a log-linear
// histogram with halving, about 1.3 KB) and flags, after a warm-up, sizes
// above Factor times the learned 99th percentile. One per operation per
// VM; not safe for concurrent use.
//
// # Configuration
//
// The "redaction" section (ParseConfig), every key optional:
//
//	"redaction": {
//	  "detectors": ["card_number", "email", {"name": "ssn", "action": "log"},
//	                {"name": "jwt", "scope": "match"}],
//	  "scope": "value",
//	  "scan_numbers": false,
//	  "headers": {"remove": ["server", "x-powered-by"], "redact": ["set-cookie"]},
//	  "replacement": "[REDACTED]",
//	  "non_json": "pass",
//	  "max_body_bytes": 1048576,
//	  "over_limit": "pass",
//	  "compressed": "decompress",
//	  "endpoints": ["get_user", "get_balance"],
//	  "undeclared": "report"
//	}
//
//	detectors       detectors to run: names, or objects {"name", "action": "redact"|"log",
//	                "scope": "value"|"match"}; default none
//	scope           default scope of detector matches: "value" (whole string) or "match"
//	scan_numbers    also check integer numbers for card numbers (a hit becomes the
//	                replacement string); default false
//	headers         {"remove": [...], "redact": [...]} header names, any case; a plain
//	                list means redact
//	replacement     the string that replaces redacted values; default "[REDACTED]", at
//	                most 256 bytes
//	non_json        "pass" | "scan" | "block" for bodies that are not JSON
//	max_body_bytes  largest body inspected, after decompression; default 1 MiB
//	over_limit      "pass" | "block" for bodies that cannot be inspected
//	compressed      "decompress" | "pass" | "block" for content-encoded bodies
//	endpoints       endpoint ids the detectors apply to; default all (the caller checks
//	                the ids against its inventory)
//	undeclared      "report" | "strip" | "off" for members the response schema does not
//	                declare
//
// Per endpoint, "response": {"redact": [...]} (ParseRules) lists path rules:
// a path string (replace), or {"path": "...", "action": "replace"|"remove"}:
//
//	"response": {"redact": ["accounts.#.number", {"path": "owner.ssn", "action": "remove"}]}
//
// Unknown keys and bad values are reported with their JSON path, for
// example `redaction.detectors[2]: unknown detector "card"` or
// `endpoints[0].response.redact[1].path: queries (#(...)) are not supported`.
//
// # Limits
//
// MaxDepth 512 levels; MaxHits 64 report lines (more are counted in
// Dropped and in Counts); paths up to 1024 bytes; the replacement up to
// 256 bytes. Output size is at most the input size plus, per redacted
// value, the length of the replacement. Keys are not scanned by detectors;
// detection of upper-case-only IBANs, ASCII e-mail addresses, and the
// token formats listed above only.
package redact
