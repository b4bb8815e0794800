// Package exchange is apiwarden's request/response exchange: the state
// machine of one HTTP stream, from the request headers to the end of the
// stream, as pure Go. The proxy-wasm filter is an adapter around it: it
// reads what the host gives, calls the Exchange method of the callback,
// and applies the Step it returns. Everything here is tested natively.
//
// A Runtime is the per-VM composition root (one per Envoy worker): the
// compiled policy, the shared-data port (session.Store), a clock and a
// randomness source, and what the VM's streams share: session hashing,
// the sequence engine, the shadow inventory, response-size models, the
// event rate limit and the metric catalogue (Runtime.Metrics, defined by
// the adapter once, incremented by MetricID in Step.Metrics).
//
// An Exchange is one stream. Its methods (RequestHeaders, RequestBody,
// RequestTrailers, ResponseHeaders, ResponseBody, ResponseTrailers, Done,
// and Fail for failures the adapter meets) each return one Step: the
// callback's result (Continue or Pause), header edits, a body replacement,
// a local reply, log lines and histogram records. The state machine is
// explicit (State for the request side, RespState for the response side;
// state.go draws it). A Step's slices are valid until the next call.
//
// # Cost
//
// A policy pays only for what it uses: no sequence rules, no history
// read; no response protection, no response body buffered and only
// :status read; no event, no event text and no trace id formatted. The
// request headers are read once, by the adapter; counter increments are
// batched per VM and published by Runtime.Tick once a second (in Envoy
// each one is a host call); a header-only request allocates nothing the
// Exchange can reuse (its buffers survive Runtime.Begin).
//
// # Adding a stage
//
// Request checks are three ordered lists built in NewRuntime from the
// policy: Runtime.route runs on the request headers before the positive
// model's own refusal can answer (the internal-route rule: an outsider
// gets the same 404 whatever else is wrong), Runtime.head after the
// positive model's header checks, while the headers are readable
// (authentication, object bindings on path and query, abuse rules), and
// Runtime.complete once the whole request passed (object bindings and
// abuse rules that read the body, then the sequence rules: on the headers
// when no body is checked, else after the body). A check is a name and a
// func(*Exchange) (policy.Decision, error). It may report non-blocking
// findings itself (x.record); the first blocking decision of the list
// refuses the request (a problem+json reply, counted and logged); an
// error is a failure and failure_mode decides. To add one, add its
// package under policy/, compile its configuration into the Policy, and
// append a check in NewRuntime where it belongs in the order
// (security.go wires authentication and abuse controls this way).
// Response observers (Runtime.observers) see the upstream's status
// (headers), a complete body's size (body) and the end of the exchange
// (done); the abuse counters, the session step recorder, the size model
// and the inventory are observers. Every stage reads the time with x.now:
// the clock is read once per callback.
package exchange
