package main

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// TestInterleavedSessionsAreNeverRefused: eight clients follow the bank's
// order (a balance read, then a transfer, in turn) with their streams
// interleaved in one VM as a worker interleaves them: a session's next
// request starts once its previous answer began, and a finished stream's
// done may come after that next request. Not one request is refused.
func TestInterleavedSessionsAreNeverRefused(t *testing.T) {
	host, reset := newHost(t, bankConfig(t))
	defer reset()
	body := []byte(`{"from":"ACC-1001","to":"ACC-2002","amount":12.5,"currency":"EUR","memo":"rent"}`)
	type sess struct {
		n       int
		pending uint32 // stream waiting for its response
		done    []uint32
	}
	ss := make([]sess, 8)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 4000; i++ {
		k := rng.IntN(8)
		s := &ss[k]
		switch {
		case s.pending != 0:
			id := s.pending
			host.CallOnResponseHeaders(id, [][2]string{{":status", "200"}, {"content-type", "application/json"}}, false)
			host.CallOnResponseBody(id, []byte(`{"balance":1}`), true)
			s.pending = 0
			s.done = append(s.done, id)
		default:
			// Done of earlier streams, sometimes after the next request began.
			if len(s.done) > 0 && rng.IntN(2) == 0 {
				host.CompleteHttpContext(s.done[0])
				s.done = s.done[1:]
			}
			id := host.InitializeHttpContext()
			sid := [2]string{"x-session-id", "mix-" + strconv.Itoa(k)}
			var act types.Action
			if s.n%2 == 0 {
				act = host.CallOnRequestHeaders(id, reqHeaders("GET", "/api/v1/accounts/ACC-1001/balance", sid), true)
			} else {
				host.CallOnRequestHeaders(id, reqHeaders("POST", "/api/v1/transferFunds", sid, [2]string{"content-type", "application/json"},
					[2]string{"content-length", strconv.Itoa(len(body))}), false)
				act = host.CallOnRequestBody(id, body, true)
			}
			s.n++
			if r := host.GetSentLocalResponse(id); r != nil {
				t.Fatalf("step %d session %d n %d: %d %s (act %v)", i, k, s.n, r.StatusCode, r.Data, act)
			}
			s.pending = id
		}
	}
	for k := range ss {
		require.Greater(t, ss[k].n, 100, "session %d took part", k)
	}
}
