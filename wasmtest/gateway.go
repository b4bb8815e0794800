package wasmtest

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// hopHeaders are connection-specific headers a proxy does not forward.
var hopHeaders = map[string]bool{"connection": true, "keep-alive": true, "proxy-connection": true,
	"transfer-encoding": true, "upgrade": true, "te": true, "trailer": true}

// gatewayMaxBody caps what the gateway reads from a client or upstream.
const gatewayMaxBody = 64 << 20

// NewGateway returns an http.Handler that puts the module in front of
// upstream, like Envoy with the Wasm filter and a router: each incoming
// request becomes a stream through host (request phase); unless the
// plugin answered locally, the possibly mutated request is sent to
// upstream (scheme and host of upstream, its path prefixed), and the
// upstream answer is played back through the response phase before it is
// written to the client. source.address is the client's RemoteAddr.
// Bodies are read whole (up to 64 MiB) and delivered in one chunk; a reset
// stream aborts the client connection. Ticks on a real clock need
// Host.FireDueTicks to be called periodically.
//
// Before the module, the gateway does what Envoy's HTTP/1 codec and
// connection manager do (envoyFront): unknown methods and bad request
// targets are 400, more than 100 headers or 60 KiB of them 431, and the
// path options of GatewayOptions apply. NewGateway uses Envoy's defaults
// (no path normalisation); NewGatewayWith takes the options.
func NewGateway(host *Host, upstream *url.URL) http.Handler {
	return NewGatewayWith(host, upstream, GatewayOptions{})
}

// NewGatewayWith is NewGateway with the connection manager's path options
// (ExampleGatewayOptions for the example bootstrap's).
func NewGatewayWith(host *Host, upstream *url.URL, opts GatewayOptions) http.Handler {
	client := &http.Client{
		Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return &gateway{host: host, upstream: upstream, client: client, opts: opts}
}

type gateway struct {
	host     *Host
	upstream *url.URL
	client   *http.Client
	opts     GatewayOptions
}

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, gatewayMaxBody))
	if err != nil {
		http.Error(w, "read request body: "+err.Error(), http.StatusBadRequest)
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	// The request target exactly as the client sent it (Envoy's :path).
	path := r.RequestURI
	if !strings.HasPrefix(path, "/") {
		path = r.URL.RequestURI()
	}
	req := &Request{Method: r.Method, Authority: r.Host, Scheme: scheme,
		Body: body, SourceAddress: r.RemoteAddr, Protocol: r.Proto}
	all := [][2]string{{"host", r.Host}}
	for k, vs := range r.Header {
		lk := strings.ToLower(k)
		for _, v := range vs {
			all = append(all, [2]string{lk, v})
			if !hopHeaders[lk] {
				req.Headers = append(req.Headers, [2]string{lk, v})
			}
		}
	}
	path, refused := envoyFront(g.opts, r.Method, path, all)
	if refused != nil {
		if refused.body != "" {
			w.Header().Set("content-type", "text/plain")
		}
		w.Header().Set("connection", "close")
		w.WriteHeader(refused.status)
		_, _ = io.WriteString(w, refused.body)
		return
	}
	req.Path = path
	for k, vs := range r.Trailer {
		for _, v := range vs {
			req.Trailers = append(req.Trailers, [2]string{strings.ToLower(k), v})
		}
	}
	ex, err := g.host.RoundTrip(req, g.forward)
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	if ex.Response == nil {
		panic(http.ErrAbortHandler)
	}
	resp := ex.Response
	h := w.Header()
	for _, p := range resp.Headers {
		if strings.HasPrefix(p[0], ":") || hopHeaders[p[0]] || p[0] == "content-length" {
			continue
		}
		h.Add(p[0], p[1])
	}
	for _, p := range resp.Trailers {
		h.Add(http.TrailerPrefix+p[0], p[1])
	}
	if len(resp.Trailers) == 0 {
		h.Set("Content-Length", strconv.Itoa(len(resp.Body)))
	}
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}

// forward sends the upstream request to the real upstream.
func (g *gateway) forward(u *UpstreamRequest) *Response {
	// :path goes out byte for byte, as Envoy's router forwards it: no
	// re-escaping ("ACC-1" stays "ACC-1", "%2e%2e" stays "%2e%2e"). The
	// request line is written from URL.Opaque, which net/http sends as is.
	out, err := http.NewRequest(u.Method, g.upstream.Scheme+"://"+g.upstream.Host+"/", bytes.NewReader(u.Body))
	if err != nil {
		return &Response{Status: 400, Body: []byte(err.Error())}
	}
	p, q, hasQuery := strings.Cut(u.Path, "?")
	out.URL.Path, out.URL.RawPath = "", ""
	out.URL.Opaque = strings.TrimSuffix(g.upstream.EscapedPath(), "/") + p
	if strings.HasPrefix(out.URL.Opaque, "//") {
		// A request line starting "//" would read as scheme-relative.
		out.URL.Opaque = "/." + out.URL.Opaque
	}
	if hasQuery {
		out.URL.RawQuery = q
		out.URL.ForceQuery = q == ""
	}
	for _, h := range u.Headers {
		if strings.HasPrefix(h[0], ":") || hopHeaders[h[0]] || h[0] == "content-length" || h[0] == "host" {
			continue
		}
		out.Header.Add(h[0], h[1])
	}
	out.Host = u.Authority
	if len(u.Trailers) > 0 {
		out.Trailer = http.Header{}
		for _, t := range u.Trailers {
			out.Trailer.Add(t[0], t[1])
		}
	}
	resp, err := g.client.Do(out)
	if err != nil {
		return &Response{Status: 503, Headers: [][2]string{{"content-type", "text/plain"}},
			Body: []byte("upstream connect error or disconnect/reset before headers. reset reason: connection failure")}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, gatewayMaxBody))
	r := &Response{Status: resp.StatusCode, Body: b}
	for k, vs := range resp.Header {
		lk := strings.ToLower(k)
		if hopHeaders[lk] || lk == "content-length" {
			continue
		}
		for _, v := range vs {
			r.Headers = append(r.Headers, [2]string{lk, v})
		}
	}
	for k, vs := range resp.Trailer {
		for _, v := range vs {
			r.Trailers = append(r.Trailers, [2]string{strings.ToLower(k), v})
		}
	}
	return r
}

// ListenAndServe runs the gateway on addr until it fails, firing due
// ticks every 10 ms on the host's clock.
func ListenAndServe(addr string, host *Host, upstream *url.URL) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				_ = host.FireDueTicks()
			}
		}
	}()
	srv := &http.Server{Handler: NewGateway(host, upstream), ReadHeaderTimeout: 10 * time.Second}
	return srv.Serve(ln)
}
