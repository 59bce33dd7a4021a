//go:build unix

package triage_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the process has used, user and system. On a
// loaded machine it measures work per core better than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
