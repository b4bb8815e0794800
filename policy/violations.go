package policy

import "github.com/apiwarden/apiwarden/policy/kernel"

// appendViolations writes violations as a JSON array (events and problem
// documents), names and pointers clipped.
func appendViolations(dst []byte, vs []Violation) []byte {
	dst = append(dst, '[')
	for i, v := range vs {
		if i > 0 {
			dst = append(dst, ',')
		}
		o := kernel.OpenObject(dst)
		o.Str("in", v.In)
		o.StrOpt("name", clipText(v.Name, MaxEventName))
		if v.In == "body" || v.Pointer != "" {
			o.Str("pointer", clipText(v.Pointer, MaxEventName))
		}
		o.Str("keyword", v.Keyword)
		o.StrOpt("message", v.Message)
		dst = o.Close()
	}
	return append(dst, ']')
}
