package abuse

import "github.com/tidwall/gjson"

// Headers reads request headers by lower-case name; a missing header is "".
type Headers interface {
	Get(name string) string
}

// Params reads path or query parameters by name (the first value of a
// repeated query parameter).
type Params interface {
	Get(name string) (string, bool)
}

// Claims reads the VERIFIED claims of the request's principal (a JWT
// checked by policy/auth): a string or number claim as text.
type Claims interface {
	Claim(name string) (string, bool)
}

// JSON reads a JSON document by gjson path. The engine compiles the JSON
// pointers of its configuration ("/username") to gjson paths once, so an
// accessor only ever sees paths. JSONBytes is the ready-made accessor over
// raw (already validated, bounded) bytes.
type JSON interface {
	Get(path string) gjson.Result
}

// JSONBytes is a JSON accessor over raw bytes.
type JSONBytes []byte

// Get implements JSON.
func (b JSONBytes) Get(path string) gjson.Result { return gjson.GetBytes(b, path) }

// Map is a Headers/Params/Claims accessor over a map (tests, glue).
type Map map[string]string

// Get implements Params and Claims.
func (m Map) Get(name string) (string, bool) { v, ok := m[name]; return v, ok }

// Claim implements Claims.
func (m Map) Claim(name string) (string, bool) { v, ok := m[name]; return v, ok }

// HeaderMap is a Headers accessor over a map of lower-case names.
type HeaderMap map[string]string

// Get implements Headers.
func (m HeaderMap) Get(name string) string { return m[name] }

// Request is what Admit and Observe need of a request. Every accessor may
// be nil (the parts it would give are then absent). Raw values read here
// are hashed before they are stored or logged, never kept.
type Request struct {
	// Method is the upper-case method; Endpoint the endpoint id the router
	// matched ("" for an unknown endpoint); Path the NORMALISED path the
	// router saw (internal prefixes match it).
	Method   string
	Endpoint string
	Path     string
	// Source is the connection's source address (source.address:
	// "10.0.0.1:5000", "[::1]:123" or a bare address); the client address
	// is derived from it and X-Forwarded-For with trusted_hops.
	Source string
	// SourceOf gives the source address when Source is empty, asked only
	// if a rule needs the client (in Envoy reading it is a host call).
	SourceOf interface{ SourceAddress() string }
	// Session is the HASHED session key ("" when the request has none).
	Session string
	// ClientID is the verified API-key client id ("" none).
	ClientID   string
	Claims     Claims
	Headers    Headers
	PathParams Params
	Query      Params
	// Body is the request's JSON body; nil when there is none or it was
	// not buffered (see Engine.NeedsRequestBody).
	Body JSON
	// RouteAdmitted: AdmitRoute already decided the internal-route rule
	// for this request, so Admit does not evaluate (nor report) it again.
	RouteAdmitted bool
}

// Response is what Observe needs of the upstream's answer.
type Response struct {
	Status int
	// Body is the response's JSON body; nil when there is none or it was
	// not buffered (see Engine.NeedsResponseBody).
	Body JSON
}
