package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/apiwarden/apiwarden/policy/internal/cfg"
	"github.com/tidwall/gjson"
)

// Bounds of key sets.
const (
	// MaxKeys bounds the keys of one key set (inline or fetched).
	MaxKeys = 64
	// MaxJWKSBytes bounds a fetched JWKS document.
	MaxJWKSBytes = 64 << 10
	// MinRSABits is the smallest RSA modulus accepted (RFC 7518 §3.3).
	MinRSABits = 2048
)

// Family is the kind of a key: it decides which algorithms may use it.
type Family uint8

// Key families (JWK "kty", with EC split by curve).
const (
	FamilyRSA Family = iota + 1
	FamilyP256
	FamilyP384
	FamilyEd25519
	FamilyOct
)

// Key is one verification key of a JWKS. Immutable.
type Key struct {
	Kid string
	// Alg, when the JWK names one, is the only algorithm the key may verify.
	Alg    string
	Family Family
	rsa    *rsa.PublicKey
	ec     *ecdsa.PublicKey
	ed     ed25519.PublicKey
	secret []byte
}

// KeySet is an immutable set of keys selected by kid.
type KeySet struct {
	Keys []*Key
	// Gen changes whenever the set changes: cached verifications made
	// with another generation are void.
	Gen uint64
}

// lookup returns the keys a token may be verified with: the one with the
// token's kid, or (no kid) every key.
func (ks *KeySet) lookup(kid string, hasKid bool) []*Key {
	if ks == nil {
		return nil
	}
	if !hasKid {
		return ks.Keys
	}
	for i, k := range ks.Keys {
		if k.Kid == kid {
			return ks.Keys[i : i+1]
		}
	}
	return nil
}

// b64 is the strict unpadded base64url of JWS (RFC 7515 §2): no padding,
// no line breaks, and the unused bits of the last character must be zero.
var b64 = base64.RawURLEncoding.Strict()

func decodeB64(s string) ([]byte, error) {
	out := make([]byte, b64.DecodedLen(len(s)))
	n, err := b64.Decode(out, []byte(s))
	if err != nil {
		return nil, err
	}
	return out[:n], nil
}

// ParseJWKS parses a JWK Set ({"keys": [...]}). With remote set, secret
// ("oct") keys are skipped (secrets never come from a URL), as are keys
// of unknown type or with "use" other than "sig", and private members are
// ignored; otherwise (inline configuration) those are errors. Errors name
// the key by its index.
func ParseJWKS(data []byte, remote bool) ([]*Key, error) {
	if len(data) > MaxJWKSBytes {
		return nil, fmt.Errorf("key set larger than %d bytes", MaxJWKSBytes)
	}
	if !gjson.ValidBytes(data) {
		return nil, errors.New("key set is not valid JSON")
	}
	root := gjson.ParseBytes(data)
	if !root.IsObject() {
		return nil, errors.New("key set is not a JSON object")
	}
	keys := root.Get("keys")
	if !keys.IsArray() {
		return nil, errors.New(`key set has no "keys" array`)
	}
	var out []*Key
	var errs []error
	seen := map[string]bool{}
	i := 0
	keys.ForEach(func(_, v gjson.Result) bool {
		defer func() { i++ }()
		k, err := ParseJWK(v.Raw, remote)
		if err != nil {
			if !remote {
				errs = append(errs, fmt.Errorf("keys[%d]: %w", i, err))
			}
			return true
		}
		if k == nil {
			return true
		}
		if k.Kid != "" && seen[k.Kid] {
			errs = append(errs, fmt.Errorf("keys[%d]: duplicate kid %q", i, cfg.Clip(k.Kid)))
			return true
		}
		seen[k.Kid] = true
		if len(out) == MaxKeys {
			errs = append(errs, fmt.Errorf("more than %d keys", MaxKeys))
			return false
		}
		out = append(out, k)
		return true
	})
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// ParseJWK parses one JWK. It returns nil, nil for a key a remote set may
// carry that apiwarden does not use (see ParseJWKS).
func ParseJWK(raw string, remote bool) (*Key, error) {
	if !gjson.Valid(raw) {
		return nil, errors.New("not valid JSON")
	}
	v := gjson.Parse(raw)
	if !v.IsObject() {
		return nil, errors.New("want an object")
	}
	if dupKeys(v) {
		return nil, errors.New("duplicate member")
	}
	str := func(name string) (string, error) {
		m := v.Get(gjson.Escape(name))
		if !m.Exists() {
			return "", nil
		}
		if m.Type != gjson.String {
			return "", fmt.Errorf("%s: want a string", name)
		}
		return m.Str, nil
	}
	kty, err := str("kty")
	if err != nil {
		return nil, err
	}
	kid, err := str("kid")
	if err != nil {
		return nil, err
	}
	alg, err := str("alg")
	if err != nil {
		return nil, err
	}
	use, err := str("use")
	if err != nil {
		return nil, err
	}
	if use != "" && use != "sig" {
		if remote {
			return nil, nil
		}
		return nil, fmt.Errorf(`use: want "sig", got %q`, cfg.Clip(use))
	}
	if !remote && kty != "oct" && v.Get("d").Exists() {
		return nil, errors.New("private key material (\"d\") in the configuration: configure the public key only")
	}
	bytesOf := func(name string) ([]byte, error) {
		s, err := str(name)
		if err != nil {
			return nil, err
		}
		if s == "" {
			return nil, fmt.Errorf("%s: required", name)
		}
		b, err := decodeB64(strings.TrimRight(s, "="))
		if err != nil {
			return nil, fmt.Errorf("%s: not base64url", name)
		}
		return b, nil
	}
	k := &Key{Kid: kid, Alg: alg}
	switch kty {
	case "RSA":
		n, err := bytesOf("n")
		if err != nil {
			return nil, err
		}
		e, err := bytesOf("e")
		if err != nil {
			return nil, err
		}
		if len(e) > 4 || len(e) == 0 {
			return nil, errors.New("e: exponent out of range")
		}
		var ev int
		for _, b := range e {
			ev = ev<<8 | int(b)
		}
		if ev < 3 || ev%2 == 0 {
			return nil, errors.New("e: exponent out of range")
		}
		nb := new(big.Int).SetBytes(n)
		if nb.BitLen() < MinRSABits {
			return nil, fmt.Errorf("n: RSA key of %d bits, want at least %d", nb.BitLen(), MinRSABits)
		}
		if nb.BitLen() > 8192 {
			return nil, errors.New("n: RSA key larger than 8192 bits")
		}
		k.Family, k.rsa = FamilyRSA, &rsa.PublicKey{N: nb, E: ev}
	case "EC":
		crv, err := str("crv")
		if err != nil {
			return nil, err
		}
		var curve elliptic.Curve
		var size int
		switch crv {
		case "P-256":
			curve, size, k.Family = elliptic.P256(), 32, FamilyP256
		case "P-384":
			curve, size, k.Family = elliptic.P384(), 48, FamilyP384
		default:
			if remote {
				return nil, nil
			}
			return nil, fmt.Errorf(`crv: want "P-256" or "P-384", got %q`, cfg.Clip(crv))
		}
		x, err := bytesOf("x")
		if err != nil {
			return nil, err
		}
		y, err := bytesOf("y")
		if err != nil {
			return nil, err
		}
		if len(x) != size || len(y) != size {
			return nil, fmt.Errorf("x, y: want %d bytes each for %s", size, crv)
		}
		pt := append(append([]byte{4}, x...), y...)
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, pt)
		if err != nil {
			return nil, errors.New("x, y: not a point on the curve")
		}
		k.ec = pub
	case "OKP":
		crv, err := str("crv")
		if err != nil {
			return nil, err
		}
		if crv != "Ed25519" {
			if remote {
				return nil, nil
			}
			return nil, fmt.Errorf(`crv: want "Ed25519", got %q`, cfg.Clip(crv))
		}
		x, err := bytesOf("x")
		if err != nil {
			return nil, err
		}
		if len(x) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("x: want %d bytes", ed25519.PublicKeySize)
		}
		k.Family, k.ed = FamilyEd25519, ed25519.PublicKey(x)
	case "oct":
		if remote {
			return nil, nil
		}
		s, err := bytesOf("k")
		if err != nil {
			return nil, err
		}
		if len(s) < 32 {
			return nil, fmt.Errorf("k: secret of %d bytes, want at least 32 (RFC 7518 §3.2)", len(s))
		}
		k.Family, k.secret = FamilyOct, s
	default:
		if remote {
			return nil, nil
		}
		return nil, fmt.Errorf(`kty: want "RSA", "EC", "OKP" or "oct", got %q`, cfg.Clip(kty))
	}
	if alg != "" {
		a, ok := algByName[alg]
		if !ok || a.family(k.Family) == false {
			if remote {
				return nil, nil
			}
			return nil, fmt.Errorf("alg: %q does not fit a %s key", cfg.Clip(alg), kty)
		}
	}
	return k, nil
}

// dupKeys reports whether the object v has a member name twice (after
// unescaping: "a" and "\u0061" are the same name).
func dupKeys(v gjson.Result) bool {
	n := 0
	var small [16]string
	seen := small[:0]
	var m map[string]struct{}
	dup := false
	v.ForEach(func(k, _ gjson.Result) bool {
		n++
		if m == nil && len(seen) < cap(small) {
			for _, s := range seen {
				if s == k.Str {
					dup = true
					return false
				}
			}
			seen = append(seen, k.Str)
			return true
		}
		if m == nil {
			m = make(map[string]struct{}, 32)
			for _, s := range seen {
				m[s] = struct{}{}
			}
		}
		if _, ok := m[k.Str]; ok {
			dup = true
			return false
		}
		m[k.Str] = struct{}{}
		return true
	})
	return dup
}
