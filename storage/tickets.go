package storage

import (
	"context"
	"time"
)

// TicketState is where a ticket is in the human queue.
type TicketState string

// Ticket states.
const (
	TicketOpen    TicketState = "open"    // waiting for a staff member
	TicketClaimed TicketState = "claimed" // a staff member has it
	TicketClosed  TicketState = "closed"  // resolved; the bot may answer again
)

// Ticket is a conversation waiting for, or with, a person on staff.
// Priority is an integer so storage needs no domain knowledge: the triage
// package gives 0 routine, 1 elevated, 2 urgent, 3 critical. Higher is served
// first.
type Ticket struct {
	ID       string // assigned by the store when empty
	Contact  ContactRef
	Queue    string // e.g. "protection", "general", "fraud"
	Priority int
	Category string // why: a lexicon category or rule id; never message text
	State    TicketState
	Assignee string    // staff id while claimed
	DueAt    time.Time // SLA: first human answer due
	// Arrival orders tickets of equal priority and due time. Assigned by the
	// store when zero.
	Arrival   int64
	OpenedAt  time.Time
	UpdatedAt time.Time
	ClosedAt  time.Time
	// Escalated counts escalation steps already taken.
	Escalated int
	// AckedAt is when the out-of-hours or queue acknowledgement was sent.
	AckedAt time.Time
	Notes   []TicketNote // staff notes; sealed at rest
	Version int64
}

// TicketNote is a note a staff member left on a ticket.
type TicketNote struct {
	At     time.Time
	Author string
	Text   string
}

// TicketFilter selects tickets for List. Zero fields match everything.
type TicketFilter struct {
	States  []TicketState
	Queues  []string
	Contact *ContactRef
	Limit   int
}

// Tickets is the human queue.
type Tickets interface {
	// Open stores a new ticket for the contact, unless one that is not closed
	// exists: then it returns that one and false. One open conversation per
	// contact. The new ticket has Version 1, State open when empty (open or
	// claimed only), OpenedAt now when zero, and an id and Arrival assigned
	// when empty; an id that exists is ErrConflict.
	Open(ctx context.Context, t Ticket, now time.Time) (Ticket, bool, error)
	// Get finds a ticket by id. ErrNotFound if absent.
	Get(ctx context.Context, id string) (Ticket, error)
	// Active returns the contact's ticket that is not closed. ErrNotFound if
	// none.
	Active(ctx context.Context, ref ContactRef) (Ticket, error)
	// Update writes t if t.Version is still the stored version (ErrConflict
	// otherwise) and returns it with its new version. ID, Contact, Arrival
	// and OpenedAt stay as stored; closing sets a zero ClosedAt to now;
	// reopening a closed ticket while the contact has another one not closed
	// is ErrConflict.
	Update(ctx context.Context, t Ticket, now time.Time) (Ticket, error)
	// ClaimNext atomically gives assignee the most urgent open ticket in one
	// of queues (all queues when empty): highest priority, then earliest
	// DueAt (a zero DueAt, no SLA, after every set one), then lowest Arrival.
	// ErrNotFound when none is waiting.
	ClaimNext(ctx context.Context, assignee string, queues []string, now time.Time) (Ticket, error)
	// List returns tickets matching f, most urgent first (the order of
	// ClaimNext).
	List(ctx context.Context, f TicketFilter) ([]Ticket, error)
}
