package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/impactchat/impactchat/internal/seal"
	"github.com/impactchat/impactchat/storage"
)

type messages struct{ s *Store }

var _ storage.Messages = messages{}

// A message id is stored as a keyed hash (the lookups) and sealed (the
// reads): a WhatsApp message id can encode the person's phone number.

// messageHash is the blind index of a message id, in the conversation log
// and among broadcast recipients alike.
func (s *Store) messageHash(id string) []byte { return s.index.Index("message id", id) }

const messageCols = `m.id_hash, m.id_sealed, m.subject, m.ref, m.direction, m.kind, m.body, m.purpose, m.staff, m.status, m.status_at, m.error_code, m.at, d.wrapped`

const messageFrom = ` FROM messages m LEFT JOIN dek d ON d.subject = m.subject `

func (ms messages) scan(ctx context.Context, k *keys, sc interface{ Scan(...any) error }) (storage.MessageRecord, error) {
	var (
		m                                          storage.MessageRecord
		idHash, idSealed, subj, ref, body, wrapped []byte
		dir, status                                string
		statusAt, at                               int64
	)
	if err := sc.Scan(&idHash, &idSealed, &subj, &ref, &dir, &m.Kind, &body, &m.Purpose, &m.Staff, &status, &statusAt, &m.ErrorCode, &at, &wrapped); err != nil {
		return m, err
	}
	box, err := k.open(ctx, subj, wrapped)
	if err != nil {
		return m, err
	}
	id, err := openValue(box, idSealed, "messages", "id", subjectHex(idHash))
	if err != nil {
		return m, err
	}
	m.ID = string(id)
	if m.Contact, err = openRef(box, ref, "messages", m.ID); err != nil {
		return m, err
	}
	pt, err := openValue(box, body, "messages", "body", m.ID)
	if err != nil {
		return m, err
	}
	m.Body = string(pt)
	m.Direction = storage.Direction(dir)
	m.Status = storage.Delivery(status)
	m.StatusAt = tm(statusAt)
	m.At = tm(at)
	return m, nil
}

func (ms messages) Record(ctx context.Context, m storage.MessageRecord) error {
	if m.ID == "" {
		return fmt.Errorf("messages record: %w", fieldErr("id", "is empty"))
	}
	if err := m.Contact.Validate(); err != nil {
		return fmt.Errorf("messages record: %w", err)
	}
	if m.Direction != storage.Inbound && m.Direction != storage.Outbound {
		return fmt.Errorf("messages record: %w", fieldErr("direction", fmt.Sprintf("is %q; want %q or %q", m.Direction, storage.Inbound, storage.Outbound)))
	}
	s := ms.s
	if err := s.open(ctx); err != nil {
		return fmt.Errorf("messages record: %w", err)
	}
	subj := s.subject(m.Contact)
	idHash := s.messageHash(m.ID)
	args := func(box *seal.Box) []any {
		return []any{idHash, box.Seal([]byte(m.ID), aad("messages", "id", subjectHex(idHash))), subj, sealRef(box, m.Contact, "messages", m.ID), string(m.Direction), m.Kind,
			box.Seal([]byte(m.Body), aad("messages", "body", m.ID)), m.Purpose, m.Staff,
			string(m.Status), ts(m.StatusAt), m.ErrorCode, ts(m.At)}
	}
	// On the pinned writer, which every write (an erasure too) goes
	// through in turn, the person's key as last opened seals the record
	// before the writer is taken, and the insert itself checks that the
	// database still holds that key: the writer is spared a read and the
	// sealing. Should the key have changed (erased, rotated), the record is
	// sealed again under the key the database holds.
	var guessed []any
	var guessedWrapped []byte
	if s.pin != nil {
		if w, box := s.boxes.latest(subj); box != nil {
			guessed, guessedWrapped = args(box), w
		}
	}
	err := s.write(ctx, func(q db) error {
		if guessed != nil {
			n, err := q.exec(ctx, recordGuarded, append(guessed, subj, guessedWrapped)...)
			if err != nil || n == 1 {
				return err
			}
		}
		box, err := s.keys().forWrite(ctx, q, subj)
		if err != nil {
			return err
		}
		_, err = q.exec(ctx, recordInsert+`VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args(box)...)
		return err
	})
	return s.fail("messages record", err)
}

const (
	recordInsert = `INSERT INTO messages (id_hash, id_sealed, subject, ref, direction, kind, body, purpose, staff, status, status_at, error_code, at) `
	// recordGuarded inserts only while the data key it was sealed under
	// is still the subject's.
	recordGuarded = recordInsert + `SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
WHERE EXISTS (SELECT 1 FROM dek WHERE subject = ? AND wrapped = ?)`
)

func (ms messages) Get(ctx context.Context, id string) (storage.MessageRecord, error) {
	if id == "" {
		return storage.MessageRecord{}, fmt.Errorf("messages get: %w", fieldErr("id", "is empty"))
	}
	s := ms.s
	if err := s.open(ctx); err != nil {
		return storage.MessageRecord{}, fmt.Errorf("messages get: %w", err)
	}
	r, err := s.reader().row(ctx, "SELECT "+messageCols+messageFrom+"WHERE m.id_hash = ?", s.messageHash(id))
	if err != nil {
		return storage.MessageRecord{}, s.fail("messages get", err)
	}
	m, err := ms.scan(ctx, s.keys(), r)
	if errors.Is(err, sql.ErrNoRows) {
		return storage.MessageRecord{}, fmt.Errorf("messages get: %w", storage.ErrNotFound)
	}
	if err != nil {
		return storage.MessageRecord{}, s.fail("messages get", err)
	}
	return m, nil
}

func (ms messages) UpdateStatus(ctx context.Context, id string, d storage.Delivery, at time.Time, errorCode int) (bool, error) {
	if id == "" {
		return false, fmt.Errorf("messages update status: %w", fieldErr("id", "is empty"))
	}
	if !d.Supersedes(storage.DeliveryNone) {
		return false, fmt.Errorf("messages update status: %w", fieldErr("status", fmt.Sprintf("%q is not a delivery state", d)))
	}
	s := ms.s
	if err := s.open(ctx); err != nil {
		return false, fmt.Errorf("messages update status: %w", err)
	}
	var moved bool
	idHash := s.messageHash(id)
	// One statement moves the status unless it holds one that d does not
	// supersede; only when it moved nothing does a read tell a message at
	// a later status from a message not in the log.
	query, args := "UPDATE messages SET status = ?, status_at = ?, error_code = ? WHERE id_hash = ?", []any{string(d), ts(at), errorCode, idHash}
	if held := notSuperseded(d); len(held) > 0 {
		query += " AND status NOT IN (" + placeholders(len(held)) + ")"
		args = append(args, held...)
	}
	err := s.write(ctx, func(q db) error {
		n, err := q.exec(ctx, query, args...)
		if err != nil {
			return err
		}
		moved = n == 1
		if moved {
			return nil
		}
		var one int
		err = q.scanRow(ctx, "SELECT 1 FROM messages WHERE id_hash = ?", []any{idHash}, &one)
		if errors.Is(err, sql.ErrNoRows) {
			return storage.ErrNotFound
		}
		return err
	})
	if err != nil {
		return false, s.fail("messages update status", err)
	}
	return moved, nil
}

// deliveries are the delivery states a message can hold.
var deliveries = []storage.Delivery{storage.DeliveryNone, storage.DeliverySent, storage.DeliveryDelivered,
	storage.DeliveryRead, storage.DeliveryPlayed, storage.DeliveryFailed}

// notSuperseded lists the states d must not replace (Delivery.Supersedes).
func notSuperseded(d storage.Delivery) []any {
	var out []any
	for _, prev := range deliveries {
		if !d.Supersedes(prev) {
			out = append(out, string(prev))
		}
	}
	return out
}

func (ms messages) History(ctx context.Context, ref storage.ContactRef, limit int) ([]storage.MessageRecord, error) {
	if err := ref.Validate(); err != nil {
		return nil, fmt.Errorf("messages history: %w", err)
	}
	if err := checkLimit(limit); err != nil {
		return nil, fmt.Errorf("messages history: %w", err)
	}
	s := ms.s
	if err := s.open(ctx); err != nil {
		return nil, fmt.Errorf("messages history: %w", err)
	}
	rows, err := s.reader().query(ctx, "SELECT "+messageCols+messageFrom+"WHERE m.subject = ? ORDER BY m.at DESC, m.ord DESC LIMIT ?",
		s.subject(ref), sqlLimit(limit))
	if err != nil {
		return nil, s.fail("messages history", err)
	}
	defer rows.Close()
	k := s.keys()
	var out []storage.MessageRecord
	for rows.Next() {
		m, err := ms.scan(ctx, k, rows)
		if err != nil {
			return nil, s.fail("messages history", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail("messages history", err)
	}
	slices.Reverse(out)
	return out, nil
}
