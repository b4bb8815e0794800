package main

import (
	"fmt"
	"os/exec"
	"runtime"
	"strconv"
)

// Pinning keeps Envoy's worker and the load apart: on a small machine the
// load generator, the upstream and Envoy otherwise share every core, and
// the ratios move by a third from run to run. With two CPUs or more, wrk
// runs on the CPUs other than 0 and Envoy, once it has answered (its
// start-up compiles the module with every core), on CPU 0; the upstream
// (this process) is left to the scheduler. taskset (util-linux) does it;
// without it nothing is pinned.

// pinning says whether pinning is possible here.
func pinning() bool {
	if runtime.NumCPU() < 2 {
		return false
	}
	_, err := exec.LookPath("taskset")
	return err == nil
}

// loadCPUs are the CPUs wrk runs on when pinned.
func loadCPUs() string { return fmt.Sprintf("1-%d", runtime.NumCPU()-1) }

// pinEnvoy moves every thread of Envoy onto CPU 0.
func pinEnvoy(pid int) error { return taskset(pid, "0") }

func taskset(pid int, cpus string) error {
	out, err := exec.Command("taskset", "-a", "-p", "-c", cpus, strconv.Itoa(pid)).CombinedOutput()
	if err != nil {
		return fmt.Errorf("taskset %s %d: %w: %s", cpus, pid, err, out)
	}
	return nil
}
