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
	if err := ref.Validate(); err != nil {
		return fmt.Errorf("erase: %w", err)
	}
	if err := s.open(ctx); err != nil {
		return fmt.Errorf("erase: %w", err)
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
	err := s.write(ctx, func(q db) error {
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
	return s.fail("erase", err)
}
