package redact

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

// Secrets in these tests are assembled from pieces so that the source
// files themselves do not look like leaked credentials to scanners.
var (
	awsKey    = "AK" + "IAIOSFODNN7EXAMPLE"
	gcpKey    = "AI" + "za" + strings.Repeat("Sy0_-aB1", 4) + "xyz"
	ghToken   = "gh" + "p_" + strings.Repeat("a1B2", 9)
	ghPAT     = "github" + "_pat_" + strings.Repeat("A1b2", 6) + "_" + strings.Repeat("z9", 20)
	slackTok  = "xo" + "xb-" + "123456789012-abcdefABCDEF"
	stripeKey = "sk_" + "live_" + strings.Repeat("4eC39HqLyjWDarjtT1zdp7dc", 1)
	jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	jwtToken  = jwtHeader + ".eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
	pemBlock  = "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1\nabc=\n-----END RSA " + "PRIVATE KEY-----"
)

func allDetectors() []DetectorConfig {
	var d []DetectorConfig
	for _, n := range detectorNames {
		d = append(d, DetectorConfig{Name: n})
	}
	return d
}

// found returns the detector names and matched substrings in s.
func found(t *testing.T, s string) []string {
	t.Helper()
	var on [NumDetectors]bool
	for i := range on {
		on[i] = true
	}
	sc := newScanner(on)
	var out []string
	for _, m := range sc.scan([]byte(s), nil) {
		out = append(out, m.det.String()+":"+s[m.start:m.end])
	}
	return out
}

func TestDetectors(t *testing.T) {
	tests := []struct {
		in   string
		want []string // nil: nothing found
	}{
		// cards
		{"4111111111111111", []string{"card_number:4111111111111111"}},
		{"card 5555555555554444 ok", []string{"card_number:5555555555554444"}},
		{"378282246310005", []string{"card_number:378282246310005"}},
		{"6011111111111117", []string{"card_number:6011111111111117"}},
		{"3530111333300000", []string{"card_number:3530111333300000"}},
		{"30569309025904", []string{"card_number:30569309025904"}},
		{"2223003122003222", []string{"card_number:2223003122003222"}},
		{"4111 1111 1111 1111", []string{"card_number:4111 1111 1111 1111"}},
		{"4111-1111-1111-1111.", []string{"card_number:4111-1111-1111-1111"}},
		{"1700000000000", nil},        // ms timestamp: no issuer
		{"1712345678901234", nil},     // id starting with 1
		{"4111111111111112", nil},     // Luhn
		{"41111111111111111111", nil}, // 20 digits
		{"x4111111111111111", nil},    // glued to a word
		{"4111111111111111abc", nil},  // glued to a word
		{"4111  1111 1111 1111", nil}, // double space splits the number
		{"411111111111111", nil},      // Visa has no 15-digit numbers
		{"2024-01-15 12:34:56", nil},  // date
		{"+1 555 123 4567", nil},      // phone
		// ssn
		{"123-45-6789", []string{"ssn:123-45-6789"}},
		{"ssn: 078-05-1120.", []string{"ssn:078-05-1120"}},
		{"000-12-3456", nil}, {"666-12-3456", nil}, {"900-12-3456", nil},
		{"123-00-4567", nil}, {"123-45-0000", nil}, {"123-45-67890", nil},
		{"a123-45-6789", nil}, {"9-123-45-6789", nil}, {"123-45-6789-1", nil}, {"123456789", nil},
		// iban
		{"DE89 3704 0044 0532 0130 00", []string{"iban:DE89 3704 0044 0532 0130 00"}},
		{"pay to GB82WEST12345698765432 today", []string{"iban:GB82WEST12345698765432"}},
		{"FR1420041010050500013M02606", []string{"iban:FR1420041010050500013M02606"}},
		{"NL91ABNA0417164300", []string{"iban:NL91ABNA0417164300"}},
		{"DE89 3704 0044 0532 0130 00 EUR", []string{"iban:DE89 3704 0044 0532 0130 00"}},
		{"DE89370400440532013001", nil},   // check digits
		{"DE89 3704 0044", nil},           // short
		{"XX89370400440532013000", nil},   // no such country
		{"de89370400440532013000", nil},   // lower case
		{"DE8937040044053201300012", nil}, // too long
		// email
		{"contact: a@b.com", []string{"email:a@b.com"}},
		{"First.Last+tag@sub.example.co.uk,", []string{"email:First.Last+tag@sub.example.co.uk"}},
		{"mail me at .x@y.org.", []string{"email:x@y.org"}},
		{"a@b", nil}, {"@example.com", nil}, {"foo@bar.c1", nil}, {"foo@bar..com", nil}, {"user@-x.com", nil},
		{"price 5@3.50", nil},
		// jwt and bearer
		{jwtToken, []string{"jwt:" + jwtToken}},
		{"token=" + jwtToken + "&x", []string{"jwt:" + jwtToken}},
		{base64.RawURLEncoding.EncodeToString([]byte(`{"not":"jwt"}`)) + ".eyJhIjoxfQ.c2ln", nil},
		{jwtToken + ".abc.def", nil}, // five segments: JWE, not matched
		{"eyes.only.here", nil},
		{"Bearer abc123def456", []string{"bearer_token:abc123def456"}},
		{"authorization: bearer mF_9.B5f-4.1JqM", []string{"bearer_token:mF_9.B5f-4.1JqM"}},
		{"Bearer authentication", nil}, {"Bearer abc", nil},
		// cloud keys
		{"key=" + awsKey, []string{"cloud_key:" + awsKey}},
		{awsKey + "X", nil},
		{gcpKey, []string{"cloud_key:" + gcpKey}},
		{ghToken, []string{"cloud_key:" + ghToken}},
		{ghPAT, []string{"cloud_key:" + ghPAT}},
		{slackTok, []string{"cloud_key:" + slackTok}},
		{stripeKey, []string{"cloud_key:" + stripeKey}},
		{"sk_test_4eC39HqLyjWDarjtT1zdp7dc", nil},
		{"ghp_short", nil}, {"AKIA1234", nil}, {"xoxz-1234567890ab", nil},
		// pem
		{"key:\n" + pemBlock + "\ntrailer", []string{"private_key:" + pemBlock}},
		{"-----BEGIN " + "PRIVATE KEY-----\nMIIB", []string{"private_key:-----BEGIN " + "PRIVATE KEY-----\nMIIB"}},
		{"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", nil},
		// several in one string
		{"a@b.com and 123-45-6789", []string{"email:a@b.com", "ssn:123-45-6789"}},
		{"nothing to see", nil}, {"", nil},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, found(t, tt.in), "%q", tt.in)
	}
}

func TestDetectorsInJSON(t *testing.T) {
	r := mustCompile(t, Config{Detectors: allDetectors()})
	in := `{"user":{"email":"contact: a@b.com","card":"4111111111111111","n":4111111111111111,"k":"` + awsKey + `"},"list":["ok","123-45-6789"],"a@b.com":"keys are not scanned"}`
	out, rep, err := r.Apply(nil, []byte(in))
	require.NoError(t, err)
	assert.Equal(t, `{"user":{"email":"[REDACTED]","card":"[REDACTED]","n":4111111111111111,"k":"[REDACTED]"},"list":["ok","[REDACTED]"],"a@b.com":"keys are not scanned"}`, string(out))
	assert.Equal(t, 1, rep.Count(Email))
	assert.Equal(t, 1, rep.Count(CardNumber))
	assert.Equal(t, 1, rep.Count(SSN))
	assert.Equal(t, 1, rep.Count(CloudKey))
	assert.Equal(t, 4, rep.Total())
	assert.Equal(t, []Hit{
		{Detector: "email", Pointer: "/user/email", Count: 1, Action: ActionReplace},
		{Detector: "card_number", Pointer: "/user/card", Count: 1, Action: ActionReplace},
		{Detector: "cloud_key", Pointer: "/user/k", Count: 1, Action: ActionReplace},
		{Detector: "ssn", Pointer: "/list/1", Count: 1, Action: ActionReplace},
	}, rep.Hits)
	for _, h := range rep.Hits {
		assert.NotContains(t, h.Pointer+h.Rule+h.Detector, "@b.com")
	}
}

func TestDetectorScopeAndActions(t *testing.T) {
	r := mustCompile(t, Config{
		Scope:       ScopeMatch,
		ScanNumbers: true,
		Detectors: []DetectorConfig{
			{Name: "email"},
			{Name: "ssn", Action: ActionLog},
			{Name: "card_number", Scope: ScopeValue},
		},
	})
	in := `{"a":"mail a@b.com or c@d.org; ssn 123-45-6789","b":"card 4111111111111111 x","c":"esc \u0061@b.com \"q\"\n","n":[5555555555554444,1700000000000,-4111111111111111,4111111111111111.0]}`
	out, rep, err := r.Apply(nil, []byte(in))
	require.NoError(t, err)
	assert.True(t, gjson.ValidBytes(out))
	assert.Equal(t, "mail [REDACTED] or [REDACTED]; ssn 123-45-6789", gjson.GetBytes(out, "a").String())
	assert.Equal(t, "[REDACTED]", gjson.GetBytes(out, "b").String())
	assert.Equal(t, "esc [REDACTED] \"q\"\n", gjson.GetBytes(out, "c").String())
	assert.Equal(t, `["[REDACTED]",1700000000000,-4111111111111111,4111111111111111.0]`, gjson.GetBytes(out, "n").Raw)
	assert.Equal(t, 3, rep.Count(Email))
	assert.Equal(t, 1, rep.Count(SSN))
	assert.Equal(t, 2, rep.Count(CardNumber))
	assert.Equal(t, Hit{Detector: "email", Pointer: "/a", Count: 2, Action: ActionReplace}, rep.Hits[0])
	assert.Equal(t, Hit{Detector: "ssn", Pointer: "/a", Count: 1, Action: ActionLog}, rep.Hits[1])

	// Only logging: nothing changes.
	r = mustCompile(t, Config{Detectors: []DetectorConfig{{Name: "email", Action: ActionLog}}})
	body := []byte(`{"a":"x@y.com"}`)
	out, rep, err = r.Apply(nil, body)
	require.NoError(t, err)
	assert.False(t, rep.Changed)
	assert.Equal(t, string(body), string(out))
	assert.Equal(t, 1, rep.Count(Email))
}

func TestDetectorsEndpointScope(t *testing.T) {
	c := Config{Detectors: allDetectors(), Endpoints: []string{"get_user"}}
	c.Endpoint = "get_user"
	assert.True(t, mustCompile(t, c).Active())
	c.Endpoint = "list_things"
	r := mustCompile(t, c)
	assert.False(t, r.Active())
	out, rep, err := r.Apply(nil, []byte(`{"a":"x@y.com"}`))
	require.NoError(t, err)
	assert.False(t, rep.Changed)
	assert.Equal(t, `{"a":"x@y.com"}`, string(out))
}

func TestScanText(t *testing.T) {
	r := mustCompile(t, Config{Detectors: allDetectors(), Replacement: "***"})
	out, rep := r.ScanText(nil, []byte("user a@b.com card 4111 1111 1111 1111\nAuthorization: Bearer abc.def-123456"))
	assert.Equal(t, "user *** card ***\nAuthorization: Bearer ***", string(out))
	assert.Equal(t, 3, rep.Total())
	assert.Len(t, rep.Hits, 3)
	in := []byte("nothing here")
	out, rep = r.ScanText(nil, in)
	assert.False(t, rep.Changed)
	assert.Equal(t, &in[0], &out[0])
}

func TestLuhnAndIIN(t *testing.T) {
	digits := func(s string) []byte {
		d := make([]byte, len(s))
		for i := range s {
			d[i] = s[i] - '0'
		}
		return d
	}
	assert.True(t, luhn(digits("79927398713")))
	assert.False(t, luhn(digits("79927398710")))
	assert.True(t, cardIIN(digits("6304000000000000"))) // Maestro
	assert.True(t, cardIIN(digits("2200000000000000"))) // Mir
	assert.False(t, cardIIN(digits("9999999999999999")))
	assert.False(t, cardIIN(digits("5105105105105"))) // Mastercard is 16 digits
}
