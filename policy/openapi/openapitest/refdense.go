package openapitest

import "strconv"

// GenerateRefDense returns a deterministic OpenAPI 3.0.3 document (JSON)
// whose schemas are dense with $refs: n components, each an object whose
// properties refer to up to six later components (so most components
// reach hundreds of others), an allOf onto the next one, and ops
// operations whose request and response bodies refer to components spread
// over the list. GenerateRefDense(6000, 600) is about 2.4 MB. It is meant
// for start-up benchmarks: a compiler that resolves each $ref by scanning
// the document, or that compiles what a schema reaches once per
// operation, is quadratic here.
func GenerateRefDense(n, ops int) []byte {
	if n < 1 {
		n = 1
	}
	g := &synth{b: make([]byte, 0, 1024+n*400+ops*500)}
	g.raw(`{"openapi":"3.0.3","info":{"title":"Ref-dense API","version":"1.0.0"},"paths":{`)
	for i := 0; i < ops; i++ {
		if i > 0 {
			g.raw(",")
		}
		target := "C" + strconv.Itoa(i*n/max(ops, 1))
		g.str("/things" + strconv.Itoa(i) + "/{id}")
		g.raw(`:{"parameters":[{"$ref":"#/components/parameters/Id"}],`)
		g.raw(`"get":{"operationId":"get` + strconv.Itoa(i) + `","responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"$ref":"#/components/schemas/` + target + `"}}}}}},`)
		g.raw(`"put":{"operationId":"put` + strconv.Itoa(i) + `","requestBody":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/` + target + `"}}}},` +
			`"responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"$ref":"#/components/schemas/` + target + `"}}}}}}}`)
	}
	g.raw(`},"components":{"parameters":{"Id":{"name":"id","in":"path","required":true,"schema":{"type":"string","maxLength":64}}},"schemas":{`)
	for i := 0; i < n; i++ {
		if i > 0 {
			g.raw(",")
		}
		g.str("C" + strconv.Itoa(i))
		g.raw(`:{"type":"object","description":"component number ` + strconv.Itoa(i) + ` of a dense reference graph","properties":{`)
		g.raw(`"id":{"type":"string","maxLength":40},"count":{"type":"integer","minimum":0}`)
		for k, step := range []int{1, 2, 3, 7, 31, 127} {
			if j := i + step; j < n {
				g.raw(`,"r` + strconv.Itoa(k) + `":{"$ref":"#/components/schemas/C` + strconv.Itoa(j) + `"}`)
			}
		}
		g.raw(`},"required":["id"]`)
		if i+1 < n {
			g.raw(`,"allOf":[{"$ref":"#/components/schemas/C` + strconv.Itoa(i+1) + `"}]`)
		}
		g.raw(`}`)
	}
	g.raw(`}}}`)
	return g.b
}

// GenerateRefChain returns a deterministic OpenAPI 3.0.3 document (JSON)
// with one operation whose body schema is the head of a chain of depth
// components: C0 refers to C1 (as its only member), C1 to C2, and so on,
// every tenth link an object whose "next" property carries the chain on;
// the last one is a string schema. It is meant for start-up benchmarks and
// for checking that chains are followed without recursion limits.
func GenerateRefChain(depth int) []byte {
	if depth < 1 {
		depth = 1
	}
	g := &synth{b: make([]byte, 0, 512+depth*80)}
	g.raw(`{"openapi":"3.0.3","info":{"title":"Ref-chain API","version":"1.0.0"},"paths":{"/chain":{"post":{"operationId":"chain",` +
		`"requestBody":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/C0"}}}},` +
		`"responses":{"204":{"description":"ok"}}}}},"components":{"schemas":{`)
	for i := 0; i < depth; i++ {
		if i > 0 {
			g.raw(",")
		}
		g.str("C" + strconv.Itoa(i))
		next := `"#/components/schemas/C` + strconv.Itoa(i+1) + `"`
		switch {
		case i == depth-1:
			g.raw(`:{"type":"string","maxLength":8}`)
		case i%10 == 9:
			g.raw(`:{"type":"object","properties":{"next":{"$ref":` + next + `}}}`)
		default:
			g.raw(`:{"$ref":` + next + `}`)
		}
	}
	g.raw(`}}}`)
	return g.b
}
