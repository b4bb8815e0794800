package schema

import (
	"math/big"
	"math/bits"
)

// decimal is an exact view of a JSON number literal without allocating:
// value = (-1)^neg × D × 10^exp, where D is the digit string formed by
// the integer and fraction digits of the literal with leading and trailing
// zeros removed (empty D means zero).
type decimal struct {
	neg       bool
	intd      string // integer digits as written
	frac      string // fraction digits as written
	lo, hi    int    // window [lo, hi) of significant digits in intd+frac
	exp       int64  // exponent of the last significant digit
	malformed bool
}

// maxExp bounds exponents so arithmetic on them cannot overflow.
const maxExp = 1 << 40

func parseDecimal(s string) decimal {
	var d decimal
	i := 0
	if i < len(s) && s[i] == '-' {
		d.neg = true
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	d.intd = s[start:i]
	if i < len(s) && s[i] == '.' {
		i++
		start = i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		d.frac = s[start:i]
	}
	var e int64
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		if i == len(s) {
			d.malformed = true
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if e < maxExp {
				e = e*10 + int64(s[i]-'0')
			}
			i++
		}
		if eneg {
			e = -e
		}
	}
	if i != len(s) || len(d.intd)+len(d.frac) == 0 {
		d.malformed = true
	}
	n := len(d.intd) + len(d.frac)
	d.lo, d.hi = 0, n
	for d.lo < n && d.digit(d.lo) == '0' {
		d.lo++
	}
	for d.hi > d.lo && d.digit(d.hi-1) == '0' {
		d.hi--
	}
	d.exp = e - int64(len(d.frac)) + int64(n-d.hi)
	if d.lo == d.hi {
		d.neg = false
		d.exp = 0
	}
	return d
}

// digit returns the j-th digit of intd+frac.
func (d *decimal) digit(j int) byte {
	if j < len(d.intd) {
		return d.intd[j]
	}
	return d.frac[j-len(d.intd)]
}

func (d *decimal) zero() bool     { return d.lo == d.hi }
func (d *decimal) ndigits() int   { return d.hi - d.lo }
func (d *decimal) sig(i int) byte { return d.digit(d.lo + i) }

// isInteger reports whether the number has no fractional part (1.0 and 1e2
// are integers).
func (d *decimal) isInteger() bool { return d.zero() || d.exp >= 0 }

// cmpDecimal compares two decimals exactly: -1, 0 or +1.
func cmpDecimal(a, b *decimal) int {
	if a.zero() && b.zero() {
		return 0
	}
	if a.neg != b.neg || a.zero() || b.zero() {
		// Different signs, or one of them is zero.
		sa, sb := a.sign(), b.sign()
		if sa < sb {
			return -1
		}
		if sa > sb {
			return 1
		}
		return 0
	}
	c := cmpMagnitude(a, b)
	if a.neg {
		return -c
	}
	return c
}

func (d *decimal) sign() int {
	switch {
	case d.zero():
		return 0
	case d.neg:
		return -1
	}
	return 1
}

// cmpMagnitude compares |a| and |b|, both non-zero.
func cmpMagnitude(a, b *decimal) int {
	// Position of the most significant digit.
	ma := int64(a.ndigits()) + a.exp
	mb := int64(b.ndigits()) + b.exp
	if ma != mb {
		if ma < mb {
			return -1
		}
		return 1
	}
	na, nb := a.ndigits(), b.ndigits()
	for i := 0; i < na && i < nb; i++ {
		ca, cb := a.sig(i), b.sig(i)
		if ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
	}
	switch {
	case na < nb:
		return -1
	case na > nb:
		return 1
	}
	return 0
}

// mantissa64 returns D as a uint64 when it has at most 19 digits.
func (d *decimal) mantissa64() (uint64, bool) {
	n := d.ndigits()
	if n > 19 {
		return 0, false
	}
	var v uint64
	for i := 0; i < n; i++ {
		v = v*10 + uint64(d.sig(i)-'0')
	}
	return v, true
}

func (d *decimal) mantissaBig() *big.Int {
	buf := make([]byte, d.ndigits())
	for i := range buf {
		buf[i] = d.sig(i)
	}
	v, _ := new(big.Int).SetString(string(buf), 10)
	return v
}

// isMultiple reports whether x is an integer multiple of m (m > 0),
// exactly, without floating point. It allocates only for mantissas longer
// than 19 digits.
func isMultiple(x, m *decimal) bool {
	if x.zero() {
		return true
	}
	if m.zero() {
		return false
	}
	// x = a·10^ex, m = b·10^em, d = ex-em: need b | a·10^d.
	d := x.exp - m.exp
	if d < 0 && -d >= int64(x.ndigits()) {
		// b·10^-d > a ≥ 1: no integer quotient.
		return false
	}
	a, aok := x.mantissa64()
	b, bok := m.mantissa64()
	if aok && bok {
		if d >= 0 {
			// With g = gcd(a,b), b/g is coprime to a/g, so it must
			// divide 10^d: only factors 2 and 5, each at most d times.
			r := b / gcd64(a, b)
			return onlyTwosAndFives(r, d)
		}
		// d < 0 and -d < 19 here.
		p := pow10[-d]
		hi, lo := bits.Mul64(b, p)
		if hi != 0 {
			return false
		}
		return a%lo == 0
	}
	ab, bb := x.mantissaBig(), m.mantissaBig()
	if d >= 0 {
		g := new(big.Int).GCD(nil, nil, ab, bb)
		r := new(big.Int).Quo(bb, g)
		var twos, fives int64
		two, five := big.NewInt(2), big.NewInt(5)
		q, rem := new(big.Int), new(big.Int)
		for {
			q.QuoRem(r, two, rem)
			if rem.Sign() != 0 {
				break
			}
			r.Set(q)
			twos++
		}
		for {
			q.QuoRem(r, five, rem)
			if rem.Sign() != 0 {
				break
			}
			r.Set(q)
			fives++
		}
		return r.Cmp(big.NewInt(1)) == 0 && twos <= d && fives <= d
	}
	div := new(big.Int).Exp(big.NewInt(10), big.NewInt(-d), nil)
	div.Mul(div, bb)
	return new(big.Int).Rem(ab, div).Sign() == 0
}

var pow10 = [...]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

func gcd64(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func onlyTwosAndFives(r uint64, d int64) bool {
	var twos, fives int64
	for r%2 == 0 {
		r /= 2
		twos++
	}
	for r%5 == 0 {
		r /= 5
		fives++
	}
	return r == 1 && twos <= d && fives <= d
}

// fitsInt reports whether an integral decimal lies in [-2^(bits-1), 2^(bits-1)-1].
func fitsInt(x *decimal, nbits uint) bool {
	if !x.isInteger() {
		return false
	}
	if x.zero() {
		return true
	}
	if int64(x.ndigits())+x.exp > 19 {
		return false
	}
	v, ok := x.mantissa64()
	if !ok {
		return false
	}
	for i := int64(0); i < x.exp; i++ {
		hi, lo := bits.Mul64(v, 10)
		if hi != 0 {
			return false
		}
		v = lo
	}
	limit := uint64(1) << (nbits - 1)
	if x.neg {
		return v <= limit
	}
	return v < limit
}
