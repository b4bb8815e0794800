package auth

// Reason is the machine-readable cause of an authentication or
// authorization refusal: the event's reason and the metric label. Every
// refusal has its own value; ReasonNone is an accepted request.
type Reason string

// Reasons. Each is documented in the repository README with its status and RFC 6750
// error code.
const (
	// ReasonNone: accepted.
	ReasonNone Reason = ""
	// No credential where one is required (401, no error code: RFC 6750 §3.1).
	ReasonMissingCredentials Reason = "missing-credentials"
	// More than one token or API key in one request (400 invalid_request).
	ReasonMultipleCredentials Reason = "multiple-credentials"
	// Wrong segment count, bad base64, invalid JSON, duplicate keys,
	// a claim of the wrong type (401 invalid_token).
	ReasonMalformed Reason = "malformed"
	// Token longer than the provider's max_token_bytes (401 invalid_token).
	ReasonOversized Reason = "oversized"
	// "none", or an algorithm outside the provider's allow-list.
	ReasonAlgNotAllowed Reason = "alg-not-allowed"
	// The key selected by kid does not fit the algorithm (RS/HS confusion).
	ReasonAlgKeyMismatch Reason = "alg-key-mismatch"
	// A "crit" header: apiwarden understands no JWS extension.
	ReasonUnsupportedCrit Reason = "unsupported-crit"
	// No key of the provider has the token's kid.
	ReasonUnknownKey Reason = "unknown-key"
	// The signature does not verify.
	ReasonBadSignature Reason = "bad-signature"
	// exp is past (beyond the clock skew).
	ReasonExpired Reason = "expired"
	// nbf is in the future (beyond the clock skew).
	ReasonNotYetValid Reason = "not-yet-valid"
	// iat is in the future (beyond the clock skew).
	ReasonIssuedInFuture Reason = "issued-in-future"
	// iss is not the provider's issuer.
	ReasonWrongIssuer Reason = "wrong-issuer"
	// aud names none of the provider's audiences.
	ReasonWrongAudience Reason = "wrong-audience"
	// A required claim is absent.
	ReasonMissingClaim Reason = "missing-claim"
	// No token issuer matches a configured provider.
	ReasonUnknownIssuer Reason = "unknown-issuer"
	// A remote key set was never fetched or is stale beyond max_stale_s:
	// the caller applies failure_mode (Result.Failure is set).
	ReasonKeysUnavailable Reason = "keys-unavailable"
	// An API key whose digest is not configured (401 invalid_token).
	ReasonUnknownAPIKey Reason = "unknown-api-key"
	// A required scope is missing (403 insufficient_scope).
	ReasonInsufficientScope Reason = "insufficient-scope"
	// A required role is missing (403).
	ReasonMissingRole Reason = "missing-role"
	// An object reference is not the principal's (403).
	ReasonObjectNotOwned Reason = "object-not-owned"
	// An object reference the endpoint binds is absent from the request
	// (403: nothing to check ownership of is not ownership).
	ReasonObjectMissing Reason = "object-missing"
)

// Reasons lists every refusal reason, for metrics and documentation.
var Reasons = []Reason{
	ReasonMissingCredentials, ReasonMultipleCredentials, ReasonMalformed, ReasonOversized,
	ReasonAlgNotAllowed, ReasonAlgKeyMismatch, ReasonUnsupportedCrit, ReasonUnknownKey,
	ReasonBadSignature, ReasonExpired, ReasonNotYetValid, ReasonIssuedInFuture,
	ReasonWrongIssuer, ReasonWrongAudience, ReasonMissingClaim, ReasonUnknownIssuer,
	ReasonKeysUnavailable, ReasonUnknownAPIKey, ReasonInsufficientScope, ReasonMissingRole,
	ReasonObjectNotOwned, ReasonObjectMissing,
}

// RFC 6750 error codes.
const (
	ErrInvalidRequest    = "invalid_request"
	ErrInvalidToken      = "invalid_token"
	ErrInsufficientScope = "insufficient_scope"
)

// answer maps a reason to its HTTP status and RFC 6750 error code.
func answer(r Reason) (status int, code string) {
	switch r {
	case ReasonNone:
		return 0, ""
	case ReasonMissingCredentials:
		return 401, ""
	case ReasonMultipleCredentials:
		return 400, ErrInvalidRequest
	case ReasonInsufficientScope:
		return 403, ErrInsufficientScope
	case ReasonMissingRole, ReasonObjectNotOwned, ReasonObjectMissing:
		return 403, ""
	case ReasonKeysUnavailable:
		return 503, ""
	}
	return 401, ErrInvalidToken
}
