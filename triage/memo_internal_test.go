package triage

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/memory"
)

// countingTickets counts the reads of a contact's open ticket.
type countingTickets struct {
	storage.Tickets
	active atomic.Int64
}

func (c *countingTickets) Active(ctx context.Context, ref storage.ContactRef) (storage.Ticket, error) {
	c.active.Add(1)
	return c.Tickets.Active(ctx, ref)
}

func TestNoTicketMemo(t *testing.T) {
	ctx := context.Background()
	tickets := &countingTickets{Tickets: memory.New().Tickets()}
	q, err := NewQueue(tickets)
	if err != nil {
		t.Fatal(err)
	}
	ref := storage.ContactRef{Channel: "whatsapp", Identifier: "16505551234"}
	other := storage.ContactRef{Channel: "whatsapp", Identifier: "16505550000"}

	mctx := withNoTicket(ctx, ref)
	if _, err := q.Active(mctx, ref); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Active with the memo: %v, want ErrNotFound", err)
	}
	if n := tickets.active.Load(); n != 0 {
		t.Fatalf("the store was asked %d times; the memo answers", n)
	}
	if _, err := q.Active(mctx, other); !errors.Is(err, storage.ErrNotFound) || tickets.active.Load() != 1 {
		t.Fatalf("another contact must be looked up (err %v, %d reads)", err, tickets.active.Load())
	}

	// Opening a ticket with the same context forgets the memo.
	if _, _, err := q.Enqueue(mctx, Request{Contact: ref, Priority: Elevated, Category: HumanRequest}); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Active(mctx, ref); err != nil {
		t.Fatalf("after Enqueue: %v; want the new ticket from the store", err)
	}
	if n := tickets.active.Load(); n < 2 {
		t.Fatalf("%d reads; the lookup after Enqueue must reach the store", n)
	}
}
