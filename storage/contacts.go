package storage

import (
	"context"
	"time"
)

// Contact is a person a line talks to.
type Contact struct {
	ID  string     // assigned by the store; stable; not personal data
	Ref ContactRef // sealed at rest

	Name     string            // profile name; sealed
	Language string            // BCP 47 tag the person chose, e.g. "ar"
	Fields   map[string]string // answers saved by flows (city, household size...); sealed

	LastInboundAt time.Time // the person's last message: the 24-hour window opens here
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Version       int64 // bumped by every write; Update compares it
}

// TouchSlack is how far behind the time given to Contacts.Touch a store
// may leave a contact's LastInboundAt. People write in bursts, seconds
// apart; a store that must take its one writer for every message (SQLite)
// spares that write for every message of a burst but the first, and reads
// the contact instead. A time read back is then at most this much earlier
// than the person's last message, which can only close the 24-hour window
// early, never keep it open late. The handler of a message gets that
// message's own time from chat.Server.
const TouchSlack = time.Minute

// Contacts keeps the people a line talks to.
type Contacts interface {
	// Touch returns the contact for ref, creating it if absent (Version 1,
	// CreatedAt at), and moves LastInboundAt forward to at (never back).
	// A store may leave a stored time that is less than TouchSlack before
	// at where it is (see TouchSlack).
	Touch(ctx context.Context, ref ContactRef, at time.Time) (Contact, error)
	// Get finds a contact by reference. ErrNotFound if absent.
	Get(ctx context.Context, ref ContactRef) (Contact, error)
	// GetByID finds a contact by id. ErrNotFound if absent.
	GetByID(ctx context.Context, id string) (Contact, error)
	// Update writes Name, Language and Fields of the contact c.ID (c.Ref when
	// the id is empty) if c.Version is still the stored version (ErrConflict
	// otherwise; ErrNotFound if absent) and returns the new record.
	Update(ctx context.Context, c Contact, now time.Time) (Contact, error)
	// List iterates over all contacts in creation order, for segments and
	// exports.
	List(ctx context.Context) Seq[Contact]
}
