package wasmtest

import (
	"encoding/binary"
	"net"
	"strconv"
	"strings"
)

// Property values use Envoy's encodings: strings raw, integers 8-byte
// little-endian, booleans 1 byte, timestamps int64 nanoseconds, maps in
// the pairs format.

func encInt(v int64) []byte {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, uint64(v))
	return b
}

func encBool(v bool) []byte {
	if v {
		return []byte{1}
	}
	return []byte{0}
}

func splitPath(path string) []string {
	path = strings.TrimSuffix(path, "\x00")
	return strings.Split(path, "\x00")
}

// property resolves a NUL-separated path. ok=false is NotFound.
func (vm *VM) property(path string) ([]byte, bool) {
	parts := splitPath(path)
	h := vm.host
	switch parts[0] {
	case "plugin_name":
		return []byte(h.opts.PluginName), len(parts) == 1
	case "plugin_root_id":
		return []byte(h.opts.RootID), len(parts) == 1
	case "plugin_vm_id":
		return []byte(h.opts.VMID), len(parts) == 1
	}
	st := vm.target()
	if st == nil {
		return nil, false
	}
	if len(parts) == 1 {
		if v, ok := st.filterState[parts[0]]; ok {
			return v, true
		}
	}
	if len(parts) < 2 {
		if parts[0] == "connection_id" {
			return encInt(int64(st.connID)), true
		}
		return nil, false
	}
	name := parts[1]
	rest := parts[2:]
	req := &st.dir[0]
	resp := &st.dir[1]
	hdr := func(k string) ([]byte, bool) {
		v, ok := req.hdrs.get(k)
		return []byte(v), ok
	}
	leaf := func(v []byte, ok bool) ([]byte, bool) {
		if len(rest) > 0 {
			return nil, false
		}
		return v, ok
	}
	mapProp := func(m *headerMap, exists bool) ([]byte, bool) {
		if !exists {
			return nil, false
		}
		j := m.joined()
		if len(rest) == 0 {
			return MarshalPairs(j), true
		}
		if len(rest) != 1 {
			return nil, false
		}
		for _, p := range j {
			if p[0] == rest[0] {
				return []byte(p[1]), true
			}
		}
		return nil, false
	}
	switch parts[0] {
	case "request":
		path, hasPath := req.hdrs.get(":path")
		switch name {
		case "path":
			return leaf([]byte(path), hasPath)
		case "url_path":
			if i := strings.IndexByte(path, '?'); i >= 0 {
				path = path[:i]
			}
			return leaf([]byte(path), hasPath)
		case "query":
			q := ""
			if i := strings.IndexByte(path, '?'); i >= 0 {
				q = path[i+1:]
			}
			return leaf([]byte(q), hasPath)
		case "host":
			return leaf(hdr(":authority"))
		case "scheme":
			return leaf(hdr(":scheme"))
		case "method":
			return leaf(hdr(":method"))
		case "referer":
			return leaf(hdr("referer"))
		case "useragent":
			return leaf(hdr("user-agent"))
		case "id":
			return leaf(hdr("x-request-id"))
		case "protocol":
			return leaf([]byte(st.protocol), true)
		case "time":
			return leaf(encInt(st.start.UnixNano()), true)
		case "headers":
			return mapProp(&req.hdrs, req.hdrsExist)
		}
	case "response":
		if !resp.hdrsExist {
			if name == "code_details" && st.details != "" {
				return leaf([]byte(st.details), true)
			}
			return nil, false
		}
		switch name {
		case "code":
			code, _ := resp.hdrs.get(":status")
			n, err := strconv.Atoi(code)
			return leaf(encInt(int64(n)), err == nil)
		case "code_details":
			return leaf([]byte(st.details), st.details != "")
		case "headers":
			return mapProp(&resp.hdrs, true)
		case "trailers":
			return mapProp(&resp.trl, resp.trlExist)
		}
	case "source":
		return addrProp(st.source, name, rest)
	case "destination":
		return addrProp(h.opts.DestinationAddress, name, rest)
	case "connection":
		switch name {
		case "id":
			return leaf(encInt(int64(st.connID)), true)
		case "mtls":
			return leaf(encBool(false), true)
		}
	}
	return nil, false
}

func addrProp(addr, name string, rest []string) ([]byte, bool) {
	if len(rest) > 0 {
		return nil, false
	}
	switch name {
	case "address":
		return []byte(addr), addr != ""
	case "port":
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, false
		}
		n, err := strconv.Atoi(port)
		return encInt(int64(n)), err == nil
	}
	return nil, false
}

// proxy_get_property(path, path_len, ret_ptr_ptr, ret_len_ptr): path is
// NUL-separated segments (a trailing NUL is tolerated); unknown ⇒
// NotFound. Stream attributes are NotFound in the root context;
// plugin_name, plugin_root_id and plugin_vm_id work everywhere. A name
// written with proxy_set_property on the stream reads back.
func hostGetProperty(vm *VM, s []uint64) {
	path, ok := vm.readString(u32(s, 0), u32(s, 1))
	if !ok {
		ret(s, StatusInvalidMemoryAccess)
		return
	}
	v, found := vm.property(path)
	if !found {
		ret(s, StatusNotFound)
		return
	}
	ret(s, vm.copyOut(v, u32(s, 2), u32(s, 3)))
}

// proxy_set_property(path, path_len, value, value_len): writes the stream's
// filter state under path (Envoy: key "wasm.<path>", bytes); from the root
// context ⇒ NotFound.
func hostSetProperty(vm *VM, s []uint64) {
	path, ok := vm.readString(u32(s, 0), u32(s, 1))
	val, ok2 := vm.read(u32(s, 2), u32(s, 3))
	if !ok || !ok2 {
		ret(s, StatusInvalidMemoryAccess)
		return
	}
	st := vm.target()
	if st == nil {
		ret(s, StatusNotFound)
		return
	}
	if st.filterState == nil {
		st.filterState = map[string][]byte{}
	}
	st.filterState[path] = append([]byte(nil), val...)
	ret(s, StatusOK)
}
