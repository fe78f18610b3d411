package sqlstore

import (
	"fmt"
	"os"
	"path/filepath"
)

// Lock takes the lock that lets one server process at a time use the
// SQLite database of dsn and the data directory dataDir (its signing
// key): two would each believe itself the only writer, and andon demo
// --reset would delete the database or the key under a running server.
// PostgreSQL, which replicas share with their key, needs none. unlock
// releases it; the lock also ends with the process.
func Lock(dsn, dataDir string) (unlock func(), err error) {
	if IsPostgres(dsn) {
		return func() {}, nil
	}
	path, err := SQLitePath(dsn)
	if err != nil {
		return nil, err
	}
	unlockDB, err := lockPath(path, path, "give this one another --data or --db")
	if err != nil || dataDir == "" || filepath.Clean(path) == filepath.Clean(DataPath(dataDir)) {
		return unlockDB, err
	}
	// The database lives elsewhere: the directory is locked too, by the
	// lock its own database would take.
	unlockDir, err := lockPath(DataPath(dataDir), "the data directory "+dataDir+", with its audit signing key,", "give this one another --data")
	if err != nil {
		unlockDB()
		return nil, err
	}
	return func() { unlockDir(); unlockDB() }, nil
}

// lockPath locks the SQLite database at path, by a file beside it. what
// names what is locked in the error, and hint what to do instead.
func lockPath(path, what, hint string) (unlock func(), err error) {
	name := path + "-lock"
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if os.IsNotExist(err) {
		// No directory yet: nothing uses it, and opening the database
		// creates it; the lock is taken once it exists.
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		f, err = os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	}
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s is in use by another andon serve or demo (it holds %s): stop it first, or %s", what, name, hint)
	}
	return func() { f.Close() }, nil
}
