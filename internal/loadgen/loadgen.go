package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Plan bounds and shapes a run.
type Plan struct {
	// Count is how many operations to start, at most. Required; at most
	// 10,000,000.
	Count int
	// Duration is how long to keep starting operations, at most. Required;
	// at most one hour.
	Duration time.Duration
	// Rate is how many operations to start per second. Operations are
	// scheduled at fixed times (open loop), so a slow system shows up as
	// latency rather than as a lower offered load. Zero starts operations as
	// fast as Concurrency allows (closed loop).
	Rate float64
	// Concurrency is the most operations in flight at once. Zero means 64.
	Concurrency int
}

// Validate reports the first field out of bounds.
func (p Plan) Validate() error {
	switch {
	case p.Count < 1 || p.Count > 10_000_000:
		return fmt.Errorf("loadgen: plan count is %d; give 1 to 10000000", p.Count)
	case p.Duration <= 0 || p.Duration > time.Hour:
		return fmt.Errorf("loadgen: plan duration is %v; give more than 0 and at most 1h", p.Duration)
	case p.Rate < 0 || p.Rate > 1_000_000:
		return fmt.Errorf("loadgen: plan rate is %v; give 0 to 1000000 per second", p.Rate)
	case p.Concurrency < 0 || p.Concurrency > 10_000:
		return fmt.Errorf("loadgen: plan concurrency is %d; give 0 to 10000", p.Concurrency)
	}
	return nil
}

// Op is one operation: i counts from 0, scheduled is when the plan meant it
// to start (with a Rate; otherwise when it started).
type Op func(ctx context.Context, i int, scheduled time.Time) error

// Driven says what Drive did.
type Driven struct {
	Started int           // operations started
	Failed  int           // operations that returned an error
	Elapsed time.Duration // from the first start to the last end
	// MaxLag is the longest an operation started after its scheduled time
	// (with a Rate): large values mean the concurrency was too low for the
	// rate, or the driving machine too busy.
	MaxLag    time.Duration
	FirstErr  error // the first error an operation returned
	StoppedBy string
}

// Drive runs op as the plan says and returns when every started operation
// has returned. It stops starting operations when Count is reached,
// Duration has passed, or ctx ends.
func Drive(ctx context.Context, p Plan, op Op) (Driven, error) {
	if err := p.Validate(); err != nil {
		return Driven{}, err
	}
	if op == nil {
		return Driven{}, errors.New("loadgen: op is nil")
	}
	conc := p.Concurrency
	if conc == 0 {
		conc = 64
	}
	var (
		wg       sync.WaitGroup
		failed   atomic.Int64
		maxLag   atomic.Int64
		errOnce  sync.Once
		firstErr error
	)
	sem := make(chan struct{}, conc)
	start := time.Now()
	end := start.Add(p.Duration)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var interval time.Duration
	if p.Rate > 0 {
		interval = time.Duration(float64(time.Second) / p.Rate)
	}
	d := Driven{StoppedBy: "count"}
	i := 0
loop:
	for ; i < p.Count; i++ {
		scheduled := time.Now()
		if interval > 0 {
			scheduled = start.Add(time.Duration(i) * interval)
			if wait := time.Until(scheduled); wait > 0 {
				timer.Reset(wait)
				select {
				case <-ctx.Done():
					d.StoppedBy = "context"
					break loop
				case <-timer.C:
				}
			}
		}
		if !scheduled.Before(end) || time.Now().After(end) {
			d.StoppedBy = "duration"
			break
		}
		select {
		case <-ctx.Done():
			d.StoppedBy = "context"
			break loop
		case sem <- struct{}{}:
		}
		if interval > 0 {
			lag := int64(time.Since(scheduled))
			for {
				cur := maxLag.Load()
				if lag <= cur || maxLag.CompareAndSwap(cur, lag) {
					break
				}
			}
		}
		wg.Add(1)
		go func(i int, scheduled time.Time) {
			defer func() {
				<-sem
				wg.Done()
			}()
			if err := op(ctx, i, scheduled); err != nil {
				failed.Add(1)
				errOnce.Do(func() { firstErr = err })
			}
		}(i, scheduled)
	}
	wg.Wait()
	d.Started = i
	d.Failed = int(failed.Load())
	d.Elapsed = time.Since(start)
	d.MaxLag = time.Duration(maxLag.Load())
	d.FirstErr = firstErr
	return d, nil
}

// Recorder collects durations from many goroutines. The zero value is
// ready to use.
type Recorder struct {
	mu      sync.Mutex
	samples []time.Duration
}

// Add records one duration.
func (r *Recorder) Add(d time.Duration) {
	r.mu.Lock()
	r.samples = append(r.samples, d)
	r.mu.Unlock()
}

// Summary describes a set of durations.
type Summary struct {
	Count                   int
	Min, P50, P90, P99, Max time.Duration
	Mean                    time.Duration
}

// String renders the summary in milliseconds.
func (s Summary) String() string {
	if s.Count == 0 {
		return "no samples"
	}
	return fmt.Sprintf("p50 %s  p90 %s  p99 %s  max %s  (n=%d)", ms(s.P50), ms(s.P90), ms(s.P99), ms(s.Max), s.Count)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

// Summary returns the percentiles of what was recorded (nearest rank).
func (r *Recorder) Summary() Summary {
	r.mu.Lock()
	s := slices.Clone(r.samples)
	r.mu.Unlock()
	if len(s) == 0 {
		return Summary{}
	}
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	return Summary{
		Count: len(s),
		Min:   s[0],
		P50:   rank(s, 0.50),
		P90:   rank(s, 0.90),
		P99:   rank(s, 0.99),
		Max:   s[len(s)-1],
		Mean:  sum / time.Duration(len(s)),
	}
}

// rank returns the q-th quantile of sorted s by the nearest-rank method.
func rank(s []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(s))+0.999999999) - 1
	return s[max(0, min(i, len(s)-1))]
}

// CheckLoopback reports an error unless rawURL's host is a loopback address
// (127.0.0.0/8, ::1) or "localhost".
func CheckLoopback(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error quotes the whole URL, with any password in it.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("loadgen: target url does not parse: %w", err)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("loadgen: target host %q is not a loopback address; load is only ever sent to this machine", host)
	}
	return nil
}
