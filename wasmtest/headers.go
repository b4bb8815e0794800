package wasmtest

import (
	"encoding/binary"
	"strings"
)

// headerMap is an ordered multimap like Envoy's HeaderMap: keys are
// lower-case, pseudo-headers (":..." keys) always come first.
type headerMap struct {
	pairs [][2]string
}

func newHeaderMap(pairs [][2]string) headerMap {
	var m headerMap
	for _, p := range pairs {
		m.add(p[0], p[1])
	}
	return m
}

func (m *headerMap) len() int { return len(m.pairs) }

func (m *headerMap) get(key string) (string, bool) {
	for _, p := range m.pairs {
		if p[0] == key {
			return p[1], true
		}
	}
	return "", false
}

func (m *headerMap) add(key, value string) {
	key = strings.ToLower(key)
	if strings.HasPrefix(key, ":") {
		i := 0
		for i < len(m.pairs) && strings.HasPrefix(m.pairs[i][0], ":") {
			i++
		}
		m.pairs = append(m.pairs, [2]string{})
		copy(m.pairs[i+1:], m.pairs[i:])
		m.pairs[i] = [2]string{key, value}
		return
	}
	m.pairs = append(m.pairs, [2]string{key, value})
}

func (m *headerMap) remove(key string) {
	out := m.pairs[:0]
	for _, p := range m.pairs {
		if p[0] != key {
			out = append(out, p)
		}
	}
	clear(m.pairs[len(out):])
	m.pairs = out
}

// set is Envoy's setCopy: remove every entry of key, then add one.
func (m *headerMap) set(key, value string) {
	key = strings.ToLower(key)
	m.remove(key)
	m.add(key, value)
}

// byteSize is Envoy's HeaderMap::byteSize(): Σ len(key)+len(value).
func (m *headerMap) byteSize() int {
	n := 0
	for _, p := range m.pairs {
		n += len(p[0]) + len(p[1])
	}
	return n
}

func (m *headerMap) clone() [][2]string {
	if m.pairs == nil {
		return nil
	}
	return append([][2]string(nil), m.pairs...)
}

// joined returns the map with duplicate keys comma-joined (the
// request.headers property encoding), first-seen order.
func (m *headerMap) joined() [][2]string {
	var out [][2]string
	idx := map[string]int{}
	for _, p := range m.pairs {
		if i, ok := idx[p[0]]; ok {
			out[i][1] += "," + p[1]
			continue
		}
		idx[p[0]] = len(out)
		out = append(out, p)
	}
	return out
}

// Limits cpp-host applies when parsing pairs from the plugin.
const (
	pairsMaxBytes = 1 << 20
	pairsMaxCount = 1024
)

// MarshalPairs encodes pairs in the proxy-wasm map format: u32 count,
// count × (u32 key_len, u32 value_len), then each key and value followed
// by a NUL byte. An empty list encodes as nil (Envoy hands out (0, 0)).
func MarshalPairs(pairs [][2]string) []byte {
	if len(pairs) == 0 {
		return nil
	}
	size := 4
	for _, p := range pairs {
		size += 8 + len(p[0]) + 1 + len(p[1]) + 1
	}
	b := make([]byte, size)
	binary.LittleEndian.PutUint32(b, uint32(len(pairs)))
	off := 4
	for _, p := range pairs {
		binary.LittleEndian.PutUint32(b[off:], uint32(len(p[0])))
		binary.LittleEndian.PutUint32(b[off+4:], uint32(len(p[1])))
		off += 8
	}
	for _, p := range pairs {
		off += copy(b[off:], p[0]) + 1
		off += copy(b[off:], p[1]) + 1
	}
	return b
}

// UnmarshalPairs decodes the map format the way cpp-host does: any
// malformation (short buffer, missing NUL, trailing bytes), more than
// 1 MiB or more than 1024 pairs gives an empty list, never an error.
func UnmarshalPairs(b []byte) [][2]string {
	if len(b) < 4 || len(b) > pairsMaxBytes {
		return nil
	}
	n := int(binary.LittleEndian.Uint32(b))
	if n == 0 || n > pairsMaxCount || 4+8*n > len(b) {
		return nil
	}
	out := make([][2]string, n)
	off := 4 + 8*n
	for i := 0; i < n; i++ {
		kl := int(binary.LittleEndian.Uint32(b[4+8*i:]))
		vl := int(binary.LittleEndian.Uint32(b[8+8*i:]))
		if kl < 0 || vl < 0 || off+kl+1+vl+1 > len(b) || off+kl+1+vl+1 < off {
			return nil
		}
		if b[off+kl] != 0 || b[off+kl+1+vl] != 0 {
			return nil
		}
		out[i] = [2]string{string(b[off : off+kl]), string(b[off+kl+1 : off+kl+1+vl])}
		off += kl + 1 + vl + 1
	}
	if off != len(b) {
		return nil
	}
	return out
}

type access uint8

const (
	accNone access = iota
	accRead
	accWrite
)

// mapFor resolves a header map type for the current call. It returns the
// map and its access; a nil map is "unavailable".
func (vm *VM) mapFor(t uint32, forWrite bool) (*headerMap, access) {
	if t == mapCallHeaders || t == mapCallTrailers {
		if vm.callout == nil {
			return nil, accNone
		}
		if t == mapCallHeaders {
			return &vm.callout.headers, accRead
		}
		return &vm.callout.trailers, accRead
	}
	st := vm.target()
	if st == nil || t > mapResponseTrailers {
		return nil, accNone
	}
	d := &st.dir[t/2]
	if vm.inLog() {
		switch {
		case t == mapRequestHeaders || t == mapResponseHeaders:
			if d.hdrsExist {
				return &d.hdrs, accRead
			}
		case t == mapResponseTrailers && d.trlExist:
			return &d.trl, accRead
		}
		return nil, accNone
	}
	if t%2 == 0 {
		if d.hdrAcc {
			return &d.hdrs, accWrite
		}
		return nil, accNone
	}
	if d.trlAcc {
		return &d.trl, accWrite
	}
	// Trailers can be created from the last body callback (eos, none yet).
	if forWrite && d.trlAddable && !d.trlExist {
		d.trlExist, d.trlAcc = true, true
		return &d.trl, accWrite
	}
	return nil, accNone
}

// proxy_get_header_map_value(type, key, key_len, ret_ptr_ptr, ret_len_ptr):
// type > 7 ⇒ BadArgument; map unavailable ⇒ BadArgument (NotFound in
// proxy_on_log); key lower-cased; missing ⇒ NotFound; else the first
// value.
func hostGetHeaderValue(vm *VM, s []uint64) {
	t := u32(s, 0)
	if t > mapMax {
		ret(s, StatusBadArgument)
		return
	}
	key, ok := vm.readString(u32(s, 1), u32(s, 2))
	if !ok {
		ret(s, StatusInvalidMemoryAccess)
		return
	}
	m, _ := vm.mapFor(t, false)
	if m == nil {
		if vm.inLog() {
			ret(s, StatusNotFound)
		} else {
			ret(s, StatusBadArgument)
		}
		return
	}
	v, found := m.get(strings.ToLower(key))
	if !found {
		ret(s, StatusNotFound)
		return
	}
	ret(s, vm.copyOut([]byte(v), u32(s, 3), u32(s, 4)))
}

// proxy_get_header_map_pairs(type, ret_ptr_ptr, ret_len_ptr): type > 7 ⇒
// BadArgument; otherwise always Ok, an unavailable or empty map giving
// (0, 0).
func hostGetHeaderPairs(vm *VM, s []uint64) {
	t := u32(s, 0)
	if t > mapMax {
		ret(s, StatusBadArgument)
		return
	}
	var data []byte
	if m, _ := vm.mapFor(t, false); m != nil {
		data = MarshalPairs(m.pairs)
	}
	ret(s, vm.copyOut(data, u32(s, 1), u32(s, 2)))
}

// proxy_set_header_map_pairs(type, ptr, len): type > 7 ⇒ BadArgument;
// unavailable or read-only map ⇒ BadArgument; else every entry is removed
// and the given pairs added (keys lower-cased; malformed input is an
// empty list, so the map is cleared).
func hostSetHeaderPairs(vm *VM, s []uint64) {
	t := u32(s, 0)
	if t > mapMax {
		ret(s, StatusBadArgument)
		return
	}
	b, ok := vm.read(u32(s, 1), u32(s, 2))
	if !ok {
		ret(s, StatusInvalidMemoryAccess)
		return
	}
	m, acc := vm.mapFor(t, true)
	if m == nil || acc != accWrite {
		ret(s, StatusBadArgument)
		return
	}
	pairs := UnmarshalPairs(b)
	m.pairs = m.pairs[:0]
	for _, p := range pairs {
		m.add(p[0], p[1])
	}
	ret(s, StatusOK)
}

// proxy_get_header_map_size(type, ret_u32_ptr): type > 7 or unavailable ⇒
// BadArgument; else Envoy's byteSize (Σ key+value bytes).
func hostGetHeaderSize(vm *VM, s []uint64) {
	t := u32(s, 0)
	if t > mapMax {
		ret(s, StatusBadArgument)
		return
	}
	m, _ := vm.mapFor(t, false)
	if m == nil {
		ret(s, StatusBadArgument)
		return
	}
	if !vm.mem.WriteUint32Le(u32(s, 1), uint32(m.byteSize())) {
		ret(s, StatusInvalidMemoryAccess)
		return
	}
	ret(s, StatusOK)
}

func (vm *VM) mutateHeader(s []uint64, withValue bool, f func(m *headerMap, key, value string)) {
	t := u32(s, 0)
	if t > mapMax {
		ret(s, StatusBadArgument)
		return
	}
	key, ok := vm.readString(u32(s, 1), u32(s, 2))
	if !ok {
		ret(s, StatusInvalidMemoryAccess)
		return
	}
	var value string
	if withValue {
		if value, ok = vm.readString(u32(s, 3), u32(s, 4)); !ok {
			ret(s, StatusInvalidMemoryAccess)
			return
		}
	}
	m, acc := vm.mapFor(t, true)
	if m == nil || acc != accWrite {
		ret(s, StatusBadArgument)
		return
	}
	f(m, strings.ToLower(key), value)
	ret(s, StatusOK)
}

// proxy_add_header_map_value(type, key, key_len, value, value_len):
// appends (duplicates allowed). Unavailable/read-only ⇒ BadArgument.
func hostAddHeader(vm *VM, s []uint64) {
	vm.mutateHeader(s, true, func(m *headerMap, k, v string) { m.add(k, v) })
}

// proxy_replace_header_map_value(type, key, key_len, value, value_len):
// removes every entry of key and adds one. Unavailable ⇒ BadArgument.
func hostReplaceHeader(vm *VM, s []uint64) {
	vm.mutateHeader(s, true, func(m *headerMap, k, v string) { m.set(k, v) })
}

// proxy_remove_header_map_value(type, key, key_len): removes every entry;
// Ok when absent. Unavailable ⇒ BadArgument.
func hostRemoveHeader(vm *VM, s []uint64) {
	vm.mutateHeader(s, false, func(m *headerMap, k, _ string) { m.remove(k) })
}
