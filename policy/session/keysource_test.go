package session

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type hdrs map[string]string

func (h hdrs) Get(name string) string { return h[name] }

func jwt(payload string) string {
	return "Bearer eyJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".c2ln"
}

func TestParseKeySource(t *testing.T) {
	for in, want := range map[string]string{
		"header:X-Session-Id": "header:x-session-id",
		"cookie:sid":          "cookie:sid",
		"jwt:sub":             "jwt:sub",
		"ip":                  "ip",
	} {
		k, err := ParseKeySource(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, k.String())
	}
	for in, msg := range map[string]string{
		"header:":                         `want "header:<name>", "cookie:<name>", "jwt:<claim>" or "ip", got "header:"`,
		"query:x":                         `unknown key source kind "query" (want header, cookie, jwt or ip)`,
		"header:a b":                      `invalid header name "a b"`,
		"cookie:a;b":                      `invalid cookie name "a;b"`,
		"IP":                              `want "header:<name>", "cookie:<name>", "jwt:<claim>" or "ip", got "IP"`,
		"jwt:" + strings.Repeat("x", 129): "claim name longer than 128 bytes",
	} {
		_, err := ParseKeySource(in)
		assert.EqualError(t, err, msg, in)
	}
}

func TestCookieValue(t *testing.T) {
	for _, c := range []struct{ header, name, want string }{
		{"sid=abc", "sid", "abc"},
		{"a=1; sid=abc; b=2", "sid", "abc"},
		{`a=1;sid="q v"`, "sid", "q v"},
		{"xsid=1; sid=2", "sid", "2"},
		{"sid", "sid", ""},
		{"", "sid", ""},
		{"a=1;;  sid = x ", "sid", "x"},
	} {
		assert.Equal(t, c.want, CookieValue(c.header, c.name), c.header)
	}
}

func TestJWTClaim(t *testing.T) {
	for _, c := range []struct{ auth, claim, want string }{
		{jwt(`{"sub":"alice","n":42}`), "sub", "alice"},
		{jwt(`{"sub":"alice","n":42}`), "n", "42"},
		{jwt(`{"a.b":"dotted"}`), "a.b", "dotted"},
		{jwt(`{"@this":"x"}`), "@this", "x"},
		{jwt(`{"sub":{"x":1}}`), "sub", ""},
		{jwt(`{"sub":"alice"`), "sub", ""},
		{"bearer " + strings.TrimPrefix(jwt(`{"sub":"bob"}`), "Bearer "), "sub", "bob"},
		{"Basic dXNlcjpwYXNz", "sub", ""},
		{"Bearer a.b", "sub", ""},
		{"Bearer a.!!!.c", "sub", ""},
		{"Bearer a.b.c.d", "sub", ""},
		{"Bearer " + strings.Repeat("a", MaxTokenBytes+1), "sub", ""},
		{"", "sub", ""},
	} {
		k, err := ParseKeySource("jwt:" + c.claim)
		require.NoError(t, err)
		assert.Equal(t, c.want, JWTClaim(c.auth, k.path), c.auth)
	}
	// Base64 padding is tolerated.
	p := base64.URLEncoding.EncodeToString([]byte(`{"sub":"pad"}`))
	assert.Equal(t, "pad", JWTClaim("Bearer x."+p+".s", "sub"))
}

func TestClientIP(t *testing.T) {
	for _, c := range []struct {
		xff, src string
		hops     int
		want     string
	}{
		{"", "10.0.0.1:5000", 0, "10.0.0.1"},
		{"", "[::1]:123", 0, "::1"},
		{"", "::1", 0, "::1"},
		{"", "[2001:db8::1]", 0, "2001:db8::1"},
		{"", "[::ffff:10.1.2.3]:80", 0, "10.1.2.3"},
		{"", "garbage", 0, ""},
		{"1.1.1.1, 2.2.2.2", "10.0.0.1:5000", 0, "10.0.0.1"},
		{"1.1.1.1, 2.2.2.2", "10.0.0.1:5000", 1, "2.2.2.2"},
		{"1.1.1.1, 2.2.2.2", "10.0.0.1:5000", 2, "1.1.1.1"},
		{"1.1.1.1, 2.2.2.2", "10.0.0.1:5000", 3, "10.0.0.1"},
		{"spoof, 2.2.2.2", "10.0.0.1:5000", 2, "10.0.0.1"},
		{"1.1.1.1:99,[2001:db8::2]:8", "10.0.0.1:5000", 1, "2001:db8::2"},
		{"1.1.1.1,2.2.2.2 ,  3.3.3.3", "", 2, "2.2.2.2"},
		{"::ffff:1.2.3.4", "", 1, "1.2.3.4"},
		{"fe80::1%eth0", "", 1, "fe80::1"},
		{"unknown", "[::1]:80", 1, "::1"},
		{"1.1.1.1,", "10.0.0.1", 1, "10.0.0.1"},
		{"[::", "10.0.0.1", 1, "10.0.0.1"},
		{"", "[::1", 0, ""},
	} {
		assert.Equal(t, c.want, ClientIP(c.xff, c.src, c.hops), "%q %q %d", c.xff, c.src, c.hops)
	}
}

func TestSessionsKeyPriorityAndHash(t *testing.T) {
	var from []KeySource
	for _, s := range []string{"header:x-session-id", "jwt:sub", "cookie:sid", "ip"} {
		k, err := ParseKeySource(s)
		require.NoError(t, err)
		from = append(from, k)
	}
	s := New(Config{From: from, Salt: "pepper"})
	all := hdrs{"x-session-id": " s1 ", "authorization": jwt(`{"sub":"alice"}`), "cookie": "sid=c1"}
	key, src := s.Key(all, "10.0.0.1:1")
	assert.Equal(t, "header:x-session-id", src)
	assert.Equal(t, s.Hash("s1"), key)
	assert.Len(t, key, 32)
	assert.NotContains(t, key, "s1")

	delete(all, "x-session-id")
	key, src = s.Key(all, "10.0.0.1:1")
	assert.Equal(t, "jwt:sub", src)
	assert.Equal(t, s.Hash("alice"), key)

	all["authorization"] = "Bearer garbage"
	_, src = s.Key(all, "10.0.0.1:1")
	assert.Equal(t, "cookie:sid", src)

	_, src = s.Key(hdrs{}, "10.0.0.1:1")
	assert.Equal(t, "ip", src)
	key, src = s.Key(hdrs{}, "")
	assert.Equal(t, "", key)
	assert.Equal(t, "", src)

	// The salt changes the hash; the hash is stable.
	assert.NotEqual(t, Hash("", "s1"), Hash("pepper", "s1"))
	assert.Equal(t, Hash("pepper", "s1"), s.Hash("s1"))
	long := strings.Repeat("k", 1000)
	assert.Len(t, Hash("pepper", long), 32)
	assert.NotEqual(t, Hash("pepper", long), Hash("pepper", long+"x"))
	// SHA-256("\x00abc"), first 16 bytes (printf '\0abc' | sha256sum).
	assert.Equal(t, "609f6e36d2405585188d5cfd761f407c", Hash("", "abc"))
}

func FuzzKeySources(f *testing.F) {
	f.Add(jwt(`{"sub":"alice"}`), "sid=1; a=b", "1.1.1.1, [::1]:9", "[::1]:123", 1)
	f.Add("Bearer ..", `"`, ",,,", "::", 3)
	f.Add("", "", "[::", ",", 7)
	f.Add("", "", " ::ffff:10.0.0.1 ", "fe80::1%25eth0", 1)
	f.Fuzz(func(t *testing.T, auth, cookie, xff, src string, hops int) {
		_ = JWTClaim(auth, "sub")
		_ = CookieValue(cookie, "sid")
		if hops < 0 || hops > MaxTrustedHops {
			hops = 1
		}
		ip := ClientIP(xff, src, hops)
		if ip != "" && strings.ContainsAny(ip, " ,[]%") {
			t.Fatalf("not canonical: %q", ip)
		}
		a, ok := ClientAddr(xff, src, hops)
		if ok != (ip != "") || (ok && a.String() != ip) || a.Zone() != "" || a.Is4In6() {
			t.Fatalf("ClientAddr(%q, %q, %d) = %v %v, ClientIP = %q", xff, src, hops, a, ok, ip)
		}
	})
}

// askedAddress counts the reads of the client address.
type askedAddress struct {
	addr string
	asks int
}

func (a *askedAddress) SourceAddress() string { a.asks++; return a.addr }

// TestDeferredRawKey: the client address (a host call in Envoy) is left
// unread only when it is the last source and no forwarded-for hop is
// trusted, so reading it later gives the same key RawKey would have.
func TestDeferredRawKey(t *testing.T) {
	sources := func(ss ...string) []KeySource {
		var from []KeySource
		for _, s := range ss {
			k, err := ParseKeySource(s)
			require.NoError(t, err)
			from = append(from, k)
		}
		return from
	}
	addr := &askedAddress{addr: "[2001:db8::7]:41000"}

	def := New(Config{})
	raw, byAddress := def.DeferredRawKey(hdrs{}, addr, false, nil)
	assert.True(t, byAddress, "the default source is the client address")
	assert.Empty(t, raw)
	assert.Zero(t, addr.asks)
	eager, src := def.RawKey(hdrs{}, addr, false, nil)
	assert.Equal(t, "ip", src)
	assert.Equal(t, eager, AddressKey(addr.addr), "the deferred key is the eager one")
	assert.Equal(t, "2001:db8::7", AddressKey(addr.addr))

	addr.asks = 0
	mixed := New(Config{From: sources("header:x-session-id", "ip")})
	raw, byAddress = mixed.DeferredRawKey(hdrs{"x-session-id": "s1"}, addr, false, nil)
	assert.Equal(t, "s1", raw, "an earlier source that yields a key wins")
	assert.False(t, byAddress)
	raw, byAddress = mixed.DeferredRawKey(hdrs{}, addr, false, nil)
	assert.True(t, byAddress)
	assert.Empty(t, raw)
	assert.Zero(t, addr.asks)

	// Not deferred: a trusted hop makes the key depend on a header, and an
	// address that is not the last source decides whether later ones run.
	hops := New(Config{TrustedHops: 1})
	raw, byAddress = hops.DeferredRawKey(hdrs{"x-forwarded-for": "198.51.100.9"}, addr, false, nil)
	assert.False(t, byAddress)
	assert.Equal(t, "198.51.100.9", raw)
	addr.asks = 0
	first := New(Config{From: sources("ip", "header:x-session-id")})
	raw, byAddress = first.DeferredRawKey(hdrs{"x-session-id": "s1"}, addr, false, nil)
	assert.False(t, byAddress)
	assert.Equal(t, "2001:db8::7", raw)
	assert.Equal(t, 1, addr.asks)
}
