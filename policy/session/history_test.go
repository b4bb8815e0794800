package session

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHistoryRoundTrip(t *testing.T) {
	cases := []History{
		{},
		{LastSeen: 1_700_000_000_000, Entries: []Entry{{Op: 0, At: 1_700_000_000_000}}},
		{LastSeen: 1_700_000_090_000, Entries: []Entry{{3, 1_700_000_000_000}, {65535, 1_700_000_000_000}, {7, 1_700_000_060_000}, {1, 1_700_000_090_000}}},
	}
	for _, h := range cases {
		b, err := Encode(h)
		require.NoError(t, err)
		got, err := Decode(b)
		require.NoError(t, err)
		assert.Equal(t, h.LastSeen, got.LastSeen)
		assert.Equal(t, len(h.Entries), len(got.Entries))
		for i := range h.Entries {
			assert.Equal(t, h.Entries[i], got.Entries[i])
		}
	}
}

func TestHistoryCompact(t *testing.T) {
	var h History
	now := int64(1_700_000_000_000)
	for i := 0; i < 16; i++ {
		h.Append(uint16(i%5), now+int64(i)*1500, 16)
	}
	b, err := Encode(h)
	require.NoError(t, err)
	assert.LessOrEqual(t, len(b), 1+6+1+16*3, "16 entries a few seconds apart encode in ~3 bytes each")
}

func TestHistoryAppendBoundsAndClamps(t *testing.T) {
	var h History
	h.Append(1, 100, 3)
	h.Append(2, 50, 3) // older clock: clamped
	h.Append(3, 200, 3)
	h.Append(4, 300, 3)
	assert.Equal(t, []Entry{{2, 100}, {3, 200}, {4, 300}}, h.Entries)
	assert.Equal(t, int64(300), h.LastSeen)
}

func TestHistoryDecodeErrors(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":      nil,
		"version":    {2, 0, 0},
		"truncated":  {1, 10},
		"too many":   {1, 10, 65},
		"op range":   {1, 10, 1, 0xff, 0xff, 0x04, 0},
		"before 0":   {1, 10, 1, 1, 11},
		"trailing":   {1, 10, 0, 0},
		"overflow":   {1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		"huge last":  {1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0},
		"entry trun": {1, 10, 2, 1, 0},
	} {
		t.Run(name, func(t *testing.T) {
			h, err := Decode(b)
			assert.Error(t, err)
			assert.Empty(t, h.Entries)
		})
	}
	_, err := Decode([]byte{2})
	assert.ErrorIs(t, err, ErrVersion)
	_, err = Decode([]byte{1, 10, 1, 1, 11})
	assert.EqualError(t, err, "session: corrupt encoding: time before the epoch")
}

func TestHistoryEncodeRefusesInvalid(t *testing.T) {
	_, err := Encode(History{LastSeen: 10, Entries: []Entry{{1, 20}}})
	assert.EqualError(t, err, "session: history times must not decrease")
	_, err = Encode(History{LastSeen: 10, Entries: make([]Entry, MaxHistory+1)})
	assert.Error(t, err)
}

func FuzzHistoryDecode(f *testing.F) {
	f.Add([]byte{1, 10, 1, 1, 2})
	f.Add([]byte{1, 0, 0})
	b, _ := Encode(History{LastSeen: 1_700_000_000_000, Entries: []Entry{{3, 1_699_999_990_000}, {4, 1_700_000_000_000}}})
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := Decode(data)
		if err != nil {
			return
		}
		// A decoded history is valid: it re-encodes and decodes the same.
		if len(h.Entries) > MaxHistory {
			t.Fatalf("%d entries", len(h.Entries))
		}
		enc, err := Encode(h)
		if err != nil {
			t.Fatalf("decoded history does not encode: %v", err)
		}
		h2, err := Decode(enc)
		if err != nil || h2.LastSeen != h.LastSeen || len(h2.Entries) != len(h.Entries) {
			t.Fatalf("round trip: %v", err)
		}
		for i := range h.Entries {
			if h.Entries[i] != h2.Entries[i] {
				t.Fatalf("entry %d differs", i)
			}
		}
	})
}
