package sqlstore

import (
	"fmt"
	"os"
	"path/filepath"
)

// Lock takes the lock that lets one server process at a time use the
// SQLite database of dsn: two would each believe itself the only writer
// (and andon demo --reset would delete the database under a running
// demo). PostgreSQL, which replicas share, needs none. unlock releases
// it; the lock also ends with the process.
func Lock(dsn string) (unlock func(), err error) {
	if IsPostgres(dsn) {
		return func() {}, nil
	}
	path, err := sqlitePath(dsn)
	if err != nil {
		return nil, err
	}
	lockPath := path + "-lock"
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if os.IsNotExist(err) {
		// No directory yet: nothing uses it, and opening the database
		// creates it; the lock is taken once it exists.
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		f, err = os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	}
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s is in use by another andon serve or demo (it holds %s): stop it first, or give this one another --data or --db", path, lockPath)
	}
	return func() { f.Close() }, nil
}
