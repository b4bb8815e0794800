package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"math/big"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/tidwall/gjson"
)

// DefaultMaxTokenBytes bounds a token before anything is decoded.
const DefaultMaxTokenBytes = 8192

// alg is one JWS algorithm (RFC 7518 §3.1, RFC 8037 §3.1).
type alg struct {
	name string
	fam  []Family
	hash crypto.Hash
	kind uint8 // algRS, algPS, algES, algEd, algHS
}

const (
	algRS = iota + 1
	algPS
	algES
	algEd
	algHS
)

func (a alg) family(f Family) bool {
	for _, x := range a.fam {
		if x == f {
			return true
		}
	}
	return false
}

var algByName = map[string]alg{
	"RS256": {"RS256", []Family{FamilyRSA}, crypto.SHA256, algRS},
	"RS384": {"RS384", []Family{FamilyRSA}, crypto.SHA384, algRS},
	"RS512": {"RS512", []Family{FamilyRSA}, crypto.SHA512, algRS},
	"PS256": {"PS256", []Family{FamilyRSA}, crypto.SHA256, algPS},
	"PS384": {"PS384", []Family{FamilyRSA}, crypto.SHA384, algPS},
	"PS512": {"PS512", []Family{FamilyRSA}, crypto.SHA512, algPS},
	"ES256": {"ES256", []Family{FamilyP256}, crypto.SHA256, algES},
	"ES384": {"ES384", []Family{FamilyP384}, crypto.SHA384, algES},
	"EdDSA": {"EdDSA", []Family{FamilyEd25519}, 0, algEd},
	"HS256": {"HS256", []Family{FamilyOct}, crypto.SHA256, algHS},
	"HS384": {"HS384", []Family{FamilyOct}, crypto.SHA384, algHS},
	"HS512": {"HS512", []Family{FamilyOct}, crypto.SHA512, algHS},
}

// Algorithms lists the algorithms a provider may allow.
var Algorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA", "HS256", "HS384", "HS512"}

// signatureChecks counts signature verifications (tests assert that a
// cached token is not verified again).
var signatureChecks atomic.Int64

func newHash(h crypto.Hash) hash.Hash {
	switch h {
	case crypto.SHA256:
		return sha256.New()
	case crypto.SHA384:
		return sha512.New384()
	}
	return sha512.New()
}

func digest(h crypto.Hash, data string) []byte {
	switch h {
	case crypto.SHA256:
		d := sha256.Sum256([]byte(data))
		return d[:]
	case crypto.SHA384:
		d := sha512.Sum384([]byte(data))
		return d[:]
	}
	d := sha512.Sum512([]byte(data))
	return d[:]
}

// verifySig checks sig over signingInput with key k under algorithm a.
func verifySig(a alg, k *Key, signingInput string, sig []byte) bool {
	signatureChecks.Add(1)
	switch a.kind {
	case algRS:
		return rsa.VerifyPKCS1v15(k.rsa, a.hash, digest(a.hash, signingInput), sig) == nil
	case algPS:
		return rsa.VerifyPSS(k.rsa, a.hash, digest(a.hash, signingInput), sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
	case algES:
		size := (k.ec.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*size {
			return false
		}
		r := new(big.Int).SetBytes(sig[:size])
		s := new(big.Int).SetBytes(sig[size:])
		return ecdsa.Verify(k.ec, digest(a.hash, signingInput), r, s)
	case algEd:
		return len(sig) == ed25519.SignatureSize && ed25519.Verify(k.ed, []byte(signingInput), sig)
	case algHS:
		m := hmac.New(func() hash.Hash { return newHash(a.hash) }, k.secret)
		m.Write([]byte(signingInput))
		return hmac.Equal(m.Sum(nil), sig)
	}
	return false
}

var tokenByte = func() (t [256]bool) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	t['-'], t['_'], t['.'] = true, true, true
	return t
}()

// jws is a parsed compact JWS whose signature is not yet checked.
type jws struct {
	alg          alg
	algName      string
	kid          string
	hasKid       bool
	signingInput string
	payload      []byte
	sig          []byte
}

// parseJWS splits and decodes a compact JWS and checks its header. allowed
// is the provider's allow-list. It refuses, in this order: oversized,
// wrong segment count, bad base64 or JSON, duplicate header members,
// crit, alg none or outside the allow-list.
func parseJWS(tok string, maxBytes int, allowed []string) (jws, Reason) {
	var j jws
	if len(tok) > maxBytes {
		return j, ReasonOversized
	}
	// Only the base64url alphabet and the two dots: Go's decoder would
	// skip CR and LF, and padding is not JWS.
	for i := 0; i < len(tok); i++ {
		if !tokenByte[tok[i]] {
			return j, ReasonMalformed
		}
	}
	d1 := strings.IndexByte(tok, '.')
	if d1 < 0 {
		return j, ReasonMalformed
	}
	d2 := strings.IndexByte(tok[d1+1:], '.')
	if d2 < 0 {
		return j, ReasonMalformed
	}
	d2 += d1 + 1
	if strings.IndexByte(tok[d2+1:], '.') >= 0 {
		return j, ReasonMalformed
	}
	h, err := decodeB64(tok[:d1])
	if err != nil || len(h) == 0 {
		return j, ReasonMalformed
	}
	payload, err := decodeB64(tok[d1+1 : d2])
	if err != nil {
		return j, ReasonMalformed
	}
	sig, err := decodeB64(tok[d2+1:])
	if err != nil || len(sig) == 0 {
		return j, ReasonMalformed
	}
	if !gjson.ValidBytes(h) {
		return j, ReasonMalformed
	}
	hdr := gjson.ParseBytes(h)
	if !hdr.IsObject() || dupKeys(hdr) {
		return j, ReasonMalformed
	}
	var algName string
	var bad Reason
	hdr.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "alg":
			if v.Type != gjson.String {
				bad = ReasonMalformed
				return false
			}
			algName = v.Str
		case "kid":
			if v.Type != gjson.String {
				bad = ReasonMalformed
				return false
			}
			j.kid, j.hasKid = v.Str, true
		case "crit":
			bad = ReasonUnsupportedCrit
			return false
		case "b64":
			// RFC 7797 only counts with crit; a b64 without crit is
			// refused rather than guessed at.
			bad = ReasonUnsupportedCrit
			return false
		}
		return true
	})
	if bad != ReasonNone {
		return j, bad
	}
	if algName == "" {
		return j, ReasonMalformed
	}
	a, ok := algByName[algName]
	if !ok || !slices.Contains(allowed, algName) {
		return j, ReasonAlgNotAllowed
	}
	j.alg, j.algName = a, algName
	j.signingInput = tok[:d2]
	j.payload = payload
	j.sig = sig
	return j, ReasonNone
}

// verifyWith checks the signature with the candidate keys. It returns
// ReasonUnknownKey when there is no candidate, ReasonAlgKeyMismatch when no
// candidate fits the algorithm, ReasonBadSignature when none verifies.
func (j *jws) verifyWith(ks *KeySet) (*Key, Reason) {
	cands := ks.lookup(j.kid, j.hasKid)
	if len(cands) == 0 {
		return nil, ReasonUnknownKey
	}
	fit := false
	for _, k := range cands {
		if !j.alg.family(k.Family) || (k.Alg != "" && k.Alg != j.algName) {
			continue
		}
		fit = true
		if verifySig(j.alg, k, j.signingInput, j.sig) {
			return k, ReasonNone
		}
	}
	if !fit {
		return nil, ReasonAlgKeyMismatch
	}
	return nil, ReasonBadSignature
}
