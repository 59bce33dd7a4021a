package storage

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
)

// Sentinel errors. Backends wrap them with %w; callers use errors.Is.
var (
	// ErrNotFound: no record matches.
	ErrNotFound = errors.New("storage: not found")
	// ErrConflict: a compare-and-swap lost (the record changed since it was
	// read) or a unique key already exists.
	ErrConflict = errors.New("storage: conflict")
	// ErrLeaseLost: an inbox item is no longer leased to the caller (the
	// lease expired and another worker claimed it).
	ErrLeaseLost = errors.New("storage: lease lost")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("storage: closed")
	// ErrInvalid: the record is malformed (an empty key, a negative limit).
	// Backends wrap it in a *FieldError naming the field.
	ErrInvalid = errors.New("storage: invalid")
	// ErrCorrupt: a sealed value could not be opened (wrong key, tampered
	// or truncated data). Never garbage text.
	ErrCorrupt = errors.New("storage: corrupt sealed value")
	// ErrErased: the contact was erased; their content is gone.
	ErrErased = errors.New("storage: erased")
	// ErrSchemaTooNew: the database was written by a newer version of the
	// code than the one opening it.
	ErrSchemaTooNew = errors.New("storage: schema is newer than this code")
)

// FieldError says which field of a record is wrong. It matches ErrInvalid.
type FieldError struct {
	Field   string
	Problem string
}

// Error says which field is wrong and why.
func (e *FieldError) Error() string { return fmt.Sprintf("storage: %s %s", e.Field, e.Problem) }

// Is makes a FieldError match ErrInvalid.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// ContactRef names a person: the channel and their identifier there (a phone
// number or a business-scoped user id). It is personal data: backends store
// it sealed and look it up through a keyed hash. String masks it.
type ContactRef struct {
	Channel    string
	Identifier string
}

// String masks the identifier.
func (r ContactRef) String() string {
	id := []rune(r.Identifier)
	if len(id) < 8 {
		return r.Channel + ":***"
	}
	return r.Channel + ":***" + string(id[len(id)-2:])
}

// PartitionOf is the inbox partition of a contact's events: the channel and
// the identifier joined by a colon. The runtime puts every event of a contact
// in this partition, and [Store.Erase] drops the pending items found there.
// A valid channel holds no colon, so the join names one contact: the SQL
// stores derive a person's keyed subject, and so their data key, from it.
func PartitionOf(ref ContactRef) string { return ref.Channel + ":" + ref.Identifier }

// Validate reports an empty channel or identifier, or a channel with a
// colon (see PartitionOf).
func (r ContactRef) Validate() error {
	if r.Channel == "" {
		return &FieldError{Field: "contact.channel", Problem: "is empty"}
	}
	if strings.Contains(r.Channel, ":") {
		return &FieldError{Field: "contact.channel", Problem: "contains a colon; give a channel name such as \"whatsapp\""}
	}
	if r.Identifier == "" {
		return &FieldError{Field: "contact.identifier", Problem: "is empty"}
	}
	return nil
}

// Store gives access to every aggregate of one line's (or one tenant's)
// storage. Implementations are safe for concurrent use.
type Store interface {
	Inbox() Inbox
	Contacts() Contacts
	Consent() ConsentLog
	Sessions() Sessions
	Messages() Messages
	Tickets() Tickets
	Broadcasts() Broadcasts
	Audit() Audit
	Staff() Staff
	// Erase removes everything held about the contact in every aggregate:
	// the contact record, messages, sessions, inbox items still pending,
	// ticket notes and broadcast parameters; sealing backends destroy the
	// contact's data key. Consent events stay, as the minimal tombstone (keyed
	// hash, states, notice versions, times), and are not content. Erasing an
	// unknown contact is not an error.
	//
	// In detail, after Erase:
	//   - Contacts, Sessions and Messages no longer find the contact or its
	//     messages (ErrNotFound, empty history).
	//   - Inbox items of PartitionOf(ref) that were not acked (pending,
	//     leased or dead-lettered) are dropped with their payload: they are
	//     never claimed or listed again, and a lease on one is lost. Their
	//     keys may still deduplicate.
	//   - The contact's tickets stay as records without Contact and Notes;
	//     one that was not closed is closed, so Active finds none.
	//   - The contact's broadcast recipients stay without Contact and Params;
	//     those still queued become skipped with Reason "erased".
	//   - The consent state stays as a tombstone: Erased is true, Contact is
	//     empty, Subject, purposes and LastEvent are kept; the events stay
	//     with an empty Contact. State, History and SaveState still find it
	//     by ref (through the keyed hash).
	Erase(ctx context.Context, ref ContactRef) error
	// Ping checks that the store is reachable.
	Ping(ctx context.Context) error
	Close() error
}

// IdleEraser is an optional ability of a Store, found by type assertion:
// erasing a contact only while at most allow of their inbox items are still
// to be handled (Inbox.Pending), the count and the erasure done atomically,
// so that no message stored in between is dropped unhandled. It reports
// whether it erased; allow must be at least 0. All the stores here have it.
type IdleEraser interface {
	EraseIfIdle(ctx context.Context, ref ContactRef, allow int) (erased bool, err error)
}

// Seq is a convenience alias for the iterators that list records page by
// page. Iteration stops at the first error, which is yielded.
type Seq[T any] = iter.Seq2[T, error]
