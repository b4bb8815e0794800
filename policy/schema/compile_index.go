package schema

import (
	"strings"

	"github.com/apiwarden/apiwarden/policy/internal/jsonptr"
	"github.com/tidwall/gjson"
)

// underID reports whether a location lies inside a schema that sets an
// embedded id keyword kw (changing the base URI), by looking at its
// ancestors.
func underID(x *jsonptr.Index, ptr, kw string) bool {
	if kw == "" || ptr == "" {
		return false
	}
	for cut := strings.IndexByte(ptr[1:], '/'); cut >= 0; {
		anc, canon, ok := x.Resolve(ptr[:cut+1])
		if !ok {
			return false
		}
		if anc.IsObject() {
			if id, ok := x.Child(anc, canon, kw); ok && id.Type == gjson.String {
				return true
			}
		}
		next := strings.IndexByte(ptr[cut+2:], '/')
		if next < 0 {
			break
		}
		cut += next + 1
	}
	return false
}
