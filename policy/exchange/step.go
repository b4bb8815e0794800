package exchange

import (
	"time"

	"github.com/apiwarden/apiwarden/policy"
	"github.com/apiwarden/apiwarden/policy/session"
)

// Action is what the host callback returns.
type Action uint8

const (
	// Continue lets the phase go on.
	Continue Action = iota
	// Pause stops iteration: a body callback buffers the body until end of
	// stream, a headers callback holds the headers (Envoy >= 1.35 with
	// allow_on_headers_stop_iteration), a local reply ends the stream.
	Pause
)

func (a Action) String() string {
	if a == Pause {
		return "pause"
	}
	return "continue"
}

// Step is everything one callback asks of the host, in the order the
// adapter applies it: header edits, body replacement, the local reply,
// then logs and histogram records. Its slices, and the strings in them
// that alias the Exchange's buffers (the traceparent edit), belong to the
// Exchange and are valid until the Exchange's next call.
type Step struct {
	Action Action
	// Edits change the headers of the callback's direction (request
	// headers in request callbacks, response headers in response ones).
	Edits []Edit
	// ReplaceBody replaces the buffered body of the callback's direction
	// with Body (nil: empty).
	ReplaceBody bool
	Body        []byte
	// Reply, when set, is a local reply to send (a refusal, the admin
	// endpoint, a response refused while its headers were held).
	Reply *Reply
	// Logs are log lines (security events are LevelWarn).
	Logs []Log
	// Metrics are histogram records; IDs index Runtime.Metrics. Counter
	// increments are batched per VM and come out of Runtime.Tick.
	Metrics []Inc
}

// Edit sets (Remove false) or removes one header. When a Must edit fails,
// the adapter calls Exchange.Fail: forwarding without it would make the
// upstream act on something that was not validated.
type Edit struct {
	Name, Value string
	Remove      bool
	Must        bool
}

// Reply is a local reply.
type Reply struct {
	Status  int
	Headers [][2]string
	Body    []byte
}

// Level is a log level.
type Level uint8

const (
	LevelDebug Level = iota
	LevelInfo
	LevelWarn
	LevelError
	LevelCritical
)

// Log is one log line.
type Log struct {
	Level Level
	Text  []byte
}

// Inc adds N to counter ID, or records N in histogram ID.
type Inc struct {
	ID MetricID
	N  uint64
}

// HeaderSource is how the Exchange reads response headers from the host:
// one value when that is all it needs, the whole map otherwise.
type HeaderSource interface {
	Header(name string) (string, bool)
	Headers() ([][2]string, error)
}

// BodyReader reads up to max bytes of the buffered body of a direction. A
// missing body is (nil, nil).
type BodyReader interface {
	ReadBody(max int) ([]byte, error)
}

// AddressSource gives the downstream address ("ip:port"). The exchange
// asks only when it needs it (an event, a session or limit keyed on the
// client): in Envoy it is a property read, one host call, and at most one
// per exchange.
type AddressSource = session.Address

// Addr is an address known in advance.
type Addr string

func (a Addr) SourceAddress() string { return string(a) }

// Headers is the request header list as the host gives it.
type Headers = policy.Headers

// TickStep is what a tick asks of the host: log lines, and HTTP callouts
// to start (remote key-set fetches). Each callout is answered with
// Runtime.CalloutDone, or Runtime.CalloutFailed when it cannot start or
// fails.
type TickStep struct {
	Logs     []Log
	Callouts []Callout
	// Metrics are the counter increments batched since the last tick,
	// one per counter; valid until the next Tick.
	Metrics []Inc
}

// Callout is one HTTP call through an Envoy cluster: proxy_http_call with
// Headers (":method", ":path", ":authority" included), no body.
type Callout struct {
	ID      uint32
	Cluster string
	Headers [][2]string
	Timeout time.Duration
}
