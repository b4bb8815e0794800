package bank

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The demo identity provider built into the upstream: POST /api/v1/auth
// issues ES256 tokens, GET /.well-known/jwks.json publishes the key.
const (
	// Issuer and Audience of the tokens the demo upstream issues.
	Issuer   = "https://bank.example/auth"
	Audience = "bank-api"
	// TokenTTL is how long an issued token is valid.
	TokenTTL = 15 * time.Minute
	// Users is how many demo users exist: user<N> / correct-horse-<N>.
	Users = 100
)

// issuer signs the demo tokens with a key generated at start-up (the
// upstream is native Go, so crypto/rand is fine here).
type issuer struct {
	key *ecdsa.PrivateKey
	kid string
	now func() time.Time
}

func newIssuer(now func() time.Time) *issuer {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	pub, _ := k.PublicKey.Bytes()
	d := sha256.Sum256(pub)
	return &issuer{key: k, kid: b64(d[:8]), now: now}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// accountsOf returns the account ids GET /api/v1/users/{uid}/accounts
// answers for uid.
func accountsOf(uid string) []string {
	seed := seedOf(uid)
	return []string{fmt.Sprintf("ACC-%d", 1000+seed%9000), fmt.Sprintf("ACC-%d", 2000+seed%7000)}
}

// userOf checks demo credentials and returns N.
func userOf(username, password string) (int, bool) {
	ns, ok := strings.CutPrefix(username, "user")
	if !ok || ns == "" || ns[0] == '0' {
		return 0, false
	}
	n, err := strconv.Atoi(ns)
	if err != nil || n < 1 || n > Users || password != "correct-horse-"+ns {
		return 0, false
	}
	return n, true
}

func (is *issuer) token(n int) (string, error) {
	now := is.now()
	uid := strconv.Itoa(n)
	hdr, _ := json.Marshal(map[string]string{"alg": "ES256", "typ": "JWT", "kid": is.kid})
	claims, _ := json.Marshal(map[string]any{
		"iss": Issuer, "aud": Audience, "sub": uid, "accounts": accountsOf(uid),
		"iat": now.Unix(), "exp": now.Add(TokenTTL).Unix(), "scope": "accounts:read transfer",
	})
	in := b64(hdr) + "." + b64(claims)
	d := sha256.Sum256([]byte(in))
	r, s, err := ecdsa.Sign(rand.Reader, is.key, d[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return in + "." + b64(sig), nil
}

// JWKS returns the public key set.
func (is *issuer) JWKS() map[string]any {
	pub, _ := is.key.PublicKey.Bytes()
	return map[string]any{"keys": []map[string]string{{
		"kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": is.kid,
		"x": b64(pub[1:33]), "y": b64(pub[33:]),
	}}}
}

func (is *issuer) login(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&body)
	n, ok := userOf(body.Username, body.Password)
	if err != nil || !ok {
		b, _ := json.Marshal(map[string]any{
			"type": "https://bank.example/problems/invalid-credentials", "title": "Invalid credentials", "status": 401,
		})
		w.Header().Set("content-type", "application/problem+json")
		w.Header().Set("www-authenticate", `Bearer realm="bank"`)
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write(b)
		return
	}
	tok, err := is.token(n)
	if err != nil {
		http.Error(w, "signing failed", http.StatusInternalServerError)
		return
	}
	writeJSON(w, r, http.StatusOK, map[string]any{"token": tok, "token_type": "Bearer", "expires_in": int(TokenTTL.Seconds())})
}
