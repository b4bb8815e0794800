package redact

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"

	"github.com/apiwarden/apiwarden/policy/internal/cfg"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func parseSection(t *testing.T, doc string) (Config, error) {
	t.Helper()
	var errs cfg.Errors
	root, err := cfg.Parse([]byte(doc), &errs)
	require.NoError(t, err)
	n, _ := root.Get("redaction")
	c := ParseConfig(n)
	return c, errs.Err()
}

func TestParseConfig(t *testing.T) {
	c, err := parseSection(t, `{"redaction":{
		"detectors":["card_number","email",{"name":"ssn","action":"log"},{"name":"jwt","scope":"match"}],
		"scope":"value","scan_numbers":true,
		"headers":{"remove":["Server","x-powered-by"],"redact":["set-cookie"]},
		"replacement":"***","non_json":"scan","max_body_bytes":4096,"over_limit":"block",
		"compressed":"pass","endpoints":["get_user"],"undeclared":"strip"}}`)
	require.NoError(t, err)
	assert.Equal(t, Config{
		Detectors: []DetectorConfig{
			{Name: "card_number", Action: ActionReplace}, {Name: "email", Action: ActionReplace},
			{Name: "ssn", Action: ActionLog}, {Name: "jwt", Action: ActionReplace, Scope: ScopeMatch},
		},
		Scope: ScopeValue, ScanNumbers: true,
		Headers:     HeaderConfig{Remove: []string{"server", "x-powered-by"}, Redact: []string{"set-cookie"}},
		Replacement: "***", NonJSON: NonJSONScan, MaxBodyBytes: 4096, OverLimit: LimitBlock,
		Compressed: CompressedPass, Endpoints: []string{"get_user"}, Undeclared: UndeclaredStrip,
	}, c)

	c, err = parseSection(t, `{"redaction":{"headers":["Set-Cookie"]}}`)
	require.NoError(t, err)
	assert.Equal(t, HeaderConfig{Redact: []string{"set-cookie"}}, c.Headers)
}

func TestParseConfigErrors(t *testing.T) {
	_, err := parseSection(t, `{"redaction":{
		"detectors":["card","email","email",{"name":"ssn","action":"mask","extra":1},{"action":"log"},3],
		"scope":"all","headers":{"remove":["bad header"],"redact":["x"],"drop":[]},
		"replacement":1,"non_json":"allow","max_body_bytes":0,"over_limit":"x","compressed":"br",
		"endpoints":[""],"undeclared":"maybe","unknown":true}}`)
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		`redaction.detectors[0]: unknown detector "card" (want one of "card_number", "email"`,
		`redaction.detectors[2]: detector "email" listed twice`,
		`redaction.detectors[3].action: want one of "redact", "log", got "mask"`,
		`redaction.detectors[3].extra: unknown key`,
		`redaction.detectors[4].name: required`,
		`redaction.detectors[5]: want a string, got a number`,
		`redaction.scope: want one of "value", "match", got "all"`,
		`redaction.headers.remove[0]: want an HTTP header name, got "bad header"`,
		`redaction.headers.drop: unknown key`,
		`redaction.replacement: want a string, got a number`,
		`redaction.non_json: want one of "pass", "scan", "block", got "allow"`,
		`redaction.max_body_bytes: want an integer between 1 and 1073741824, got 0`,
		`redaction.over_limit: want one of "pass", "block", got "x"`,
		`redaction.compressed: want one of "decompress", "pass", "block", got "br"`,
		`redaction.endpoints[0]: want a non-empty string`,
		`redaction.undeclared: want one of "report", "strip", "off", got "maybe"`,
		`redaction.unknown: unknown key`,
	} {
		assert.Contains(t, msg, want)
	}
}

func TestParseRules(t *testing.T) {
	var errs cfg.Errors
	root, err := cfg.Parse([]byte(`{"redact":["accounts.#.number",{"path":"owner.ssn","action":"remove"},{"path":"a.@reverse"},"x|y",{"path":"p","action":"hide"},{"action":"remove"},{"path":"q","x":1},""]}`), &errs)
	require.NoError(t, err)
	n, _ := root.Get("redact")
	got := ParseRules(n)
	assert.Equal(t, []PathRule{
		{Path: "accounts.#.number", Action: ActionReplace},
		{Path: "owner.ssn", Action: ActionRemove},
		{Path: "p", Action: ActionReplace},
		{Path: "q", Action: ActionReplace},
	}, got)
	msg := errs.Err().Error()
	for _, want := range []string{
		`redact[2].path: modifiers (@...) are not supported`,
		`redact[3]: pipes (|) are not supported`,
		`redact[4].action: want one of "replace", "remove", got "hide"`,
		`redact[5].path: required`,
		`redact[6].x: unknown key`,
		`redact[7]: want a non-empty string`,
	} {
		assert.Contains(t, msg, want)
	}
}

func TestCompileErrors(t *testing.T) {
	_, err := Compile(Config{Detectors: []DetectorConfig{{Name: "nope"}}})
	assert.EqualError(t, err, `redact: unknown detector "nope"`)
	_, err = Compile(Config{Paths: []PathRule{{Path: "a"}, {Path: "b.#(c)"}}})
	assert.EqualError(t, err, `redact: path 1 ("b.#(c)"): queries (#(...)) are not supported`)
	_, err = Compile(Config{Paths: []PathRule{{Path: "a", Action: ActionLog}}})
	assert.Error(t, err)
}

func gz(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, err := w.Write(b)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func TestGzip(t *testing.T) {
	plain := []byte(strings.Repeat(`{"a":"b"}`, 100))
	z, err := Gzip(plain)
	require.NoError(t, err)
	back, err := Gunzip(z, len(plain))
	require.NoError(t, err)
	assert.Equal(t, plain, back)
	_, err = Gunzip(z, len(plain)-1)
	assert.ErrorIs(t, err, ErrTooLarge)

	// A bomb: 64 MiB of zeros compress to about 64 KiB.
	bomb := gz(t, make([]byte, 64<<20))
	_, err = Gunzip(bomb, 1<<20)
	assert.ErrorIs(t, err, ErrTooLarge)

	_, err = Gunzip([]byte("not gzip"), 100)
	assert.Error(t, err)
	_, err = Gunzip(z[:len(z)-10], 1<<20)
	assert.Error(t, err)
}

func TestBody(t *testing.T) {
	base := Config{Paths: rules("ssn"), Detectors: []DetectorConfig{{Name: "email"}}, MaxBodyBytes: 1000}
	doc := []byte(`{"ssn":"1","n":"x@y.com"}`)
	redacted := `{"ssn":"[REDACTED]","n":"[REDACTED]"}`

	r := mustCompile(t, base)
	out, res := r.Body(nil, doc, "application/json; charset=utf-8", "")
	assert.Equal(t, Rewrite, res.Verdict)
	assert.Equal(t, redacted, string(out))
	_, res = r.Body(nil, doc, "application/problem+json", "identity")
	assert.Equal(t, Rewrite, res.Verdict)
	_, res = r.Body(nil, doc, "", "")
	assert.Equal(t, Rewrite, res.Verdict, "sniffed")

	// gzip round trip
	out, res = r.Body(nil, gz(t, doc), "application/json", "gzip")
	assert.Equal(t, Rewrite, res.Verdict)
	plain, err := Gunzip(out, 1000)
	require.NoError(t, err)
	assert.Equal(t, redacted, string(plain))
	// gzip, nothing to change: the original compressed body passes
	zc := gz(t, []byte(`{"a":1}`))
	out, res = r.Body(nil, zc, "application/json", "gzip")
	assert.Equal(t, Pass, res.Verdict)
	assert.Equal(t, zc, out)

	// over the limit and bombs
	big := []byte(`{"a":"` + strings.Repeat("x", 2000) + `"}`)
	out, res = r.Body(nil, big, "application/json", "")
	assert.Equal(t, Result{Verdict: Pass, Reason: ReasonOverLimit}, res)
	assert.Equal(t, big, out)
	_, res = r.Body(nil, gz(t, big), "application/json", "gzip")
	assert.Equal(t, Result{Verdict: Pass, Reason: ReasonOverLimit}, res)
	_, res = r.Body(nil, doc, "application/json", "br")
	assert.Equal(t, Result{Verdict: Pass, Reason: ReasonUndecodable}, res)

	c := base
	c.OverLimit = LimitBlock
	r = mustCompile(t, c)
	out, res = r.Body(nil, big, "application/json", "")
	assert.Equal(t, Result{Verdict: Block, Reason: ReasonOverLimit}, res)
	assert.Nil(t, out)
	_, res = r.Body(nil, []byte("garbage"), "application/json", "gzip")
	assert.Equal(t, Result{Verdict: Block, Reason: ReasonUndecodable}, res)

	c = base
	c.Compressed = CompressedBlock
	_, res = mustCompile(t, c).Body(nil, gz(t, doc), "application/json", "gzip")
	assert.Equal(t, Result{Verdict: Block, Reason: ReasonCompressed}, res)
	c.Compressed = CompressedPass
	_, res = mustCompile(t, c).Body(nil, gz(t, doc), "application/json", "gzip")
	assert.Equal(t, Result{Verdict: Pass, Reason: ReasonCompressed}, res)

	// non-JSON and invalid JSON
	text := []byte("mail x@y.com")
	out, res = mustCompile(t, base).Body(nil, text, "text/plain", "")
	assert.Equal(t, Result{Verdict: Pass, Reason: ReasonNonJSON}, res)
	assert.Equal(t, text, out)
	c = base
	c.NonJSON = NonJSONScan
	out, res = mustCompile(t, c).Body(nil, text, "text/plain", "")
	assert.Equal(t, Rewrite, res.Verdict)
	assert.Equal(t, "mail [REDACTED]", string(out))
	out, res = mustCompile(t, c).Body(nil, []byte(`{"a":"x@y.com"`), "application/json", "")
	assert.Equal(t, ReasonInvalidJSON, res.Reason)
	assert.Equal(t, `{"a":"[REDACTED]"`, string(out))
	c.NonJSON = NonJSONBlock
	_, res = mustCompile(t, c).Body(nil, text, "text/html", "")
	assert.Equal(t, Result{Verdict: Block, Reason: ReasonNonJSON}, res)

	// nothing configured: not even looked at
	out, res = mustCompile(t, Config{}).Body(nil, big, "text/plain", "br")
	assert.Equal(t, Result{}, res)
	assert.Equal(t, big, out)
}

func TestSizeEstimator(t *testing.T) {
	var e SizeEstimator
	for i := 0; i < 99; i++ {
		a, p := e.Observe(2000 + i%100*10)
		assert.False(t, a)
		assert.Zero(t, p)
	}
	for i := 0; i < 5000; i++ {
		a, _ := e.Observe(2000 + i%100*10)
		assert.False(t, a, "typical sizes are never anomalous")
	}
	a, p99 := e.Observe(50000)
	assert.True(t, a)
	assert.InDelta(t, 2990, p99, 2990*0.13)
	a, _ = e.Observe(3500)
	assert.False(t, a, "within factor 2 of p99")
	assert.InDelta(t, 2500, e.Quantile(0.5), 2500*0.13)

	// Small sizes are never anomalous, even far above p99.
	var s SizeEstimator
	for i := 0; i < 200; i++ {
		s.Observe(10)
	}
	a, _ = s.Observe(1000)
	assert.False(t, a)
	a, _ = s.Observe(5000)
	assert.True(t, a)

	// The model follows a lasting shift.
	f := SizeEstimator{HalfLife: 1000}
	for i := 0; i < 3000; i++ {
		f.Observe(2000)
	}
	shifted := 0
	for i := 0; i < 6000; i++ {
		if a, _ := f.Observe(20000); a {
			shifted++
		}
	}
	assert.Less(t, shifted, 3000)
	a, _ = f.Observe(20000)
	assert.False(t, a)
	assert.Equal(t, 9001, f.Count())

	for _, v := range []uint64{0, 1, 15, 16, 17, 100, 1000, 1 << 20, 1<<20 + 12345, 1 << 40, 1 << 62} {
		i := sizeBucket(v)
		assert.GreaterOrEqual(t, bucketUpper(i), float64(min(v, 1<<41-1)), v)
		if i > 0 && v < 1<<41 {
			assert.Less(t, bucketUpper(i-1), float64(v), v)
		}
	}
	assert.Zero(t, testing.AllocsPerRun(100, func() { e.Observe(1234) }))
}
