package exchange

import (
	"errors"

	"github.com/apiwarden/apiwarden/policy"
	"github.com/apiwarden/apiwarden/policy/abuse"
	"github.com/apiwarden/apiwarden/policy/auth"
)

// Authentication (policy/auth) and abuse controls (policy/abuse) as
// stages of the exchange. On the request headers, in order: the
// internal-route rule (before anything else can answer, so an outsider
// gets the same 404 for an internal route as for none), then
// authentication and the object bindings the headers carry, then the
// abuse rules. An endpoint whose object bindings or abuse keys read the
// JSON body has those stages run once the body passed its schema,
// before the sequence rules. On the response, the abuse rules that count
// answers (failures, captured ids) observe the status, and the body when
// they read it.

// security is what a Runtime keeps for the two engines.
type security struct {
	auth  *auth.Runtime
	abuse *abuse.Engine
	// abuseHeaders are the request headers abuse reads, kept for stages
	// that run after the headers phase.
	abuseHeaders []string
	// jwtSession: a session key source reads a verified claim, so the key
	// is computed again once the token is verified.
	jwtSession bool
	// callouts are the key-set fetches in flight, by Callout.ID.
	callouts   map[uint32]string
	nextCallID uint32
	// needs says, per endpoint index (the last: unknown endpoints), what
	// the stages read; decided at configure, not per request.
	needs []needs
}

// needs is what the security stages read of one endpoint's exchanges.
type needs struct {
	// authBody: an object binding reads the request body.
	authBody bool
	// abuseBody: an abuse key reads the request body; abuseObserve: a
	// rule counts the answer, abuseRespBody from its body.
	abuseBody, abuseObserve, abuseRespBody bool
}

// securityState is what an Exchange keeps for them.
type securityState struct {
	principal *auth.Principal
	apiKey    *auth.Principal
	abReq     abuse.Request
	abRes     abuse.Result
	// abHeaders are the abuse headers of a request decided after its
	// headers phase; reqBody a copy of the body when the response is
	// observed with keys read from it.
	abHeaders abuse.HeaderMap
	reqBody   []byte
	// respFields are RateLimit fields for the upstream's answer
	// (headers_on_allow).
	respFields [][2]string
	// watchBody: the response body is buffered for abuse observation.
	watchBody bool
	// body is the request body while its checks run.
	body []byte
	// routeAdmitted: checkRoute decided the internal-route rule.
	routeAdmitted bool
}

// reset prepares the state for a new stream, keeping its buffers.
func (s *securityState) reset() {
	*s = securityState{abRes: s.abRes, abHeaders: s.abHeaders, reqBody: s.reqBody[:0], respFields: s.respFields[:0]}
}

func (rt *Runtime) addSecurity() {
	pol := rt.pol
	if pol.Auth != nil {
		rt.sec.auth = auth.New(pol.Auth, rt.store)
		rt.sec.jwtSession = rt.sessions.HasJWTSource()
	}
	if pol.Abuse != nil {
		internal := pol.InternalEndpoints()
		rt.sec.abuse = abuse.New(*pol.Abuse, abuse.Options{Store: rt.store, Salt: rt.sessions.Salt(), Prefix: pol.Name + "/",
			InternalEndpoints: internal})
		rt.sec.abuseHeaders = rt.sec.abuse.HeaderNames()
		if pol.Abuse.Internal.Enabled() || len(internal) > 0 {
			rt.route = append(rt.route, check{name: "internal routes", run: (*Exchange).checkRoute})
		}
	}
	if rt.sec.auth != nil {
		rt.head = append(rt.head, check{name: "authentication", run: (*Exchange).checkAuth})
		rt.complete = append(rt.complete, check{name: "object authorization", run: (*Exchange).checkObjectsInBody})
	}
	if rt.sec.auth == nil && rt.sec.abuse == nil {
		return
	}
	rt.sec.needs = make([]needs, len(pol.Endpoints)+1)
	for i := range rt.sec.needs {
		id := ""
		if i < len(pol.Endpoints) {
			id = pol.Endpoints[i].ID
		}
		n := &rt.sec.needs[i]
		n.authBody = rt.sec.auth != nil && pol.Auth.NeedsBody(id)
		if e := rt.sec.abuse; e != nil {
			n.abuseBody, n.abuseObserve, n.abuseRespBody = e.NeedsRequestBody(id), e.NeedsObserve(id), e.NeedsResponseBody(id)
		}
	}
	if rt.sec.abuse != nil {
		rt.head = append(rt.head, check{name: "abuse controls", run: (*Exchange).checkAbuseHead})
		rt.complete = append(rt.complete, check{name: "abuse controls", run: (*Exchange).checkAbuseBody})
		rt.observers = append(rt.observers, observer{headers: (*Exchange).observeAbuseStatus})
	}
}

// needsOf is what the security stages read of ep's exchanges.
func (rt *Runtime) needsOf(ep *policy.Endpoint) needs {
	if rt.sec.needs == nil {
		return needs{}
	}
	if ep == nil {
		return rt.sec.needs[len(rt.sec.needs)-1]
	}
	return rt.sec.needs[ep.Index]
}

// needsBody reports whether a security stage of ep reads the request body.
func (rt *Runtime) needsBody(ep *policy.Endpoint) bool {
	n := rt.needsOf(ep)
	return n.authBody || n.abuseBody
}

func endpointID(ep *policy.Endpoint) string {
	if ep == nil {
		return ""
	}
	return ep.ID
}

// checkRoute refuses an internal route called from outside.
func (x *Exchange) checkRoute() (policy.Decision, error) {
	if h := x.rt.pol.Abuse.Internal.Header; h != "" {
		// The edge's secret is for apiwarden, not the upstream.
		x.removeHeader(h, true)
	}
	res := &x.sec.abRes
	x.rt.sec.abuse.AdmitRoute(res, x.abuseRequest(nil))
	x.sec.routeAdmitted = true
	return x.abuseDecision(res)
}

// checkAuth authenticates the request, makes the claim headers the
// upstream gets, and checks the object bindings the headers carry.
func (x *Exchange) checkAuth() (policy.Decision, error) {
	rt := x.rt
	id := endpointID(x.req.Match.Endpoint)
	res := rt.sec.auth.Authenticate(id, &auth.Request{Headers: (*headerGetter)(&x.req.Headers), RawQuery: x.req.Match.Query}, x.now())
	// The upstream trusts these headers: a client's copies never pass,
	// and only verified claims are set.
	for _, h := range res.RemoveHeaders {
		x.removeHeader(h, true)
	}
	for _, h := range res.SetHeaders {
		x.out.Edits = append(x.out.Edits, Edit{Name: h[0], Value: h[1], Must: true})
	}
	if res.Failure {
		return policy.Allowed, errors.New("authentication keys are not available")
	}
	if res.Reason == auth.ReasonNone {
		x.sec.principal, x.sec.apiKey = res.Principal, res.APIKey
		if rt.sec.jwtSession && res.Principal != nil && res.Principal.Kind == auth.KindJWT {
			x.setSessionKey(res.Principal)
		}
	}
	d := policy.AuthDecision(&res)
	if d.Verdict == policy.Block {
		return d, nil
	}
	x.record(&d)
	if res.Reason != auth.ReasonNone || rt.needsOf(x.req.Match.Endpoint).authBody {
		return policy.Allowed, nil
	}
	return x.authorizeObjects(nil)
}

// checkObjectsInBody checks the object bindings of an endpoint that binds
// a body member, once the body passed.
func (x *Exchange) checkObjectsInBody() (policy.Decision, error) {
	if !x.rt.needsOf(x.req.Match.Endpoint).authBody {
		return policy.Allowed, nil
	}
	return x.authorizeObjects(x.sec.body)
}

func (x *Exchange) authorizeObjects(body []byte) (policy.Decision, error) {
	r := &x.req
	res := x.rt.pol.Auth.AuthorizeObjects(endpointID(r.Match.Endpoint), x.sec.principal,
		&auth.ObjectRequest{PathParam: r.PathParam, RawQuery: r.Match.Query, Body: body})
	d := policy.AuthDecision(&res)
	if d.Verdict == policy.Block {
		return d, nil
	}
	x.record(&d)
	return policy.Allowed, nil
}

// checkAbuseHead admits a request whose abuse keys are all in its
// headers; one whose keys read the body is admitted by checkAbuseBody.
func (x *Exchange) checkAbuseHead() (policy.Decision, error) {
	rt := x.rt
	n := rt.needsOf(x.req.Match.Endpoint)
	if n.abuseBody || n.abuseObserve {
		// Decided or observed after the headers are gone.
		hm := x.sec.abHeaders
		if hm == nil {
			hm = abuse.HeaderMap{}
			x.sec.abHeaders = hm
		}
		clear(hm)
		for _, name := range rt.sec.abuseHeaders {
			if v := x.req.Headers.Value(name); v != "" {
				hm[name] = v
			}
		}
	}
	if n.abuseBody {
		return policy.Allowed, nil
	}
	return x.admit(nil)
}

func (x *Exchange) checkAbuseBody() (policy.Decision, error) {
	n := x.rt.needsOf(x.req.Match.Endpoint)
	if !n.abuseBody {
		return policy.Allowed, nil
	}
	if n.abuseObserve {
		// The response is counted under keys read from this body.
		x.sec.reqBody = append(x.sec.reqBody[:0], x.sec.body...)
	}
	return x.admit(x.sec.body)
}

// admit runs the abuse rules on the request.
func (x *Exchange) admit(body []byte) (policy.Decision, error) {
	res := &x.sec.abRes
	x.rt.sec.abuse.AdmitInto(res, x.abuseRequest(body), x.now())
	d, err := x.abuseDecision(res)
	if err == nil && d.Verdict != policy.Block && len(res.Headers) > 0 {
		x.sec.respFields = x.sec.respFields[:0]
		for _, h := range res.Headers {
			x.sec.respFields = append(x.sec.respFields, [2]string{h.Name, h.Value})
		}
	}
	return d, err
}

// abuseDecision reports the rules that logged and returns the refusal;
// an engine that could not decide is a failure (failure_mode).
func (x *Exchange) abuseDecision(res *abuse.Result) (policy.Decision, error) {
	for i := range res.Events {
		ev := &res.Events[i]
		if ev.Verdict == abuse.Block && ev.Rule == res.Rule {
			continue
		}
		d := policy.AbuseEventDecision(ev)
		x.record(&d)
	}
	if res.Err != nil {
		return policy.Allowed, res.Err
	}
	return policy.AbuseDecision(res), nil
}

// abuseRequest describes the request to the abuse engine (body: the
// request body when the stage runs on it).
func (x *Exchange) abuseRequest(body []byte) *abuse.Request {
	r := &x.req
	a := &x.sec.abReq
	*a = abuse.Request{Method: r.Method, Endpoint: endpointID(r.Match.Endpoint), Path: r.Match.Path, SourceOf: (*lazyAddress)(x),
		Session: x.session(), PathParams: (*pathParams)(r), Query: (*queryParams)(r), RouteAdmitted: x.sec.routeAdmitted}
	if r.Headers != nil {
		a.Headers = (*headerGetter)(&r.Headers)
	} else if x.sec.abHeaders != nil {
		a.Headers = x.sec.abHeaders
	}
	if p := x.sec.principal; p != nil && p.Kind == auth.KindJWT {
		a.Claims = (*verifiedClaims)(p)
	}
	switch {
	case x.sec.apiKey != nil:
		a.ClientID = x.sec.apiKey.ClientID
	case x.sec.principal != nil && x.sec.principal.Kind == auth.KindAPIKey:
		a.ClientID = x.sec.principal.ClientID
	}
	if body != nil {
		a.Body = abuse.JSONBytes(body)
	}
	return a
}

// observeAbuseStatus counts the upstream's answer for the rules that
// read only its status; a rule that reads the body observes it once the
// body is complete (observeAbuse from the response path).
func (x *Exchange) observeAbuseStatus() {
	n := x.rt.needsOf(x.req.Match.Endpoint)
	if x.state.answeredLocally() || !n.abuseObserve {
		return
	}
	if n.abuseRespBody && x.resp != RespDone {
		x.sec.watchBody = true
		return
	}
	x.observeAbuse(nil)
}

// observeAbuse counts the answer (body: its JSON, nil when not read).
func (x *Exchange) observeAbuse(body []byte) {
	rt := x.rt
	x.sec.watchBody = false
	var reqBody []byte
	if rt.needsOf(x.req.Match.Endpoint).abuseBody {
		reqBody = x.sec.reqBody
	}
	resp := abuse.Response{Status: x.status}
	if body != nil {
		resp.Body = abuse.JSONBytes(body)
	}
	res := rt.sec.abuse.Observe(x.abuseRequest(reqBody), &resp, x.now())
	for i := range res.Events {
		d := policy.AbuseEventDecision(&res.Events[i])
		x.countRule(&d)
		x.emit(&d, x.status)
	}
	if res.Err != nil {
		x.inc(rt.metrics.failures, 1)
		x.logf(LevelWarn, "apiwarden: abuse controls: the answer was not counted: %v", res.Err)
	}
}

// The abuse engine's views of a request.
type (
	pathParams     policy.Request
	queryParams    policy.Request
	verifiedClaims auth.Principal
)

func (p *pathParams) Get(name string) (string, bool) { return (*policy.Request)(p).PathParam(name) }

func (q *queryParams) Get(name string) (string, bool) { return (*policy.Request)(q).QueryParam(name) }

func (c *verifiedClaims) Claim(name string) (string, bool) {
	return (*auth.Principal)(c).ClaimString(name)
}

// tickSecurity sweeps the abuse tables a little.
func (rt *Runtime) tickSecurity(logs []Log) []Log {
	if rt.sec.abuse == nil {
		return logs
	}
	if _, err := rt.sec.abuse.Sweep(rt.now()); err != nil {
		logs = append(logs, logf(LevelWarn, "apiwarden: abuse sweep: %v", err))
	}
	return logs
}

// dueCallouts starts the key-set fetches this VM leads.
func (rt *Runtime) dueCallouts() []Callout {
	if rt.sec.auth == nil {
		return nil
	}
	fetches := rt.sec.auth.Due(rt.now())
	if len(fetches) == 0 {
		return nil
	}
	if rt.sec.callouts == nil {
		rt.sec.callouts = map[uint32]string{}
	}
	out := make([]Callout, 0, len(fetches))
	for _, f := range fetches {
		rt.sec.nextCallID++
		id := rt.sec.nextCallID
		rt.sec.callouts[id] = f.Provider
		out = append(out, Callout{ID: id, Cluster: f.Cluster, Timeout: f.Timeout, Headers: [][2]string{
			{":method", "GET"}, {":path", f.Path}, {":authority", f.Authority}, {"accept", "application/json"},
		}})
	}
	return out
}

// CalloutDone takes the answer of callout id: its headers (":status"
// first, as the host gives them) and body.
func (rt *Runtime) CalloutDone(id uint32, headers [][2]string, body []byte) []Log {
	provider, ok := rt.sec.callouts[id]
	if !ok {
		return nil
	}
	delete(rt.sec.callouts, id)
	st, _ := policy.Headers(headers).Get(":status")
	if err := rt.sec.auth.Ingest(provider, int(parseLength(st)), body, rt.now()); err != nil {
		return []Log{logf(LevelWarn, "apiwarden: key set of provider %q: %v", provider, err)}
	}
	return []Log{logf(LevelInfo, "apiwarden: key set of provider %q fetched", provider)}
}

// CalloutFailed records that callout id failed (why: for the log).
func (rt *Runtime) CalloutFailed(id uint32, why string) []Log {
	provider, ok := rt.sec.callouts[id]
	if !ok {
		return nil
	}
	delete(rt.sec.callouts, id)
	rt.sec.auth.FetchFailed(provider, rt.now())
	return []Log{logf(LevelWarn, "apiwarden: key set of provider %q: fetch failed: %s", provider, why)}
}
