package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/impactchat/impactchat/storage"
)

type audit struct{ s *Store }

var _ storage.Audit = audit{}

// Append assigns an id when e.ID is empty and sets a zero At from the
// store's clock. An id that exists is ErrConflict.
func (a audit) Append(ctx context.Context, e storage.AuditEntry) error {
	if e.Actor == "" {
		return fmt.Errorf("audit append: %w", fieldErr("actor", "is empty"))
	}
	if e.Action == "" {
		return fmt.Errorf("audit append: %w", fieldErr("action", "is empty"))
	}
	s := a.s
	if err := s.open(ctx); err != nil {
		return fmt.Errorf("audit append: %w", err)
	}
	if e.ID == "" {
		e.ID = s.newID()
	}
	if e.At.IsZero() {
		e.At = s.now()
	}
	detail, err := json.Marshal(e.Detail)
	if err != nil {
		return fmt.Errorf("audit append: %w", err)
	}
	err = s.write(ctx, func(q db) error {
		_, err := q.exec(ctx, "INSERT INTO audit (id, at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)",
			e.ID, ts(e.At), e.Actor, e.Action, e.Target, string(detail))
		return err
	})
	return s.fail("audit append", err)
}

func (a audit) List(ctx context.Context, since time.Time, limit int) ([]storage.AuditEntry, error) {
	if err := checkLimit(limit); err != nil {
		return nil, fmt.Errorf("audit list: %w", err)
	}
	s := a.s
	if err := s.open(ctx); err != nil {
		return nil, fmt.Errorf("audit list: %w", err)
	}
	from := ts(since)
	if since.IsZero() {
		from = -1 << 63
	}
	rows, err := s.reader().query(ctx, "SELECT id, at, actor, action, target, detail FROM audit WHERE at >= ? ORDER BY at, ord LIMIT ?", from, sqlLimit(limit))
	if err != nil {
		return nil, s.fail("audit list", err)
	}
	defer rows.Close()
	out := []storage.AuditEntry{}
	for rows.Next() {
		var (
			e      storage.AuditEntry
			at     int64
			detail string
		)
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Target, &detail); err != nil {
			return nil, s.fail("audit list", err)
		}
		e.At = tm(at)
		if err := json.Unmarshal([]byte(detail), &e.Detail); err != nil {
			return nil, s.fail("audit list", fmt.Errorf("detail: %w", storage.ErrCorrupt))
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail("audit list", err)
	}
	return out, nil
}
