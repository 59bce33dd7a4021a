package chat_test

import (
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
)

func TestCounters(t *testing.T) {
	t.Parallel()
	var c chat.Counters
	var m chat.Metrics = &c
	m.Accepted(3)
	m.Duplicate(2)
	m.Rejected(1)
	m.Handled(chat.MetricMessage, 10*time.Millisecond)
	m.Handled(chat.MetricStatus, 30*time.Millisecond)
	m.Retried(chat.MetricMessage)
	m.DeadLettered(chat.MetricInvalid)
	want := chat.CountersSnapshot{Accepted: 3, Duplicate: 2, Rejected: 1, Handled: 2, Retried: 1, Dead: 1,
		MeanHandling: 20 * time.Millisecond, MaxHandling: 30 * time.Millisecond}
	if got := c.Snapshot(); got != want {
		t.Errorf("Snapshot = %+v, want %+v", got, want)
	}
	var nop chat.Metrics = chat.NopMetrics{}
	nop.Accepted(1)
	nop.Handled(chat.MetricMessage, time.Second)
}
