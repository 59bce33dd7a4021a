package sqlstore

import (
	"context"
	"fmt"

	"github.com/impactchat/impactchat/storage"
)

// Erase destroys the contact's data key and deletes or blanks every record
// holding their content, in one transaction. The consent ledger stays as a
// tombstone. The data key goes first: on Postgres that waits for writers
// still sealing with it, so nothing sealed under it is left behind.
func (s *Store) Erase(ctx context.Context, ref storage.ContactRef) error {
	_, err := s.erase(ctx, ref, -1)
	return err
}

var _ storage.IdleEraser = (*Store)(nil)

// EraseIfIdle implements storage.IdleEraser: the partition is locked (on
// Postgres; on SQLite the one writer is) before its items are counted, so
// an inbox Put of the person either is counted or waits for the erasure
// and then stores its items under a new data key.
func (s *Store) EraseIfIdle(ctx context.Context, ref storage.ContactRef, allow int) (bool, error) {
	if allow < 0 {
		return false, fmt.Errorf("erase: %w", fieldErr("allow", fmt.Sprintf("is %d; it must be at least 0", allow)))
	}
	return s.erase(ctx, ref, allow)
}

// erase is Erase, unless allow >= 0 and more than allow items of the
// contact's partition are still to be handled.
func (s *Store) erase(ctx context.Context, ref storage.ContactRef, allow int) (bool, error) {
	if err := ref.Validate(); err != nil {
		return false, fmt.Errorf("erase: %w", err)
	}
	if err := s.open(ctx); err != nil {
		return false, fmt.Errorf("erase: %w", err)
	}
	subj := s.subject(ref)
	now := ts(s.now())
	steps := []struct {
		query string
		args  []any
	}{
		{"DELETE FROM dek WHERE subject = ?", []any{subj}},
		{"DELETE FROM contacts WHERE subject = ?", []any{subj}},
		{"DELETE FROM sessions WHERE subject = ?", []any{subj}},
		{"DELETE FROM messages WHERE subject = ?", []any{subj}},
		{"UPDATE inbox SET state = 3, body = NULL, part = NULL, owner = '', last_error = '' WHERE part = ? AND state IN (0, 1)", []any{subj}},
		{"UPDATE inbox SET state = 3, body = NULL, part = NULL, owner = '', last_error = '' WHERE part = ? AND state = 2", []any{subj}},
		{`UPDATE tickets SET closed_at = CASE WHEN state = 'closed' THEN closed_at ELSE ? END, state = 'closed',
updated_at = ?, version = version + 1, subject = NULL, ref = NULL, notes = NULL WHERE subject = ?`, []any{now, now, subj}},
		{`UPDATE recipients SET updated_at = CASE WHEN state = 'queued' THEN ? ELSE updated_at END,
reason = CASE WHEN state = 'queued' THEN 'erased' ELSE reason END,
state = CASE WHEN state = 'queued' THEN 'skipped' ELSE state END,
subject = NULL, ref = NULL, params = NULL, message_sealed = NULL WHERE subject = ?`, []any{now, subj}},
		{"UPDATE consent_events SET ref = NULL WHERE subject = ?", []any{subj}},
		{"UPDATE consent_states SET ref = NULL, erased = 1 WHERE subject = ?", []any{subj}},
	}
	s.boxes.drop(subj)
	var erased bool
	err := s.write(ctx, func(q db) error {
		erased = false
		if allow >= 0 {
			if s.d.LockPartitions != nil {
				if err := s.d.LockPartitions(ctx, q.querier(), [][]byte{subj}); err != nil {
					return err
				}
			}
			var n int
			if err := q.scanRow(ctx, "SELECT COUNT(*) FROM inbox WHERE part = ? AND state IN (0, 1)", []any{subj}, &n); err != nil {
				return err
			}
			if n > allow {
				q.wroteNothing()
				return nil
			}
		}
		erased = true
		for _, st := range steps {
			if _, err := q.exec(ctx, st.query, st.args...); err != nil {
				return err
			}
		}
		return nil
	})
	// Dropped again: a write of this person that was opening the key
	// while the erasure waited may have put it back.
	s.boxes.drop(subj)
	if err != nil {
		return false, s.fail("erase", err)
	}
	return erased, nil
}
