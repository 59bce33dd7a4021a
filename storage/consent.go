package storage

import (
	"context"
	"time"
)

// ConsentEvent is one immutable entry of the consent ledger. The consent
// package decides what the fields mean; storage keeps them as given.
type ConsentEvent struct {
	ID       string     // unique; assigned by the caller
	Contact  ContactRef // hashed at rest; empty when read back after erasure
	Type     string     // granted, declined, withdrawn, erased...
	Purposes []string
	Notice   string // notice version id
	Hash     string // hex SHA-256 of the exact notice content shown
	Language string
	Method   string // e.g. "whatsapp:button:accept", "whatsapp:keyword:STOP"
	Evidence string // a fingerprint of the channel message id, or a button payload; never free text
	Actor    string // "user", "system", "staff:<id>"
	Basis    string // legal basis relied on
	Reason   string // for holds, staff actions, expiry; no personal data
	// ReviewAt is set on holds: when the hold must be looked at again.
	ReviewAt   time.Time
	OccurredAt time.Time
	RecordedAt time.Time
	PrevHash   string // hash of the previous event of this contact (tamper evidence)
	EventHash  string // hash of this event, chained to PrevHash
}

// ConsentState is the projection of a contact's ledger: what holds now.
type ConsentState struct {
	Contact  ContactRef // empty when read back after erasure
	Subject  string     // the store's keyed hash of the contact; stable, not reversible
	Purposes map[string]PurposeState
	Notice   string // the notice version last answered
	Hash     string
	Language string
	Prompts  int       // notices sent since the last answer (re-prompt limiting)
	PromptAt time.Time // when the last notice was sent
	Hold     bool      // erasure is held (open safeguarding case...)
	// LastEvent is the id of the last event applied; Append compares it.
	LastEvent string
	UpdatedAt time.Time
	// Erased is true once the contact's content was erased: the state is a
	// tombstone.
	Erased bool
}

// PurposeState is the state of one purpose.
type PurposeState struct {
	State     string // granted, declined, withdrawn, reconsent_required, expired...
	Basis     string
	Since     time.Time
	ExpiresAt time.Time // zero: until withdrawn
}

// ConsentLog is the append-only consent ledger with its projection.
type ConsentLog interface {
	// Append adds e and stores next as the contact's state, atomically, if
	// the stored state's LastEvent is still prev (empty for a contact with no
	// events). ErrConflict otherwise, or if e.ID exists. next.LastEvent must
	// be e.ID. When next.Erased, the event is kept as Store.Erase keeps the
	// earlier ones, without its Contact, and no data key is made for the
	// contact: the ledger of an erased person names nobody.
	Append(ctx context.Context, e ConsentEvent, prev string, next ConsentState) error
	// State returns the contact's current state. ErrNotFound when nothing
	// was stored for the contact (neither Append nor SaveState).
	State(ctx context.Context, ref ContactRef) (ConsentState, error)
	// History returns the contact's events, oldest first (none is not an
	// error).
	History(ctx context.Context, ref ContactRef) ([]ConsentEvent, error)
	// List iterates over every state (including tombstones), for re-consent
	// after a material notice change, expiry and segments.
	List(ctx context.Context) Seq[ConsentState]
	// SaveState replaces a state without an event (prompt counters), under
	// the same compare on LastEvent as Append; with prev empty it creates the
	// state of a contact that has no events yet. next.LastEvent must be prev.
	// The contact is next.Contact, or, when that is empty, the one named by
	// next.Subject (a tombstone read back after erasure; ErrNotFound if none).
	SaveState(ctx context.Context, prev string, next ConsentState) error
	// Forget deletes the contact's ledger and state entirely: only for
	// declined tombstones past their retention (90 days by default).
	// Forgetting an unknown subject is not an error.
	Forget(ctx context.Context, subject string) error
}
