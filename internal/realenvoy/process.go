package realenvoy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Options start one Envoy.
type Options struct {
	// Version selects the installed release (Versions); Bin overrides it
	// with a path.
	Version, Bin string
	Bootstrap    Bootstrap
	// Concurrency is Envoy's --concurrency: worker threads, one VM each
	// (default 2).
	Concurrency int
	// StartTimeout bounds the wait for the listener (default 60 s: the
	// first start compiles the module).
	StartTimeout time.Duration
	// LogFile, when set, receives Envoy's whole log as well.
	LogFile string
}

// Envoy is a running Envoy process.
type Envoy struct {
	cmd      *exec.Cmd
	dir      string
	url      string
	admin    string
	started  time.Duration
	done     chan struct{}
	waitErr  error
	mu       sync.Mutex
	lines    []string
	logSinks []io.Writer
}

// Start renders the bootstrap into a temporary directory, starts Envoy and
// waits until its listener is bound and its workers are initialised. On
// failure the error carries the tail of Envoy's log (a refused
// configuration shows apiwarden's message there).
func Start(ctx context.Context, o Options) (*Envoy, error) {
	bin := o.Bin
	if bin == "" {
		var err error
		if bin, err = Binary(o.Version); err != nil {
			return nil, err
		}
	}
	b := o.Bootstrap
	if b.Listen == "" {
		b.Listen = "127.0.0.1:0"
	}
	if b.Admin == "" {
		b.Admin = "127.0.0.1:0"
	}
	if abs, err := filepath.Abs(b.Module); err == nil {
		b.Module = abs
	}
	yaml, err := b.Render()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "apiwarden-envoy-")
	if err != nil {
		return nil, fmt.Errorf("realenvoy: %w", err)
	}
	cfgPath := filepath.Join(dir, "envoy.yaml")
	adminPath := filepath.Join(dir, "admin-address")
	if err := os.WriteFile(cfgPath, yaml, 0o644); err != nil {
		return nil, fmt.Errorf("realenvoy: %w", err)
	}
	conc := o.Concurrency
	if conc <= 0 {
		conc = 2
	}
	cmd := exec.Command(bin, "-c", cfgPath, "--concurrency", strconv.Itoa(conc),
		"--disable-hot-restart", "--admin-address-path", adminPath,
		"-l", "warning", "--component-log-level", "wasm:info,main:info",
		"--log-format", "%l|%n|%v")
	cmd.Dir = dir
	dieWithParent(cmd)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("realenvoy: %w", err)
	}
	cmd.Stdout = io.Discard
	e := &Envoy{cmd: cmd, dir: dir, done: make(chan struct{})}
	if o.LogFile != "" {
		f, err := os.Create(o.LogFile)
		if err != nil {
			return nil, fmt.Errorf("realenvoy: %w", err)
		}
		e.logSinks = append(e.logSinks, f)
	}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("realenvoy: start %s: %w", bin, err)
	}
	logDone := make(chan struct{})
	go func() { defer close(logDone); e.readLog(stderr) }()
	go func() { e.waitErr = cmd.Wait(); <-logDone; close(e.done) }()

	timeout := o.StartTimeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	if err := e.waitReady(ctx, adminPath, timeout); err != nil {
		e.Stop()
		return nil, fmt.Errorf("realenvoy: Envoy %s did not start: %w\n%s", o.Version, err, e.tail(40))
	}
	e.started = time.Since(t0)
	return e, nil
}

func (e *Envoy) readLog(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 8<<20)
	for sc.Scan() {
		l := sc.Text()
		e.mu.Lock()
		e.lines = append(e.lines, l)
		for _, w := range e.logSinks {
			_, _ = io.WriteString(w, l+"\n")
		}
		e.mu.Unlock()
	}
}

// waitReady waits for the admin address file, then for a bound listener,
// then for the server to be LIVE (workers started, VMs configured).
func (e *Envoy) waitReady(ctx context.Context, adminPath string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-e.done:
			return fmt.Errorf("envoy exited: %v", e.waitErr)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return errors.New("timed out")
		}
		if e.admin == "" {
			b, err := os.ReadFile(adminPath)
			if err != nil || len(bytes.TrimSpace(b)) == 0 {
				continue
			}
			e.admin = "http://" + strings.TrimSpace(string(b))
		}
		if e.url == "" {
			addr, err := e.listenerAddress()
			if err != nil {
				continue
			}
			e.url = "http://" + addr
		}
		st, body, err := e.AdminGet("/ready")
		if err == nil && st == 200 && strings.TrimSpace(body) == "LIVE" {
			return nil
		}
	}
}

func (e *Envoy) listenerAddress() (string, error) {
	st, body, err := e.AdminGet("/listeners?format=json")
	if err != nil || st != 200 {
		return "", fmt.Errorf("listeners: %d %v", st, err)
	}
	var ls struct {
		Statuses []struct {
			Name  string `json:"name"`
			Local struct {
				Socket struct {
					Address string `json:"address"`
					Port    int    `json:"port_value"`
				} `json:"socket_address"`
			} `json:"local_address"`
		} `json:"listener_statuses"`
	}
	if err := json.Unmarshal([]byte(body), &ls); err != nil {
		return "", err
	}
	for _, s := range ls.Statuses {
		if s.Name == "api" && s.Local.Socket.Port != 0 {
			return fmt.Sprintf("%s:%d", s.Local.Socket.Address, s.Local.Socket.Port), nil
		}
	}
	return "", errors.New("listener not bound yet")
}

// URL is the listener's base URL (http://127.0.0.1:port).
func (e *Envoy) URL() string { return e.url }

// Addr is the listener's host:port.
func (e *Envoy) Addr() string { return strings.TrimPrefix(e.url, "http://") }

// AdminURL is the admin listener's base URL.
func (e *Envoy) AdminURL() string { return e.admin }

// StartupTime is the time from exec to a LIVE server with a bound
// listener.
func (e *Envoy) StartupTime() time.Duration { return e.started }

// Pid is the Envoy process id.
func (e *Envoy) Pid() int { return e.cmd.Process.Pid }

// AdminGet fetches an admin path.
func (e *Envoy) AdminGet(path string) (int, string, error) {
	return adminDo(http.MethodGet, e.admin+path)
}

// AdminPost posts to an admin path (for example /reset_counters).
func (e *Envoy) AdminPost(path string) (int, string, error) {
	return adminDo(http.MethodPost, e.admin+path)
}

var adminClient = &http.Client{Timeout: 5 * time.Second}

func adminDo(method, url string) (int, string, error) {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := adminClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// Stop asks Envoy to exit (SIGTERM), kills it after 10 s, and removes its
// directory. It is safe to call more than once.
func (e *Envoy) Stop() {
	select {
	case <-e.done:
	default:
		_ = e.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-e.done:
		case <-time.After(10 * time.Second):
			_ = e.cmd.Process.Kill()
			<-e.done
		}
	}
	e.mu.Lock()
	for _, w := range e.logSinks {
		if c, ok := w.(io.Closer); ok {
			_ = c.Close()
		}
	}
	e.logSinks = nil
	e.mu.Unlock()
	_ = os.RemoveAll(e.dir)
}

// Exited reports whether the process has ended.
func (e *Envoy) Exited() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// WaitExit waits up to d for the process to end and returns its error.
func (e *Envoy) WaitExit(d time.Duration) (bool, error) {
	select {
	case <-e.done:
		return true, e.waitErr
	case <-time.After(d):
		return false, nil
	}
}

func (e *Envoy) tail(n int) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	from := max(0, len(e.lines)-n)
	return strings.Join(e.lines[from:], "\n")
}
