package policy

import (
	"strconv"

	"github.com/apiwarden/apiwarden/policy/internal/jsonw"
)

// appendJSONString writes s as a JSON string (see jsonw.AppendString).
func appendJSONString(dst []byte, s string) []byte { return jsonw.AppendString(dst, s) }

// jsonObject appends "key":value members with the commas right.
type jsonObject struct {
	buf   []byte
	empty bool
}

func openObject(dst []byte) jsonObject { return jsonObject{buf: append(dst, '{'), empty: true} }

func (o *jsonObject) key(k string) {
	if !o.empty {
		o.buf = append(o.buf, ',')
	}
	o.empty = false
	o.buf = appendJSONString(o.buf, k)
	o.buf = append(o.buf, ':')
}

func (o *jsonObject) str(k, v string) {
	o.key(k)
	o.buf = appendJSONString(o.buf, v)
}

// strOpt writes the member only when v is not empty.
func (o *jsonObject) strOpt(k, v string) {
	if v != "" {
		o.str(k, v)
	}
}

func (o *jsonObject) int(k string, v int64) {
	o.key(k)
	o.buf = strconv.AppendInt(o.buf, v, 10)
}

func (o *jsonObject) float(k string, v float64) {
	o.key(k)
	o.buf = strconv.AppendFloat(o.buf, v, 'g', 6, 64)
}

func (o *jsonObject) bool(k string, v bool) {
	o.key(k)
	o.buf = strconv.AppendBool(o.buf, v)
}

// raw writes an already valid JSON value.
func (o *jsonObject) raw(k string, v []byte) {
	o.key(k)
	o.buf = append(o.buf, v...)
}

func (o *jsonObject) close() []byte { return append(o.buf, '}') }

func appendViolations(dst []byte, vs []Violation) []byte {
	dst = append(dst, '[')
	for i, v := range vs {
		if i > 0 {
			dst = append(dst, ',')
		}
		o := openObject(dst)
		o.str("in", v.In)
		o.strOpt("name", clipText(v.Name, MaxEventName))
		if v.In == "body" || v.Pointer != "" {
			o.str("pointer", clipText(v.Pointer, MaxEventName))
		}
		o.str("keyword", v.Keyword)
		o.strOpt("message", v.Message)
		dst = o.close()
	}
	return append(dst, ']')
}
