package wasmtest

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func newProbe(t testing.TB, opts Options) *Host {
	t.Helper()
	opts.Module = testModule(t, "probe")
	h, err := New(context.Background(), opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	return h
}

// probeReq is a request carrying x-probe actions.
func probeReq(actions string) *Request {
	return &Request{Method: "GET", Path: "/probe", Headers: [][2]string{{"x-probe", actions}}}
}

// events returns the messages of vm's plugin log lines starting with
// event (the first word), in order.
func events(vm *VM, event string) []string {
	var out []string
	for _, l := range vm.Logs() {
		if l.Host {
			continue
		}
		if l.Message == event || strings.HasPrefix(l.Message, event+" ") {
			out = append(out, l.Message)
		}
	}
	return out
}

// field returns the value of "key=value" in a log line.
func field(line, key string) string {
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, key+"="); ok {
			return v
		}
	}
	return ""
}

// one returns the single event line, failing otherwise.
func oneEvent(t testing.TB, vm *VM, event string) string {
	t.Helper()
	ev := events(vm, event)
	require.Len(t, ev, 1, "event %q in logs %v", event, vm.Logs())
	return ev[0]
}
