package wasmtest

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func echo(r *UpstreamRequest) *Response {
	return &Response{Status: 200, Headers: [][2]string{{"content-type", "text/plain"}}, Body: r.Body}
}

func TestCallbackOrder(t *testing.T) {
	h := newProbe(t, Options{})
	ex, err := h.RoundTrip(&Request{Method: "GET", Path: "/a"}, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{
		"on_context_create(2,1)",
		"on_request_headers(2,6,true)=0",
		"on_response_headers(2,1,true)=0",
		"on_log(2)", "on_done(2)=1", "on_delete(2)",
	}, ex.Calls)

	ex, err = h.RoundTrip(&Request{Method: "POST", Path: "/b", Body: []byte("abcdefgh"), ChunkSize: 3,
		Trailers: [][2]string{{"x-t", "1"}}}, func(r *UpstreamRequest) *Response {
		return &Response{Status: 201, Headers: [][2]string{{"a", "b"}}, Body: []byte("xyz"), ChunkSize: 2,
			Trailers: [][2]string{{"grpc-status", "0"}}}
	})
	require.NoError(t, err)
	assert.Equal(t, []string{
		"on_context_create(3,1)",
		"on_request_headers(3,6,false)=0",
		"on_request_body(3,3,false)=0", "on_request_body(3,3,false)=0", "on_request_body(3,2,false)=0",
		"on_request_trailers(3,1)=0",
		"on_response_headers(3,2,false)=0",
		"on_response_body(3,2,false)=0", "on_response_body(3,1,false)=0",
		"on_response_trailers(3,1)=0",
		"on_log(3)", "on_done(3)=1", "on_delete(3)",
	}, ex.Calls)
	assert.Equal(t, uint32(3), ex.ContextID)
	require.NotNil(t, ex.Upstream)
	assert.Equal(t, "abcdefgh", string(ex.Upstream.Body))
	assert.Equal(t, [][2]string{{"x-t", "1"}}, ex.Upstream.Trailers)
	assert.Equal(t, 201, ex.Response.Status)
	assert.Equal(t, [][2]string{{":status", "201"}, {"a", "b"}}, ex.Response.Headers)
	assert.Equal(t, "xyz", string(ex.Response.Body))
	assert.Equal(t, [][2]string{{"grpc-status", "0"}}, ex.Response.Trailers)
	assert.Equal(t, "req_trailers n=1 x-t=1 status=0", oneEvent(t, h.VM(0), "req_trailers"))
}

func TestRequestHeadersLikeEnvoy(t *testing.T) {
	seed := uint64(7)
	h := newProbe(t, Options{RandomSeed: &seed})
	ex, err := h.RoundTrip(&Request{Method: "PUT", Path: "/p?q=1", Authority: "api.test", Scheme: "https",
		Headers: [][2]string{{"X-Probe", "dump"}, {"User-Agent", "t"}}}, nil)
	require.NoError(t, err)
	u := ex.Upstream
	assert.Equal(t, "PUT", u.Method)
	assert.Equal(t, "/p?q=1", u.Path)
	assert.Equal(t, "api.test", u.Authority)
	assert.Equal(t, "https", u.Scheme)
	require.Len(t, u.Headers, 8)
	assert.Equal(t, [2]string{":authority", "api.test"}, u.Headers[0])
	assert.Equal(t, [2]string{":path", "/p?q=1"}, u.Headers[1])
	assert.Equal(t, [2]string{":method", "PUT"}, u.Headers[2])
	assert.Equal(t, [2]string{":scheme", "https"}, u.Headers[3])
	assert.Equal(t, [2]string{"x-probe", "dump"}, u.Headers[4])
	assert.Equal(t, "https", u.Header("x-forwarded-proto"))
	id := u.Header("x-request-id")
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, id)

	// The same seed gives the same ids.
	h2 := newProbe(t, Options{RandomSeed: &seed})
	ex2, err := h2.RoundTrip(&Request{}, nil)
	require.NoError(t, err)
	assert.Equal(t, id, ex2.Upstream.Header("x-request-id"))
}

func TestBodyChunksWithoutBuffering(t *testing.T) {
	h := newProbe(t, Options{})
	req := probeReq("each-chunk")
	req.Body, req.ChunkSize = []byte("abcdefgh"), 3
	ex, err := h.RoundTrip(req, echo)
	require.NoError(t, err)
	assert.Equal(t, []string{"req_body size=3 eos=0 buffer=3", "req_body size=3 eos=0 buffer=3", "req_body size=2 eos=1 buffer=2"},
		events(h.VM(0), "req_body"))
	assert.Equal(t, []string{"req_body_data status=0 data=abc", "req_body_data status=0 data=def", "req_body_data status=0 data=gh"},
		events(h.VM(0), "req_body_data"))
	assert.Equal(t, "abcdefgh", string(ex.Upstream.Body))
}

func TestBodyBuffering(t *testing.T) {
	h := newProbe(t, Options{})
	req := probeReq("buffer-body")
	req.Body, req.ChunkSize = []byte("abcdefgh"), 3
	ex, err := h.RoundTrip(req, echo)
	require.NoError(t, err)
	// body_size is the accumulated size; the buffer addresses everything.
	assert.Equal(t, []string{"req_body size=3 eos=0 buffer=3", "req_body size=6 eos=0 buffer=6", "req_body size=8 eos=1 buffer=8"},
		events(h.VM(0), "req_body"))
	assert.Equal(t, "req_body_data status=0 data=abcdefgh", oneEvent(t, h.VM(0), "req_body_data"))
	assert.Equal(t, "abcdefgh", string(ex.Upstream.Body))
	assert.Equal(t, "abcdefgh", string(ex.Response.Body))
}

func TestPauseOnHeaders(t *testing.T) {
	body := []byte("abcdefgh")
	t.Run("stops everything without the option", func(t *testing.T) {
		h := newProbe(t, Options{})
		req := probeReq("pause-headers")
		req.Body, req.ChunkSize = body, 3
		ex, err := h.RoundTrip(req, echo)
		require.NoError(t, err)
		assert.Empty(t, events(h.VM(0), "req_body"), "no body callback while stopped on headers")
		assert.Nil(t, ex.Upstream)
		assert.True(t, ex.Stalled)
		assert.Equal(t, 408, ex.Response.Status)
		assert.Equal(t, "stream_idle_timeout", ex.LocalReplyDetails)
		// The timeout reply went through the plugin's encoder callbacks.
		assert.Contains(t, oneEvent(t, h.VM(0), "resp_headers"), "status=408")
	})
	t.Run("continue delivers the buffered body at once", func(t *testing.T) {
		h := newProbe(t, Options{})
		req := probeReq("pause-headers-continue")
		req.Body, req.ChunkSize = body, 3
		ex, err := h.RoundTrip(req, echo)
		require.NoError(t, err)
		assert.Equal(t, []string{"req_body size=8 eos=1 buffer=8"}, events(h.VM(0), "req_body"))
		assert.Equal(t, "abcdefgh", string(ex.Upstream.Body))
	})
	t.Run("allow_on_headers_stop_iteration keeps body callbacks", func(t *testing.T) {
		h := newProbe(t, Options{AllowOnHeadersStopIteration: true})
		req := probeReq("pause-headers,read-headers-in-body")
		req.Body, req.ChunkSize = body, 3
		ex, err := h.RoundTrip(req, echo)
		require.NoError(t, err)
		assert.Len(t, events(h.VM(0), "req_body"), 3)
		// Headers are held (not continued), so still readable in body.
		assert.Equal(t, "hdr_in_body status=0 value=/probe", events(h.VM(0), "hdr_in_body")[0])
		assert.Equal(t, "abcdefgh", string(ex.Upstream.Body))
		assert.False(t, ex.Stalled)
	})
}

func TestHeaderAvailability(t *testing.T) {
	h := newProbe(t, Options{})
	req := probeReq("read-headers-in-body")
	req.Body = []byte("x")
	req.Trailers = [][2]string{{"x-t", "v"}}
	_, err := h.RoundTrip(req, echo)
	require.NoError(t, err)
	vm := h.VM(0)
	// After on_request_headers continued, the map is gone: BadArgument.
	assert.Equal(t, "hdr_in_body status=2 value=", oneEvent(t, vm, "hdr_in_body"))
	assert.Equal(t, "2", field(oneEvent(t, vm, "resp_headers"), "req_path_status"))
	// Response headers are gone in on_response_body too.
	assert.Equal(t, "2", field(oneEvent(t, vm, "resp_body"), "resp_hdr_status"))
	// on_log reads request and response headers; request trailers are
	// NotFound; mutation is refused.
	assert.Equal(t, "log path=/probe path_status=0 status=200 status_status=0 req_trailer_status=1 add_status=2",
		oneEvent(t, vm, "log"))
}

func TestBufferLimit(t *testing.T) {
	t.Run("request 413 through the filter chain", func(t *testing.T) {
		h := newProbe(t, Options{BufferLimit: 10})
		req := probeReq("pause-body-always")
		req.Body, req.ChunkSize = make([]byte, 25), 4
		ex, err := h.RoundTrip(req, echo)
		require.NoError(t, err)
		assert.Nil(t, ex.Upstream)
		assert.True(t, ex.HeadersForwarded, "headers went upstream before the body was refused")
		assert.Equal(t, 413, ex.Response.Status)
		assert.Equal(t, "Payload Too Large", string(ex.Response.Body))
		assert.Equal(t, "request_payload_too_large", ex.LocalReplyDetails)
		// Sizes 4, 8 paused; the third chunk crosses 10 before the plugin sees it.
		assert.Equal(t, []string{"req_body size=4 eos=0 buffer=4", "req_body size=8 eos=0 buffer=8"}, events(h.VM(0), "req_body"))
		assert.Contains(t, oneEvent(t, h.VM(0), "resp_headers"), "status=413")
	})
	t.Run("response 500 before headers were sent", func(t *testing.T) {
		h := newProbe(t, Options{BufferLimit: 10, AllowOnHeadersStopIteration: true})
		ex, err := h.RoundTrip(probeReq("pause-resp-headers,pause-resp-body-always"), func(*UpstreamRequest) *Response {
			return &Response{Status: 200, Body: make([]byte, 30), ChunkSize: 8}
		})
		require.NoError(t, err)
		assert.Equal(t, 500, ex.Response.Status)
		assert.Equal(t, "response_payload_too_large", ex.LocalReplyDetails)
	})
	t.Run("response reset after headers were sent", func(t *testing.T) {
		h := newProbe(t, Options{BufferLimit: 10})
		ex, err := h.RoundTrip(probeReq("pause-resp-body-always"), func(*UpstreamRequest) *Response {
			return &Response{Status: 200, Body: make([]byte, 30), ChunkSize: 8}
		})
		require.NoError(t, err)
		assert.True(t, ex.Reset)
		assert.Nil(t, ex.Response)
	})
}

func TestLocalReplies(t *testing.T) {
	t.Run("from request headers re-enters the response callbacks", func(t *testing.T) {
		h := newProbe(t, Options{})
		req := probeReq("local-reply-headers")
		req.Body = []byte("ignored")
		ex, err := h.RoundTrip(req, echo)
		require.NoError(t, err)
		assert.Nil(t, ex.Upstream)
		assert.False(t, ex.HeadersForwarded)
		assert.True(t, ex.LocalReply)
		assert.Equal(t, "denied_by_probe", ex.LocalReplyDetails)
		assert.Equal(t, 403, ex.Response.Status)
		assert.Equal(t, "nope", string(ex.Response.Body))
		assert.Equal(t, "1", ex.Response.Header("x-probe-local"))
		assert.Equal(t, "text/plain", ex.Response.Header("content-type"))
		assert.Equal(t, []string{
			"on_context_create(2,1)",
			"on_request_headers(2,7,false)=0",  // returned Continue, forced to stop
			"on_response_headers(2,4,false)=0", // :status, x-probe-local, content-type, content-length
			"on_response_body(2,4,true)=0",
			"on_log(2)", "on_done(2)=1", "on_delete(2)",
		}, ex.Calls)
		assert.Contains(t, oneEvent(t, h.VM(0), "resp_headers"), "status=403")
	})
	t.Run("from request body", func(t *testing.T) {
		h := newProbe(t, Options{})
		req := probeReq("local-reply-body")
		req.Body = []byte("x")
		ex, err := h.RoundTrip(req, echo)
		require.NoError(t, err)
		assert.Equal(t, 400, ex.Response.Status)
		assert.True(t, ex.HeadersForwarded)
		assert.Nil(t, ex.Upstream)
	})
	t.Run("from response headers goes straight to the client", func(t *testing.T) {
		h := newProbe(t, Options{})
		ex, err := h.RoundTrip(probeReq("local-reply-resp-headers"), func(*UpstreamRequest) *Response {
			return &Response{Status: 200, Body: []byte("upstream")}
		})
		require.NoError(t, err)
		require.NotNil(t, ex.Upstream)
		assert.Equal(t, 418, ex.Response.Status)
		assert.Equal(t, "short and stout", string(ex.Response.Body))
		assert.Empty(t, events(h.VM(0), "resp_body"), "no more filter callbacks")
	})
	t.Run("after response headers were sent resets", func(t *testing.T) {
		h := newProbe(t, Options{})
		ex, err := h.RoundTrip(probeReq("local-reply-resp-body"), func(*UpstreamRequest) *Response {
			return &Response{Status: 200, Body: []byte("upstream")}
		})
		require.NoError(t, err)
		assert.True(t, ex.Reset)
		assert.Nil(t, ex.Response)
	})
	t.Run("close stream resets", func(t *testing.T) {
		h := newProbe(t, Options{})
		ex, err := h.RoundTrip(probeReq("close"), echo)
		require.NoError(t, err)
		assert.True(t, ex.Reset)
		assert.Nil(t, ex.Upstream)
		assert.Equal(t, "wasm_close_stream", ex.LocalReplyDetails)
	})
}

func TestHeaderMutations(t *testing.T) {
	h := newProbe(t, Options{})
	req := probeReq("mutate")
	req.Headers = append(req.Headers, [2]string{"x-remove", "1"})
	ex, err := h.RoundTrip(req, echo)
	require.NoError(t, err)
	assert.Equal(t, "mutate add=0 replace=0 remove=0 remove_absent=0", oneEvent(t, h.VM(0), "mutate"))
	u := ex.Upstream
	assert.Equal(t, "/rewritten", u.Path)
	assert.Equal(t, [2]string{":path", "/rewritten"}, u.Headers[3], "pseudo-headers stay first")
	assert.Equal(t, "1", u.Header("x-added"), "keys are lower-cased")
	assert.Equal(t, "", u.Header("x-remove"))
	assert.Equal(t, "1", ex.Response.Header("x-resp-added"))

	ex, err = h.RoundTrip(probeReq("set-pairs"), echo)
	require.NoError(t, err)
	assert.Equal(t, [][2]string{{":method", "PUT"}, {":path", "/p"}, {":authority", "a"}, {":scheme", "http"}, {"x-set", "yes"}},
		ex.Upstream.Headers)

	_, err = h.RoundTrip(probeReq("set-pairs-malformed"), echo)
	require.NoError(t, err)
	assert.Equal(t, "set_pairs_malformed status=0 left=0", oneEvent(t, h.VM(0), "set_pairs_malformed"))
}

func TestHeaderMapSize(t *testing.T) {
	h := newProbe(t, Options{})
	req := probeReq("size")
	req.Headers = append(req.Headers, [2]string{"x-request-id", "r"}, [2]string{"x-forwarded-proto", "http"})
	_, err := h.RoundTrip(req, nil)
	require.NoError(t, err)
	want := len(":authority") + len("localhost") + len(":path") + len("/probe") + len(":method") + len("GET") +
		len(":scheme") + len("http") + len("x-probe") + len("size") + len("x-request-id") + len("r") +
		len("x-forwarded-proto") + len("http")
	assert.Equal(t, fmt.Sprintf("size %d status=0", want), oneEvent(t, h.VM(0), "size"))
}

func TestSetBufferBytes(t *testing.T) {
	cases := []struct {
		action, want, log string
	}{
		{"body-replace", "REPLACED", "body_replace status=0"},
		{"body-prepend", "PRE-abcdef", "body_prepend status=0"},
		{"body-append", "abcdef-POST", "body_append status=0"},
		{"body-head", "XYcdef", "body_head status=0"},
		{"body-mid", "abcdef", "body_mid status=2"},
	}
	for _, c := range cases {
		t.Run(c.action, func(t *testing.T) {
			h := newProbe(t, Options{})
			req := probeReq("buffer-body," + c.action)
			req.Body, req.ChunkSize = []byte("abcdef"), 4
			ex, err := h.RoundTrip(req, echo)
			require.NoError(t, err)
			assert.Equal(t, c.want, string(ex.Upstream.Body))
			assert.Len(t, events(h.VM(0), c.log), 1, h.VM(0).Logs())
		})
	}
	t.Run("response body", func(t *testing.T) {
		h := newProbe(t, Options{})
		ex, err := h.RoundTrip(probeReq("buffer-resp-body,resp-body-replace"), func(*UpstreamRequest) *Response {
			return &Response{Status: 200, Body: []byte("secret-secret"), ChunkSize: 5}
		})
		require.NoError(t, err)
		assert.Equal(t, "REDACTED", string(ex.Response.Body))
		assert.Equal(t, []string{"resp_body size=5 eos=0 resp_hdr_status=2", "resp_body size=10 eos=0 resp_hdr_status=2",
			"resp_body size=13 eos=1 resp_hdr_status=2"}, events(h.VM(0), "resp_body"))
	})
}

func TestAddTrailersFromLastBody(t *testing.T) {
	h := newProbe(t, Options{})
	req := probeReq("add-trailers")
	req.Body = []byte("b")
	ex, err := h.RoundTrip(req, echo)
	require.NoError(t, err)
	assert.Equal(t, "add_trailers status=0", oneEvent(t, h.VM(0), "add_trailers"))
	assert.Equal(t, [][2]string{{"x-added-trailer", "yes"}}, ex.Upstream.Trailers)
}

func TestProperties(t *testing.T) {
	h := newProbe(t, Options{PluginName: "pn", RootID: "rid", VMID: "vid", DestinationAddress: "10.0.0.1:8443"})
	req := probeReq("props,set-prop")
	req.Path = "/a/b?x=1&y=2"
	req.SourceAddress = "192.0.2.7:40123"
	req.Headers = append(req.Headers, [2]string{"x-dup", "1"}, [2]string{"x-dup", "2"})
	_, err := h.RoundTrip(req, nil)
	require.NoError(t, err)
	got := map[string]string{}
	status := map[string]string{}
	for _, l := range events(h.VM(0), "prop") {
		var name string
		fmt.Sscanf(l, "prop %s", &name)
		got[name] = field(l, "hex")
		status[name] = field(l, "status")
	}
	str := func(s string) string { return hex.EncodeToString([]byte(s)) }
	i64 := func(v int64) string {
		b := make([]byte, 8)
		binary.LittleEndian.PutUint64(b, uint64(v))
		return hex.EncodeToString(b)
	}
	assert.Equal(t, str("192.0.2.7:40123"), got["source.address"])
	assert.Equal(t, i64(40123), got["source.port"])
	assert.Equal(t, str("10.0.0.1:8443"), got["destination.address"])
	assert.Equal(t, i64(8443), got["destination.port"])
	assert.Equal(t, str("/a/b?x=1&y=2"), got["request.path"])
	assert.Equal(t, str("/a/b"), got["request.url_path"])
	assert.Equal(t, str("x=1&y=2"), got["request.query"])
	assert.Equal(t, str("localhost"), got["request.host"])
	assert.Equal(t, str("http"), got["request.scheme"])
	assert.Equal(t, str("GET"), got["request.method"])
	assert.Equal(t, str("HTTP/1.1"), got["request.protocol"])
	assert.Len(t, got["request.id"], 72)
	assert.Len(t, got["request.time"], 16)
	assert.Equal(t, str("props,set-prop"), got["request.headers.x-probe"])
	assert.Len(t, got["connection.id"], 16)
	assert.Equal(t, str("pn"), got["plugin_name"])
	assert.Equal(t, str("rid"), got["plugin_root_id"])
	assert.Equal(t, str("vid"), got["plugin_vm_id"])
	headers, _ := hex.DecodeString(got["request.headers"])
	assert.Contains(t, UnmarshalPairs(headers), [2]string{"x-dup", "1,2"})
	assert.Equal(t, "1", status["response.code"], "no response yet")
	assert.Equal(t, "1", status["nope.nothing"])
	assert.Equal(t, "1", status["request.path.extra"])
	assert.Equal(t, "prop_dotted status=1 hex=", oneEvent(t, h.VM(0), "prop_dotted"), "dotted paths are NotFound")
	assert.Equal(t, "set_prop status=0 get_status=0 value=probe_value", oneEvent(t, h.VM(0), "set_prop"))
}

func TestHostCallTrace(t *testing.T) {
	var b strings.Builder
	h := newProbe(t, Options{HostCallTrace: &b})
	_, err := h.RoundTrip(probeReq(""), nil)
	require.NoError(t, err)
	assert.Contains(t, b.String(), "[vm 0] env.proxy_get_header_map_value[0 ")
	assert.Contains(t, b.String(), "= 0 (Ok)")
}

func TestLogLevel(t *testing.T) {
	h := newProbe(t, Options{LogLevel: LogWarn, PluginConfig: []byte("fail=0")})
	vm := h.VM(0)
	assert.Empty(t, events(vm, "configure"), "info lines are below the level")
	h.SetLogLevel(LogTrace)
	_, err := h.RoundTrip(probeReq(""), nil)
	require.NoError(t, err)
	assert.NotEmpty(t, events(vm, "req_headers"))
}

func TestStalls(t *testing.T) {
	t.Run("pause on request trailers", func(t *testing.T) {
		h := newProbe(t, Options{})
		req := probeReq("pause-trailers")
		req.Body, req.Trailers = []byte("b"), [][2]string{{"x-t", "1"}}
		ex, err := h.RoundTrip(req, echo)
		require.NoError(t, err)
		assert.True(t, ex.Stalled)
		assert.Nil(t, ex.Upstream)
		assert.Equal(t, 408, ex.Response.Status)
	})
	t.Run("pause on the last body chunk", func(t *testing.T) {
		h := newProbe(t, Options{})
		req := probeReq("pause-body-always")
		req.Body = []byte("b")
		ex, err := h.RoundTrip(req, echo)
		require.NoError(t, err)
		assert.True(t, ex.Stalled)
		assert.Equal(t, 408, ex.Response.Status)
	})
	t.Run("pause on response headers", func(t *testing.T) {
		h := newProbe(t, Options{})
		ex, err := h.RoundTrip(probeReq("pause-resp-headers"), echo)
		require.NoError(t, err)
		assert.True(t, ex.Stalled)
		assert.True(t, ex.Reset)
		assert.NotNil(t, ex.Upstream)
	})
}

func TestRoundRobin(t *testing.T) {
	h := newProbe(t, Options{Workers: 3})
	var got []int
	var ids []uint32
	for i := 0; i < 6; i++ {
		ex, err := h.RoundTrip(&Request{}, nil)
		require.NoError(t, err)
		got = append(got, ex.VM)
		ids = append(ids, ex.ContextID)
	}
	assert.Equal(t, []int{0, 1, 2, 0, 1, 2}, got)
	assert.Equal(t, []uint32{2, 2, 2, 3, 3, 3}, ids, "context ids are per VM, from 2")
}
