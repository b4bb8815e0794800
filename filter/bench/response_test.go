package bench

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/apiwarden/apiwarden/wasmtest"
)

// Response protection (issue "Response protection"): list_accounts
// answers of growing size through the bank policy's path rules
// (accounts.#.number, owner.national_id) and its eight detectors.

// responseSizes: 1 MB is 1,000,000 bytes, under both Envoy's default
// per-stream buffer limit and the bank's redaction bound (1 MiB each), so
// the body is buffered and redacted rather than passed as over the limit.
var responseSizes = []struct {
	name string
	size int
}{{"1KB", 1024}, {"64KB", 64 << 10}, {"1MB", 1000000}}

// responseChunk is the size of the on_response_body chunks: Envoy hands a
// body over as it reads it, 16 KiB at a time for HTTP/2 frames and
// typical HTTP/1 socket reads.
const responseChunk = 16 << 10

// accountsBody is a list_accounts answer shaped like the bank demo's and
// within its declared schema (AccountList: an owner with a national id and
// an email, accounts with an id, an IBAN number, a type and a currency),
// with as many accounts as fit in size bytes.
func accountsBody(size int) []byte {
	b := []byte(`{"user_id":"42","owner":{"name":"Ada Lovelace","national_id":"123-45-6789","email":"customer42@example.com"},"accounts":[`)
	for i := 0; ; i++ {
		typ, cur := "checking", "EUR"
		if i%3 == 2 {
			typ, cur = "savings", "GBP"
		}
		acc := fmt.Sprintf(`{"id":"ACC-%d","number":"DE89370400440532%06d","type":%q,"currency":%q}`, 1000+i, i, typ, cur)
		sep := 0
		if i > 0 {
			sep = 1
		}
		if len(b)+sep+len(acc)+2 > size {
			break
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, acc...)
	}
	b = append(b, "]}"...)
	for len(b) < size { // pad to the exact size with JSON whitespace
		b = append(b[:len(b)-1], ' ', '}')
	}
	return b
}

func accountsRequest() wasmtest.Request {
	r := balanceRequest()
	r.Path = "/api/v1/users/42/accounts"
	return r
}

func accountsUpstream(body []byte) wasmtest.Upstream {
	res := &wasmtest.Response{Status: 200, ChunkSize: responseChunk, Body: body, Headers: [][2]string{
		{"content-type", "application/json"},
		{"content-length", strconv.Itoa(len(body))},
		{"server", "bank-demo/1.0"},
		{"x-powered-by", "go"},
	}}
	return func(*wasmtest.UpstreamRequest) *wasmtest.Response { return res }
}

// responseScenarios: passthrough, apiwarden with "{}" (no protection: the
// body streams through) and the bank policy without sequences (the body
// is buffered, redacted and replaced).
func responseScenarios(tb testing.TB) []*scenario {
	var out []*scenario
	for _, sz := range responseSizes {
		body := accountsBody(sz.size)
		for _, s := range []setup{passthrough(), apiwardenEmpty(), bankNoSequences(tb)} {
			out = append(out, &scenario{group: "response-" + sz.name, setup: s, timed: 0, bytes: int64(len(body)),
				steps: []step{{req: accountsRequest(), up: accountsUpstream(body), want: 200}}})
		}
	}
	return out
}

// BenchmarkResponse is the cost of response protection per exchange; MB/s
// is over the response body.
func BenchmarkResponse(b *testing.B) {
	for _, sc := range responseScenarios(b) {
		b.Run(sc.name(), sc.run)
	}
}
