package main

import (
	"fmt"
	"runtime"
	"sort"
	"strings"
	"time"
)

// render writes one Markdown table per workload: medians over the rounds,
// ratios to the pass-through module of the same run.
func render(configs []config, results map[string]map[string][]sample, version string, conns int, d time.Duration, rounds int, pinned bool) string {
	var b strings.Builder
	where := "unpinned"
	if pinned {
		where = "Envoy pinned to CPU 0 after its first answer, wrk to the other CPUs"
	}
	fmt.Fprintf(&b, "Envoy %s (official binary, V8), --concurrency 1; wrk %d connections, %v per workload after a warm-up, %d round(s), medians; %s/%s, %d CPUs, %s.\n\n",
		version, conns, d, rounds, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), where)
	b.WriteString("| workload | configuration | rps | ratio to pass-through | p50 | p99 | p99 ratio | non-2xx | start-up to first answer | RSS |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, w := range workloads {
		base, ok := median(results["pass-through module"][w.name])
		for _, c := range configs {
			s, found := median(results[c.name][w.name])
			if !found {
				continue
			}
			ratio, p99r := "", ""
			if ok && base.rps > 0 {
				ratio = fmt.Sprintf("%.2f", s.rps/base.rps)
				p99r = fmt.Sprintf("%.2f", float64(s.p99)/float64(base.p99))
			}
			fmt.Fprintf(&b, "| %s | %s | %.0f | %s | %s | %s | %s | %d | %.2f s | %.0f MiB |\n", w.name, c.name, s.rps, ratio,
				ms(s.p50), ms(s.p99), p99r, s.non2xx, s.startup.Seconds(), s.rssMiB)
		}
	}
	var seen []string
	for _, w := range workloads {
		for _, c := range configs {
			for _, s := range results[c.name][w.name] {
				for k, n := range s.refusals {
					seen = append(seen, fmt.Sprintf("%s / %s: %s ×%d", w.name, c.name, k, n))
				}
				if s.socketErrs != "" {
					seen = append(seen, fmt.Sprintf("%s / %s: wrk socket errors %s", w.name, c.name, s.socketErrs))
				}
			}
		}
	}
	if len(seen) > 0 {
		sort.Strings(seen)
		b.WriteString("\nRefusals in Envoy's log (rule, status) and socket errors during the measured runs: " + strings.Join(seen, "; ") + ".\n")
	}
	return b.String()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

// median is the sample with the median throughput.
func median(ss []sample) (sample, bool) {
	if len(ss) == 0 {
		return sample{}, false
	}
	s := append([]sample(nil), ss...)
	sort.Slice(s, func(i, j int) bool { return s[i].rps < s[j].rps })
	return s[len(s)/2], true
}
