package loadgen

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestDriveStopsAtCount(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		seen := map[int]bool{}
		inFlight, most := 0, 0
		d, err := Drive(t.Context(), Plan{Count: 100, Duration: time.Minute, Concurrency: 4}, func(ctx context.Context, i int, _ time.Time) error {
			mu.Lock()
			seen[i] = true
			inFlight++
			most = max(most, inFlight)
			mu.Unlock()
			time.Sleep(time.Millisecond)
			mu.Lock()
			inFlight--
			mu.Unlock()
			if i == 7 {
				return errors.New("boom")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if d.Started != 100 || len(seen) != 100 || d.StoppedBy != "count" {
			t.Errorf("Drive = %+v with %d distinct ops, want 100 by count", d, len(seen))
		}
		if most > 4 {
			t.Errorf("%d ops in flight, want at most 4", most)
		}
		if d.Failed != 1 || d.FirstErr == nil {
			t.Errorf("failures = %d (%v), want 1", d.Failed, d.FirstErr)
		}
		if d.Elapsed != 25*time.Millisecond {
			t.Errorf("elapsed %v, want 25ms (100 ops of 1ms, 4 at a time)", d.Elapsed)
		}
	})
}

func TestDriveKeepsRateAndStopsAtDuration(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var mu sync.Mutex
		var sched []time.Duration
		d, err := Drive(t.Context(), Plan{Count: 1000, Duration: time.Second, Rate: 100}, func(ctx context.Context, i int, scheduled time.Time) error {
			mu.Lock()
			sched = append(sched, scheduled.Sub(start))
			mu.Unlock()
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if d.Started != 100 || d.StoppedBy != "duration" {
			t.Errorf("Drive = %+v, want 100 ops (1s at 100/s) stopped by duration", d)
		}
		for i, s := range sched {
			if want := time.Duration(i) * 10 * time.Millisecond; s != want {
				t.Fatalf("op %d scheduled at %v, want %v", i, s, want)
			}
		}
		if d.MaxLag != 0 {
			t.Errorf("MaxLag = %v, want 0 on an idle fake clock", d.MaxLag)
		}
	})
}

func TestDriveStopsWithContext(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 55*time.Millisecond)
		defer cancel()
		d, err := Drive(ctx, Plan{Count: 1000, Duration: time.Minute, Rate: 100}, func(context.Context, int, time.Time) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		if d.Started != 6 || d.StoppedBy != "context" {
			t.Errorf("Drive = %+v, want 6 ops before the context ended", d)
		}
	})
}

func TestPlanValidate(t *testing.T) {
	t.Parallel()
	for _, p := range []Plan{
		{Count: 0, Duration: time.Second},
		{Count: 1, Duration: 0},
		{Count: 1, Duration: 2 * time.Hour},
		{Count: 1, Duration: time.Second, Rate: -1},
		{Count: 1, Duration: time.Second, Concurrency: -1},
	} {
		if err := p.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil", p)
		}
	}
	if _, err := Drive(t.Context(), Plan{Count: 1, Duration: time.Second}, nil); err == nil {
		t.Error("Drive with a nil op")
	}
}

func TestRecorderSummary(t *testing.T) {
	t.Parallel()
	var r Recorder
	if s := r.Summary(); s.Count != 0 || s.String() != "no samples" {
		t.Errorf("empty summary = %+v", s)
	}
	for i := 100; i >= 1; i-- {
		r.Add(time.Duration(i) * time.Millisecond)
	}
	s := r.Summary()
	want := Summary{Count: 100, Min: time.Millisecond, P50: 50 * time.Millisecond, P90: 90 * time.Millisecond,
		P99: 99 * time.Millisecond, Max: 100 * time.Millisecond, Mean: 50500 * time.Microsecond}
	if s != want {
		t.Errorf("Summary = %+v, want %+v", s, want)
	}
	if got := s.String(); got != "p50 50.00ms  p90 90.00ms  p99 99.00ms  max 100.00ms  (n=100)" {
		t.Errorf("String = %q", got)
	}
}

func TestCheckLoopback(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"http://127.0.0.1:8080/webhook", "http://[::1]:9/x", "http://localhost:1", "http://127.3.4.5"} {
		if err := CheckLoopback(u); err != nil {
			t.Errorf("CheckLoopback(%q) = %v", u, err)
		}
	}
	for _, u := range []string{"https://graph.facebook.com/v23.0", "http://10.0.0.1:80", "http://example.org", "::bad"} {
		if err := CheckLoopback(u); err == nil {
			t.Errorf("CheckLoopback(%q) = nil, want an error", u)
		}
	}
}

// A URL that does not parse is refused without quoting it: it may hold a
// database password.
func TestCheckLoopbackHidesTheURL(t *testing.T) {
	t.Parallel()
	err := CheckLoopback("postgres://user:s3cret@127.0.0.1:5432/db\x7f")
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("CheckLoopback = %v; want an error without the password", err)
	}
}
