package sequence

import (
	"testing"
	"time"

	"github.com/apiwarden/apiwarden/policy/internal/cfg"
	"github.com/apiwarden/apiwarden/policy/session"
	"github.com/stretchr/testify/require"
)

var bankOps = []string{"login", "list_accounts", "get_balance", "transfer_funds", "logout", "get_profile", "update_profile", "export_data"}

const (
	opLogin = iota
	opList
	opBalance
	opTransfer
	opLogout
	opProfile
	opUpdate
	opExport
)

var t0 = time.Unix(1_700_000_000, 0)

func compile(t testing.TB, js string) (Config, error) {
	t.Helper()
	var errs cfg.Errors
	root, err := cfg.Parse([]byte(js), &errs)
	require.NoError(t, err)
	n, ok := root.Get("sequences")
	require.True(t, ok)
	c := ParseSequences(n, bankOps)
	return c, errs.Err()
}

func mustEngine(t testing.TB, js string, sc session.Config) *Engine {
	t.Helper()
	c, err := compile(t, js)
	require.NoError(t, err)
	return NewEngine(session.New(sc), c)
}

// hist builds a history from (op, seconds before now) pairs, oldest first.
func hist(now time.Time, steps ...[2]int) []session.Entry {
	out := make([]session.Entry, len(steps))
	for i, s := range steps {
		out[i] = session.Entry{Op: uint16(s[0]), At: session.Millis(now) - int64(s[1])*1000}
	}
	return out
}
