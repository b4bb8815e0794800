package policy

import (
	"os"
	"reflect"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPolicyKeepsNoViewOfItsConfiguration walks everything a compiled
// policy reaches and checks that no string or byte slice points into the
// configuration's text. Configuration is read without a tree, through
// views of the text; one view kept by the policy would keep the whole
// text (13 MB for GitHub's OpenAPI description) alive for a VM's life,
// and the module frees its copy after the compile.
func TestPolicyKeepsNoViewOfItsConfiguration(t *testing.T) {
	bank, err := os.ReadFile("../examples/bank/apiwarden.json")
	require.NoError(t, err)
	github, err := os.ReadFile("openapi/testdata/github.json")
	require.NoError(t, err)
	discord, err := os.ReadFile("openapi/testdata/discord.json")
	require.NoError(t, err)
	for name, raw := range map[string][]byte{
		"bank":    bank,
		"github":  append(append([]byte(`{"unknown_endpoints":"block","openapi":`), github...), '}'),
		"discord": append(append([]byte(`{"openapi":`), discord...), '}'),
	} {
		t.Run(name, func(t *testing.T) {
			p, err := Compile(raw)
			require.NoError(t, err)
			lo := uintptr(unsafe.Pointer(unsafe.SliceData(raw)))
			hi := lo + uintptr(len(raw))
			w := &viewFinder{lo: lo, hi: hi, seen: map[uintptr]bool{}}
			w.walk(reflect.ValueOf(p), "Policy")
			assert.Empty(t, w.found, "views of the configuration text kept by the policy")
			assert.Greater(t, w.strings, 100, "the walk reached the policy's strings")
		})
	}
}

// viewFinder walks a value graph (pointers, structs, slices, maps,
// interfaces; unexported fields too) and records the paths of strings and
// byte slices whose memory lies in [lo, hi).
type viewFinder struct {
	lo, hi  uintptr
	seen    map[uintptr]bool
	found   []string
	strings int
}

func (w *viewFinder) inside(p unsafe.Pointer, n int) bool {
	a := uintptr(p)
	return n > 0 && a >= w.lo && a < w.hi
}

func (w *viewFinder) walk(v reflect.Value, path string) {
	if len(w.found) > 10 {
		return
	}
	switch v.Kind() {
	case reflect.String:
		w.strings++
		s := v.String()
		if w.inside(unsafe.Pointer(unsafe.StringData(s)), len(s)) {
			w.found = append(w.found, path)
		}
	case reflect.Pointer:
		if v.IsNil() || w.seen[v.Pointer()] {
			return
		}
		w.seen[v.Pointer()] = true
		w.walk(v.Elem(), path)
	case reflect.Interface:
		if !v.IsNil() {
			w.walk(v.Elem(), path)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			w.walk(v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	case reflect.Slice:
		if v.IsNil() {
			return
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			if w.inside(v.UnsafePointer(), v.Len()) {
				w.found = append(w.found, path)
			}
			return
		}
		if w.seen[v.Pointer()] && v.Len() > 0 {
			return
		}
		w.seen[v.Pointer()] = true
		for i := range v.Len() {
			w.walk(v.Index(i), path+"[]")
		}
	case reflect.Array:
		for i := range v.Len() {
			w.walk(v.Index(i), path+"[]")
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			w.walk(it.Key(), path+"{key}")
			w.walk(it.Value(), path+"{}")
		}
	}
}
