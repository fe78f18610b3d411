//go:build !unix

package sqlstore

import "os"

// lockFile does nothing where flock is not available.
func lockFile(*os.File) error { return nil }

// writable reports true: without access(2), a directory is taken as
// writable, and a database in it is never read as immutable.
func writable(string) bool { return true }

// readOnlyFile reports false: without access(2), a file that fails to be
// written is not known to be read-only.
func readOnlyFile(string) bool { return false }
