//go:build !linux

package main

import "os"

// peakRSSMB reports nothing where getrusage gives no resident peak in KiB.
func peakRSSMB(*os.ProcessState) (float64, bool) { return 0, false }
