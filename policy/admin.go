package policy

import (
	"crypto/sha256"
	"crypto/subtle"
	"strings"
)

// Admin resources the filter answers itself.
const (
	AdminSequences = "sequences"
	AdminInventory = "inventory"
)

var adminResources = []string{AdminSequences, AdminInventory}

// AdminRequest decides whether a request is for the admin endpoint and
// whether it may read it. isAdmin is false for every other request (the
// admin endpoint is off unless configured, and only exact resource paths
// under the prefix are answered). When isAdmin is true and d is not an
// allow, the request is refused with d (401, 404 or 405); otherwise
// resource names what to serve.
//
// The bearer token is compared in constant time against the SHA-256 of the
// configured one (equal-length digests, so neither the token's length nor
// its content leaks through timing).
func (p *Policy) AdminRequest(method, normalizedPath, authorization string) (resource string, d Decision, isAdmin bool) {
	if !p.Admin.Enabled || !strings.HasPrefix(normalizedPath, p.Admin.Prefix+"/") {
		return "", Allowed, false
	}
	name := normalizedPath[len(p.Admin.Prefix)+1:]
	if !containsStr(adminResources, name) {
		return "", Decision{Verdict: Block, Reason: ReasonUnknownEndpoint, Rule: "admin", Status: 404, Detail: "no such admin resource"}, true
	}
	token, ok := strings.CutPrefix(authorization, "Bearer ")
	sum := sha256.Sum256([]byte(token))
	if !ok || subtle.ConstantTimeCompare(sum[:], p.Admin.tokenHash[:]) != 1 {
		return "", Decision{Verdict: Block, Reason: ReasonUnauthenticated, Rule: "admin", Status: 401, Detail: "a valid admin bearer token is required"}, true
	}
	if method != "GET" && method != "HEAD" {
		return "", Decision{Verdict: Block, Reason: ReasonMethodNotAllowed, Rule: "admin", Status: 405, Allow: "GET", Detail: "admin resources are read-only"}, true
	}
	return name, Allowed, true
}
