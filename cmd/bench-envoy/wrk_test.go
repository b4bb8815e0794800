package main

import (
	"github.com/apiwarden/apiwarden/internal/realenvoy"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wrk 4.1's output with --latency.
const wrkOutput = `Running 3s test @ http://127.0.0.1:40403/api/v1/accounts/ACC-1001/balance
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.44ms  386.21us   9.87ms   85.17%
    Req/Sec     5.69k   234.88     6.01k    80.00%
  Latency Distribution
     50%    1.39ms
     75%    1.56ms
     90%    1.79ms
     99%    2.24ms
  16986 requests in 3.00s, 3.97MB read
  Socket errors: connect 0, read 0, write 0, timeout 2
  Non-2xx or 3xx responses: 3
Requests/sec:   5660.51
Transfer/sec:      1.32MB
`

func TestParseWrk(t *testing.T) {
	s, err := parseWrk(wrkOutput)
	require.NoError(t, err)
	assert.InDelta(t, 5660.51, s.rps, 0.001)
	assert.Equal(t, 1390*time.Microsecond, s.p50)
	assert.Equal(t, 2240*time.Microsecond, s.p99)
	assert.Equal(t, 16986, s.requests)
	assert.Equal(t, 3, s.non2xx)
	assert.Equal(t, "connect 0, read 0, write 0, timeout 2", s.socketErrs)

	s, err = parseWrk("     50%  850.00us\n     99%    1.20s\nRequests/sec: 10\n")
	require.NoError(t, err)
	assert.Equal(t, 850*time.Microsecond, s.p50)
	assert.Equal(t, 1200*time.Millisecond, s.p99)

	_, err = parseWrk("unable to connect to 127.0.0.1:1 Connection refused")
	assert.Error(t, err, "no throughput line is an error, not a zero")
}

// The POST mix's transfer is exactly 1 KiB of valid JSON.
func TestTransferBody(t *testing.T) {
	b := transferBody()
	assert.Len(t, b, 1024)
	assert.JSONEq(t, `{"from":"ACC-1001","to":"ACC-2002","amount":12.5,"currency":"EUR","memo":"rent"}`, b)
}

func TestRefusalsCountsBlockingEvents(t *testing.T) {
	lines := []realenvoy.LogLine{
		{Message: `{"event":"apiwarden.decision","http.response.status_code":403,"apiwarden.rule":"no-repeated-transfer","apiwarden.verdict":"block"}`},
		{Message: `{"event":"apiwarden.decision","http.response.status_code":403,"apiwarden.rule":"no-repeated-transfer","apiwarden.verdict":"block"}`},
		{Message: `{"event":"apiwarden.decision","apiwarden.rule":"shadow","apiwarden.verdict":"log"}`},
		{Message: `apiwarden: configured 12 endpoints`},
	}
	assert.Equal(t, map[string]int{"no-repeated-transfer 403": 2}, refusals(lines))
}
