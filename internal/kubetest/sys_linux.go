package kubetest

import (
	"os"
	"os/exec"
	"syscall"
)

// detach puts the process cmd will start in a process group of its own,
// so that stopping it reaches any child it starts, and has the kernel kill
// it when the thread that started it exits, which is at the latest when the
// test binary exits: a test binary killed by its -timeout then leaves no
// etcd or kube-apiserver behind.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// signalGroup sends sig to the process group of cmd's process.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal) {
	syscall.Kill(-cmd.Process.Pid, sig)
}

// lockFile waits for an exclusive lock on the file at path, creating it if
// needed, and returns the function that releases it. The kernel releases
// the lock of a process that dies, so a killed build never blocks the next.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}
