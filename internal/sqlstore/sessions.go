package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/impactchat/impactchat/storage"
)

type sessions struct{ s *Store }

var _ storage.Sessions = sessions{}

func live(expires, now int64) bool { return expires == 0 || expires >= now }

func (ss sessions) Get(ctx context.Context, ref storage.ContactRef, now time.Time) (storage.Session, error) {
	if err := ref.Validate(); err != nil {
		return storage.Session{}, fmt.Errorf("sessions get: %w", err)
	}
	s := ss.s
	if err := s.open(ctx); err != nil {
		return storage.Session{}, fmt.Errorf("sessions get: %w", err)
	}
	subj := s.subject(ref)
	var (
		data, wrapped    []byte
		version          int64
		updated, expires int64
	)
	err := s.reader().scanRow(ctx, `SELECT s.data, s.version, s.updated_at, s.expires_at, d.wrapped
FROM sessions s LEFT JOIN dek d ON d.subject = s.subject WHERE s.subject = ?`, []any{subj},
		&data, &version, &updated, &expires, &wrapped)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !live(expires, ts(now))) {
		return storage.Session{}, fmt.Errorf("sessions get: %w", storage.ErrNotFound)
	}
	if err != nil {
		return storage.Session{}, s.fail("sessions get", err)
	}
	box, err := s.keys().open(ctx, subj, wrapped)
	if err != nil {
		return storage.Session{}, s.fail("sessions get", err)
	}
	pt, err := openValue(box, data, "sessions", "data", subjectHex(subj))
	if err != nil {
		return storage.Session{}, s.fail("sessions get", err)
	}
	if len(pt) == 0 {
		pt = nil
	}
	return storage.Session{Contact: ref, Data: pt, Version: version, UpdatedAt: tm(updated), ExpiresAt: tm(expires)}, nil
}

// Put treats an expired session as absent; versions keep counting across an
// expiry so a writer holding the old version cannot overwrite the new one.
func (ss sessions) Put(ctx context.Context, in storage.Session, now time.Time) (storage.Session, error) {
	if err := in.Contact.Validate(); err != nil {
		return storage.Session{}, fmt.Errorf("sessions put: %w", err)
	}
	if in.Version < 0 {
		return storage.Session{}, fmt.Errorf("sessions put: %w", fieldErr("version", "is negative"))
	}
	s := ss.s
	if err := s.open(ctx); err != nil {
		return storage.Session{}, fmt.Errorf("sessions put: %w", err)
	}
	subj := s.subject(in.Contact)
	var out storage.Session
	result := func(next int64) storage.Session {
		var d []byte
		if len(in.Data) > 0 {
			d = append([]byte(nil), in.Data...)
		}
		return storage.Session{Contact: in.Contact, Data: d, Version: next, UpdatedAt: tm(ts(now)), ExpiresAt: tm(ts(in.ExpiresAt))}
	}
	err := s.write(ctx, func(q db) error {
		if in.Version > 0 {
			// The next step of a live session (most puts): one update
			// that holds exactly when the stored version is in.Version.
			box, err := s.keys().forWrite(ctx, q, subj)
			if err != nil {
				return err
			}
			n, err := q.exec(ctx, `UPDATE sessions SET ref = ?, data = ?, version = version + 1, updated_at = ?, expires_at = ?
WHERE subject = ? AND version = ? AND (expires_at = 0 OR expires_at >= ?)`,
				sealRef(box, in.Contact, "sessions", subjectHex(subj)), box.Seal(in.Data, aad("sessions", "data", subjectHex(subj))),
				ts(now), ts(in.ExpiresAt), subj, in.Version, ts(now))
			if err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("version %d is not the version stored: %w", in.Version, storage.ErrConflict)
			}
			out = result(in.Version + 1)
			return nil
		}
		var version, expires int64
		err := q.scanRow(ctx, "SELECT version, expires_at FROM sessions WHERE subject = ? "+s.d.ForUpdate, []any{subj}, &version, &expires)
		exists := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		stored := int64(0)
		if exists && live(expires, ts(now)) {
			stored = version
		}
		if stored != in.Version {
			return fmt.Errorf("version %d, stored %d: %w", in.Version, stored, storage.ErrConflict)
		}
		box, err := s.keys().forWrite(ctx, q, subj)
		if err != nil {
			return err
		}
		data := box.Seal(in.Data, aad("sessions", "data", subjectHex(subj)))
		ref := sealRef(box, in.Contact, "sessions", subjectHex(subj))
		next := version + 1
		if exists {
			n, err := q.exec(ctx, "UPDATE sessions SET ref = ?, data = ?, version = ?, updated_at = ?, expires_at = ? WHERE subject = ? AND version = ?",
				ref, data, next, ts(now), ts(in.ExpiresAt), subj, version)
			if err != nil {
				return err
			}
			if n == 0 {
				return storage.ErrConflict
			}
		} else if _, err := q.exec(ctx, "INSERT INTO sessions (subject, ref, data, version, updated_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
			subj, ref, data, next, ts(now), ts(in.ExpiresAt)); err != nil {
			return err
		}
		out = result(next)
		return nil
	})
	if err != nil {
		return storage.Session{}, s.fail("sessions put", err)
	}
	return out, nil
}

func (ss sessions) Delete(ctx context.Context, ref storage.ContactRef) error {
	if err := ref.Validate(); err != nil {
		return fmt.Errorf("sessions delete: %w", err)
	}
	s := ss.s
	if err := s.open(ctx); err != nil {
		return fmt.Errorf("sessions delete: %w", err)
	}
	err := s.write(ctx, func(q db) error {
		_, err := q.exec(ctx, "DELETE FROM sessions WHERE subject = ?", s.subject(ref))
		return err
	})
	return s.fail("sessions delete", err)
}
