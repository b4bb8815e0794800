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
// a local reply, log lines and metric increments. The state machine is
// explicit (State for the request side, RespState for the response side;
// state.go draws it). A Step's slices are valid until the next call.
//
// # Cost
//
// A policy pays only for what it uses: no sequence rules, no history
// read; no response protection, no response body buffered and only
// :status read; no event, no event text and no trace id formatted. The
// request headers are read once, by the adapter; metric increments are
// batched in the Step; a header-only request allocates nothing the
// Exchange can reuse (its buffers survive Runtime.Begin).
//
// # Adding a stage
//
// Request checks are two ordered lists built in NewRuntime from the
// policy: Runtime.head runs on the request headers (after the positive
// model's own header checks, while the headers are readable; empty
// today) and Runtime.complete once the whole request passed (the sequence
// rules: on the headers when no body is checked, else after the body). A
// check is a name and a func(*Exchange) (policy.Decision,
// error). It may report non-blocking findings itself (x.record); the
// first blocking decision of the list refuses the request (a
// problem+json reply, counted and logged); an error is a failure and
// failure_mode decides. To add authentication or a rate limit, add its
// package under policy/, compile its configuration into the Policy, and
// append a check in NewRuntime where it belongs in the order:
// authentication and rate limits to Runtime.head (they need the headers,
// and must refuse before the sequence check records a step). Response observers (Runtime.observers) see the upstream's status
// (headers), a complete body's size (body) and the end of the exchange
// (done); the session step recorder, the size model and the inventory are
// observers.
package exchange
