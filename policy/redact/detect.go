package redact

import (
	"encoding/base64"

	"github.com/tidwall/gjson"
)

// Detector identifies one kind of sensitive value.
type Detector uint8

// The detectors, in the order the report counts them.
const (
	CardNumber  Detector = iota // payment card number: IIN + length + Luhn
	Email                       // e-mail address
	SSN                         // US social security number ddd-dd-dddd
	IBAN                        // international bank account number, mod-97 checked
	JWT                         // JSON web token (three base64url segments)
	BearerToken                 // "Bearer <token>" credential
	CloudKey                    // AWS, GCP, GitHub, Slack, Stripe keys
	PrivateKey                  // PEM private key block
	NumDetectors
)

var detectorNames = [NumDetectors]string{
	CardNumber:  "card_number",
	Email:       "email",
	SSN:         "ssn",
	IBAN:        "iban",
	JWT:         "jwt",
	BearerToken: "bearer_token",
	CloudKey:    "cloud_key",
	PrivateKey:  "private_key",
}

// String returns the configuration name of the detector.
func (d Detector) String() string {
	if d < NumDetectors {
		return detectorNames[d]
	}
	return "unknown"
}

// DetectorByName maps a configuration name to its detector.
func DetectorByName(name string) (Detector, bool) {
	for i, n := range detectorNames {
		if n == name {
			return Detector(i), true
		}
	}
	return 0, false
}

// match is one detected value inside a string: bytes [start, end).
type match struct {
	start, end int
	det        Detector
}

// trigger bits: which detectors a byte can start (or, for '@', anchor).
const (
	tDigit  = 1 << iota // card, ssn
	tUpper              // iban, AKIA/ASIA/AIza
	tAt                 // email
	tJWT                // 'e'
	tBearer             // 'B' 'b'
	tKey                // 'g' 'x' 's' 'A'
	tPEM                // '-'
)

// scanner holds the enabled detectors and the byte trigger table derived
// from them, built once at compile time.
type scanner struct {
	on   [NumDetectors]bool
	trig [256]uint8
	any  bool
}

func newScanner(on [NumDetectors]bool) scanner {
	s := scanner{on: on}
	set := func(bit uint8, bs ...byte) {
		for _, b := range bs {
			s.trig[b] |= bit
		}
	}
	if on[CardNumber] || on[SSN] {
		set(tDigit, '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
	}
	if on[IBAN] {
		for c := byte('A'); c <= 'Z'; c++ {
			set(tUpper, c)
		}
	}
	if on[Email] {
		set(tAt, '@')
	}
	if on[JWT] {
		set(tJWT, 'e')
	}
	if on[BearerToken] {
		set(tBearer, 'B', 'b')
	}
	if on[CloudKey] {
		set(tKey, 'A', 'g', 'x', 's')
	}
	if on[PrivateKey] {
		set(tPEM, '-')
	}
	for _, b := range on {
		s.any = s.any || b
	}
	return s
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isAlnum(c byte) bool { return isDigit(c) || isUpper(c) || isLower(c) }
func isB64URL(c byte) bool {
	return isAlnum(c) || c == '-' || c == '_'
}

// scan appends the matches found in s, sorted and non-overlapping.
func (sc *scanner) scan(s []byte, dst []match) []match {
	lo := 0 // matches never start before the end of the previous one
	for i := 0; i < len(s); {
		t := sc.trig[s[i]]
		if t == 0 {
			i++
			continue
		}
		start, end, det := sc.try(s, i, lo, t)
		if end > 0 {
			dst = append(dst, match{start: start, end: end, det: det})
			i, lo = end, end
			continue
		}
		i++
	}
	return dst
}

// try attempts every detector that the byte at i can start.
func (sc *scanner) try(s []byte, i, lo int, t uint8) (start, end int, det Detector) {
	boundary := i == 0 || !isAlnum(s[i-1])
	if t&tAt != 0 {
		if a, b := email(s, i, lo); b > 0 {
			return a, b, Email
		}
		return 0, 0, 0
	}
	if t&tPEM != 0 {
		if b := pemKey(s, i); b > 0 {
			return i, b, PrivateKey
		}
		return 0, 0, 0
	}
	if !boundary {
		return 0, 0, 0
	}
	if t&tDigit != 0 {
		if sc.on[SSN] {
			if b := ssn(s, i); b > 0 {
				return i, b, SSN
			}
		}
		if sc.on[CardNumber] {
			if b := card(s, i); b > 0 {
				return i, b, CardNumber
			}
		}
		return 0, 0, 0
	}
	if t&tKey != 0 {
		if b := cloudKey(s, i); b > 0 {
			return i, b, CloudKey
		}
	}
	if t&tUpper != 0 {
		if b := iban(s, i); b > 0 {
			return i, b, IBAN
		}
	}
	if t&tJWT != 0 {
		if b := jwt(s, i); b > 0 {
			return i, b, JWT
		}
	}
	if t&tBearer != 0 {
		if a, b := bearer(s, i); b > 0 {
			return a, b, BearerToken
		}
	}
	return 0, 0, 0
}

// ---- payment cards ----

// card matches 13-19 digits, single spaces or dashes allowed between
// digits, with a known issuer prefix, a length that issuer uses, and a
// valid Luhn check digit. A run of more than 19 digits is not a card.
func card(s []byte, i int) int {
	var d [19]byte
	n, j, end := 0, i, i
	for j < len(s) {
		c := s[j]
		if isDigit(c) {
			if n == len(d) {
				return -1
			}
			d[n] = c - '0'
			n++
			j++
			end = j
			continue
		}
		if (c == ' ' || c == '-') && j+1 < len(s) && isDigit(s[j+1]) && j > i && isDigit(s[j-1]) {
			j++
			continue
		}
		break
	}
	if end < len(s) && isAlnum(s[end]) {
		return -1
	}
	if n < 13 || !cardIIN(d[:n]) || !luhn(d[:n]) {
		return -1
	}
	return end
}

func cardDigitsOK(d []byte) bool { return len(d) >= 13 && len(d) <= 19 && cardIIN(d) && luhn(d) }

func prefixNum(d []byte, k int) int {
	v := 0
	for i := 0; i < k && i < len(d); i++ {
		v = v*10 + int(d[i])
	}
	return v
}

// cardIIN reports whether the issuer identification number and the length
// belong to a major scheme (Visa, Mastercard, Amex, Discover, Diners, JCB,
// UnionPay, Maestro, Mir).
func cardIIN(d []byte) bool {
	n := len(d)
	p2, p3, p4 := prefixNum(d, 2), prefixNum(d, 3), prefixNum(d, 4)
	switch {
	case d[0] == 4: // Visa
		return n == 13 || n == 16 || n == 19
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720: // Mastercard
		return n == 16
	case p2 == 34 || p2 == 37: // American Express
		return n == 15
	case p4 == 6011, p3 >= 644 && p3 <= 649, p2 == 65, p2 == 62: // Discover, UnionPay
		return n >= 16
	case p3 >= 300 && p3 <= 305, p2 == 36, p2 == 38, p2 == 39: // Diners
		return n >= 14
	case p4 >= 3528 && p4 <= 3589: // JCB
		return n >= 16
	case p4 >= 2200 && p4 <= 2204: // Mir
		return n >= 16
	case p4 == 5018, p4 == 5020, p4 == 5038, p4 == 5893, p4 == 6304, p4 == 6759, p4 >= 6761 && p4 <= 6763: // Maestro
		return true
	}
	return false
}

func luhn(d []byte) bool {
	sum := 0
	dbl := false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i])
		if dbl {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		dbl = !dbl
	}
	return sum%10 == 0
}

// ---- US social security numbers ----

// ssn matches ddd-dd-dddd not adjacent to letters, digits or dashes, with a
// valid area (not 000, 666, 900-999), group (not 00) and serial (not 0000).
func ssn(s []byte, i int) int {
	if len(s)-i < 11 || i > 0 && s[i-1] == '-' {
		return -1
	}
	t := s[i : i+11]
	for k, c := range t {
		if k == 3 || k == 6 {
			if c != '-' {
				return -1
			}
		} else if !isDigit(c) {
			return -1
		}
	}
	if e := i + 11; e < len(s) && (isAlnum(s[e]) || s[e] == '-') {
		return -1
	}
	area := int(t[0]-'0')*100 + int(t[1]-'0')*10 + int(t[2]-'0')
	if area == 0 || area == 666 || area >= 900 {
		return -1
	}
	if t[4] == '0' && t[5] == '0' || t[7] == '0' && t[8] == '0' && t[9] == '0' && t[10] == '0' {
		return -1
	}
	return i + 11
}

// ---- IBAN ----

// ibanLen is the registered IBAN length per country (ISO 13616 registry).
var ibanLen = map[[2]byte]uint8{
	{'A', 'D'}: 24, {'A', 'E'}: 23, {'A', 'L'}: 28, {'A', 'T'}: 20, {'A', 'Z'}: 28,
	{'B', 'A'}: 20, {'B', 'E'}: 16, {'B', 'G'}: 22, {'B', 'H'}: 22, {'B', 'R'}: 29,
	{'B', 'Y'}: 28, {'C', 'H'}: 21, {'C', 'R'}: 22, {'C', 'Y'}: 28, {'C', 'Z'}: 24,
	{'D', 'E'}: 22, {'D', 'K'}: 18, {'D', 'O'}: 28, {'E', 'E'}: 20, {'E', 'G'}: 29,
	{'E', 'S'}: 24, {'F', 'I'}: 18, {'F', 'O'}: 18, {'F', 'R'}: 27, {'G', 'B'}: 22,
	{'G', 'E'}: 22, {'G', 'I'}: 23, {'G', 'L'}: 18, {'G', 'R'}: 27, {'G', 'T'}: 28,
	{'H', 'R'}: 21, {'H', 'U'}: 28, {'I', 'E'}: 22, {'I', 'L'}: 23, {'I', 'Q'}: 23,
	{'I', 'S'}: 26, {'I', 'T'}: 27, {'J', 'O'}: 30, {'K', 'W'}: 30, {'K', 'Z'}: 20,
	{'L', 'B'}: 28, {'L', 'C'}: 32, {'L', 'I'}: 21, {'L', 'T'}: 20, {'L', 'U'}: 20,
	{'L', 'V'}: 21, {'L', 'Y'}: 25, {'M', 'C'}: 27, {'M', 'D'}: 24, {'M', 'E'}: 22,
	{'M', 'K'}: 19, {'M', 'R'}: 27, {'M', 'T'}: 31, {'M', 'U'}: 30, {'N', 'L'}: 18,
	{'N', 'O'}: 15, {'P', 'K'}: 24, {'P', 'L'}: 28, {'P', 'S'}: 29, {'P', 'T'}: 25,
	{'Q', 'A'}: 29, {'R', 'O'}: 24, {'R', 'S'}: 22, {'S', 'A'}: 24, {'S', 'C'}: 31,
	{'S', 'E'}: 24, {'S', 'I'}: 19, {'S', 'K'}: 24, {'S', 'M'}: 27, {'S', 'T'}: 25,
	{'S', 'V'}: 28, {'T', 'L'}: 23, {'T', 'N'}: 24, {'T', 'R'}: 26, {'U', 'A'}: 29,
	{'V', 'A'}: 22, {'V', 'G'}: 24, {'X', 'K'}: 20,
}

// iban matches an upper-case IBAN of its country's registered length,
// single spaces allowed between characters, whose mod-97 check is 1.
func iban(s []byte, i int) int {
	if len(s)-i < 15 || !isUpper(s[i+1]) || !isDigit(s[i+2]) || !isDigit(s[i+3]) {
		return -1
	}
	want := int(ibanLen[[2]byte{s[i], s[i+1]}])
	if want == 0 {
		return -1
	}
	var b [34]byte
	n, j := 0, i
	for j < len(s) && n < want {
		c := s[j]
		switch {
		case isDigit(c) || isUpper(c):
			b[n] = c
			n++
			j++
		case c == ' ' && n > 0 && j+1 < len(s) && (isDigit(s[j+1]) || isUpper(s[j+1])):
			j++
		default:
			return -1
		}
	}
	if n != want || j < len(s) && isAlnum(s[j]) {
		return -1
	}
	// mod 97 of the rearranged number (first four characters moved to the end).
	rem := 0
	for k := 0; k < n; k++ {
		c := b[(k+4)%n]
		if isDigit(c) {
			rem = (rem*10 + int(c-'0')) % 97
		} else {
			rem = (rem*100 + int(c-'A'+10)) % 97
		}
	}
	if rem != 1 {
		return -1
	}
	return j
}

// ---- e-mail ----

func isLocal(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

func isDomain(c byte) bool { return isAlnum(c) || c == '-' || c == '.' }

// email expands around the '@' at at: a local part of [A-Za-z0-9._%+-]
// (not starting with a dot), a domain of at least two labels whose last
// label is 2 or more letters. lo bounds the expansion to the left.
func email(s []byte, at, lo int) (int, int) {
	a := at
	for a > lo && isLocal(s[a-1]) {
		a--
	}
	for a < at && s[a] == '.' {
		a++
	}
	if a == at {
		return 0, -1
	}
	e := at + 1
	for e < len(s) && isDomain(s[e]) {
		e++
	}
	for e > at+1 && (s[e-1] == '.' || s[e-1] == '-') {
		e--
	}
	d := s[at+1 : e]
	if len(d) < 4 || !isAlnum(d[0]) {
		return 0, -1
	}
	dots, lastDot := 0, -1
	for k, c := range d {
		if c == '.' {
			if k > 0 && d[k-1] == '.' {
				return 0, -1
			}
			dots++
			lastDot = k
		}
	}
	if dots == 0 || len(d)-lastDot-1 < 2 {
		return 0, -1
	}
	for _, c := range d[lastDot+1:] {
		if !isUpper(c) && !isLower(c) {
			return 0, -1
		}
	}
	return a, e
}

// ---- JWT ----

// jwt matches header.payload.signature where the header is base64url JSON
// with an "alg" member (headers begin "ey" or "ew": `{"` or `{` + newline).
func jwt(s []byte, i int) int {
	if len(s)-i < 10 || s[i+1] != 'y' && s[i+1] != 'w' {
		return -1
	}
	seg := func(j int) int {
		for j < len(s) && isB64URL(s[j]) {
			j++
		}
		return j
	}
	h := seg(i)
	if h == i || h >= len(s) || s[h] != '.' {
		return -1
	}
	p := seg(h + 1)
	if p == h+1 || p >= len(s) || s[p] != '.' {
		return -1
	}
	e := seg(p + 1)
	if e < len(s) && s[e] == '.' {
		return -1 // more than three segments (JWE has five)
	}
	hdr := s[i:h]
	if len(hdr) > 1024 || len(hdr)%4 == 1 {
		return -1
	}
	var buf [768]byte
	n, err := base64.RawURLEncoding.Decode(buf[:], hdr)
	if err != nil || !gjson.ValidBytes(buf[:n]) {
		return -1
	}
	k := 0
	for k < n && (buf[k] == ' ' || buf[k] == '\t' || buf[k] == '\n' || buf[k] == '\r') {
		k++
	}
	if k == n || buf[k] != '{' || !gjson.GetBytes(buf[:n], "alg").Exists() {
		return -1
	}
	return e
}

// ---- bearer tokens ----

func isToken68(c byte) bool {
	return isAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/'
}

// bearer matches "Bearer <token>" (scheme case-insensitive) and returns the
// token's range; the token has 8 or more characters and at least one that
// is not a letter, so prose like "bearer authentication" does not match.
func bearer(s []byte, i int) (int, int) {
	const word = "bearer"
	if len(s)-i < len(word)+2 {
		return 0, -1
	}
	for k := 0; k < len(word); k++ {
		if s[i+k]|0x20 != word[k] {
			return 0, -1
		}
	}
	j := i + len(word)
	if s[j] != ' ' {
		return 0, -1
	}
	for j < len(s) && s[j] == ' ' {
		j++
	}
	a := j
	other := false
	for j < len(s) && isToken68(s[j]) {
		if !isUpper(s[j]) && !isLower(s[j]) {
			other = true
		}
		j++
	}
	for j < len(s) && s[j] == '=' {
		j++
		other = true
	}
	if j-a < 8 || !other {
		return 0, -1
	}
	return a, j
}

// ---- cloud access keys ----

func hasPrefix(s []byte, i int, p string) bool {
	return len(s)-i >= len(p) && string(s[i:i+len(p)]) == p
}

// run returns the end of the run of bytes accepted by ok starting at j.
func run(s []byte, j int, ok func(byte) bool) int {
	for j < len(s) && ok(s[j]) {
		j++
	}
	return j
}

func isUpperDigit(c byte) bool { return isUpper(c) || isDigit(c) }
func isWordChar(c byte) bool   { return isAlnum(c) || c == '_' }
func isSlackChar(c byte) bool  { return isAlnum(c) || c == '-' }

// cloudKey matches AWS access key ids (AKIA/ASIA + 16), GCP API keys (AIza
// + 35), GitHub tokens (ghp_/gho_/ghu_/ghs_/ghr_ + 36, github_pat_ + 22 or
// more), Slack tokens (xoxa-/xoxb-/xoxp-/xoxr- + 10 or more) and Stripe
// live secret keys (sk_live_ + 16 or more).
func cloudKey(s []byte, i int) int {
	exact := func(plen, n int, ok func(byte) bool) int {
		e := run(s, i+plen, ok)
		if e-(i+plen) != n {
			return -1
		}
		return e
	}
	atLeast := func(plen, n int, ok func(byte) bool) int {
		e := run(s, i+plen, ok)
		if e-(i+plen) < n {
			return -1
		}
		return e
	}
	switch s[i] {
	case 'A':
		if hasPrefix(s, i, "AKIA") || hasPrefix(s, i, "ASIA") {
			return exact(4, 16, isUpperDigit)
		}
		if hasPrefix(s, i, "AIza") {
			return exact(4, 35, isB64URL)
		}
	case 'g':
		if hasPrefix(s, i, "github_pat_") {
			return atLeast(11, 22, isWordChar)
		}
		if len(s)-i > 4 && s[i+1] == 'h' && s[i+3] == '_' {
			switch s[i+2] {
			case 'p', 'o', 'u', 's', 'r':
				return exact(4, 36, isAlnum)
			}
		}
	case 'x':
		if len(s)-i > 5 && hasPrefix(s, i, "xox") && s[i+4] == '-' {
			switch s[i+3] {
			case 'a', 'b', 'p', 'r':
				return atLeast(5, 10, isSlackChar)
			}
		}
	case 's':
		if hasPrefix(s, i, "sk_live_") {
			return atLeast(8, 16, isAlnum)
		}
	}
	return -1
}

// ---- PEM private keys ----

// pemKey matches "-----BEGIN <label>PRIVATE KEY-----" through the matching
// "-----END ...PRIVATE KEY-----", or to the end of the string when the END
// line is missing (a truncated key is still a key).
func pemKey(s []byte, i int) int {
	const begin, tail, end = "-----BEGIN ", "PRIVATE KEY-----", "-----END "
	if !hasPrefix(s, i, begin) {
		return -1
	}
	j := i + len(begin)
	for k := 0; k < 40 && j < len(s); k++ {
		if hasPrefix(s, j, tail) {
			j += len(tail)
			for ; j < len(s); j++ {
				if s[j] == '-' && hasPrefix(s, j, end) {
					for k := j + len(end); k < len(s) && k < j+len(end)+40; k++ {
						if hasPrefix(s, k, tail) {
							return k + len(tail)
						}
					}
				}
			}
			return len(s)
		}
		if !isUpper(s[j]) && s[j] != ' ' {
			return -1
		}
		j++
	}
	return -1
}
