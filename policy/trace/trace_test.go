package trace

import (
	"strings"
	"testing"

	"github.com/apiwarden/apiwarden/policy/internal/cfg"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const example = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func TestParseTraceparent(t *testing.T) {
	c, err := ParseTraceparent(example)
	require.NoError(t, err)
	assert.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", c.TraceIDString())
	assert.Equal(t, [8]byte{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7}, c.ParentID)
	assert.True(t, c.Sampled())
	assert.Equal(t, example, c.String())

	for _, ok := range []string{
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff", // unknown flags kept
		"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // future version
		"cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds",
	} {
		_, err := ParseTraceparent(ok)
		assert.NoError(t, err, ok)
	}
	for _, bad := range []string{
		"",
		"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // version ff
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-", // 00 with suffix
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
		"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", // upper case
		"00-00000000000000000000000000000000-00f067aa0ba902b7-01", // zero trace id
		"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", // zero parent id
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01",
		"00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x", // suffix without '-'
		"00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",
		" 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	} {
		_, err := ParseTraceparent(bad)
		assert.ErrorIs(t, err, ErrTraceparent, bad)
	}
	assert.Zero(t, testing.AllocsPerRun(100, func() { _, _ = Parse(example, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE") }))
}

func TestTracestate(t *testing.T) {
	for _, ok := range []string{
		"rojo=00f067aa0ba902b7",
		"rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
		"rojo=1, congo=2 ,,",
		"tenant@system=x", "0tenant@sys-tem=x", "a_b-c*d/e=v a l",
	} {
		assert.True(t, ValidTracestate(ok), ok)
	}
	many := make([]string, 33)
	for i := range many {
		many[i] = "k" + string(rune('a'+i%26)) + strings.Repeat("x", i/26) + "=1"
	}
	for _, bad := range []string{
		"", ",", "Rojo=1", "rojo", "=1", "rojo=", "rojo=a,rojo=b", "rojo=a=b",
		"@sys=1", "t@=1", "t@Sys=1", "rojo=\x01", "rojo=" + strings.Repeat("x", 257),
		"k=" + strings.Repeat("v", 511), strings.Join(many, ","),
	} {
		assert.False(t, ValidTracestate(bad), bad)
	}
	assert.True(t, ValidTracestate(strings.Join(many[:32], ",")))

	c, err := Parse(example, "rojo=1")
	require.NoError(t, err)
	assert.Equal(t, "rojo=1", c.State)
	c, err = Parse(example, "bad state")
	require.NoError(t, err)
	assert.Equal(t, "", c.State, "invalid tracestate dropped")
	_, err = Parse("nope", "rojo=1")
	assert.Error(t, err)
}

func TestNewAndChild(t *testing.T) {
	var r [24]byte
	for i := range r {
		r[i] = byte(i + 1)
	}
	c := New(r, true)
	assert.Equal(t, "00-0102030405060708090a0b0c0d0e0f10-1112131415161718-01", c.String())
	z := New([24]byte{}, false)
	assert.True(t, z.IsValid())
	assert.Equal(t, "00-00000000000000000000000000000001-0000000000000001-00", z.String())

	p, err := Parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x", "rojo=1")
	require.NoError(t, err)
	ch := p.Child([8]byte{0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00, 0x11})
	assert.Equal(t, "00-4bf92f3577b34da6a3ce929d0e0e4736-aabbccddeeff0011-01", ch.String())
	assert.Equal(t, "rojo=1", ch.State)
	assert.True(t, p.Child([8]byte{}).IsValid())

	buf := make([]byte, 0, 64)
	assert.Zero(t, testing.AllocsPerRun(100, func() { buf = ch.AppendTraceparent(buf[:0]) }))
}

func TestParseB3(t *testing.T) {
	for in, want := range map[string]string{
		"80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90": "00-80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-01",
		"80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-d":                  "00-80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-01",
		"80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-0":                  "00-80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-00",
		"80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1":                    "00-80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-00",
		"64fe8b2a57d3eff7-e457b5a2e4d86bd1-1":                                  "00-000000000000000064fe8b2a57d3eff7-e457b5a2e4d86bd1-01",
	} {
		c, err := ParseB3(in)
		if assert.NoError(t, err, in) {
			assert.Equal(t, want, c.String(), in)
		}
	}
	for _, bad := range []string{
		"", "0", "1", "d", "80f198ee56343ba864fe8b2a57d3eff7", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-",
		"80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-2", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd",
		"80F198EE56343BA864FE8B2A57D3EFF7-e457b5a2e4d86bd1-1", "0000000000000000-e457b5a2e4d86bd1-1",
		"64fe8b2a57d3eff7-0000000000000000-1", "64fe8b2a57d3eff7-e457b5a2e4d86bd1-1-xyz",
		"64fe8b2a57d3eff7-e457b5a2e4d86bd1-1-0000000000000000", "4fe8b2a57d3eff7-e457b5a2e4d86bd1-1",
	} {
		_, err := ParseB3(bad)
		assert.ErrorIs(t, err, ErrB3, bad)
	}
}

func TestConfig(t *testing.T) {
	var errs cfg.Errors
	root, err := cfg.Parse([]byte(`{"a":{"generate":false,"b3":true,"sampled":true},"b":{"b3":"yes","x":1},"c":{}}`), &errs)
	require.NoError(t, err)
	a, _ := root.Get("a")
	assert.Equal(t, Config{B3: true, Sampled: true}, ParseConfig(a))
	c, _ := root.Get("c")
	assert.Equal(t, DefaultConfig, ParseConfig(c))
	b, _ := root.Get("b")
	ParseConfig(b)
	msg := errs.Err().Error()
	assert.Contains(t, msg, "b.x: unknown key (want one of b3, generate, sampled)")
	assert.Contains(t, msg, "b.b3: want a boolean, got a string")

	var rnd [24]byte
	rnd[0] = 7
	ctx, src := DefaultConfig.Incoming(example, "", "", rnd)
	assert.Equal(t, SourceTraceparent, src)
	assert.Equal(t, example, ctx.String())
	b3 := "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1"
	_, src = DefaultConfig.Incoming("garbage", "", b3, rnd)
	assert.Equal(t, SourceNew, src, "b3 is off by default")
	_, src = Config{B3: true}.Incoming("garbage", "", b3, rnd)
	assert.Equal(t, SourceB3, src)
	_, src = Config{}.Incoming("", "", "", rnd)
	assert.Equal(t, SourceNone, src)
	assert.Equal(t, "new", SourceNew.String())
}
