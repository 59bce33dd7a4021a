package storage

import (
	"context"
	"time"
)

// Session is a contact's conversation-flow state: opaque bytes the flow
// engine writes, sealed at rest.
type Session struct {
	Contact   ContactRef
	Data      []byte
	Version   int64 // 1 after the first Put, bumped by each
	UpdatedAt time.Time
	ExpiresAt time.Time // zero: no expiry
}

// Sessions keeps one flow session per contact.
type Sessions interface {
	// Get returns the session. ErrNotFound if none, or if it expired before
	// now.
	Get(ctx context.Context, ref ContactRef, now time.Time) (Session, error)
	// Put stores s if the stored version is s.Version (0 for none, or for a
	// session expired before now) and returns the stored session with its new
	// version; ErrConflict otherwise. UpdatedAt becomes now.
	Put(ctx context.Context, s Session, now time.Time) (Session, error)
	// Delete removes the session; deleting none is not an error.
	Delete(ctx context.Context, ref ContactRef) error
}
