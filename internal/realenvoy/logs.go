package realenvoy

import (
	"strings"
	"time"
)

// LogLine is one line of Envoy's log, split by the --log-format the
// package starts Envoy with ("%l|%n|%v": level, logger, message).
type LogLine struct {
	Level, Logger, Message string
}

// Log returns every line Envoy wrote so far.
func (e *Envoy) Log() []LogLine {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]LogLine, 0, len(e.lines))
	for _, l := range e.lines {
		parts := strings.SplitN(l, "|", 3)
		if len(parts) != 3 {
			out = append(out, LogLine{Message: l})
			continue
		}
		out = append(out, LogLine{Level: parts[0], Logger: parts[1], Message: parts[2]})
	}
	return out
}

// LogLen is the number of lines logged so far: a mark for ModuleLogSince.
func (e *Envoy) LogLen() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.lines)
}

// ModuleLog returns what the module logged (proxy_log and fd_write): the
// message without Envoy's "wasm log <plugin> <root> <vm>: " prefix.
func (e *Envoy) ModuleLog() []LogLine { return e.ModuleLogSince(0) }

// ModuleLogSince is ModuleLog from line mark on.
func (e *Envoy) ModuleLogSince(mark int) []LogLine {
	all := e.Log()
	var out []LogLine
	for _, l := range all[min(mark, len(all)):] {
		msg, ok := strings.CutPrefix(l.Message, "wasm log ")
		if l.Logger != "wasm" || !ok {
			continue
		}
		if _, rest, found := strings.Cut(msg, ": "); found {
			msg = rest
		}
		out = append(out, LogLine{Level: l.Level, Logger: l.Logger, Message: msg})
	}
	return out
}

// Grep returns the log lines that contain s.
func (e *Envoy) Grep(s string) []string {
	var out []string
	for _, l := range e.Log() {
		if strings.Contains(l.Message, s) {
			out = append(out, l.Message)
		}
	}
	return out
}

// WaitGrep is Grep after waiting up to d for a first match: Envoy's log
// reaches the package through a pipe read on its own goroutine, so a line
// written while answering a request can arrive after the response does.
func (e *Envoy) WaitGrep(s string, d time.Duration) []string {
	deadline := time.Now().Add(d)
	for {
		if got := e.Grep(s); len(got) > 0 || time.Now().After(deadline) {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}
