package redact

// Headers is the compiled header policy: a map from lower-case header
// name to what happens to it. The zero value removes and redacts nothing.
type Headers struct {
	m map[string]uint8
}

const (
	hdrRemove  = 1
	hdrReplace = 2
)

// CompileHeaders builds the header policy. Names are compared
// case-insensitively; a name in both lists is removed.
func CompileHeaders(c HeaderConfig) Headers {
	if len(c.Remove)+len(c.Redact) == 0 {
		return Headers{}
	}
	m := make(map[string]uint8, len(c.Remove)+len(c.Redact))
	for _, n := range c.Redact {
		m[lower(n)] = hdrReplace
	}
	for _, n := range c.Remove {
		m[lower(n)] = hdrRemove
	}
	return Headers{m: m}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if isUpper(c) {
			b[i] = c + 32
		}
	}
	return string(b)
}

// Action says whether the response header name must be removed, or have
// its value replaced with the replacement string. It does not allocate for
// names up to 64 bytes.
func (h Headers) Action(name string) (remove, replace bool) {
	if h.m == nil {
		return false, false
	}
	var v uint8
	var ok bool
	if hasUpper(name) {
		if len(name) > 64 {
			v, ok = h.m[lower(name)]
		} else {
			var buf [64]byte
			b := buf[:len(name)]
			for i := 0; i < len(name); i++ {
				c := name[i]
				if isUpper(c) {
					c += 32
				}
				b[i] = c
			}
			v, ok = h.m[string(b)]
		}
	} else {
		v, ok = h.m[name]
	}
	if !ok {
		return false, false
	}
	return v == hdrRemove, v == hdrReplace
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if isUpper(s[i]) {
			return true
		}
	}
	return false
}
