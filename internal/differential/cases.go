package differential

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

var ctJSON = [2]string{"content-type", "application/json"}

func transfer(amount, from, to, memo string) string {
	b := `{"from":` + from + `,"to":` + to + `,"amount":` + amount
	if memo != "" {
		b += `,"memo":` + memo
	}
	return b + `}`
}

func post(class, body string) Case {
	return Case{Class: class, Method: "POST", Target: "/api/v1/transferFunds", Headers: [][2]string{ctJSON}, Body: body}
}

// Numbers: amounts around 0, 1000000 and the float64 range.
func Numbers() []Case {
	var out []Case
	mant := []string{"1", "0.1", "5", "0.0000001", "1000000", "999999.99999999999", "1000000.0000000001", "1000000.00000000001", "-0", "0", "25.5"}
	exps := []string{"", "e0", "e-1", "e1", "e-308", "e-320", "e-324", "e-330", "e-400", "e308", "e309", "e-99999999999999999999", "E+2", "e-2"}
	for _, m := range mant {
		for _, e := range exps {
			out = append(out, post("numbers", transfer(m+e, `"ACC-1"`, `"ACC-2"`, "")), post("numbers", transfer("-"+m+e, `"ACC-1"`, `"ACC-2"`, "")))
		}
	}
	for n := 300; n <= 340; n += 2 {
		out = append(out, post("numbers", transfer("0."+strings.Repeat("0", n)+"1", `"ACC-1"`, `"ACC-2"`, "")))
	}
	for i := 0; i < 40; i++ {
		f := math.Ldexp(1, -1080+i*55)
		out = append(out, post("numbers", transfer(strconv.FormatFloat(f, 'g', -1, 64), `"ACC-1"`, `"ACC-2"`, "")))
	}
	// Duplicate and case-folded members: Go's encoding/json takes the last
	// and folds case.
	for _, b := range []string{`{"from":"ACC-1","to":"ACC-2","amount":5,"amount":-5}`, `{"from":"ACC-1","to":"ACC-2","amount":5,"AMOUNT":-5}`,
		`{"from":"ACC-1","to":"ACC-2","amount":-5,"amount":5}`, `{"from":"ACC-1","to":"ACC-2","Amount":5}`} {
		out = append(out, post("numbers", b))
	}
	return out
}

// Paths: dot segments, encodings and slashes in front of valid routes.
func Paths() []Case {
	var out []Case
	prefixes := []string{"", "/internal", "/internal/x", "/api/v1/users/1", "/a/b/c"}
	middles := []string{"/..", "/%2e%2e", "/%2E%2e", "/.%2e", "/%2e", "/.", "//", "/%2f..", "/..;", "/%5c..", "/%252e%252e", "/./..", "/x/../.."}
	suffixes := []string{"/api/v1/users/1/accounts", "/api/v1/accounts/ACC-1/balance", "/api/v1/users/%31/accounts", "/api//v1/users/1/accounts/",
		"/API/v1/users/1/accounts", "/api/v1/accounts/ACC%2D1/balance", "/api/v1/users/1/accounts%2F..%2F..%2Finternal"}
	queries := []string{"", "?limit=5", "?limit=5#frag"}
	for _, p := range prefixes {
		for _, m := range middles {
			for _, s := range suffixes {
				for _, q := range queries {
					out = append(out, Case{Class: "paths", Method: "GET", Target: p + m + s + q})
				}
			}
		}
	}
	return out
}

// Integers: spellings of path and query integers and booleans.
func Integers() []Case {
	spell := []string{"1", "01", "001", "1e0", "1.0", "0.5e1", "1e2", "%2B1", "+1", "-1", "0", "%31", "1%20", "%201", "0x1", "1_0",
		"%EF%BC%91", "2147483647", "2147483648", "9223372036854775808", "-0", "1.", ".5", "1,2", "true", "", "%00", "5%00"}
	var out []Case
	for _, u := range spell {
		for _, l := range spell {
			out = append(out, Case{Class: "integers", Method: "GET", Target: "/api/v1/users/" + u + "/accounts?limit=" + l})
		}
	}
	for _, v := range []string{"true", "false", "True", "1", "t", "yes", "TRUE", "%74rue", "true%20"} {
		out = append(out, Case{Class: "integers", Method: "GET", Target: "/api/v1/users/1/accounts?verbose=" + v})
	}
	for _, s := range []string{"open", "open,closed", "open,,closed", "open,", strings.Repeat("open,", 200) + "open", "open%2Cclosed", "open&status=closed"} {
		out = append(out, Case{Class: "integers", Method: "GET", Target: "/api/v1/users/1/accounts?status=" + s})
	}
	return out
}

// UTF8: invalid bytes and lone surrogates in values and member names.
func UTF8() []Case {
	pieces := []string{"\xff", "\xed\xa0\x80", `\ud800`, `\udc00`, `\ud83d\ude00`, "é", `\u00e9`, `\u0000`, "\xc0\xaf", "\xe2\x82", `\ud800\u0041`, "😀", `\uFFFD`, "\ufffd"}
	var out []Case
	for _, p := range pieces {
		for _, pos := range []int{0, 1, 2} {
			for _, base := range []string{"ACC-1", "ACC-", ""} {
				s := `"` + base + p + `"`
				switch pos {
				case 0:
					out = append(out, post("utf8", transfer("5", s, `"ACC-2"`, "")))
				case 1:
					out = append(out, post("utf8", transfer("5", `"ACC-1"`, `"ACC-2"`, s)))
				case 2:
					out = append(out, post("utf8", `{"from":"ACC-1","to":"ACC-2","amount":5,"`+base+p+`":1}`))
				}
			}
		}
		for n := 1; n <= 16; n += 5 {
			out = append(out, post("utf8", transfer("5", `"ACC-1"`, `"ACC-2"`, `"`+strings.Repeat(p, n)+`"`)))
		}
	}
	return out
}

// Overrides: method-override headers on every operation.
func Overrides() []Case {
	var out []Case
	names := []string{"x-http-method-override", "x-http-method", "x-method-override"}
	values := []string{"DELETE", "GET", "PUT", "delete", " POST", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT", "post", "Delete"}
	reqs := []Case{
		{Method: "GET", Target: "/api/v1/accounts/ACC-1/balance"},
		{Method: "GET", Target: "/api/v1/users/7/accounts"},
		{Method: "POST", Target: "/api/v1/transferFunds", Headers: [][2]string{ctJSON}, Body: transfer("5", `"ACC-1"`, `"ACC-2"`, "")},
	}
	for _, n := range names {
		for _, v := range values {
			for _, r := range reqs {
				c := r
				c.Class = "overrides"
				c.Headers = append(append([][2]string(nil), r.Headers...), [2]string{n, v})
				out = append(out, c)
				c.Headers = append(c.Headers, [2]string{n, "GET"}) // twice
				out = append(out, c)
			}
		}
	}
	return out
}

// Bodies: bodies where none is declared, announced or not.
func Bodies() []Case {
	var out []Case
	targets := []string{"/api/v1/accounts/ACC-1/balance", "/api/v1/users/7/accounts", "/api/v1/transferFunds"}
	bodies := []string{"", "{}", transfer("5", `"ACC-1"`, `"ACC-2"`, ""), "x"}
	for _, m := range []string{"GET", "HEAD", "DELETE", "OPTIONS", "POST", "PUT"} {
		for _, t := range targets {
			for _, b := range bodies {
				for mode := 0; mode < 4; mode++ {
					c := Case{Class: "bodies", Method: m, Target: t, Body: b, Headers: [][2]string{ctJSON}}
					switch mode {
					case 1:
						c.Headers = append(c.Headers, [2]string{"content-length", strconv.Itoa(len(b))})
					case 2:
						c.Headers = append(c.Headers, [2]string{"transfer-encoding", "chunked"})
					case 3:
						c.Stream = true
					}
					out = append(out, c)
				}
			}
		}
	}
	return out
}

// All is every class.
func All() map[string][]Case {
	return map[string][]Case{"numbers": Numbers(), "paths": Paths(), "integers": Integers(), "utf8": UTF8(), "overrides": Overrides(), "bodies": Bodies()}
}

// Name is a short label of a case for failure messages.
func (c *Case) Name() string {
	b := c.Body
	if len(b) > 60 {
		b = b[:60] + "..."
	}
	return fmt.Sprintf("%s %q %q %v", c.Method, c.Target, b, c.Headers)
}
