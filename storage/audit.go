package storage

import (
	"context"
	"time"
)

// AuditEntry records one staff action. It never holds message content or
// phone numbers: targets are ids.
type AuditEntry struct {
	ID     string // assigned by the store when empty
	At     time.Time
	Actor  string // staff id, "system"
	Action string // e.g. "ticket.priority_lowered", "contact.revealed"
	Target string // a ticket id, contact id...
	Detail map[string]string
}

// Audit is the append-only record of staff actions.
type Audit interface {
	// Append stores e. Actor and Action are required; an id that exists is
	// ErrConflict.
	Append(ctx context.Context, e AuditEntry) error
	// List returns entries at or after since, oldest first, at most limit.
	List(ctx context.Context, since time.Time, limit int) ([]AuditEntry, error)
}
