// Package differential is the integrity test bench of issue 9: generated
// requests in classes (numbers, paths, integers, UTF-8, method overrides,
// bodies), a backend that parses what it receives the way a Go server does
// (net/http's request parser and ServeMux, encoding/json, strconv), and
// the property every allowed request must satisfy: the backend routes it
// to the operation apiwarden validated, and the values it parses satisfy
// the schema apiwarden checked. policy/ runs it natively, filter/ through
// proxytest and through the built module. Test support only.
package differential

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Config is the API under test: the bank's operations with the parameter
// and body kinds the classes exercise, and an internal subtree that only
// the backend serves (a prefix router, like a Go ServeMux "/internal/").
const Config = `{
  "mode": "enforce", "unknown_endpoints": "block",
  "endpoints": [
    {"id": "list_accounts", "method": "GET", "path": "/api/v1/users/{user_id}/accounts",
     "request": {"unknown_query": "block", "parameters": [
       {"name": "user_id", "in": "path", "schema": {"type": "integer", "minimum": 1, "format": "int32"}},
       {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
       {"name": "status", "in": "query", "explode": false, "schema": {"type": "array", "maxItems": 5, "items": {"type": "string", "enum": ["open", "closed"]}}},
       {"name": "verbose", "in": "query", "schema": {"type": "boolean"}}]}},
    {"id": "get_balance", "method": "GET", "path": "/api/v1/accounts/{account_id}/balance",
     "request": {"parameters": [{"name": "account_id", "in": "path", "schema": {"type": "string", "pattern": "^ACC-[0-9]+$"}}]}},
    {"id": "transfer_funds", "method": "POST", "path": "/api/v1/transferFunds",
     "request": {"content_types": ["application/json"], "body_required": true,
       "body_schema": {"type": "object", "required": ["from", "to", "amount"], "additionalProperties": false,
         "properties": {"from": {"type": "string", "pattern": "^ACC-[0-9]+$"}, "to": {"type": "string", "pattern": "^ACC-[0-9]+$"},
           "amount": {"type": "number", "exclusiveMinimum": 0, "maximum": 1000000}, "memo": {"type": "string", "maxLength": 16}}}}}
  ]
}`

// Case is one generated request.
type Case struct {
	Class   string
	Method  string
	Target  string // :path as the client sends it
	Headers [][2]string
	Body    string
	// Stream: the body is sent without content-length or
	// transfer-encoding (the stream simply does not end with the headers).
	Stream bool
}

// HasBody reports whether the headers do not end the stream.
func (c *Case) HasBody() bool { return c.Body != "" || c.Stream || c.header("transfer-encoding") != "" }

func (c *Case) header(name string) string {
	for _, kv := range c.Headers {
		if kv[0] == name {
			return kv[1]
		}
	}
	return ""
}

// Forwarded is what the upstream received from apiwarden.
type Forwarded struct {
	Method  string
	Target  string
	Headers [][2]string
	Body    []byte
}

// Observation is what the Go backend made of a forwarded request.
type Observation struct {
	// Handler is the operation the backend ran ("" when it refused the
	// request: a parse error, a redirect, 404, 405).
	Handler string
	// Method is the method the handler acted on (a framework honouring a
	// method-override header acts on the header's).
	Method string
	Values map[string]string
	Query  map[string][]string
	Body   []byte
}

// Serve parses a forwarded request as a Go server does and runs the
// matching handler.
func Serve(f Forwarded) Observation {
	var raw bytes.Buffer
	fmt.Fprintf(&raw, "%s %s HTTP/1.1\r\nHost: bank.example\r\n", f.Method, f.Target)
	for _, kv := range f.Headers {
		if strings.HasPrefix(kv[0], ":") || kv[0] == "host" || kv[0] == "content-length" || kv[0] == "transfer-encoding" {
			continue
		}
		fmt.Fprintf(&raw, "%s: %s\r\n", kv[0], kv[1])
	}
	fmt.Fprintf(&raw, "Content-Length: %d\r\n\r\n", len(f.Body))
	raw.Write(f.Body)
	req, err := http.ReadRequest(bufio.NewReader(&raw))
	if err != nil {
		return Observation{}
	}
	var obs Observation
	handle := func(id string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			obs.Handler, obs.Method = id, r.Method
			for _, h := range []string{"X-Http-Method-Override", "X-Http-Method", "X-Method-Override"} {
				if v := r.Header.Get(h); v != "" {
					obs.Method = strings.ToUpper(strings.TrimSpace(v))
				}
			}
			obs.Values = map[string]string{}
			for _, n := range []string{"user_id", "account_id"} {
				if v := r.PathValue(n); v != "" {
					obs.Values[n] = v
				}
			}
			obs.Query = r.URL.Query()
			obs.Body, _ = io.ReadAll(r.Body)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("GET /api/v1/users/{user_id}/accounts", handle("list_accounts"))
	mux.Handle("GET /api/v1/accounts/{account_id}/balance", handle("get_balance"))
	mux.Handle("POST /api/v1/transferFunds", handle("transfer_funds"))
	mux.Handle("/internal/", handle("internal"))
	mux.ServeHTTP(httptest.NewRecorder(), req)
	return obs
}

var accountID = regexp.MustCompile(`^ACC-[0-9]+$`)

// declaresBody lists the operations of Config that accept a body.
var declaresBody = map[string]bool{"transfer_funds": true}

// Check is the property: an allowed request (validated as operation op
// with method) reaches that operation, and what the backend parses
// satisfies the schema apiwarden checked. nil when the backend refused
// the request itself.
func Check(op, method string, obs Observation) error {
	if obs.Handler == "" {
		return nil
	}
	if obs.Handler != op {
		return fmt.Errorf("the backend ran %s, apiwarden validated %s", obs.Handler, op)
	}
	if obs.Method != method && !(method == "GET" && obs.Method == "HEAD") {
		return fmt.Errorf("the backend acted as %s, apiwarden validated %s", obs.Method, method)
	}
	if len(obs.Body) > 0 && !declaresBody[op] {
		return fmt.Errorf("%s received a %d-byte body it declares none for", op, len(obs.Body))
	}
	switch op {
	case "list_accounts":
		if n, err := strconv.ParseInt(obs.Values["user_id"], 10, 32); err != nil || n < 1 {
			return fmt.Errorf("user_id %q: the backend reads %d, %v", obs.Values["user_id"], n, err)
		}
		for k, vs := range obs.Query {
			switch k {
			case "limit":
				if n, err := strconv.Atoi(vs[0]); len(vs) != 1 || err != nil || n < 1 || n > 100 {
					return fmt.Errorf("limit %q: the backend reads %d, %v", vs, n, err)
				}
			case "verbose":
				if len(vs) != 1 || vs[0] != "true" && vs[0] != "false" {
					return fmt.Errorf("verbose %q is no boolean spelling", vs)
				}
			case "status":
				if len(vs) != 1 {
					return fmt.Errorf("status given %d times", len(vs))
				}
				items := strings.Split(vs[0], ",")
				if len(items) > 5 {
					return fmt.Errorf("status has %d items", len(items))
				}
				for _, it := range items {
					if it != "open" && it != "closed" {
						return fmt.Errorf("status item %q", it)
					}
				}
			default:
				return fmt.Errorf("undeclared query parameter %q reached the backend", k)
			}
		}
	case "get_balance":
		if v := obs.Values["account_id"]; !accountID.MatchString(v) {
			return fmt.Errorf("account_id %q", v)
		}
	case "transfer_funds":
		var t struct {
			From, To string
			Amount   float64
			Memo     string
		}
		if err := json.Unmarshal(obs.Body, &t); err != nil {
			return fmt.Errorf("the backend cannot read the body: %v", err)
		}
		if !(t.Amount > 0 && t.Amount <= 1000000) {
			return fmt.Errorf("amount: the backend holds %v", t.Amount)
		}
		if !accountID.MatchString(t.From) || !accountID.MatchString(t.To) {
			return fmt.Errorf("from %q to %q", t.From, t.To)
		}
		if utf8.RuneCountInString(t.Memo) > 16 || strings.ContainsRune(t.Memo, utf8.RuneError) && !strings.Contains(strings.ToLower(string(obs.Body)), `\ufffd`) && !strings.Contains(string(obs.Body), "\uFFFD") {
			return fmt.Errorf("memo %q: the backend got other text than was validated", t.Memo)
		}
	}
	return nil
}
