package memory

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/impactchat/impactchat/storage"
)

// Option configures a Store.
type Option func(*Store)

// WithIDs sets the source of the ids the store assigns (contacts, tickets,
// audit entries, staff accounts). The default numbers them 1, 2, 3... in
// order, which keeps tests deterministic. A nil next keeps the default.
func WithIDs(next func() string) Option {
	return func(s *Store) {
		if next != nil {
			s.newID = next
		}
	}
}

// WithClock sets the clock used where a call gives no time (audit entries
// without At, staff and broadcast records, the closing of tickets on Erase).
// The default is time.Now. A nil now keeps the default.
func WithClock(now func() time.Time) Option {
	return func(s *Store) {
		if now != nil {
			s.now = now
		}
	}
}

// WithSubjectKey sets the key of the keyed hash that names a contact in the
// consent ledger (ConsentState.Subject). The default is a fixed key, so that
// subjects are stable across runs. An empty key keeps the default.
func WithSubjectKey(key []byte) Option {
	return func(s *Store) {
		if len(key) > 0 {
			s.subjectKey = append([]byte(nil), key...)
		}
	}
}

// Store keeps everything in memory behind one mutex. The zero value is not
// usable; call New.
type Store struct {
	mu     sync.Mutex
	closed bool

	newID      func() string
	now        func() time.Time
	subjectKey []byte
	lastID     int64

	inbox      inboxData
	contacts   contactData
	consent    consentData
	sessions   map[storage.ContactRef]*sessionRec
	messages   messageData
	tickets    ticketData
	broadcasts broadcastData
	audit      auditData
	staff      staffData
}

// The aggregates are views of one Store sharing its mutex.
type (
	inboxView      struct{ s *Store }
	contactsView   struct{ s *Store }
	consentView    struct{ s *Store }
	sessionsView   struct{ s *Store }
	messagesView   struct{ s *Store }
	ticketsView    struct{ s *Store }
	broadcastsView struct{ s *Store }
	auditView      struct{ s *Store }
	staffView      struct{ s *Store }
)

var (
	_ storage.Store      = (*Store)(nil)
	_ storage.Inbox      = inboxView{}
	_ storage.Contacts   = contactsView{}
	_ storage.ConsentLog = consentView{}
	_ storage.Sessions   = sessionsView{}
	_ storage.Messages   = messagesView{}
	_ storage.Tickets    = ticketsView{}
	_ storage.Broadcasts = broadcastsView{}
	_ storage.Audit      = auditView{}
	_ storage.Staff      = staffView{}
)

// New returns an empty store.
func New(opts ...Option) *Store {
	s := &Store{
		now:        time.Now,
		subjectKey: []byte("impactchat/storage/memory subject key"),
		sessions:   make(map[storage.ContactRef]*sessionRec),
	}
	s.newID = s.sequentialID
	for _, o := range opts {
		o(s)
	}
	s.inbox.init()
	s.contacts.init()
	s.consent.init()
	s.messages.init()
	s.tickets.init()
	s.broadcasts.init()
	s.audit.init()
	s.staff.init()
	return s
}

// sequentialID is the default id source. It runs under s.mu.
func (s *Store) sequentialID() string {
	s.lastID++
	return strconv.FormatInt(s.lastID, 10)
}

// Inbox returns the event intake.
func (s *Store) Inbox() storage.Inbox { return inboxView{s} }

// Contacts returns the people the line talks to.
func (s *Store) Contacts() storage.Contacts { return contactsView{s} }

// Consent returns the consent ledger.
func (s *Store) Consent() storage.ConsentLog { return consentView{s} }

// Sessions returns the flow sessions.
func (s *Store) Sessions() storage.Sessions { return sessionsView{s} }

// Messages returns the conversation log.
func (s *Store) Messages() storage.Messages { return messagesView{s} }

// Tickets returns the human queue.
func (s *Store) Tickets() storage.Tickets { return ticketsView{s} }

// Broadcasts returns the campaigns.
func (s *Store) Broadcasts() storage.Broadcasts { return broadcastsView{s} }

// Audit returns the record of staff actions.
func (s *Store) Audit() storage.Audit { return auditView{s} }

// Staff returns the staff accounts.
func (s *Store) Staff() storage.Staff { return staffView{s} }

// Ping reports ErrClosed after Close.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.lock(ctx); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	s.mu.Unlock()
	return nil
}

// Close drops everything; later calls fail with ErrClosed. Closing twice is
// not an error.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.inbox.init()
	s.contacts.init()
	s.consent.init()
	s.sessions = nil
	s.messages.init()
	s.tickets.init()
	s.broadcasts.init()
	s.audit.init()
	s.staff.init()
	return nil
}

// Erase removes what is held about the contact, as storage.Store describes.
func (s *Store) Erase(ctx context.Context, ref storage.ContactRef) error {
	_, err := s.erase(ctx, ref, -1)
	return err
}

var _ storage.IdleEraser = (*Store)(nil)

// EraseIfIdle implements storage.IdleEraser.
func (s *Store) EraseIfIdle(ctx context.Context, ref storage.ContactRef, allow int) (bool, error) {
	if allow < 0 {
		return false, fmt.Errorf("erase: %w", &storage.FieldError{Field: "allow", Problem: fmt.Sprintf("is %d; it must be at least 0", allow)})
	}
	return s.erase(ctx, ref, allow)
}

// erase is Erase, unless allow >= 0 and more than allow items of the
// contact's partition are still to be handled.
func (s *Store) erase(ctx context.Context, ref storage.ContactRef, allow int) (bool, error) {
	if err := ref.Validate(); err != nil {
		return false, fmt.Errorf("erase: %w", err)
	}
	if err := s.lock(ctx); err != nil {
		return false, fmt.Errorf("erase: %w", err)
	}
	defer s.mu.Unlock()
	if allow >= 0 && len(s.inbox.queues[storage.PartitionOf(ref)]) > allow {
		return false, nil
	}
	now := s.now()
	s.contacts.erase(ref)
	delete(s.sessions, ref)
	s.messages.erase(ref)
	s.inbox.erase(storage.PartitionOf(ref))
	s.tickets.erase(ref, now)
	s.broadcasts.erase(ref, now)
	s.consent.erase(s.subject(ref))
	return true, nil
}

// lock checks ctx, takes the mutex and checks that the store is open. On
// success the caller holds s.mu.
func (s *Store) lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return storage.ErrClosed
	}
	return nil
}

// messageKey is the key of a channel message id in an index: a keyed hash,
// as the SQL stores keep, so that a record whose id was dropped at erasure
// is still found by it.
func (s *Store) messageKey(id string) string {
	m := hmac.New(sha256.New, s.subjectKey)
	m.Write([]byte("message id\x00"))
	m.Write([]byte(id))
	return hex.EncodeToString(m.Sum(nil))
}

// subject is the keyed hash naming a contact in the consent ledger.
func (s *Store) subject(ref storage.ContactRef) string {
	m := hmac.New(sha256.New, s.subjectKey)
	m.Write([]byte(storage.PartitionOf(ref)))
	return hex.EncodeToString(m.Sum(nil))
}

// checkLimit rejects a negative limit.
func checkLimit(field string, limit int) error {
	if limit < 0 {
		return &storage.FieldError{Field: field, Problem: "is negative; use 0 for no limit"}
	}
	return nil
}

// upTo cuts n to limit when limit is set.
func upTo(n, limit int) int {
	if limit > 0 && limit < n {
		return limit
	}
	return n
}
