package wasmtest

import (
	"fmt"
	"strings"
)

// GatewayOptions are the connection-manager settings the gateway
// reproduces before the Wasm filter sees a request. The zero value is
// Envoy's default (no path normalisation); ExampleGatewayOptions is what
// the example bootstrap (examples/envoy/envoy.yaml) sets.
type GatewayOptions struct {
	// NormalizePath is normalize_path: the path (not the query) is
	// canonicalised as Envoy does (see normalizePath).
	NormalizePath bool
	// MergeSlashes is merge_slashes: runs of '/' become one.
	MergeSlashes bool
	// DotSegmentParams: with NormalizePath, a segment that is a literal
	// "." or ".." followed by ";parameters" is a dot segment too
	// ("/a/..;x/b" -> "/b"). Envoy 1.40.0 does this, 1.36.4 does not
	// (the releases between were not run).
	DotSegmentParams bool
}

// ExampleGatewayOptions match examples/envoy/envoy.yaml (normalize_path,
// merge_slashes; path_with_escaped_slashes_action KEEP_UNCHANGED is what
// the gateway does with %2F anyway) on the oldest tested Envoy, 1.36.
var ExampleGatewayOptions = GatewayOptions{NormalizePath: true, MergeSlashes: true}

// ExampleGatewayOptionsFor are ExampleGatewayOptions as Envoy release
// version ("1.40.0") applies them.
func ExampleGatewayOptionsFor(version string) GatewayOptions {
	o := ExampleGatewayOptions
	var major, minor int
	if _, err := fmt.Sscanf(version, "%d.%d", &major, &minor); err == nil && (major > 1 || minor >= 40) {
		o.DotSegmentParams = true
	}
	return o
}

// Envoy's HTTP/1 codec limits (defaults of the connection manager):
// max_request_headers_kb 60 and max_request_headers_count 100.
const (
	envoyMaxHeaderBytes = 60 << 10
	envoyMaxHeaders     = 100
)

// envoyMethods are the methods Envoy's HTTP/1 parser (Balsa) accepts;
// anything else, lower case included, is a 400 from the codec.
var envoyMethods = map[string]bool{}

func init() {
	for _, m := range strings.Fields(`ACL BIND CHECKOUT CONNECT COPY DELETE GET HEAD LINK LOCK MERGE
		MKACTIVITY MKCALENDAR MKCOL MOVE MSEARCH NOTIFY OPTIONS PATCH POST PROPFIND PROPPATCH PURGE PUT
		REBIND REPORT SEARCH SOURCE SUBSCRIBE TRACE UNBIND UNLINK UNLOCK UNSUBSCRIBE`) {
		envoyMethods[m] = true
	}
}

// frontRefusal is Envoy answering before any filter runs: the codec's 400
// and 431 (text/plain "Bad Request" and friends) or the connection
// manager's path-normalisation 400 (no body).
type frontRefusal struct {
	status int
	body   string
}

// envoyFront applies what Envoy does to a request head before the HTTP
// filters: codec limits and checks, then the path options. It returns the
// :path the filters see, or the refusal Envoy answers itself.
func envoyFront(o GatewayOptions, method, target string, headers [][2]string) (string, *frontRefusal) {
	if !envoyMethods[method] {
		return "", &frontRefusal{400, "Bad Request"}
	}
	size := 0
	for _, h := range headers {
		size += len(h[0]) + len(h[1]) + 4
	}
	if len(headers) > envoyMaxHeaders || size > envoyMaxHeaderBytes {
		return "", &frontRefusal{431, "Request Header Fields Too Large"}
	}
	for i := 0; i < len(target); i++ {
		if c := target[i]; c <= ' ' || c >= 0x7f {
			return "", &frontRefusal{400, "Bad Request"}
		}
	}
	if !strings.HasPrefix(target, "/") {
		return "", &frontRefusal{400, "Bad Request"}
	}
	path, query, hasQuery := strings.Cut(target, "?")
	if strings.Contains(target, "#") {
		return "", &frontRefusal{400, ""}
	}
	if o.NormalizePath {
		p, ok := normalizePath(path, o.DotSegmentParams)
		if !ok {
			return "", &frontRefusal{400, ""}
		}
		path = p
	}
	if o.MergeSlashes {
		path = mergeSlashes(path)
	}
	if hasQuery {
		return path + "?" + query, nil
	}
	return path, nil
}

// normalizePath canonicalises a path the way Envoy's normalize_path does
// (observed against Envoy 1.36 and 1.40; internal/realenvoy's transcript
// test holds it there): '\' becomes '/'; percent-encoded unreserved
// characters are decoded (%61 -> a, %2e -> .), other escapes are kept as
// sent (%2f stays %2f, never decoded); characters a path may
// not carry literally (" < > ` { } | ^) are escaped; dot segments are
// removed, never above the root. An encoded NUL fails the request (ok
// false); an invalid escape (%zz, a lone %) is left as it is.
func normalizePath(p string, dotParams bool) (string, bool) {
	if dotParams {
		p = dropDotSegmentParams(p)
	}
	var b strings.Builder
	b.Grow(len(p) + 8)
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\':
			b.WriteByte('/')
		case c == '%' && i+2 < len(p) && isHex(p[i+1]) && isHex(p[i+2]):
			v := unhex(p[i+1])<<4 | unhex(p[i+2])
			switch {
			case v == 0:
				return "", false
			case isUnreserved(v):
				b.WriteByte(v)
			default:
				b.WriteString(p[i : i+3])
			}
			i += 2
		case strings.IndexByte("\"<>`{}|^", c) >= 0:
			b.WriteByte('%')
			b.WriteByte(upperHex[c>>4])
			b.WriteByte(upperHex[c&15])
		default:
			b.WriteByte(c)
		}
	}
	return removeDotSegments(b.String()), true
}

// dropDotSegmentParams turns the literal segments ".;x" and "..;x" into
// "." and ".." (Envoy 1.40 does so before decoding: "%2e%2e;" stays).
func dropDotSegmentParams(p string) string {
	if !strings.Contains(p, ".;") {
		return p
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if d, _, ok := strings.Cut(s, ";"); ok && (d == "." || d == "..") {
			segs[i] = d
		}
	}
	return strings.Join(segs, "/")
}

const upperHex = "0123456789ABCDEF"

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

// removeDotSegments is RFC 3986 section 5.2.4 on an absolute path; ".."
// at the root stays at the root.
func removeDotSegments(p string) string {
	segs := strings.Split(p[1:], "/")
	out := make([]string, 0, len(segs))
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	return "/" + strings.Join(out, "/")
}

func mergeSlashes(p string) string {
	if !strings.Contains(p, "//") {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '/' && i > 0 && p[i-1] == '/' {
			continue
		}
		b.WriteByte(p[i])
	}
	return b.String()
}
