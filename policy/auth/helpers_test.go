package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type rfcVector struct {
	JWKS     json.RawMessage `json:"jwks"`
	PrivateD string          `json:"private_d"`
	Alg      string          `json:"alg"`
	Token    string          `json:"token"`
	Iss      string          `json:"iss"`
	Exp      int64           `json:"exp"`
	Text     string          `json:"payload_text"`
}

func rfcVectors(t testing.TB) map[string]rfcVector {
	b, err := os.ReadFile("testdata/rfc.json")
	require.NoError(t, err)
	var m map[string]rfcVector
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

// rfcNow is just before the RFC 7515 examples' exp (1300819380).
var rfcNow = time.Unix(1300819300, 0)

func enc(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func mustDec(t testing.TB, s string) []byte {
	b, err := base64.RawURLEncoding.DecodeString(s)
	require.NoError(t, err)
	return b
}

// rfcES256Key is the RFC 7515 A.3 private key.
func rfcES256Key(t testing.TB) *ecdsa.PrivateKey {
	v := rfcVectors(t)["rfc7515_a3_es256"]
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), mustDec(t, v.PrivateD))
	require.NoError(t, err)
	return k
}

// rfcEdKey is the RFC 8037 A.1 private key.
func rfcEdKey(t testing.TB) ed25519.PrivateKey {
	v := rfcVectors(t)["rfc8037_a4_eddsa"]
	return ed25519.NewKeyFromSeed(mustDec(t, v.PrivateD))
}

func rfcHSKey(t testing.TB) []byte {
	v := rfcVectors(t)["rfc7515_a1_hs256"]
	var ks struct {
		Keys []struct{ K string } `json:"keys"`
	}
	require.NoError(t, json.Unmarshal(v.JWKS, &ks))
	return mustDec(t, ks.Keys[0].K)
}

// sign builds a compact JWS from raw header and payload JSON.
func signES256(t testing.TB, k *ecdsa.PrivateKey, header, payload string) string {
	in := enc([]byte(header)) + "." + enc([]byte(payload))
	d := sha256.Sum256([]byte(in))
	r, s, err := ecdsa.Sign(rand.Reader, k, d[:])
	require.NoError(t, err)
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return in + "." + enc(sig)
}

func signEd(k ed25519.PrivateKey, header, payload string) string {
	in := enc([]byte(header)) + "." + enc([]byte(payload))
	return in + "." + enc(ed25519.Sign(k, []byte(in)))
}

func signHS256(secret []byte, header, payload string) string {
	in := enc([]byte(header)) + "." + enc([]byte(payload))
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(in))
	return in + "." + enc(m.Sum(nil))
}

// jwkOf returns the public JWK of an ECDSA P-256 key.
func jwkOf(kid string, k *ecdsa.PublicKey) string {
	b, _ := k.Bytes()
	return `{"kty":"EC","crv":"P-256","kid":"` + kid + `","x":"` + enc(b[1:33]) + `","y":"` + enc(b[33:]) + `"}`
}

func newES256(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return k
}

func mustConfig(t testing.TB, js string) *Config {
	t.Helper()
	c, err := ParseJSON([]byte(js), "auth")
	require.NoError(t, err)
	return c
}

func must(t testing.TB, err error) {
	t.Helper()
	require.NoError(t, err)
}

type hdrs map[string]string

func (h hdrs) Get(k string) string { return h[k] }

func bearer(tok string) *Request { return &Request{Headers: hdrs{"authorization": "Bearer " + tok}} }

var _ = big.NewInt
var _ = strings.Cut
