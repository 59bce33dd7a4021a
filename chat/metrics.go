package chat

import (
	"sync"
	"sync/atomic"
	"time"
)

// Event kinds as the Server reports them to Metrics.
const (
	MetricMessage = "message" // an inbound message
	MetricStatus  = "status"  // a delivery status
	MetricInvalid = "invalid" // an inbox item that does not decode into a valid event
)

// Metrics receives the Server's counts and timings. Implementations must be
// safe for concurrent use and must not block: they are called on the path of
// every event. An adapter to a metrics system (Prometheus, OpenTelemetry)
// implements this interface in the caller's code; the SDK depends on none.
//
// kind is one of MetricMessage, MetricStatus and MetricInvalid.
type Metrics interface {
	// Accepted counts events stored in the inbox by Accept.
	Accepted(n int)
	// Duplicate counts events Accept skipped because the inbox had already
	// seen their key (a delivery the channel sent again).
	Duplicate(n int)
	// Rejected counts events Accept dropped because they were not valid.
	Rejected(n int)
	// Handled counts an event handled successfully and how long handling
	// took (the Handler or StatusHandler, not the wait in the inbox).
	Handled(kind string, took time.Duration)
	// Retried counts a failed attempt that will be tried again later.
	Retried(kind string)
	// DeadLettered counts an event set aside for an operator.
	DeadLettered(kind string)
}

// NopMetrics is a Metrics that discards everything; it is the default.
type NopMetrics struct{}

// Accepted implements Metrics.
func (NopMetrics) Accepted(int) {}

// Duplicate implements Metrics.
func (NopMetrics) Duplicate(int) {}

// Rejected implements Metrics.
func (NopMetrics) Rejected(int) {}

// Handled implements Metrics.
func (NopMetrics) Handled(string, time.Duration) {}

// Retried implements Metrics.
func (NopMetrics) Retried(string) {}

// DeadLettered implements Metrics.
func (NopMetrics) DeadLettered(string) {}

// Counters is a Metrics that keeps running totals in memory, for tests,
// health pages and load generators. The zero value is ready to use.
type Counters struct {
	accepted, duplicate, rejected atomic.Int64
	handled, retried, dead        atomic.Int64

	mu        sync.Mutex
	handlingN int64
	handling  time.Duration
	maxTook   time.Duration
}

// CountersSnapshot is the state of Counters at one moment.
type CountersSnapshot struct {
	Accepted, Duplicate, Rejected int64
	Handled, Retried, Dead        int64
	// MeanHandling and MaxHandling summarise the handling latency of the
	// events counted in Handled.
	MeanHandling, MaxHandling time.Duration
}

// Accepted implements Metrics.
func (c *Counters) Accepted(n int) { c.accepted.Add(int64(n)) }

// Duplicate implements Metrics.
func (c *Counters) Duplicate(n int) { c.duplicate.Add(int64(n)) }

// Rejected implements Metrics.
func (c *Counters) Rejected(n int) { c.rejected.Add(int64(n)) }

// Handled implements Metrics.
func (c *Counters) Handled(_ string, took time.Duration) {
	c.handled.Add(1)
	c.mu.Lock()
	c.handlingN++
	c.handling += took
	c.maxTook = max(c.maxTook, took)
	c.mu.Unlock()
}

// Retried implements Metrics.
func (c *Counters) Retried(string) { c.retried.Add(1) }

// DeadLettered implements Metrics.
func (c *Counters) DeadLettered(string) { c.dead.Add(1) }

// Snapshot returns the current totals.
func (c *Counters) Snapshot() CountersSnapshot {
	s := CountersSnapshot{
		Accepted:  c.accepted.Load(),
		Duplicate: c.duplicate.Load(),
		Rejected:  c.rejected.Load(),
		Handled:   c.handled.Load(),
		Retried:   c.retried.Load(),
		Dead:      c.dead.Load(),
	}
	c.mu.Lock()
	if c.handlingN > 0 {
		s.MeanHandling = c.handling / time.Duration(c.handlingN)
	}
	s.MaxHandling = c.maxTook
	c.mu.Unlock()
	return s
}

var (
	_ Metrics = NopMetrics{}
	_ Metrics = (*Counters)(nil)
)
