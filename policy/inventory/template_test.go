package inventory

import (
	"strings"
	"testing"
)

func TestIsID(t *testing.T) {
	ids := []string{
		"42", "0", "1234567890123", "2024-05-01", "10.0.0.1", "12:30",
		"9f86d081", "9F86D081884C7D65", "550e8400-e29b-41d4-a716-446655440000",
		"cus_9s6XKzkNRiz8i3", "a1b2c3d4", "ch_3MmlLrLkdIwHu7ix0snN0B15", "ord-2024-00042",
		"dGhpcyBpcyBhIHRva2Vu", "AbCdEfGhIjKlMnOpQr", "eyJhbGciOiJIUzI1NiJ9",
		"alice@example.com", "bob%40example.org", "{id}", "a}b",
		strings.Repeat("x", 65),
	}
	names := []string{
		"", "users", "api", "v1", "v2", "accounts", "transferFunds", "getAccountBalanceHistory",
		"oauth2", "2fa-settings", "me", "self", "index.html", "openapi.json", "healthz",
		"deadbeefcafe", "payment_methods", "x-internal", "user@host", "ipv6", "b64",
		"Accounts", "HTTP2Settings", "v1.2", "%20", "caf%C3%A9",
	}
	for _, s := range ids {
		if !IsID(s) {
			t.Errorf("IsID(%q) = false, want true", s)
		}
	}
	for _, s := range names {
		if IsID(s) {
			t.Errorf("IsID(%q) = true, want false", s)
		}
	}
}

func TestAppendTemplate(t *testing.T) {
	cases := []struct{ path, want string }{
		{"/", "/"},
		{"", "/"},
		{"/api/v1/users/42/cards", "/api/v1/users/{id}/cards"},
		{"/api/v1/users/77/cards", "/api/v1/users/{id}/cards"},
		{"/api/v1/accounts/550e8400-e29b-41d4-a716-446655440000/balance", "/api/v1/accounts/{id}/balance"},
		{"/v1/customers/cus_9s6XKzkNRiz8i3/payment_methods/pm_1NqTzT2eZvKYlo2C", "/v1/customers/{id}/payment_methods/{id}"},
		{"/users/alice@example.com/avatar", "/users/{id}/avatar"},
		{"/reset/dGhpcyBpcyBhIHRva2Vu", "/reset/{id}"},
		{"/api/v1/transferFunds", "/api/v1/transferFunds"},
		{"/internal/debug/vars", "/internal/debug/vars"},
		{"/a/", "/a/"},
		{"/" + strings.Repeat("a/", 20) + "b", "/" + strings.Repeat("a/", 16) + "{...}"},
	}
	for _, c := range cases {
		if got := string(AppendTemplate(nil, c.path)); got != c.want {
			t.Errorf("AppendTemplate(%q) = %q, want %q", c.path, got, c.want)
		}
	}
}
