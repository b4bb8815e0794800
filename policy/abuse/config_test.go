package abuse

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fastjson"
)

const fullCfg = `{
  "mode": "enforce", "trusted_hops": 1, "headers_on_allow": true, "cas_retries": 8,
  "rate_limits": [
    {"id": "per-client", "key": ["client"], "rate": "100/60s", "burst": 20},
    {"id": "transfer", "key": ["session"], "endpoints": ["transfer_funds"], "rate": "5/m", "action": "block", "mode": "monitor"},
    {"id": "per-op", "key": ["client_id"], "per_endpoint": true, "rate": "10/s", "max_keys": 50000}
  ],
  "failures": [
    {"id": "login", "key": ["body:/username"], "endpoints": ["login"], "on": {"status": [401, 403]},
     "max_failures": 5, "window": "15m", "lockout": "1m", "max_lockout": "1h", "reset_on_success": true}
  ],
  "distinct": [
    {"id": "enum", "key": ["session"], "ref": "param:account_id", "window": "10m", "limit": 20, "action": "block"},
    {"id": "stuffing", "key": ["client"], "ref": "body:/username", "endpoints": ["login"], "window": "1h", "limit": 10,
     "on": {"pointer": "/error", "equals": "invalid_credentials"}}
  ],
  "capture": [
    {"id": "accounts", "from": ["list_accounts"], "path": "accounts.#.id", "check": ["get_balance"], "ref": "param:account_id"}
  ],
  "internal": {"endpoints": ["admin"], "prefixes": ["/internal/"], "cidrs": ["10.0.0.0/8", "fd00::/8"],
               "header": {"name": "x-edge-internal", "value": "a-long-shared-secret"}}
}`

func TestParseFull(t *testing.T) {
	known := func(id string) bool {
		return strings.Contains("transfer_funds login list_accounts get_balance admin", id)
	}
	c, err := Parse([]byte(fullCfg), known)
	require.NoError(t, err)
	require.Len(t, c.RateLimits, 3)
	assert.Equal(t, Rate{100, time.Minute}, c.RateLimits[0].Rate)
	assert.Equal(t, int64(20), c.RateLimits[0].Burst)
	assert.Equal(t, int64(5), c.RateLimits[1].Burst, "burst defaults to the rate's count")
	assert.Equal(t, ModeMonitor, c.RateLimits[1].Mode)
	assert.True(t, c.RateLimits[2].Scope.PerEndpoint)
	assert.Equal(t, 50000, c.RateLimits[2].MaxKeys)
	assert.Equal(t, "username", c.Failures[0].Key[0].path)
	assert.Equal(t, time.Hour, c.Failures[0].MaxLockout)
	assert.Equal(t, ActionLog, c.Distinct[1].Action, "distinct rules log by default")
	assert.Equal(t, "error", c.Distinct[1].On.path)
	assert.Equal(t, DefaultCaptureIDs, c.Capture[0].MaxIDs)
	assert.Len(t, c.Internal.CIDRs, 2)
	assert.NotContains(t, string(c.Internal.headerHash[:]), "a-long-shared-secret", "only the digest is kept")
	e := New(c, Options{})
	assert.True(t, e.NeedsRequestBody("login"))
	assert.False(t, e.NeedsRequestBody("get_balance"))
	assert.True(t, e.NeedsObserve("login"))
	assert.False(t, e.NeedsObserve("transfer_funds"))
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`[]`, "abuse: want an object, got an array"},
		{`{"rate":1}`, "abuse.rate: unknown key"},
		{`{"mode":"strict"}`, `abuse.mode: want one of "enforce", "monitor", got "strict"`},
		{`{"rate_limits":[{"key":["client"],"rate":"1/s"}]}`, "abuse.rate_limits[0].id: required"},
		{`{"rate_limits":[{"id":"a","key":["client"],"rate":"1/s"},{"id":"a","key":["client"],"rate":"1/s"}]}`, `abuse.rate_limits[1].id: duplicate rule id "a"`},
		{`{"rate_limits":[{"id":"a b","key":["client"],"rate":"1/s"}]}`, `abuse.rate_limits[0].id: want a token`},
		{`{"rate_limits":[{"id":"a","key":["ip"],"rate":"1/s"}]}`, `abuse.rate_limits[0].key[0]: want "session"`},
		{`{"rate_limits":[{"id":"a","key":["header:bad header"],"rate":"1/s"}]}`, `abuse.rate_limits[0].key[0]: invalid header name`},
		{`{"rate_limits":[{"id":"a","key":["body:username"],"rate":"1/s"}]}`, `abuse.rate_limits[0].key[0]: want a JSON pointer starting with "/"`},
		{`{"rate_limits":[{"id":"a","key":["body:/a~2"],"rate":"1/s"}]}`, `abuse.rate_limits[0].key[0]: invalid escape`},
		{`{"rate_limits":[{"id":"a","key":["client","client"],"rate":"1/s"}]}`, `abuse.rate_limits[0].key[1]: duplicate key part "client"`},
		{`{"rate_limits":[{"id":"a","key":[],"rate":"1/s"}]}`, `abuse.rate_limits[0].key: want 1 to 4 key parts, got 0`},
		{`{"rate_limits":[{"id":"a","key":["client"],"rate":"100 per minute"}]}`, `abuse.rate_limits[0].rate: want a rate like "100/60s"`},
		{`{"rate_limits":[{"id":"a","key":["client"],"rate":"1/s","burst":0}]}`, `abuse.rate_limits[0].burst: want an integer between 1`},
		{`{"rate_limits":[{"id":"a","key":["client"],"rate":"1/s","endpoints":["nope"]}]}`, `abuse.rate_limits[0].endpoints[0]: unknown endpoint id "nope"`},
		{`{"rate_limits":[{"id":"a","key":["client"],"rate":"1/s","endpoints":["*","x"]}]}`, `abuse.rate_limits[0].endpoints[0]: "*" must be the only entry`},
		{`{"rate_limits":[{"id":"a","key":["client"],"rate":"1/s","action":"deny"}]}`, `abuse.rate_limits[0].action: want one of "block", "log"`},
		{`{"failures":[{"id":"f","key":["client"],"on":{},"max_failures":3,"window":"1m","lockout":"1m"}]}`, `abuse.failures[0].on: want "status" or "pointer" with "equals"`},
		{`{"failures":[{"id":"f","key":["client"],"on":{"status":[99]},"max_failures":3,"window":"1m","lockout":"1m"}]}`, `abuse.failures[0].on.status[0]: want an integer between 100 and 599`},
		{`{"failures":[{"id":"f","key":["client"],"on":{"pointer":"/e"},"max_failures":3,"window":"1m","lockout":"1m"}]}`, `abuse.failures[0].on: "pointer" and "equals" go together`},
		{`{"failures":[{"id":"f","key":["client"],"on":{"status":[401]},"max_failures":3,"window":"1m","lockout":"2m","max_lockout":"1m"}]}`, `abuse.failures[0].max_lockout: want at least lockout`},
		{`{"failures":[{"id":"f","key":["client"],"on":{"status":[401]},"window":"1m","lockout":"1m"}]}`, `abuse.failures[0].max_failures: required`},
		{`{"failures":[{"id":"f","key":["client"],"on":{"status":[401]},"max_failures":3,"window":"5 minutes","lockout":"1m"}]}`, `abuse.failures[0].window: want a positive duration like "5m", got "5 minutes"`},
		{`{"distinct":[{"id":"d","key":["session"],"window":"1m","limit":3}]}`, `abuse.distinct[0].ref: required`},
		{`{"capture":[{"id":"c","from":["a"],"path":"x.@reverse","check":["b"],"ref":"param:id"}]}`, `abuse.capture[0].path: want a gjson path of at most 256 bytes without modifiers`},
		{`{"capture":[{"id":"c","from":["a"],"path":"x","check":["b"],"ref":"param:id","max_ids":1000}]}`, `abuse.capture[0].max_ids: want an integer between 1 and 256`},
		{`{"internal":{"prefixes":["/internal"]}}`, `abuse.internal: want "cidrs" or "header"`},
		{`{"internal":{"prefixes":["internal"],"cidrs":["10.0.0.0/8"]}}`, `abuse.internal.prefixes[0]: want a normalised path prefix`},
		{`{"internal":{"prefixes":["/a/../b"],"cidrs":["10.0.0.0/8"]}}`, `abuse.internal.prefixes[0]: want a normalised path prefix`},
		{`{"internal":{"prefixes":["/a"],"cidrs":["10.0.0.1/8"]}}`, `abuse.internal.cidrs[0]: CIDR "10.0.0.1/8" has host bits set (want 10.0.0.0/8)`},
		{`{"internal":{"prefixes":["/a"],"cidrs":["10.0.0.0/33"]}}`, `abuse.internal.cidrs[0]: want a CIDR like "10.0.0.0/8"`},
		{`{"internal":{"prefixes":["/a"],"header":{"name":"x-edge","value":"short"}}}`, `abuse.internal.header.value: want at least 16 characters`},
	} {
		_, err := Parse([]byte(c.in), func(id string) bool { return id != "nope" })
		require.Error(t, err, c.in)
		assert.Contains(t, err.Error(), c.want, c.in)
	}
}

func TestSecretNotEchoed(t *testing.T) {
	_, err := Parse([]byte(`{"internal":{"prefixes":["/a"],"header":{"name":"x","value":"tiny-secret"}},"mode":1}`), nil)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "tiny-secret")
}

func TestParseCIDRMapped(t *testing.T) {
	p, err := ParseCIDR("::ffff:10.0.0.0/104")
	require.NoError(t, err)
	assert.Equal(t, "10.0.0.0/8", p.String())
	p, err = ParseCIDR("2001:db8::1")
	require.NoError(t, err)
	assert.Equal(t, "2001:db8::1/128", p.String())
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(fullCfg))
	f.Add([]byte(`{"rate_limits":[{"id":"a","key":["body:/a~1b/0"],"rate":"1/s"}]}`))
	f.Add([]byte(`{"internal":{"prefixes":["/a"],"cidrs":["::ffff:0.0.0.0/96"]}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<14 {
			return
		}
		c, err := Parse(data, nil)
		if err != nil {
			// A syntax error quotes the text around it (cfg.Parse); a
			// valid document never echoes the header value.
			if fastjson.ValidateBytes(data) == nil && strings.Contains(err.Error(), "a-long-shared-secret") {
				t.Fatal("secret echoed")
			}
			return
		}
		// A configuration that parses compiles and decides without panics.
		e := New(c, Options{})
		r := &Request{Endpoint: "login", Path: "/internal/x", Source: "10.0.0.1:1", Session: "s",
			Headers: HeaderMap{"x-forwarded-for": "1.1.1.1"}, Body: JSONBytes(`{"username":"u","a/b":[1]}`),
			PathParams: Map{"account_id": "1"}, Query: Map{}, Claims: Map{}}
		e.Admit(r, t0)
		e.Observe(r, &Response{Status: 401, Body: JSONBytes(`{"accounts":[{"id":1}],"error":"invalid_credentials"}`)}, t0)
		e.Sweep(t0)
	})
}
