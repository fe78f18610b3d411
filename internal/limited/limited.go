// Package limited reads inputs whose size andon bounds, and names the
// files it does not read: the catalog loader and the manifest reader
// share them.
package limited

import (
	"fmt"
	"io"
	"io/fs"
)

// ReadAll reads r to its end, or fails once it passes limit bytes, with
// an error that names the limit as the limit of what, such as "a catalog
// file": a mistaken input (/dev/zero, a dump named *.yaml) ends in an
// error, not in all the machine's memory.
func ReadAll(r io.Reader, limit int64, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, TooLarge(limit, what)
	}
	return b, nil
}

// TooLarge is the error of an input longer than limit, the limit of what.
func TooLarge(limit int64, what string) error {
	return fmt.Errorf("larger than %d MiB, the limit for %s", limit>>20, what)
}

// FileType names the type of a file that is not a regular one, for
// refusals: "a named pipe", "a directory".
func FileType(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}
