package memory

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/impactchat/impactchat/storage"
)

// sessionRec is kept small: a line may hold a session for every contact.
type sessionRec struct {
	data      []byte
	version   int64
	updatedAt time.Time
	expiresAt time.Time
}

// live reports whether the session has not expired before now.
func (r *sessionRec) live(now time.Time) bool {
	return r.expiresAt.IsZero() || !r.expiresAt.Before(now)
}

func (r *sessionRec) session(ref storage.ContactRef) storage.Session {
	return storage.Session{
		Contact:   ref,
		Data:      bytes.Clone(r.data),
		Version:   r.version,
		UpdatedAt: r.updatedAt,
		ExpiresAt: r.expiresAt,
	}
}

func (v sessionsView) Get(ctx context.Context, ref storage.ContactRef, now time.Time) (storage.Session, error) {
	if err := ref.Validate(); err != nil {
		return storage.Session{}, fmt.Errorf("sessions get: %w", err)
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return storage.Session{}, fmt.Errorf("sessions get: %w", err)
	}
	defer s.mu.Unlock()
	r := s.sessions[ref]
	if r == nil || !r.live(now) {
		return storage.Session{}, fmt.Errorf("sessions get: %w", storage.ErrNotFound)
	}
	return r.session(ref), nil
}

// Put treats an expired session as absent: a Put with Version 0 replaces it.
func (v sessionsView) Put(ctx context.Context, in storage.Session, now time.Time) (storage.Session, error) {
	if err := in.Contact.Validate(); err != nil {
		return storage.Session{}, fmt.Errorf("sessions put: %w", err)
	}
	if in.Version < 0 {
		return storage.Session{}, fmt.Errorf("sessions put: %w", &storage.FieldError{Field: "version", Problem: "is negative"})
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return storage.Session{}, fmt.Errorf("sessions put: %w", err)
	}
	defer s.mu.Unlock()
	r := s.sessions[in.Contact]
	var stored int64
	if r != nil && r.live(now) {
		stored = r.version
	}
	if stored != in.Version {
		return storage.Session{}, fmt.Errorf("sessions put: version %d, stored %d: %w", in.Version, stored, storage.ErrConflict)
	}
	if r == nil {
		r = &sessionRec{}
		s.sessions[in.Contact] = r
	}
	r.data = bytes.Clone(in.Data)
	// Versions keep counting across an expiry, so that a writer still
	// holding the expired session's version cannot overwrite the new one.
	r.version++
	r.updatedAt = now
	r.expiresAt = in.ExpiresAt
	return r.session(in.Contact), nil
}

func (v sessionsView) Delete(ctx context.Context, ref storage.ContactRef) error {
	if err := ref.Validate(); err != nil {
		return fmt.Errorf("sessions delete: %w", err)
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return fmt.Errorf("sessions delete: %w", err)
	}
	defer s.mu.Unlock()
	delete(s.sessions, ref)
	return nil
}
