package wasmtest

// wasmModule assembles a tiny module by hand: one page of exported
// memory, the given env imports (all typed (i32) -> i32) and the given
// exports. Export names starting with "proxy_abi_version" are () -> ();
// "malloc" and "proxy_on_memory_allocate" are (i32) -> i32 returning 1024.
func wasmModule(imports, exports []string) []byte {
	leb := func(v uint32) []byte {
		var b []byte
		for {
			c := byte(v & 0x7f)
			v >>= 7
			if v != 0 {
				b = append(b, c|0x80)
				continue
			}
			return append(b, c)
		}
	}
	str := func(s string) []byte { return append(leb(uint32(len(s))), s...) }
	section := func(id byte, body []byte) []byte {
		return append(append([]byte{id}, leb(uint32(len(body)))...), body...)
	}
	vec := func(items [][]byte) []byte {
		b := leb(uint32(len(items)))
		for _, it := range items {
			b = append(b, it...)
		}
		return b
	}
	// Types: 0 = () -> (), 1 = (i32) -> i32.
	typ := vec([][]byte{{0x60, 0, 0}, {0x60, 1, 0x7f, 1, 0x7f}})
	var imps [][]byte
	for _, n := range imports {
		imps = append(imps, append(append(str("env"), str(n)...), 0x00, 1))
	}
	var funcs, codes, exps [][]byte
	for i, n := range exports {
		idx := uint32(len(imports) + i)
		if n == "malloc" || n == "proxy_on_memory_allocate" {
			funcs = append(funcs, []byte{1})
			body := []byte{0, 0x41, 0x80, 0x08, 0x0b} // i32.const 1024
			codes = append(codes, append(leb(uint32(len(body))), body...))
		} else {
			funcs = append(funcs, []byte{0})
			codes = append(codes, []byte{2, 0, 0x0b})
		}
		exps = append(exps, append(append(str(n), 0x00), leb(idx)...))
	}
	exps = append(exps, append(str("memory"), 0x02, 0))
	out := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	out = append(out, section(1, typ)...)
	if len(imps) > 0 {
		out = append(out, section(2, vec(imps))...)
	}
	out = append(out, section(3, vec(funcs))...)
	out = append(out, section(5, vec([][]byte{{0, 1}}))...)
	out = append(out, section(7, vec(exps))...)
	out = append(out, section(10, vec(codes))...)
	return out
}
