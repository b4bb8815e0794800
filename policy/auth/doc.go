// Package auth is apiwarden's authentication and authorization policy
// (issue 11), pure Go like the rest of policy/: JWS compact verification
// with per-provider algorithm allow-lists, inline and remote JWKS (the
// remote set cached in shared data for every VM), token sources, API keys
// kept as SHA-256 digests, OpenAPI security requirements, claim headers,
// a bounded verified-token cache per VM, and function- and object-level
// authorization. Decisions are values (Result); the glue applies them.
//
// The exchange calls, in order:
//
//	c := auth.Parse(node)                 // configure: the "auth" object (errors with JSON paths)
//	reqs, err := c.CompileOpenAPI(doc)    // configure: the OpenAPI document's security, if any
//	c = c.WithOpenAPI(reqs)
//	err = c.CheckEndpoints("auth", known) // configure: auth.endpoints ids exist
//	rt := auth.New(c, store)              // per VM: caches; store is shared data
//	fetches := rt.Due(now)                // tick: proxy_http_call each Fetch, then
//	rt.Ingest(name, status, body, now)    //   on the answer, or rt.FetchFailed(name, now)
//	res := rt.Authenticate(opID, &auth.Request{...}, now)   // request headers
//	res = c.AuthorizeObjects(opID, res.Principal, &auth.ObjectRequest{...}) // headers, or body when c.NeedsBody(opID)
//
// Configuration, every key optional unless marked:
//
//	"auth": {
//	  "mode": "enforce" | "monitor",
//	  "realm": "bank",
//	  "providers": [{
//	    "name": "bank",                         // required; the scheme name
//	    "issuer": "https://idp", "audiences": ["bank-api"],
//	    "algorithms": ["ES256"],                // required: RS256/384/512 PS256/384/512 ES256/384 EdDSA HS256/384/512
//	    "jwks": {"keys": [...]},                // or
//	    "remote_jwks": {"cluster": "idp", "uri": "https://idp/.well-known/jwks.json",   // both required
//	                    "timeout_ms": 2000, "cache_s": 600, "max_stale_s": 3600, "min_refetch_s": 30},
//	    "sources": [{"header": "authorization", "prefix": "Bearer "}, {"cookie": "at"}, {"query": "access_token"}],
//	    "clock_skew_s": 60, "required_claims": ["exp"], "max_token_bytes": 8192,
//	    "claim_headers": {"sub": "x-user-id"}
//	  }],
//	  "api_keys": [{"name": "partner", "header": "x-api-key", "keys": {"<sha256 hex>": "client-id"}}],
//	  "default": [{"bank": []}],                // OpenAPI-style requirement; absent: public
//	  "roles_claim": "roles",
//	  "endpoints": {"<operation id>": {
//	    "requires": [{"bank": ["accounts:read"]}, {"partner": []}],   // OR of ANDs; [] is public
//	    "scopes": ["transfer"], "roles": ["admin"], "mode": "monitor",
//	    "objects": [{"param": "user_id", "claim": "sub"},
//	                {"pointer": "/from", "claim_member": "accounts"},
//	                {"query": "acct", "template": "ACC-{sub}-*", "optional": true}]}}
//	}
//
// The repository README ("Authentication and authorization") is the
// reference (reasons, statuses, cache and key-set behaviour).
package auth
