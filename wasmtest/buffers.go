package wasmtest

// bufferFor resolves a buffer type for the current call. found=false is
// NotFound; body=non-nil points at a mutable HTTP body (nil slice pointer
// with found=true and mutable=false means "no body here": size 0).
func (vm *VM) bufferFor(t uint32) (data []byte, body *[]byte, found bool) {
	switch t {
	case bufRequestBody, bufResponseBody:
		st := vm.target()
		if st == nil {
			return nil, nil, true
		}
		d := &st.dir[t]
		if !d.bufAcc {
			return nil, nil, true
		}
		return d.buf, &d.buf, true
	case bufCallBody:
		if vm.callout == nil {
			return nil, nil, false
		}
		return vm.callout.body, nil, true
	case bufVMConfig:
		return vm.host.opts.VMConfig, nil, true
	case bufPluginConfig:
		if !vm.inConfigure {
			return nil, nil, false
		}
		return vm.host.opts.PluginConfig, nil, true
	}
	return nil, nil, false
}

// proxy_get_buffer_bytes(type, start, max_len, ret_ptr_ptr, ret_len_ptr):
// type > 8 ⇒ BadArgument; unavailable ⇒ NotFound; start beyond the end ⇒
// Ok (0, 0); start+len clamped to the size; length 0 ⇒ Ok (0, 0) without
// calling the allocator. (cpp-host's overflow check compares 64-bit sums
// of 32-bit words, so it never fires.)
func hostGetBufferBytes(vm *VM, s []uint64) {
	t := u32(s, 0)
	if t > bufMax {
		ret(s, StatusBadArgument)
		return
	}
	data, _, found := vm.bufferFor(t)
	if !found {
		ret(s, StatusNotFound)
		return
	}
	start, length := uint64(u32(s, 1)), uint64(u32(s, 2))
	size := uint64(len(data))
	if start > size {
		length = 0
	} else if start+length > size {
		length = size - start
	}
	if length == 0 {
		ret(s, vm.copyOut(nil, u32(s, 3), u32(s, 4)))
		return
	}
	ret(s, vm.copyOut(data[start:start+length], u32(s, 3), u32(s, 4)))
}

// proxy_get_buffer_status(type, ret_len_ptr, ret_flags_ptr): type > 8 ⇒
// BadArgument; unavailable ⇒ NotFound; else the size and flags 0.
func hostGetBufferStatus(vm *VM, s []uint64) {
	t := u32(s, 0)
	if t > bufMax {
		ret(s, StatusBadArgument)
		return
	}
	data, _, found := vm.bufferFor(t)
	if !found {
		ret(s, StatusNotFound)
		return
	}
	if !vm.mem.WriteUint32Le(u32(s, 1), uint32(len(data))) || !vm.mem.WriteUint32Le(u32(s, 2), 0) {
		ret(s, StatusInvalidMemoryAccess)
		return
	}
	ret(s, StatusOK)
}

// proxy_set_buffer_bytes(type, start, len, data, data_len) with Envoy's
// semantics on HTTP bodies: start 0 ⇒ drain len bytes from the front (all
// when len ≥ size) then prepend data; start ≥ size ⇒ append (len ignored);
// 0 < start < size ⇒ BadArgument. Read-only buffers (configurations, call
// response) and bodies outside their callback ⇒ BadArgument; unavailable
// types ⇒ NotFound; type > 8 ⇒ BadArgument.
func hostSetBufferBytes(vm *VM, s []uint64) {
	t := u32(s, 0)
	if t > bufMax {
		ret(s, StatusBadArgument)
		return
	}
	_, body, found := vm.bufferFor(t)
	if !found {
		ret(s, StatusNotFound)
		return
	}
	data, ok := vm.read(u32(s, 3), u32(s, 4))
	if !ok {
		ret(s, StatusInvalidMemoryAccess)
		return
	}
	if body == nil {
		ret(s, StatusBadArgument)
		return
	}
	start, length := u32(s, 1), u32(s, 2)
	cur := *body
	switch {
	case start == 0:
		if uint64(length) >= uint64(len(cur)) {
			cur = cur[:0]
		} else if length > 0 {
			cur = cur[length:]
		}
		nb := make([]byte, 0, len(data)+len(cur))
		nb = append(append(nb, data...), cur...)
		*body = nb
	case uint64(start) >= uint64(len(cur)):
		*body = append(cur, data...)
	default:
		ret(s, StatusBadArgument)
		return
	}
	ret(s, StatusOK)
}
