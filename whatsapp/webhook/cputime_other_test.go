//go:build !unix

package webhook_test

import "time"

// cpuTime is unknown on this platform; benchmarks then omit CPU figures.
func cpuTime() time.Duration { return 0 }
