package abuse

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// Distinct counting per key, in at most 129 bytes:
//
//   - exact: byte 0, then up to MaxExact 32-bit value hashes (4 bytes each,
//     little-endian). Counts are exact (up to 32-bit hash collisions:
//     ~n^2/2^33, < 10^-6 for n = 32).
//   - sketch: byte 1, then 2^SketchPrecision = 128 HyperLogLog registers of
//     one byte. The 33rd distinct value converts the exact set into the
//     sketch (same 129 bytes). Relative standard error 1.04/sqrt(128) ~ 9.2%
//     (linear counting below 2.5*128 = 320 values, more precise there);
//     TestDistinctErrorAtBound measures it.
//
// So a limit <= 32 is decided exactly; above, the estimate may let a key
// through up to ~2 standard errors (~18%) beyond the limit or stop it as
// much before it. Set limits with that margin.
const (
	MaxExact        = 32
	SketchPrecision = 7
	sketchRegisters = 1 << SketchPrecision
	distinctExact   = 0
	distinctSketch  = 1
)

// distinctAdd adds hash h to payload p (nil: empty) writing the result
// into out; changed=false when the set already counted h (no write needed).
func distinctAdd(p []byte, h uint32, out []byte) (next []byte, changed bool) {
	if len(p) == 0 {
		return append(out[:0], distinctExact, byte(h), byte(h>>8), byte(h>>16), byte(h>>24)), true
	}
	switch p[0] {
	case distinctExact:
		n := (len(p) - 1) / 4
		for i := 0; i < n; i++ {
			if binary.LittleEndian.Uint32(p[1+4*i:]) == h {
				return p, false
			}
		}
		if n < MaxExact {
			out = append(append(out[:0], p[:1+4*n]...), 0, 0, 0, 0)
			binary.LittleEndian.PutUint32(out[1+4*n:], h)
			return out, true
		}
		// Convert to a sketch.
		out = append(out[:0], distinctSketch)
		out = append(out, make([]byte, sketchRegisters)...)
		for i := 0; i < n; i++ {
			sketchAdd(out[1:], binary.LittleEndian.Uint32(p[1+4*i:]))
		}
		sketchAdd(out[1:], h)
		return out, true
	case distinctSketch:
		if len(p) != 1+sketchRegisters {
			return distinctAdd(nil, h, out)
		}
		idx, rho := sketchPos(h)
		if p[1+idx] >= rho {
			return p, false
		}
		out = append(out[:0], p...)
		out[1+idx] = rho
		return out, true
	}
	return distinctAdd(nil, h, out) // foreign: start over
}

func sketchPos(h uint32) (idx int, rho byte) {
	idx = int(h >> (32 - SketchPrecision))
	w := h<<SketchPrecision | 1<<(SketchPrecision-1) // guard bit bounds rho
	return idx, byte(bits.LeadingZeros32(w) + 1)
}

func sketchAdd(reg []byte, h uint32) {
	idx, rho := sketchPos(h)
	if reg[idx] < rho {
		reg[idx] = rho
	}
}

// distinctCount returns the (estimated) number of distinct values.
func distinctCount(p []byte) int64 {
	if len(p) == 0 {
		return 0
	}
	switch p[0] {
	case distinctExact:
		return int64((len(p) - 1) / 4)
	case distinctSketch:
		if len(p) != 1+sketchRegisters {
			return 0
		}
		m := float64(sketchRegisters)
		sum, zeros := 0.0, 0
		for _, r := range p[1:] {
			sum += math.Ldexp(1, -int(r))
			if r == 0 {
				zeros++
			}
		}
		alpha := 0.7213 / (1 + 1.079/m)
		e := alpha * m * m / sum
		if e <= 2.5*m && zeros > 0 {
			e = m * math.Log(m/float64(zeros))
		}
		if e < MaxExact+1 {
			e = MaxExact + 1 // a sketch holds more than MaxExact values
		}
		return int64(math.Round(e))
	}
	return 0
}

// capturedHas reports whether a captured-id list holds h.
func capturedHas(p []byte, h uint32) bool {
	for i := 0; i+4 <= len(p); i += 4 {
		if binary.LittleEndian.Uint32(p[i:]) == h {
			return true
		}
	}
	return false
}

// capturedAdd appends the hashes of hs not yet in p, keeping at most max
// (the oldest given are forgotten first). changed=false when nothing new.
func capturedAdd(p []byte, hs []uint32, max int, out []byte) (next []byte, changed bool) {
	out = append(out[:0], p[:len(p)&^3]...)
	for _, h := range hs {
		if capturedHas(out, h) {
			continue
		}
		out = binary.LittleEndian.AppendUint32(out, h)
		changed = true
	}
	if over := len(out)/4 - max; over > 0 {
		out = append(out[:0], out[4*over:]...)
	}
	return out, changed
}
