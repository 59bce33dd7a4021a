package triage

import (
	"context"
	"sync/atomic"

	"github.com/impactchat/impactchat/storage"
)

// noTicketMemo remembers, while one message is handled, that the screen
// found no open ticket for its sender, so that the router and a flow's
// handoff check do not ask the store again. Any ticket this package opens
// or changes with the same context forgets it; staff reach a person's
// tickets only once they exist, so nobody else can open one meanwhile.
type noTicketMemo struct {
	ref   storage.ContactRef
	valid atomic.Bool
}

type noTicketKey struct{}

func withNoTicket(ctx context.Context, ref storage.ContactRef) context.Context {
	m := &noTicketMemo{ref: ref}
	m.valid.Store(true)
	return context.WithValue(ctx, noTicketKey{}, m)
}

// knownNoTicket reports whether ctx says ref has no open ticket.
func knownNoTicket(ctx context.Context, ref storage.ContactRef) bool {
	m, ok := ctx.Value(noTicketKey{}).(*noTicketMemo)
	return ok && m.ref == ref && m.valid.Load()
}

// ticketsChanging forgets what ctx remembers about open tickets.
func ticketsChanging(ctx context.Context) {
	if m, ok := ctx.Value(noTicketKey{}).(*noTicketMemo); ok {
		m.valid.Store(false)
	}
}

// activeTicket is tickets.Active, answered from ctx when the screen already
// found none.
func (q *Queue) activeTicket(ctx context.Context, ref storage.ContactRef) (storage.Ticket, error) {
	if knownNoTicket(ctx, ref) {
		return storage.Ticket{}, storage.ErrNotFound
	}
	return q.tickets.Active(ctx, ref)
}
