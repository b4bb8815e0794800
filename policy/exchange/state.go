package exchange

// State is where the request side of an exchange stands. The transitions
// (state_test.go pins every one):
//
//	Headers --headers, no body-------------------------> Forwarded
//	Headers --headers, body not checked----------------> Streaming
//	Headers --headers, body checked--------------------> Buffering
//	Headers --admin resource---------------------------> Admin
//	Streaming/Buffering --over the limit, monitor------> Forwarded
//	Buffering --end of stream or trailers, accepted----> Forwarded
//	any --refusal (block, fail closed)-----------------> Replied
//	any --Done-----------------------------------------> Closed
//
// Replied and Admin are answered locally: the response callbacks Envoy
// runs for that reply are not upstream traffic and are ignored.
type State uint8

const (
	StateHeaders State = iota
	StateStreaming
	StateBuffering
	StateForwarded
	StateReplied
	StateAdmin
	StateClosed
)

var stateNames = [...]string{"headers", "streaming", "buffering", "forwarded", "replied", "admin", "closed"}

func (s State) String() string { return stateNames[s] }

// answeredLocally reports whether the exchange's response is our own.
func (s State) answeredLocally() bool { return s == StateReplied || s == StateAdmin }

// RespState is where the response side stands.
//
//	Awaiting --headers, nothing to protect------------> Passing (Done at end of stream)
//	Awaiting --headers, body protected----------------> Buffering, or Holding with held headers
//	Buffering/Holding --over the redactor's bound------> Passing (or Refused / Replied)
//	Buffering/Holding --end of stream or trailers------> Done (or Refused / Replied)
//	Refused: the headers left, the body is replaced by the problem
//	document and every later chunk dropped.
type RespState uint8

const (
	RespAwaiting RespState = iota
	RespPassing
	RespBuffering
	RespHolding
	RespRefused
	RespDone
)

var respNames = [...]string{"awaiting", "passing", "buffering", "holding", "refused", "done"}

func (s RespState) String() string { return respNames[s] }
