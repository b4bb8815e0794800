package openapitest

import (
	"github.com/apiwarden/apiwarden/policy/kernel"

	"strconv"
	"strings"
)

// syntheticResources are the top-level collections of GenerateSynthetic,
// each with a nested sub-collection; later rounds reuse them with a
// numeric suffix.
var syntheticResources = [][2]string{
	{"customers", "payment_methods"}, {"charges", "refunds"}, {"invoices", "lines"},
	{"subscriptions", "items"}, {"repos", "issues"}, {"orgs", "members"},
	{"accounts", "transactions"}, {"products", "prices"}, {"projects", "releases"},
	{"teams", "memberships"}, {"payouts", "reversals"}, {"disputes", "evidence"},
	{"files", "links"}, {"gists", "comments"}, {"webhooks", "deliveries"},
	{"coupons", "redemptions"}, {"orders", "shipments"}, {"apps", "installations"},
}

// GenerateSynthetic returns a deterministic OpenAPI 3.0.3 document (JSON)
// with exactly n operations, shaped like the public APIs of large payment
// and code-hosting services: collections with list/create, items with
// read/update/delete, nested sub-collections with ids at two levels, query
// parameters (limit, cursor, expand[], filters), shared parameters,
// responses and schemas in components reached through $refs, and a bearer
// security scheme. It is meant for benchmarks and size measurements.
func GenerateSynthetic(n int) []byte {
	if n < 0 {
		n = 0
	}
	g := &synth{b: make([]byte, 0, 1024+n*900)}
	g.raw(`{"openapi":"3.0.3","info":{"title":"Synthetic API","version":"1.0.0"},` +
		`"servers":[{"url":"https://api.example.com"}],` +
		`"security":[{"bearerAuth":[]}],"paths":{`)
	type res struct{ name, sub, schema, subSchema string }
	var used []res
	count, firstPath := 0, true
	path := func(p string) {
		if !firstPath {
			g.raw(",")
		}
		firstPath = false
		g.str(p)
		g.raw(":{")
	}
	for round := 0; count < n; round++ {
		for _, rs := range syntheticResources {
			if count >= n {
				break
			}
			r := res{name: rs[0], sub: rs[1]}
			if round > 0 {
				r.name += strconv.Itoa(round + 1)
			}
			r.schema = schemaName(r.name)
			r.subSchema = r.schema + schemaName(r.sub)
			used = append(used, r)
			id := singular(rs[0]) + "_id"
			subID := singular(rs[1]) + "_id"
			coll := "/v1/" + r.name
			item := coll + "/{" + id + "}"
			subColl := item + "/" + r.sub
			subItem := subColl + "/{" + subID + "}"
			ops := []func() bool{
				func() bool { // collection
					path(coll)
					g.op("get", "list_"+r.name, true, nil, "", r.schema+"List", true)
					if count+1 < n {
						g.raw(",")
						g.op("post", "create_"+singular(r.name), false, nil, r.schema+"Create", r.schema, false)
						count++
					}
					g.raw("}")
					count++
					return true
				},
				func() bool { // item
					path(item)
					g.raw(`"parameters":[`)
					g.pathParam(id)
					g.raw("],")
					g.op("get", "get_"+singular(r.name), false, []string{"expand"}, "", r.schema, false)
					if count+1 < n {
						g.raw(",")
						g.op("patch", "update_"+singular(r.name), false, nil, r.schema+"Update", r.schema, false)
						count++
					}
					if count+2 < n {
						g.raw(",")
						g.op("delete", "delete_"+singular(r.name), false, nil, "", "Deleted", false)
						count++
					}
					g.raw("}")
					count++
					return true
				},
				func() bool { // sub-collection
					path(subColl)
					g.raw(`"parameters":[`)
					g.pathParam(id)
					g.raw("],")
					g.op("get", "list_"+r.name+"_"+r.sub, true, []string{"status", "created_gte"}, "", r.subSchema+"List", true)
					if count+1 < n {
						g.raw(",")
						g.op("post", "create_"+r.name+"_"+singular(r.sub), false, nil, r.subSchema+"Create", r.subSchema, false)
						count++
					}
					g.raw("}")
					count++
					return true
				},
				func() bool { // sub-item
					path(subItem)
					g.raw(`"parameters":[`)
					g.pathParam(id)
					g.raw(",")
					g.pathParam(subID)
					g.raw("],")
					g.op("get", "get_"+r.name+"_"+singular(r.sub), false, nil, "", r.subSchema, false)
					if count+1 < n {
						g.raw(",")
						g.op("delete", "delete_"+r.name+"_"+singular(r.sub), false, nil, "", "Deleted", false)
						count++
					}
					g.raw("}")
					count++
					return true
				},
			}
			for _, f := range ops {
				if count >= n {
					break
				}
				f()
			}
		}
		if n == 0 {
			break
		}
	}
	g.raw(`},"components":{"securitySchemes":{"bearerAuth":{"type":"http","scheme":"bearer","bearerFormat":"JWT"}},`)
	g.raw(`"parameters":{` +
		`"Limit":{"name":"limit","in":"query","schema":{"type":"integer","minimum":1,"maximum":100,"default":10}},` +
		`"Cursor":{"name":"starting_after","in":"query","schema":{"type":"string","maxLength":128}},` +
		`"Expand":{"name":"expand","in":"query","style":"form","explode":true,"schema":{"type":"array","items":{"type":"string","maxLength":64},"maxItems":10}},` +
		`"IdempotencyKey":{"name":"Idempotency-Key","in":"header","schema":{"type":"string","maxLength":255}}},`)
	g.raw(`"responses":{"Error":{"description":"An error.","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Error"}}}}},`)
	g.raw(`"schemas":{` +
		`"Error":{"type":"object","required":["error"],"properties":{"error":{"type":"object","required":["type","message"],"properties":{"type":{"type":"string","enum":["api_error","card_error","invalid_request_error","rate_limit_error"]},"code":{"type":"string"},"message":{"type":"string"},"param":{"type":"string"}}}}},` +
		`"Metadata":{"type":"object","maxProperties":50,"additionalProperties":{"type":"string","maxLength":500}},` +
		`"Address":{"type":"object","properties":{"line1":{"type":"string"},"line2":{"type":"string","nullable":true},"city":{"type":"string"},"postal_code":{"type":"string","pattern":"^[A-Za-z0-9 -]{2,12}$"},"country":{"type":"string","minLength":2,"maxLength":2}}},` +
		`"Deleted":{"type":"object","required":["id","deleted"],"properties":{"id":{"type":"string"},"deleted":{"type":"boolean","enum":[true]}}}`)
	for _, r := range used {
		g.resourceSchemas(r.schema)
		g.resourceSchemas(r.subSchema)
	}
	g.raw("}}}")
	return g.b
}

type synth struct{ b []byte }

func (g *synth) raw(s string) { g.b = append(g.b, s...) }
func (g *synth) str(s string) { g.b = kernel.AppendString(g.b, s) }

func (g *synth) pathParam(name string) {
	g.raw(`{"name":`)
	g.str(name)
	g.raw(`,"in":"path","required":true,"schema":{"type":"string","pattern":"^[a-z]{2,4}_[A-Za-z0-9]{8,32}$"}}`)
}

// op writes one operation: list operations get limit/cursor, extra names
// become query parameters, body (a component schema name) a JSON request
// body, result the component schema of the 200 response.
func (g *synth) op(method, id string, list bool, extra []string, body, result string, paged bool) {
	g.str(method)
	g.raw(`:{"operationId":`)
	g.str(id)
	g.raw(`,"summary":`)
	g.str(strings.ReplaceAll(id, "_", " "))
	g.raw(`,"tags":["generated"],"parameters":[`)
	first := true
	sep := func() {
		if !first {
			g.raw(",")
		}
		first = false
	}
	if list {
		sep()
		g.raw(`{"$ref":"#/components/parameters/Limit"}`)
		sep()
		g.raw(`{"$ref":"#/components/parameters/Cursor"}`)
	}
	for _, e := range extra {
		sep()
		switch e {
		case "expand":
			g.raw(`{"$ref":"#/components/parameters/Expand"}`)
		case "status":
			g.raw(`{"name":"status","in":"query","schema":{"type":"string","enum":["active","inactive","all"]}}`)
		default:
			g.raw(`{"name":`)
			g.str(e)
			g.raw(`,"in":"query","schema":{"type":"integer","minimum":0}}`)
		}
	}
	if body != "" {
		sep()
		g.raw(`{"$ref":"#/components/parameters/IdempotencyKey"}`)
	}
	g.raw("]")
	if body != "" {
		g.raw(`,"requestBody":{"required":true,"content":{"application/json":{"schema":{"$ref":"#/components/schemas/`)
		g.raw(body)
		g.raw(`"}}}}`)
	}
	g.raw(`,"responses":{"200":{"description":"OK","content":{"application/json":{"schema":{"$ref":"#/components/schemas/`)
	g.raw(result)
	g.raw(`"}}}},"4XX":{"$ref":"#/components/responses/Error"},"default":{"$ref":"#/components/responses/Error"}}}`)
}

// resourceSchemas writes the object, its create and update bodies and
// its list page.
func (g *synth) resourceSchemas(name string) {
	q := strconv.Quote(name)
	prefix := strings.ToLower(name[:2])
	g.raw(`,` + q + `:{"type":"object","required":["id","object","created"],"properties":{` +
		`"id":{"type":"string","pattern":"^` + prefix + `_[A-Za-z0-9]{8,32}$"},` +
		`"object":{"type":"string","enum":[` + strconv.Quote(strings.ToLower(name)) + `]},` +
		`"created":{"type":"integer","format":"int64"},` +
		`"livemode":{"type":"boolean"},` +
		`"description":{"type":"string","maxLength":1000,"nullable":true},` +
		`"email":{"type":"string","format":"email"},` +
		`"amount":{"type":"integer","minimum":0},` +
		`"currency":{"type":"string","pattern":"^[a-z]{3}$"},` +
		`"status":{"type":"string","enum":["active","inactive","pending"]},` +
		`"address":{"$ref":"#/components/schemas/Address"},` +
		`"metadata":{"$ref":"#/components/schemas/Metadata"},` +
		`"tags":{"type":"array","items":{"type":"string"},"maxItems":20}}}`)
	g.raw(`,` + strconv.Quote(name+"Create") + `:{"type":"object","required":["amount","currency"],"additionalProperties":false,"properties":{` +
		`"amount":{"type":"integer","minimum":1},"currency":{"type":"string","pattern":"^[a-z]{3}$"},` +
		`"description":{"type":"string","maxLength":1000},"email":{"type":"string","format":"email"},` +
		`"address":{"$ref":"#/components/schemas/Address"},"metadata":{"$ref":"#/components/schemas/Metadata"}}}`)
	g.raw(`,` + strconv.Quote(name+"Update") + `:{"type":"object","additionalProperties":false,"minProperties":1,"properties":{` +
		`"description":{"type":"string","maxLength":1000},"status":{"type":"string","enum":["active","inactive"]},` +
		`"metadata":{"$ref":"#/components/schemas/Metadata"}}}`)
	g.raw(`,` + strconv.Quote(name+"List") + `:{"type":"object","required":["data","has_more"],"properties":{` +
		`"object":{"type":"string","enum":["list"]},"data":{"type":"array","items":{"$ref":` + strconv.Quote("#/components/schemas/"+name) + `}},` +
		`"has_more":{"type":"boolean"},"url":{"type":"string"}}}`)
}

// schemaName turns "payment_methods" into "PaymentMethods".
func schemaName(s string) string {
	var b strings.Builder
	up := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' {
			up = true
			continue
		}
		if up && c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		up = false
		b.WriteByte(c)
	}
	return b.String()
}

// singular drops a plural "s" ("customers" -> "customer").
func singular(s string) string {
	switch {
	case strings.HasSuffix(s, "ies"):
		return s[:len(s)-3] + "y"
	case strings.HasSuffix(s, "s") && !strings.HasSuffix(s, "ss"):
		return s[:len(s)-1]
	}
	return s
}
