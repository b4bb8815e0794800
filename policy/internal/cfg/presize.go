package cfg

import (
	"reflect"
	"unsafe"

	"github.com/valyala/fastjson"
)

// fastjson keeps every value of a document in one growing slice (its
// parser's cache) and hands out pointers into it. Each time the slice
// outgrows its array, append moves it to a larger one, but the pointers
// already handed out keep the old array alive; with Go's growth of 1.25x
// for large slices the old arrays add up to four times the final one. For
// GitHub's 13 MB description that is 110 MiB live for 258,000 values of
// 80 bytes: the largest part of a configure's peak, which linear memory
// keeps for the life of the VM. Giving the cache room for every value
// before parsing keeps them in one array.

// cacheOffset is the offset of the value cache's slice in fastjson.Parser
// (fields b []byte, c cache{vs []Value}), found by reflection so that a
// fastjson whose layout differs is simply not presized.
var cacheOffset = func() uintptr {
	pt := reflect.TypeOf(fastjson.Parser{})
	c, ok := pt.FieldByName("c")
	if !ok || c.Type.Kind() != reflect.Struct {
		return 0
	}
	vs, ok := c.Type.FieldByName("vs")
	if !ok || vs.Type != reflect.TypeOf([]fastjson.Value(nil)) {
		return 0
	}
	return c.Offset + vs.Offset
}()

// presize gives p's value cache room for the values of data, counted by
// one scan (an upper bound: a value per comma, bracket or brace outside
// strings, plus one).
func presize(p *fastjson.Parser, data []byte) {
	if len(data) < 16<<10 {
		return // small documents: growth costs nothing worth a scan
	}
	reserve(p, countValues(data))
}

// reserve gives p's value cache room for n values.
func reserve(p *fastjson.Parser, n int) {
	if cacheOffset == 0 {
		return
	}
	vs := (*[]fastjson.Value)(unsafeCache(p))
	if cap(*vs) < n {
		*vs = make([]fastjson.Value, 0, n)
	}
}

// countValues is an upper bound on the number of JSON values in data.
func countValues(data []byte) int {
	n := 1
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case ',', '[', '{':
			n++
		case '"':
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					i++
				}
			}
		}
	}
	return n
}

// ParseValue parses data with a parser whose value cache is sized for it.
func ParseValue(data []byte) (*fastjson.Value, error) {
	var p fastjson.Parser
	presize(&p, data)
	return p.ParseBytes(data)
}

// unsafeCache points at p's value cache slice (cacheOffset != 0).
func unsafeCache(p *fastjson.Parser) unsafe.Pointer {
	return unsafe.Add(unsafe.Pointer(p), cacheOffset)
}
