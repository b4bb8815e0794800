package realenvoy

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Stats returns Envoy's counters and gauges by name (/stats, text form;
// histograms are left out).
func (e *Envoy) Stats() (map[string]uint64, error) {
	st, body, err := e.AdminGet("/stats")
	if err != nil || st != 200 {
		return nil, fmt.Errorf("realenvoy: /stats: %d %v", st, err)
	}
	out := map[string]uint64{}
	for _, l := range strings.Split(body, "\n") {
		name, val, ok := strings.Cut(l, ": ")
		if !ok {
			continue
		}
		if n, err := strconv.ParseUint(strings.TrimSpace(val), 10, 64); err == nil {
			out[name] = n
		}
	}
	return out, nil
}

// Prometheus returns /stats/prometheus.
func (e *Envoy) Prometheus() (string, error) {
	st, body, err := e.AdminGet("/stats/prometheus")
	if err != nil || st != 200 {
		return "", fmt.Errorf("realenvoy: /stats/prometheus: %d %v", st, err)
	}
	return body, nil
}

// RSS is the resident set size of the Envoy process in bytes (Linux).
func (e *Envoy) RSS() (uint64, error) {
	b, err := readFile(fmt.Sprintf("/proc/%d/status", e.Pid()))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			f := strings.Fields(v)
			if len(f) >= 1 {
				kb, err := strconv.ParseUint(f[0], 10, 64)
				return kb << 10, err
			}
		}
	}
	return 0, fmt.Errorf("realenvoy: no VmRSS for pid %d", e.Pid())
}

func readFile(p string) ([]byte, error) { return os.ReadFile(p) }
