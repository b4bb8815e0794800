package bank

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"time"

	"github.com/apiwarden/apiwarden/wasmtest"
)

// Upstream is the demo bank API. It trusts its callers completely: that is
// the point of putting apiwarden in front of it. It also serves a few routes
// its OpenAPI document does not describe (shadow endpoints), and compresses
// responses when the client accepts gzip.
func Upstream() http.Handler { return NewUpstream(time.Now) }

// NewUpstream is Upstream with the clock its identity provider signs
// tokens with (a replay on a simulated clock issues tokens valid at its
// time).
func NewUpstream(now func() time.Time) http.Handler {
	var transfers atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/users/{user_id}/accounts", func(w http.ResponseWriter, r *http.Request) {
		uid := r.PathValue("user_id")
		seed := seedOf(uid)
		writeJSON(w, r, http.StatusOK, map[string]any{
			"user_id": uid,
			"owner": map[string]any{
				"name":        names[seed%uint32(len(names))],
				"national_id": fmt.Sprintf("%03d-%02d-%04d", 100+seed%600, 10+seed%89, 1000+seed%8999),
				"email":       fmt.Sprintf("customer%d@example.com", seed%1000),
				"risk_score":  seed % 100,
			},
			"accounts": []map[string]any{
				{"id": fmt.Sprintf("ACC-%d", 1000+seed%9000), "number": "DE89370400440532013000", "type": "checking", "currency": "EUR"},
				{"id": fmt.Sprintf("ACC-%d", 2000+seed%7000), "number": "GB82WEST12345698765432", "type": "savings", "currency": "GBP"},
			},
		})
	})
	mux.HandleFunc("GET /api/v1/accounts/{account_id}/balance", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("account_id")
		seed := seedOf(id)
		writeJSON(w, r, http.StatusOK, map[string]any{
			"account_id": id,
			"balance":    float64(seed%1000000) / 100,
			"currency":   "EUR",
			"as_of":      "2026-11-21T09:00:00Z",
		})
	})
	mux.HandleFunc("POST /api/v1/transferFunds", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			From     string  `json:"from"`
			To       string  `json:"to"`
			Amount   float64 `json:"amount"`
			Currency string  `json:"currency"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil {
			writeJSON(w, r, http.StatusBadRequest, map[string]any{"error": "bad transfer"})
			return
		}
		n := transfers.Add(1)
		writeJSON(w, r, http.StatusOK, map[string]any{
			"transfer_id": fmt.Sprintf("TX-%06d", n),
			"status":      "accepted",
			"from":        body.From,
			"to":          body.To,
			"amount":      body.Amount,
		})
	})
	// A demo identity provider: ES256 tokens for user<N> / correct-horse-<N>
	// (N in 1..100), and their key set.
	is := newIssuer(now)
	mux.HandleFunc("POST /api/v1/auth", is.login)
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, r, http.StatusOK, is.JWKS())
	})
	// The back office's export: in the description, kept internal by the
	// policy.
	mux.HandleFunc("GET /api/v1/internal/customers", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, r, http.StatusOK, map[string]any{"customers": Users, "export": "all national ids"})
	})
	// Shadow endpoints: served, but in no description of the API.
	mux.HandleFunc("GET /api/v1/users/{user_id}/cards", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, r, http.StatusOK, map[string]any{
			"cards": []map[string]any{{"pan": "4111 1111 1111 1111", "expiry": "12/29"}},
		})
	})
	mux.HandleFunc("GET /internal/debug/config", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, r, http.StatusOK, map[string]any{"db_password": "hunter2", "aws_key": "AKIAIOSFODNN7EXAMPLE"})
	})
	return mux
}

var names = []string{"Ada Lovelace", "Grace Hopper", "Alan Turing", "Katherine Johnson", "Edsger Dijkstra", "Barbara Liskov"}

func seedOf(s string) uint32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(s))
	return h.Sum32()
}

func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("content-type", "application/json")
	w.Header().Set("server", "bank-demo/1.0")
	w.Header().Set("x-powered-by", "go")
	if strings.Contains(r.Header.Get("accept-encoding"), "gzip") {
		w.Header().Set("content-encoding", "gzip")
		w.WriteHeader(status)
		gz := gzip.NewWriter(w)
		_, _ = gz.Write(b)
		_ = gz.Close()
		return
	}
	w.Header().Set("content-length", fmt.Sprint(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// ServeUpstream answers one request with the demo upstream in-process (for
// hosts that play exchanges without sockets).
func ServeUpstream(method, path string, headers [][2]string, body []byte) *wasmtest.Response {
	return Serve(defaultUpstream, method, path, headers, body)
}

// Serve answers one request with handler h in-process.
func Serve(h http.Handler, method, path string, headers [][2]string, body []byte) *wasmtest.Response {
	r := httptest.NewRequest(method, path, bytes.NewReader(body))
	for _, h := range headers {
		if !strings.HasPrefix(h[0], ":") {
			r.Header.Add(h[0], h[1])
		}
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	res := &wasmtest.Response{Status: w.Code, Body: w.Body.Bytes()}
	for k, vs := range w.Header() {
		for _, v := range vs {
			res.Headers = append(res.Headers, [2]string{strings.ToLower(k), v})
		}
	}
	return res
}

var defaultUpstream = Upstream()

// Callouts answers the module's HTTP callouts (the remote key set of the
// example policy, through cluster "upstream") with handler h in-process:
// a wasmtest.Options.HTTPCallHandler.
func Callouts(h http.Handler) func(cluster string, req wasmtest.CalloutRequest) (wasmtest.CalloutResponse, error) {
	return func(cluster string, req wasmtest.CalloutRequest) (wasmtest.CalloutResponse, error) {
		if cluster != "upstream" {
			return wasmtest.CalloutResponse{}, fmt.Errorf("bank: no cluster %q", cluster)
		}
		res := Serve(h, req.Header(":method"), req.Header(":path"), req.Headers, req.Body)
		return wasmtest.CalloutResponse{Status: res.Status, Headers: res.Headers, Body: res.Body}, nil
	}
}

// Login logs user n in against handler h in-process (password
// correct-horse-n) and returns the token.
func Login(h http.Handler, n int) (string, error) {
	res := Serve(h, "POST", "/api/v1/auth", [][2]string{{"content-type", "application/json"}},
		[]byte(fmt.Sprintf(`{"username":"user%d","password":"correct-horse-%d"}`, n, n)))
	var tok struct{ Token string }
	if err := json.Unmarshal(res.Body, &tok); err != nil || res.Status != 200 || tok.Token == "" {
		return "", fmt.Errorf("bank: login of user%d answered %d: %s", n, res.Status, res.Body)
	}
	return tok.Token, nil
}
