package storage

import (
	"context"
	"time"
)

// Broadcast is a bulk campaign. Spec is the campaign definition (template,
// purpose, pacing) serialised by the broadcast package.
type Broadcast struct {
	ID        string
	Name      string
	State     string // draft, running, paused, cancelled, done
	Spec      []byte
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64
}

// RecipientState is where one recipient of a broadcast is.
type RecipientState string

// Recipient states. Sending is written before the request and the outcome
// after: a recipient found in Sending after a crash has an unknown outcome
// and is never sent to again silently.
const (
	RecipientQueued    RecipientState = "queued"
	RecipientSending   RecipientState = "sending"
	RecipientSent      RecipientState = "sent"
	RecipientDelivered RecipientState = "delivered"
	RecipientRead      RecipientState = "read"
	RecipientFailed    RecipientState = "failed"
	RecipientSkipped   RecipientState = "skipped" // no consent any more, outside window...
	RecipientUnknown   RecipientState = "unknown" // died mid-send
)

// Recipient is one person in a broadcast.
type Recipient struct {
	Broadcast string
	Seq       int64 // position in the snapshot, from 1
	Contact   ContactRef
	Params    []byte // per-recipient template parameters; sealed at rest
	State     RecipientState
	MessageID string // the channel's id once sent
	Reason    string // why failed or skipped: an error code or rule, no personal data
	Attempts  int
	UpdatedAt time.Time
}

// Broadcasts keeps campaigns and their recipients.
type Broadcasts interface {
	// Create stores a campaign with Version 1. ErrConflict if the id exists.
	Create(ctx context.Context, b Broadcast) error
	// Get finds a campaign. ErrNotFound if absent.
	Get(ctx context.Context, id string) (Broadcast, error)
	// Update writes b if b.Version is still stored (ErrConflict otherwise).
	Update(ctx context.Context, b Broadcast) (Broadcast, error)
	// AddRecipients appends a batch atomically; Seq values (from 1) must be
	// new (ErrConflict otherwise). An empty State is stored as queued. A
	// recipient whose person the consent ledger says is erased is stored
	// as Erase leaves one: skipped, reason "erased", without Contact or
	// Params. ErrNotFound if the campaign is unknown.
	AddRecipients(ctx context.Context, id string, rs []Recipient) error
	// Recipients lists recipients in state (all when empty) with Seq >
	// after, in Seq order, at most limit.
	Recipients(ctx context.Context, id string, state RecipientState, after int64, limit int) ([]Recipient, error)
	// Transition moves a recipient from state from to r.State, writing
	// r's MessageID, Reason, Attempts and UpdatedAt (Contact and Params stay
	// as added); ErrConflict if it is no longer in from, ErrNotFound if there
	// is no such recipient.
	Transition(ctx context.Context, r Recipient, from RecipientState) error
	// ByMessage finds the recipient a sent message belongs to. ErrNotFound
	// if none.
	ByMessage(ctx context.Context, messageID string) (Recipient, error)
	// Counts returns the number of recipients per state.
	Counts(ctx context.Context, id string) (map[RecipientState]int, error)
}
