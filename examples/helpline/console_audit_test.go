package main

import (
	"errors"
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/memory"
	"github.com/impactchat/impactchat/triage"
)

// S8: a staff member raising a priority from the console is the actor in
// the audit log (triage.Queue.RaiseBy), with their reason.
func TestConsoleRaiseAuditedAsStaff(t *testing.T) {
	st := memory.New()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	q, err := triage.NewQueue(st.Tickets(), triage.WithAudit(st.Audit()), triage.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	tk, _, err := st.Tickets().Open(t.Context(), storage.Ticket{Contact: storage.ContactRef{Channel: "whatsapp", Identifier: "15550100777"},
		Queue: "general", Priority: 0, State: storage.TicketOpen}, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := (queueAdapter{q}).SetPriority(t.Context(), tk.ID, 2, "staff-amina", ""); err != nil {
		t.Fatal(err)
	}
	entries, _ := st.Audit().List(t.Context(), time.Time{}, 100)
	for _, e := range entries {
		if e.Action == "ticket.priority_raised" && e.Actor == "staff-amina" {
			return
		}
	}
	t.Fatalf("no ticket.priority_raised entry with the staff member as actor: %+v", entries)
}

// The console shows "Nobody is waiting" when Queue.Next fails with
// storage.ErrNotFound: queueAdapter wraps triage.ErrEmpty in it, so an empty
// queue is not a 500 page and an error log line.
func TestConsoleEmptyQueueIsNotFound(t *testing.T) {
	st := memory.New()
	q, err := triage.NewQueue(st.Tickets(), triage.WithAudit(st.Audit()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = (queueAdapter{q}).Next(t.Context(), "staff-amina")
	if !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("empty queue: %v; the console expects storage.ErrNotFound", err)
	}
}
