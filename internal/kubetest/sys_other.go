//go:build !linux

package kubetest

import (
	"os/exec"
	"syscall"
)

// detach does nothing outside Linux: the harness is made for Linux, where
// etcd comes from Debian's etcd-server, and elsewhere only compiles.
func detach(*exec.Cmd) {}

// signalGroup kills cmd's process; there are no process groups to signal.
func signalGroup(cmd *exec.Cmd, _ syscall.Signal) {
	cmd.Process.Kill()
}

// lockFile takes no lock outside Linux. Builds running at the same time
// then each build, and the last one's binary is kept.
func lockFile(string) (unlock func(), err error) {
	return func() {}, nil
}
