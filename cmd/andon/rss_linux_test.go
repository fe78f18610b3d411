//go:build linux

package main

import (
	"os"
	"syscall"
)

// peakRSSMB is the most memory an ended process held resident, in MB, as
// getrusage reports it in KiB on Linux.
func peakRSSMB(ps *os.ProcessState) (float64, bool) {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, false
	}
	return float64(ru.Maxrss) / 1024, true
}
