package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBodyLimitHoldsWithoutContentLength: a body streamed without a
// content-length (chunked) is counted chunk by chunk and refused once it
// crosses the limit, for endpoints whose bodies are not buffered and for
// unknown endpoints (global limit) alike.
func TestBodyLimitHoldsWithoutContentLength(t *testing.T) {
	host, reset := newHost(t, []byte(`{"request":{"max_body_bytes":1000},"endpoints":[
	  {"id":"upload","method":"POST","path":"/upload","request":{"max_body_bytes":100,"content_types":["application/octet-stream"]}}]}`))
	defer reset()
	for _, path := range []string{"/upload", "/not-declared"} {
		id := host.InitializeHttpContext()
		host.CallOnRequestHeaders(id, reqHeaders("POST", path, [2]string{"content-type", "application/octet-stream"}), false)
		require.Nil(t, host.GetSentLocalResponse(id), path)
		chunk := []byte(strings.Repeat("z", 400))
		for i := 0; i < 5 && host.GetSentLocalResponse(id) == nil; i++ {
			host.CallOnRequestBody(id, chunk, i == 4)
		}
		r, p := localReply(t, host, id)
		assert.EqualValues(t, 413, r.StatusCode, path)
		assert.Equal(t, "body-too-large", p.Rule)
	}
}

// TestRefusedBodyIsNotASessionStep: a request whose body is refused does
// not satisfy a "requires" rule of the session.
func TestRefusedBodyIsNotASessionStep(t *testing.T) {
	host, reset := newHost(t, []byte(`{"endpoints":[
	  {"id":"verify","method":"POST","path":"/verify","request":{"body_schema":{"type":"object","required":["otp"],"properties":{"otp":{"type":"string","pattern":"^[0-9]{6}$"}}}}},
	  {"id":"transfer","method":"POST","path":"/transfer"}],
	  "session":{"from":["header:x-session-id"]},
	  "sequences":{"rules":[{"id":"transfer-after-verify","endpoint":"transfer","requires":["verify"],"within":"5m","action":"block"}]}}`))
	defer reset()
	post := func(path, body string) int {
		id := host.InitializeHttpContext()
		defer host.CompleteHttpContext(id)
		host.CallOnRequestHeaders(id, reqHeaders("POST", path, [2]string{"content-type", "application/json"}, [2]string{"x-session-id", "s"}), body == "")
		if body != "" && host.GetSentLocalResponse(id) == nil {
			host.CallOnRequestBody(id, []byte(body), true)
		}
		if r := host.GetSentLocalResponse(id); r != nil {
			return int(r.StatusCode)
		}
		host.CallOnResponseHeaders(id, [][2]string{{":status", "200"}}, true)
		return 200
	}
	assert.Equal(t, 400, post("/verify", `{"otp":"nope"}`))
	assert.Equal(t, 403, post("/transfer", ""), "a refused verification is not a step")
	assert.Equal(t, 200, post("/verify", `{"otp":"123456"}`))
	assert.Equal(t, 200, post("/transfer", ""))
}

// TestStepsCountOnlyWhenTheyHappened: by default a request becomes a step
// of its session only once the upstream answered it 2xx, and a HEAD (which
// routes to the GET endpoint) never does.
func TestStepsCountOnlyWhenTheyHappened(t *testing.T) {
	for _, count := range []string{"success", "any"} {
		t.Run(count, func(t *testing.T) {
			host, reset := newHost(t, []byte(`{"endpoints":[
			  {"id":"balance","method":"GET","path":"/balance"},
			  {"id":"transfer","method":"POST","path":"/transfer"}],
			  "session":{"from":["header:x-session-id"]},
			  "sequences":{"count":"`+count+`","rules":[{"id":"transfer-after-balance","endpoint":"transfer","requires":["balance"],"action":"block"}]}}`))
			defer reset()
			send := func(method, path, sid, status string) int {
				id := host.InitializeHttpContext()
				defer host.CompleteHttpContext(id)
				host.CallOnRequestHeaders(id, reqHeaders(method, path, [2]string{"x-session-id", sid}), true)
				if r := host.GetSentLocalResponse(id); r != nil {
					return int(r.StatusCode)
				}
				host.CallOnResponseHeaders(id, [][2]string{{":status", status}}, true)
				return 200
			}
			assert.Equal(t, 200, send("GET", "/balance", "a", "404"))
			want404 := 403
			if count == "any" {
				want404 = 200
			}
			assert.Equal(t, want404, send("POST", "/transfer", "a", "200"), "a balance read answered 404 (count %s)", count)
			assert.Equal(t, 200, send("HEAD", "/balance", "b", "200"))
			assert.Equal(t, 403, send("POST", "/transfer", "b", "200"), "a HEAD never satisfies a GET requirement")
			assert.Equal(t, 200, send("GET", "/balance", "c", "200"))
			assert.Equal(t, 200, send("POST", "/transfer", "c", "200"))
		})
	}
}
