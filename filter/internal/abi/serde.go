package abi

import (
	"encoding/binary"
	"strings"
)

// maxPairs and maxPairsBytes mirror proxy-wasm-cpp-host's limits: a host
// treats a larger or malformed list as empty, so the binding refuses to build
// one rather than send something the host silently drops.
const (
	maxPairs      = 1024
	maxPairsBytes = 1 << 20
)

// AppendPairs serialises header pairs in the ABI's map format: a count, the
// key and value lengths, then each key and value followed by a NUL byte.
// It returns ok=false (and dst unchanged) when the list exceeds the host's
// limits.
func AppendPairs(dst []byte, pairs [][2]string) ([]byte, bool) {
	if len(pairs) > maxPairs {
		return dst, false
	}
	size := 4
	for _, p := range pairs {
		size += 8 + len(p[0]) + len(p[1]) + 2
	}
	if size > maxPairsBytes {
		return dst, false
	}
	start := len(dst)
	dst = append(dst, make([]byte, 4+8*len(pairs))...)
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(pairs)))
	for i, p := range pairs {
		binary.LittleEndian.PutUint32(dst[start+4+8*i:], uint32(len(p[0])))
		binary.LittleEndian.PutUint32(dst[start+8+8*i:], uint32(len(p[1])))
	}
	for _, p := range pairs {
		dst = append(dst, p[0]...)
		dst = append(dst, 0)
		dst = append(dst, p[1]...)
		dst = append(dst, 0)
	}
	return dst, true
}

// ParsePairs decodes the ABI's map format. Malformed input yields nil, the
// same answer a host gives for a malformed list: never a panic. The names
// and values share one copy of the data (two allocations per map, not two
// per header), so they stay valid after the host's buffer is reused.
func ParsePairs(b []byte) [][2]string { return AppendParsedPairs(nil, b) }

// AppendParsedPairs is ParsePairs into dst[:0]'s backing array: a caller
// that reads one header map per callback reuses the list (the names and
// values are still fresh strings, valid for as long as they are kept).
func AppendParsedPairs(dst [][2]string, b []byte) [][2]string {
	if len(b) < 4 {
		return nil
	}
	n := int(binary.LittleEndian.Uint32(b))
	if n > maxPairs || 4+8*n > len(b) {
		return nil
	}
	out := dst[:0]
	if cap(out) < n {
		out = make([][2]string, 0, n)
	}
	data := string(b[4+8*n:])
	for i := 0; i < n; i++ {
		kl := int(binary.LittleEndian.Uint32(b[4+8*i:]))
		vl := int(binary.LittleEndian.Uint32(b[8+8*i:]))
		if kl < 0 || vl < 0 || kl+1 > len(data) || data[kl] != 0 {
			return nil
		}
		k := data[:kl]
		data = data[kl+1:]
		if vl+1 > len(data) || data[vl] != 0 {
			return nil
		}
		v := data[:vl]
		data = data[vl+1:]
		out = append(out, [2]string{k, v})
	}
	if len(data) != 0 {
		return nil
	}
	return out
}

// PropertyPath joins property path segments with NUL bytes, the encoding
// Envoy expects (a dotted string is NotFound).
func PropertyPath(path []string) string { return strings.Join(path, "\x00") }
