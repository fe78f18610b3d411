//go:build unix

package sqlstore

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive lock on f without waiting.
func lockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}

// writable reports whether this process may create files in dir.
func writable(dir string) bool {
	return syscall.Access(dir, 2 /* W_OK */) == nil
}

// readOnlyFile reports whether the file at path is there but may not be
// written: its disk is read-only (EROFS), it is immutable (EPERM), or its
// mode forbids this process (EACCES).
func readOnlyFile(path string) bool {
	switch syscall.Access(path, 2 /* W_OK */) {
	case syscall.EROFS, syscall.EPERM, syscall.EACCES:
		return true
	}
	return false
}
