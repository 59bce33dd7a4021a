package loadgen_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/impactchat/impactchat/internal/loadgen"
)

func ExampleDrive() {
	var done atomic.Int64
	d, err := loadgen.Drive(context.Background(), loadgen.Plan{Count: 100, Duration: time.Hour, Concurrency: 8},
		func(ctx context.Context, i int, scheduled time.Time) error {
			done.Add(1)
			if i == 42 {
				return errors.New("operation 42 failed")
			}
			return nil
		})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Started, "started,", d.Failed, "failed, stopped by", d.StoppedBy)
	fmt.Println(done.Load(), "ran; first error:", d.FirstErr)
	// Output:
	// 100 started, 1 failed, stopped by count
	// 100 ran; first error: operation 42 failed
}

func ExampleRecorder() {
	var r loadgen.Recorder
	for i := 1; i <= 100; i++ {
		r.Add(time.Duration(i) * time.Millisecond)
	}
	fmt.Println(r.Summary())
	// Output:
	// p50 50.00ms  p90 90.00ms  p99 99.00ms  max 100.00ms  (n=100)
}

func ExampleCheckLoopback() {
	fmt.Println(loadgen.CheckLoopback("http://127.0.0.1:8080/webhook"))
	fmt.Println(loadgen.CheckLoopback("https://graph.facebook.com/"))
	// Output:
	// <nil>
	// loadgen: target host "graph.facebook.com" is not a loopback address; load is only ever sent to this machine
}
