package policy

import (
	"time"

	"github.com/apiwarden/apiwarden/policy/abuse"
	"github.com/apiwarden/apiwarden/policy/auth"
	"github.com/apiwarden/apiwarden/policy/internal/cfg"
	"github.com/apiwarden/apiwarden/policy/kernel"
	"github.com/apiwarden/apiwarden/policy/openapi"
)

// Authentication ("auth", policy/auth) and abuse controls ("abuse",
// policy/abuse) are compiled here into the Policy; policy/exchange runs
// them. Their answers become Decisions here too, so a refusal reads the
// same whichever engine made it.

// compileSecurity reads the "auth" and "abuse" sections once the
// endpoints are known. doc is the OpenAPI document, if any: its security
// requirements are enforced when an "auth" section says how.
func (p *Policy) compileSecurity(root cfg.Node, doc *openapi.Document) {
	known := func(id string) bool { return p.endpointByID(id) != nil }
	if n, ok := root.Get("auth"); ok {
		c := auth.Parse(n)
		if doc != nil && c != nil {
			reqs, err := c.CompileOpenAPI(openAPISecurity(doc))
			n.Errs.Add(err)
			if err == nil {
				c = c.WithOpenAPI(reqs)
			}
		}
		if c != nil {
			n.Errs.Add(c.CheckEndpoints("auth", known))
			c.Prefix = p.Name + "/"
			p.Auth = c
		}
	} else if doc != nil {
		for i := range doc.Operations {
			if len(doc.Operations[i].Security) > 0 {
				p.UnenforcedSecurity++
			}
		}
	}
	if n, ok := root.Get("abuse"); ok {
		c := abuse.ParseConfig(n, known)
		p.Abuse = &c
	}
	for _, ep := range p.Endpoints {
		if ep.Internal && (p.Abuse == nil || !p.Abuse.Internal.Reachable()) {
			root.Errs.Addf("abuse.internal", "the OpenAPI operation %q is marked %s: say where it may be called from (cidrs or header)", ep.ID, openapi.InternalExtension)
			break
		}
	}
}

// openAPISecurity hands the document's security to policy/auth: each
// operation's requirement as the document resolves it (its own, else the
// global one).
func openAPISecurity(doc *openapi.Document) auth.OpenAPISecurity {
	s := auth.OpenAPISecurity{Schemes: map[string]auth.SecurityScheme{}, SchemesPath: "openapi.components.securitySchemes"}
	for name, sc := range doc.SecuritySchemes {
		s.Schemes[name] = auth.SecurityScheme{Type: sc.Type, Scheme: sc.Scheme, In: sc.In, Name: sc.Name}
	}
	for i := range doc.Operations {
		op := &doc.Operations[i]
		if op.Security == nil {
			continue
		}
		reqs := make([]auth.SecurityRequirement, len(op.Security))
		for j, alt := range op.Security {
			r := auth.SecurityRequirement{}
			for _, name := range alt {
				var scopes []string
				if j < len(op.SecurityScopes) {
					scopes = op.SecurityScopes[j][name]
				}
				r[name] = append([]string{}, scopes...)
			}
			reqs[j] = r
		}
		s.Operations = append(s.Operations, auth.OperationSecurity{ID: op.ID, Security: reqs, Path: op.At + ".security"})
	}
	return s
}

// InternalEndpoints are the endpoint ids the OpenAPI document marks
// internal (openapi.InternalExtension).
func (p *Policy) InternalEndpoints() []string {
	var ids []string
	for _, ep := range p.Endpoints {
		if ep.Internal {
			ids = append(ids, ep.ID)
		}
	}
	return ids
}

// securityRuleIDs are the rule ids authentication and abuse decisions
// carry: every auth reason, and every abuse rule's id.
func (p *Policy) securityRuleIDs() []string {
	var ids []string
	if p.Auth != nil {
		for _, r := range auth.Reasons {
			ids = append(ids, string(r))
		}
	}
	if a := p.Abuse; a != nil {
		for _, r := range a.RateLimits {
			ids = append(ids, r.ID)
		}
		for _, r := range a.Failures {
			ids = append(ids, r.ID)
		}
		for _, r := range a.Distinct {
			ids = append(ids, r.ID)
		}
		for _, r := range a.Capture {
			ids = append(ids, r.ID)
		}
		if a.Internal.Enabled() {
			ids = append(ids, abuse.InternalRule)
		}
	}
	return ids
}

// authDetails are the problem details of authentication refusals: what
// failed, never a value from the request.
var authDetails = map[auth.Reason]string{
	auth.ReasonMissingCredentials:  "credentials are required",
	auth.ReasonMultipleCredentials: "send exactly one credential",
	auth.ReasonMalformed:           "the token is malformed",
	auth.ReasonOversized:           "the token is too large",
	auth.ReasonAlgNotAllowed:       "the token's algorithm is not accepted",
	auth.ReasonAlgKeyMismatch:      "the token's algorithm does not fit its key",
	auth.ReasonUnsupportedCrit:     "the token uses an unsupported critical header",
	auth.ReasonUnknownKey:          "the token's signing key is unknown",
	auth.ReasonBadSignature:        "the token's signature does not verify",
	auth.ReasonExpired:             "the token has expired",
	auth.ReasonNotYetValid:         "the token is not valid yet",
	auth.ReasonIssuedInFuture:      "the token is issued in the future",
	auth.ReasonWrongIssuer:         "the token's issuer is not accepted",
	auth.ReasonWrongAudience:       "the token is not meant for this API",
	auth.ReasonMissingClaim:        "the token lacks a required claim",
	auth.ReasonUnknownIssuer:       "the token's issuer is unknown",
	auth.ReasonKeysUnavailable:     "the keys to verify the token are not available",
	auth.ReasonUnknownAPIKey:       "the API key is unknown",
	auth.ReasonInsufficientScope:   "the token lacks a required scope",
	auth.ReasonMissingRole:         "the caller lacks a required role",
	auth.ReasonObjectNotOwned:      "the requested object does not belong to the caller",
	auth.ReasonObjectMissing:       "the request names no object the caller may access",
}

// AuthDecision is the decision for an authentication or authorization
// result (Allowed for an accepted request). A refusal in monitor mode is
// a Log decision; its status and headers are what enforce would answer.
func AuthDecision(res *auth.Result) Decision {
	if res.Reason == auth.ReasonNone {
		return Allowed
	}
	d := Decision{Verdict: Log, Mode: Monitor, Reason: ReasonUnauthenticated, Rule: string(res.Reason), Status: res.Status}
	if res.Block {
		d.Verdict, d.Mode = Block, Enforce
	}
	if res.Status == 403 {
		d.Reason = ReasonForbidden
	}
	d.Detail = authDetails[res.Reason]
	if res.Detail != "" && (res.Reason == auth.ReasonInsufficientScope || res.Reason == auth.ReasonMissingRole) {
		d.Detail += " (" + res.Detail + ")"
	}
	if res.WWWAuthenticate != "" {
		d.Headers = [][2]string{{"www-authenticate", res.WWWAuthenticate}}
	}
	o := kernel.OpenObject(nil)
	o.StrOpt("scheme", res.Scheme)
	if res.Reason == auth.ReasonObjectNotOwned || res.Reason == auth.ReasonObjectMissing {
		o.StrOpt("binding", res.Detail)
	}
	if p := res.Principal; p != nil {
		o.StrOpt("subject", p.SubjectHash)
		o.StrOpt("jti", p.TokenIDHash)
	}
	d.Evidence = o.Close()
	return d
}

// AbuseDecision is the decision for the refusal of an abuse result (the
// first rule that blocked), with its Retry-After and RateLimit fields.
func AbuseDecision(r *abuse.Result) Decision {
	if r.Verdict != abuse.Block {
		return Allowed
	}
	d := Decision{Verdict: Block, Mode: Enforce, Reason: abuseReason(r.Status), Rule: r.Rule, Status: r.Status,
		Detail: abuseDetail(r.Reason)}
	for _, h := range r.Headers {
		d.Headers = append(d.Headers, [2]string{h.Name, h.Value})
	}
	for i := range r.Events {
		if r.Events[i].Rule == r.Rule && r.Events[i].Verdict == abuse.Block {
			d.Evidence = AbuseEvidence(&r.Events[i])
			break
		}
	}
	return d
}

// AbuseEventDecision is the decision an abuse event reports beside the
// request's own verdict (a rule that logged, or a lock-out that started
// on a response): always Log; the refusal is AbuseDecision.
func AbuseEventDecision(ev *abuse.Event) Decision {
	status := ev.Reason.Status()
	d := Decision{Verdict: Log, Mode: Monitor, Reason: abuseReason(status), Rule: ev.Rule, Status: status,
		Detail: abuseDetail(ev.Reason), Evidence: AbuseEvidence(ev)}
	if ev.Mode == abuse.ModeEnforce {
		d.Mode = Enforce
	}
	return d
}

func abuseReason(status int) Reason {
	switch status {
	case 403:
		return ReasonForbidden
	case 404:
		return ReasonNotFound
	}
	return ReasonRateLimited
}

func abuseDetail(r abuse.Reason) string {
	switch r {
	case abuse.ReasonRateLimited:
		return "the request rate of this key is over its limit"
	case abuse.ReasonTooManyFailures:
		return "too many failed attempts against this target; retry later"
	case abuse.ReasonTooManyDistinct:
		return "too many distinct objects requested; retry later"
	case abuse.ReasonObjectNotGiven:
		return "the requested object was never given to this session"
	}
	return ""
}

// AbuseEvidence is the event evidence of an abuse rule: the key's salted
// hash and what was counted, never a raw key or id.
func AbuseEvidence(ev *abuse.Event) []byte {
	o := kernel.OpenObject(nil)
	o.Str("kind", string(ev.Kind))
	o.Str("reason", string(ev.Reason))
	o.StrOpt("key", ev.Key)
	if ev.Limit > 0 {
		o.Int("count", ev.Count)
		o.Int("limit", ev.Limit)
	}
	if ev.Window > 0 {
		o.Int("window_s", int64(ev.Window/time.Second))
	}
	if ev.RetryAfter > 0 {
		o.Int("retry_after_s", int64((ev.RetryAfter+time.Second-1)/time.Second))
	}
	if ev.Level > 0 {
		o.Int("lockout_level", int64(ev.Level))
	}
	return o.Close()
}
