//go:build unix

package webhook_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time this process has used, user and system, on all
// threads. Benchmarks report it per operation so that a figure taken on a
// busy machine still says what one delivery costs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
