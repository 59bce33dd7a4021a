package triage_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/impactchat/impactchat/triage"
)

// failFirstBreach fails the first breach notification (a mail gateway
// that hiccups once) and delivers everything else.
type failFirstBreach struct {
	mu        sync.Mutex
	failed    bool
	delivered []triage.Event
}

func (n *failFirstBreach) Notify(_ context.Context, e triage.Event) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if e.Kind == triage.EventBreach && !n.failed {
		n.failed = true
		return errors.New("mail gateway: 503")
	}
	n.delivered = append(n.delivered, e)
	return nil
}

// N7/T10: Tick documents that "a step whose notification failed is taken
// back, so that the next tick sends it again". For a routine ticket the
// breach step coincides with aging to Elevated; a failed breach is sent
// again then too (it was once taken as done, and the SLA expired silently).
func TestFailedBreachOfAgedRoutineTicketIsRetried(t *testing.T) {
	t.Parallel()
	n := &failFirstBreach{}
	f := newFixture(t, friday10, triage.WithNotifier(n))
	it, _, err := f.queue.Enqueue(t.Context(), triage.Request{Contact: ref(person("81")), Priority: triage.Routine})
	if err != nil {
		t.Fatal(err)
	}
	// Past the routine SLA (8 open hours: Monday 10:00 Quito).
	f.clock.Set(it.Ticket.DueAt.Add(time.Minute))
	if _, err := f.queue.Tick(t.Context()); err == nil {
		t.Fatal("the first breach notification should have failed")
	}
	// The line keeps ticking for a working day.
	for range 8 * 60 * 2 {
		f.clock.Advance(30 * time.Second)
		_, _ = f.queue.Tick(t.Context())
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, e := range n.delivered {
		if e.Kind == triage.EventBreach && e.TicketID == it.Ticket.ID {
			return
		}
	}
	t.Fatalf("the SLA breach of ticket %s failed to notify once and was never sent again (delivered %d events)", it.Ticket.ID, len(n.delivered))
}

// T10: escalation steps fire once. When a staff member lowers a critical
// ticket to urgent, the urgent chain's steps whose time has already passed
// count as taken, as when a ticket ages: the supervisor, told about this
// ticket a quarter of an hour ago, is not told again the minute after a
// person triaged it down.
func TestLowerDoesNotRefireStepsAlreadyDue(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t, friday10)
	it, _, err := f.queue.Enqueue(ctx, triage.Request{Contact: ref(person("82")), Priority: triage.Critical, Category: triage.SelfHarm})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(16 * time.Minute)
	if es, err := f.queue.Tick(ctx); err != nil || len(es) != 3 {
		t.Fatalf("critical chain after 16 min: %+v %v", es, err)
	}
	if _, err := f.queue.Lower(ctx, it.Ticket.ID, triage.Urgent, "officer-1", "no immediate danger"); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute)
	es, err := f.queue.Tick(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		t.Errorf("a minute after staff lowered the ticket, tick fired %s>%s (step %d) again", e.Kind, e.Target, e.Step)
	}
}
