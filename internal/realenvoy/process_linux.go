package realenvoy

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill Envoy when the process that started
// it ends, so an interrupted `make run` or test run leaves no Envoy behind.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
