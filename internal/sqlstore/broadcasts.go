package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/impactchat/impactchat/internal/seal"
	"github.com/impactchat/impactchat/storage"
)

type broadcasts struct{ s *Store }

var _ storage.Broadcasts = broadcasts{}

// Create stores b with Version 1; a zero CreatedAt or UpdatedAt is set from
// the store's clock.
func (bs broadcasts) Create(ctx context.Context, b storage.Broadcast) error {
	if b.ID == "" {
		return fmt.Errorf("broadcasts create: %w", fieldErr("id", "is empty"))
	}
	s := bs.s
	if err := s.open(ctx); err != nil {
		return fmt.Errorf("broadcasts create: %w", err)
	}
	now := s.now()
	if b.CreatedAt.IsZero() {
		b.CreatedAt = now
	}
	if b.UpdatedAt.IsZero() {
		b.UpdatedAt = now
	}
	err := s.write(ctx, func(q db) error {
		_, err := q.exec(ctx, "INSERT INTO broadcasts (id, name, state, spec, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, 1)",
			b.ID, b.Name, b.State, b.Spec, ts(b.CreatedAt), ts(b.UpdatedAt))
		return err
	})
	return s.fail("broadcasts create", err)
}

func (bs broadcasts) get(ctx context.Context, q db, id string) (storage.Broadcast, error) {
	var (
		b                storage.Broadcast
		created, updated int64
	)
	err := q.scanRow(ctx, "SELECT id, name, state, spec, created_at, updated_at, version FROM broadcasts WHERE id = ?", []any{id},
		&b.ID, &b.Name, &b.State, &b.Spec, &created, &updated, &b.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return b, storage.ErrNotFound
	}
	b.CreatedAt, b.UpdatedAt = tm(created), tm(updated)
	return b, err
}

func (bs broadcasts) Get(ctx context.Context, id string) (storage.Broadcast, error) {
	if id == "" {
		return storage.Broadcast{}, fmt.Errorf("broadcasts get: %w", fieldErr("id", "is empty"))
	}
	s := bs.s
	if err := s.open(ctx); err != nil {
		return storage.Broadcast{}, fmt.Errorf("broadcasts get: %w", err)
	}
	b, err := bs.get(ctx, s.reader(), id)
	if err != nil {
		return storage.Broadcast{}, s.fail("broadcasts get", err)
	}
	return b, nil
}

// Update keeps CreatedAt as stored and sets UpdatedAt from the store's clock.
func (bs broadcasts) Update(ctx context.Context, b storage.Broadcast) (storage.Broadcast, error) {
	if b.ID == "" {
		return storage.Broadcast{}, fmt.Errorf("broadcasts update: %w", fieldErr("id", "is empty"))
	}
	s := bs.s
	if err := s.open(ctx); err != nil {
		return storage.Broadcast{}, fmt.Errorf("broadcasts update: %w", err)
	}
	var out storage.Broadcast
	err := s.write(ctx, func(q db) error {
		n, err := q.exec(ctx, "UPDATE broadcasts SET name = ?, state = ?, spec = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?",
			b.Name, b.State, b.Spec, ts(s.now()), b.ID, b.Version)
		if err != nil {
			return err
		}
		cur, err := bs.get(ctx, q, b.ID)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("version %d, stored %d: %w", b.Version, cur.Version, storage.ErrConflict)
		}
		out = cur
		return nil
	})
	if err != nil {
		return storage.Broadcast{}, s.fail("broadcasts update", err)
	}
	return out, nil
}

func (bs broadcasts) exists(ctx context.Context, q db, id string) error {
	var one int
	err := q.scanRow(ctx, "SELECT 1 FROM broadcasts WHERE id = ?", []any{id}, &one)
	if errors.Is(err, sql.ErrNoRows) {
		return storage.ErrNotFound
	}
	return err
}

func recipientRecord(id string, seq int64) string { return id + "/" + strconv.FormatInt(seq, 10) }

// AddRecipients sets each recipient's Broadcast to id, an empty State to
// queued and a zero UpdatedAt from the store's clock.
func (bs broadcasts) AddRecipients(ctx context.Context, id string, rs []storage.Recipient) error {
	if id == "" {
		return fmt.Errorf("broadcasts add recipients: %w", fieldErr("id", "is empty"))
	}
	for i, r := range rs {
		if r.Seq < 1 {
			return fmt.Errorf("broadcasts add recipients: %w", fieldErr(fmt.Sprintf("recipients[%d].seq", i), fmt.Sprintf("is %d; it must be at least 1", r.Seq)))
		}
		if err := r.Contact.Validate(); err != nil {
			return fmt.Errorf("broadcasts add recipients: recipients[%d]: %w", i, err)
		}
	}
	s := bs.s
	if err := s.open(ctx); err != nil {
		return fmt.Errorf("broadcasts add recipients: %w", err)
	}
	now := s.now()
	err := s.write(ctx, func(q db) error {
		if err := bs.exists(ctx, q, id); err != nil {
			return err
		}
		k := s.keys()
		for _, r := range rs {
			subj := s.subject(r.Contact)
			rec := recipientRecord(id, r.Seq)
			var erased bool
			err := q.scanRow(ctx, "SELECT erased <> 0 FROM consent_states WHERE subject = ?", []any{subj}, &erased)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if erased {
				// Erased since the campaign chose them: stored as Erase
				// leaves a recipient, with nothing of the person.
				if _, err := q.exec(ctx, `INSERT INTO recipients (broadcast, seq, subject, ref, params, state, message_hash, message_sealed, reason, attempts, updated_at)
VALUES (?, ?, NULL, NULL, NULL, ?, NULL, NULL, 'erased', 0, ?)`, id, r.Seq, string(storage.RecipientSkipped), ts(now)); err != nil {
					return err
				}
				continue
			}
			box, err := k.forWrite(ctx, q, subj)
			if err != nil {
				return err
			}
			var params []byte
			if r.Params != nil {
				params = box.Seal(r.Params, aad("recipients", "params", rec))
			}
			state := r.State
			if state == "" {
				state = storage.RecipientQueued
			}
			upd := r.UpdatedAt
			if upd.IsZero() {
				upd = now
			}
			msgHash, msgSealed := bs.sealMessageID(box, r.MessageID, rec)
			if _, err := q.exec(ctx, `INSERT INTO recipients (broadcast, seq, subject, ref, params, state, message_hash, message_sealed, reason, attempts, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				id, r.Seq, subj, sealRef(box, r.Contact, "recipients", rec), params, string(state), msgHash, msgSealed, r.Reason, r.Attempts, ts(upd)); err != nil {
				return err
			}
			if len(k.boxes) > 64 {
				clear(k.boxes)
			}
		}
		return nil
	})
	return s.fail("broadcasts add recipients", err)
}

// sealMessageID returns the blind index of a recipient's message id and the
// id sealed under box (nil without a box: the recipient was erased); both
// are nil for no id.
func (bs broadcasts) sealMessageID(box *seal.Box, id, rec string) (hash, sealed []byte) {
	if id == "" {
		return nil, nil
	}
	hash = bs.s.messageHash(id)
	if box != nil {
		sealed = box.Seal([]byte(id), aad("recipients", "message_id", rec))
	}
	return hash, sealed
}

const recipientCols = `r.broadcast, r.seq, r.subject, r.ref, r.params, r.state, r.message_sealed, r.reason, r.attempts, r.updated_at, d.wrapped`

const recipientFrom = ` FROM recipients r LEFT JOIN dek d ON d.subject = r.subject `

func (bs broadcasts) scan(ctx context.Context, k *keys, sc interface{ Scan(...any) error }) (storage.Recipient, error) {
	var (
		r                                     storage.Recipient
		subj, ref, params, msgSealed, wrapped []byte
		state                                 string
		updated                               int64
	)
	if err := sc.Scan(&r.Broadcast, &r.Seq, &subj, &ref, &params, &state, &msgSealed, &r.Reason, &r.Attempts, &updated, &wrapped); err != nil {
		return r, err
	}
	r.State = storage.RecipientState(state)
	r.UpdatedAt = tm(updated)
	if ref == nil && params == nil && msgSealed == nil {
		return r, nil
	}
	box, err := k.open(ctx, subj, wrapped)
	if err != nil {
		return r, err
	}
	rec := recipientRecord(r.Broadcast, r.Seq)
	if r.Contact, err = openRef(box, ref, "recipients", rec); err != nil {
		return r, err
	}
	if params != nil {
		if r.Params, err = openValue(box, params, "recipients", "params", rec); err != nil {
			return r, err
		}
	}
	if msgSealed != nil {
		id, err := openValue(box, msgSealed, "recipients", "message_id", rec)
		if err != nil {
			return r, err
		}
		r.MessageID = string(id)
	}
	return r, nil
}

func (bs broadcasts) Recipients(ctx context.Context, id string, state storage.RecipientState, after int64, limit int) ([]storage.Recipient, error) {
	if id == "" {
		return nil, fmt.Errorf("broadcasts recipients: %w", fieldErr("id", "is empty"))
	}
	if err := checkLimit(limit); err != nil {
		return nil, fmt.Errorf("broadcasts recipients: %w", err)
	}
	s := bs.s
	if err := s.open(ctx); err != nil {
		return nil, fmt.Errorf("broadcasts recipients: %w", err)
	}
	q := s.reader()
	if err := bs.exists(ctx, q, id); err != nil {
		return nil, s.fail("broadcasts recipients", err)
	}
	query := "SELECT " + recipientCols + recipientFrom + "WHERE r.broadcast = ? AND r.seq > ? ORDER BY r.seq LIMIT ?"
	args := []any{id, after, sqlLimit(limit)}
	if state != "" {
		query = "SELECT " + recipientCols + recipientFrom + "WHERE r.broadcast = ? AND r.seq > ? AND r.state = ? ORDER BY r.seq LIMIT ?"
		args = []any{id, after, string(state), sqlLimit(limit)}
	}
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, s.fail("broadcasts recipients", err)
	}
	defer rows.Close()
	k := s.keys()
	var out []storage.Recipient
	for rows.Next() {
		r, err := bs.scan(ctx, k, rows)
		if err != nil {
			return nil, s.fail("broadcasts recipients", err)
		}
		out = append(out, r)
		if len(k.boxes) > 64 {
			clear(k.boxes)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail("broadcasts recipients", err)
	}
	return out, nil
}

// Transition writes r's State, MessageID, Reason, Attempts and UpdatedAt (a
// zero one from the store's clock); Contact and Params stay as added.
func (bs broadcasts) Transition(ctx context.Context, r storage.Recipient, from storage.RecipientState) error {
	if r.Broadcast == "" {
		return fmt.Errorf("broadcasts transition: %w", fieldErr("broadcast", "is empty"))
	}
	if r.State == "" {
		return fmt.Errorf("broadcasts transition: %w", fieldErr("state", "is empty"))
	}
	s := bs.s
	if err := s.open(ctx); err != nil {
		return fmt.Errorf("broadcasts transition: %w", err)
	}
	upd := r.UpdatedAt
	if upd.IsZero() {
		upd = s.now()
	}
	rec := recipientRecord(r.Broadcast, r.Seq)
	err := s.write(ctx, func(q db) error {
		const update = "UPDATE recipients SET state = ?, message_hash = ?, message_sealed = ?, reason = ?, attempts = ?, updated_at = ? WHERE broadcast = ? AND seq = ? AND state = ?"
		if r.MessageID == "" {
			n, err := q.exec(ctx, update, string(r.State), nil, nil, r.Reason, r.Attempts, ts(upd), r.Broadcast, r.Seq, string(from))
			if err != nil || n == 1 {
				return err
			}
			return transitionConflict(ctx, q, r, from, errChanged)
		}
		// The id is sealed under the recipient's data key; a recipient
		// erased already keeps only the hash. The row is written only
		// while it still names the subject read: an erasure committed in
		// between (on another replica) destroyed that key, and the id is
		// then sealed again as for a recipient erased before.
		for attempt := 0; ; attempt++ {
			var subj, wrapped []byte
			err := q.scanRow(ctx, "SELECT r.subject, d.wrapped"+recipientFrom+"WHERE r.broadcast = ? AND r.seq = ?", []any{r.Broadcast, r.Seq}, &subj, &wrapped)
			if errors.Is(err, sql.ErrNoRows) {
				return storage.ErrNotFound
			}
			if err != nil {
				return err
			}
			var box *seal.Box
			if subj != nil {
				if box, err = s.keys().open(ctx, subj, wrapped); err != nil {
					return err
				}
			}
			msgHash, msgSealed := bs.sealMessageID(box, r.MessageID, rec)
			n, err := q.exec(ctx, update+" AND subject IS NOT DISTINCT FROM ?",
				string(r.State), msgHash, msgSealed, r.Reason, r.Attempts, ts(upd), r.Broadcast, r.Seq, string(from), subj)
			if err != nil || n == 1 {
				return err
			}
			if attempt > 0 {
				return transitionConflict(ctx, q, r, from, errChanged)
			}
			if err := transitionConflict(ctx, q, r, from, nil); err != nil {
				return err // gone, or moved on
			}
		}
	})
	return s.fail("broadcasts transition", err)
}

// errChanged is a Transition's conflict with a recipient that is still in
// the state it comes from but changed under it twice (erasures).
var errChanged = fmt.Errorf("recipient changed while it was written: %w", storage.ErrConflict)

// transitionConflict explains a Transition that changed no row: the
// recipient is gone (ErrNotFound) or in another state than from
// (ErrConflict). When it is still in from, it returns still.
func transitionConflict(ctx context.Context, q db, r storage.Recipient, from storage.RecipientState, still error) error {
	var cur string
	err := q.scanRow(ctx, "SELECT state FROM recipients WHERE broadcast = ? AND seq = ?", []any{r.Broadcast, r.Seq}, &cur)
	if errors.Is(err, sql.ErrNoRows) {
		return storage.ErrNotFound
	}
	if err != nil {
		return err
	}
	if cur == string(from) {
		return still
	}
	return fmt.Errorf("state is %q, not %q: %w", cur, from, storage.ErrConflict)
}

func (bs broadcasts) ByMessage(ctx context.Context, messageID string) (storage.Recipient, error) {
	if messageID == "" {
		return storage.Recipient{}, fmt.Errorf("broadcasts by message: %w", fieldErr("message_id", "is empty"))
	}
	s := bs.s
	if err := s.open(ctx); err != nil {
		return storage.Recipient{}, fmt.Errorf("broadcasts by message: %w", err)
	}
	row, err := s.reader().row(ctx, "SELECT "+recipientCols+recipientFrom+"WHERE r.message_hash = ?", s.messageHash(messageID))
	if err != nil {
		return storage.Recipient{}, s.fail("broadcasts by message", err)
	}
	r, err := bs.scan(ctx, s.keys(), row)
	if errors.Is(err, sql.ErrNoRows) {
		return storage.Recipient{}, fmt.Errorf("broadcasts by message: %w", storage.ErrNotFound)
	}
	if err != nil {
		return storage.Recipient{}, s.fail("broadcasts by message", err)
	}
	return r, nil
}

func (bs broadcasts) Counts(ctx context.Context, id string) (map[storage.RecipientState]int, error) {
	if id == "" {
		return nil, fmt.Errorf("broadcasts counts: %w", fieldErr("id", "is empty"))
	}
	s := bs.s
	if err := s.open(ctx); err != nil {
		return nil, fmt.Errorf("broadcasts counts: %w", err)
	}
	q := s.reader()
	if err := bs.exists(ctx, q, id); err != nil {
		return nil, s.fail("broadcasts counts", err)
	}
	rows, err := q.query(ctx, "SELECT state, COUNT(*) FROM recipients WHERE broadcast = ? GROUP BY state", id)
	if err != nil {
		return nil, s.fail("broadcasts counts", err)
	}
	defer rows.Close()
	out := make(map[storage.RecipientState]int)
	for rows.Next() {
		var (
			st string
			n  int
		)
		if err := rows.Scan(&st, &n); err != nil {
			return nil, s.fail("broadcasts counts", err)
		}
		out[storage.RecipientState(st)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail("broadcasts counts", err)
	}
	return out, nil
}
