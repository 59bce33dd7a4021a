package console

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/impactchat/impactchat/storage"
)

// StoreQueue is a Queue directly over storage: it claims with
// storage.Tickets.ClaimNext and audits every change. Lines that use the
// triage package pass triage's queue instead, which adds SLA clocks and
// escalation.
type StoreQueue struct {
	Store storage.Store
	Now   func() time.Time
}

var _ Queue = StoreQueue{}

func (q StoreQueue) now() time.Time {
	if q.Now != nil {
		return q.Now()
	}
	return time.Now()
}

// Next implements Queue.
func (q StoreQueue) Next(ctx context.Context, staff string) (storage.Ticket, error) {
	return q.Store.Tickets().ClaimNext(ctx, staff, nil, q.now())
}

// SetPriority implements Queue. Lowering needs a reason.
func (q StoreQueue) SetPriority(ctx context.Context, id string, p int, staff, reason string) error {
	if p < 0 || p > 3 {
		return fmt.Errorf("set priority: %d is outside 0..3", p)
	}
	t, err := q.Store.Tickets().Get(ctx, id)
	if err != nil {
		return fmt.Errorf("set priority: %w", err)
	}
	if p < t.Priority && reason == "" {
		return errors.New("set priority: lowering a priority needs a reason")
	}
	if len(reason) > maxPriorityReason {
		return fmt.Errorf("set priority: reason is %d bytes; at most %d are allowed", len(reason), maxPriorityReason)
	}
	old := t.Priority
	t.Priority = p
	if _, err := q.Store.Tickets().Update(ctx, t, q.now()); err != nil {
		return fmt.Errorf("set priority: %w", err)
	}
	action := "ticket.priority_raised"
	if p < old {
		action = "ticket.priority_lowered"
	}
	return q.Store.Audit().Append(ctx, storage.AuditEntry{At: q.now(), Actor: staff, Action: action, Target: id,
		Detail: map[string]string{"from": strconv.Itoa(old), "to": strconv.Itoa(p), "reason": reason}})
}

// Close implements Queue.
func (q StoreQueue) Close(ctx context.Context, id, staff, outcome string) error {
	t, err := q.Store.Tickets().Get(ctx, id)
	if err != nil {
		return fmt.Errorf("close ticket: %w", err)
	}
	now := q.now()
	t.State = storage.TicketClosed
	t.ClosedAt = now
	if _, err := q.Store.Tickets().Update(ctx, t, now); err != nil {
		return fmt.Errorf("close ticket: %w", err)
	}
	return q.Store.Audit().Append(ctx, storage.AuditEntry{At: now, Actor: staff, Action: "ticket.closed", Target: id,
		Detail: map[string]string{"outcome": outcome}})
}

// maxPriorityReason bounds the reason for a priority change, in bytes, as
// triage.Queue does (triage.MaxReason): the audit log keeps it for good.
const maxPriorityReason = 200
