package sqlstore

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/impactchat/impactchat/storage"
)

type consent struct{ s *Store }

var _ storage.ConsentLog = consent{}

// Consent events and states are kept as JSON documents without the contact
// reference, which is sealed apart in ref and set to NULL on erasure: what
// stays is the tombstone (keyed hash, states, notice versions, times).

// cas moves the stored state of subj from prev to next, creating it when
// prev is empty and none is stored. ErrConflict when the stored LastEvent is
// not prev.
func (c consent) cas(ctx context.Context, q db, subj []byte, ref []byte, prev string, next storage.ConsentState) error {
	doc := next
	doc.Contact = storage.ContactRef{}
	doc.Subject = ""
	raw, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	n, err := q.exec(ctx, "UPDATE consent_states SET ref = ?, last_event = ?, erased = ?, doc = ? WHERE subject = ? AND last_event = ?",
		ref, next.LastEvent, boolInt(next.Erased), string(raw), subj, prev)
	if err != nil || n == 1 {
		return err
	}
	if prev != "" {
		return fmt.Errorf("last event is not %q: %w", prev, storage.ErrConflict)
	}
	n, err = q.exec(ctx, "INSERT INTO consent_states (subject, ref, last_event, erased, doc) VALUES (?, ?, ?, ?, ?) ON CONFLICT (subject) DO NOTHING",
		subj, ref, next.LastEvent, boolInt(next.Erased), string(raw))
	if err == nil && n == 0 {
		err = fmt.Errorf("last event is not %q: %w", prev, storage.ErrConflict)
	}
	return err
}

func (c consent) Append(ctx context.Context, e storage.ConsentEvent, prev string, next storage.ConsentState) error {
	if e.ID == "" {
		return fmt.Errorf("consent append: %w", fieldErr("event.id", "is empty"))
	}
	if err := e.Contact.Validate(); err != nil {
		return fmt.Errorf("consent append: %w", err)
	}
	if next.LastEvent != e.ID {
		return fmt.Errorf("consent append: %w", fieldErr("next.last_event", "is not the event's id"))
	}
	if next.Contact != (storage.ContactRef{}) && next.Contact != e.Contact {
		return fmt.Errorf("consent append: %w", fieldErr("next.contact", "is not the event's contact"))
	}
	s := c.s
	if err := s.open(ctx); err != nil {
		return fmt.Errorf("consent append: %w", err)
	}
	subj := s.subject(e.Contact)
	err := s.write(ctx, func(q db) error {
		// An erased person's ledger names nobody: their events after the
		// erasure (the erased event itself first) are stored as Erase
		// left the earlier ones, and no data key is made for them again.
		var stateRef, eventRef []byte
		if !next.Erased {
			box, err := s.keys().forWrite(ctx, q, subj)
			if err != nil {
				return err
			}
			stateRef = sealRef(box, e.Contact, "consent_states", subjectHex(subj))
			eventRef = sealRef(box, e.Contact, "consent_events", e.ID)
		}
		if err := c.cas(ctx, q, subj, stateRef, prev, next); err != nil {
			return err
		}
		doc := e
		doc.Contact = storage.ContactRef{}
		raw, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		_, err = q.exec(ctx, "INSERT INTO consent_events (id, subject, ref, doc) VALUES (?, ?, ?, ?)",
			e.ID, subj, eventRef, string(raw))
		return err
	})
	return s.fail("consent append", err)
}

func (c consent) decodeState(ctx context.Context, k *keys, subj, ref []byte, erased int64, doc string, wrapped []byte) (storage.ConsentState, error) {
	var st storage.ConsentState
	if err := json.Unmarshal([]byte(doc), &st); err != nil {
		return st, fmt.Errorf("consent state: %w", storage.ErrCorrupt)
	}
	st.Subject = subjectHex(subj)
	st.Erased = erased != 0
	st.Contact = storage.ContactRef{}
	if ref != nil {
		box, err := k.open(ctx, subj, wrapped)
		if err != nil {
			return st, err
		}
		if st.Contact, err = openRef(box, ref, "consent_states", subjectHex(subj)); err != nil {
			return st, err
		}
	}
	return st, nil
}

const stateQuery = `SELECT c.subject, c.ref, c.erased, c.doc, d.wrapped FROM consent_states c LEFT JOIN dek d ON d.subject = c.subject `

func (c consent) State(ctx context.Context, ref storage.ContactRef) (storage.ConsentState, error) {
	if err := ref.Validate(); err != nil {
		return storage.ConsentState{}, fmt.Errorf("consent state: %w", err)
	}
	s := c.s
	if err := s.open(ctx); err != nil {
		return storage.ConsentState{}, fmt.Errorf("consent state: %w", err)
	}
	var (
		subj, sealed, wrapped []byte
		erased                int64
		doc                   string
	)
	err := s.reader().scanRow(ctx, stateQuery+"WHERE c.subject = ?", []any{s.subject(ref)}, &subj, &sealed, &erased, &doc, &wrapped)
	if errors.Is(err, sql.ErrNoRows) {
		return storage.ConsentState{}, fmt.Errorf("consent state: %w", storage.ErrNotFound)
	}
	if err != nil {
		return storage.ConsentState{}, s.fail("consent state", err)
	}
	st, err := c.decodeState(ctx, s.keys(), subj, sealed, erased, doc, wrapped)
	if err != nil {
		return storage.ConsentState{}, s.fail("consent state", err)
	}
	return st, nil
}

func (c consent) History(ctx context.Context, ref storage.ContactRef) ([]storage.ConsentEvent, error) {
	if err := ref.Validate(); err != nil {
		return nil, fmt.Errorf("consent history: %w", err)
	}
	s := c.s
	if err := s.open(ctx); err != nil {
		return nil, fmt.Errorf("consent history: %w", err)
	}
	rows, err := s.reader().query(ctx, `SELECT e.id, e.subject, e.ref, e.doc, d.wrapped
FROM consent_events e LEFT JOIN dek d ON d.subject = e.subject WHERE e.subject = ? ORDER BY e.ord`, s.subject(ref))
	if err != nil {
		return nil, s.fail("consent history", err)
	}
	defer rows.Close()
	k := s.keys()
	var out []storage.ConsentEvent
	for rows.Next() {
		var (
			id                    string
			subj, sealed, wrapped []byte
			doc                   string
		)
		if err := rows.Scan(&id, &subj, &sealed, &doc, &wrapped); err != nil {
			return nil, s.fail("consent history", err)
		}
		var e storage.ConsentEvent
		if err := json.Unmarshal([]byte(doc), &e); err != nil {
			return nil, s.fail("consent history", fmt.Errorf("event: %w", storage.ErrCorrupt))
		}
		e.Contact = storage.ContactRef{}
		if sealed != nil {
			box, err := k.open(ctx, subj, wrapped)
			if err == nil {
				e.Contact, err = openRef(box, sealed, "consent_events", id)
			}
			if err != nil {
				return nil, s.fail("consent history", err)
			}
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail("consent history", err)
	}
	return out, nil
}

// List yields every state ordered by subject, page by page.
func (c consent) List(ctx context.Context) storage.Seq[storage.ConsentState] {
	return func(yield func(storage.ConsentState, error) bool) {
		s := c.s
		after := []byte{}
		for {
			if err := s.open(ctx); err != nil {
				yield(storage.ConsentState{}, fmt.Errorf("consent list: %w", err))
				return
			}
			page, last, err := c.page(ctx, after)
			if err != nil {
				yield(storage.ConsentState{}, s.fail("consent list", err))
				return
			}
			for _, st := range page {
				if !yield(st, nil) {
					return
				}
			}
			if len(page) < listPage {
				return
			}
			after = last
		}
	}
}

func (c consent) page(ctx context.Context, after []byte) ([]storage.ConsentState, []byte, error) {
	rows, err := c.s.reader().query(ctx, stateQuery+"WHERE c.subject > ? ORDER BY c.subject LIMIT ?", after, listPage)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	k := c.s.keys()
	var (
		out  []storage.ConsentState
		last []byte
	)
	for rows.Next() {
		var (
			subj, sealed, wrapped []byte
			erased                int64
			doc                   string
		)
		if err := rows.Scan(&subj, &sealed, &erased, &doc, &wrapped); err != nil {
			return nil, nil, err
		}
		st, err := c.decodeState(ctx, k, subj, sealed, erased, doc, wrapped)
		if err != nil {
			return nil, nil, err
		}
		clear(k.boxes)
		out = append(out, st)
		last = subj
	}
	return out, last, rows.Err()
}

// SaveState finds the contact by next.Contact, or by next.Subject when
// Contact is empty (a tombstone read back after erasure).
func (c consent) SaveState(ctx context.Context, prev string, next storage.ConsentState) error {
	bySubject := next.Contact == (storage.ContactRef{}) && next.Subject != ""
	if !bySubject {
		if err := next.Contact.Validate(); err != nil {
			return fmt.Errorf("consent save state: %w", err)
		}
	}
	if next.LastEvent != prev {
		return fmt.Errorf("consent save state: %w", fieldErr("next.last_event", "differs from prev; only Append moves it"))
	}
	s := c.s
	if err := s.open(ctx); err != nil {
		return fmt.Errorf("consent save state: %w", err)
	}
	err := s.write(ctx, func(q db) error {
		if bySubject {
			subj, err := hex.DecodeString(next.Subject)
			if err != nil {
				return storage.ErrNotFound
			}
			var one int
			err = q.scanRow(ctx, "SELECT 1 FROM consent_states WHERE subject = ?", []any{subj}, &one)
			if errors.Is(err, sql.ErrNoRows) {
				return storage.ErrNotFound
			}
			if err != nil {
				return err
			}
			return c.cas(ctx, q, subj, nil, prev, next)
		}
		subj := s.subject(next.Contact)
		var ref []byte
		if !next.Erased {
			box, err := s.keys().forWrite(ctx, q, subj)
			if err != nil {
				return err
			}
			ref = sealRef(box, next.Contact, "consent_states", subjectHex(subj))
		}
		return c.cas(ctx, q, subj, ref, prev, next)
	})
	return s.fail("consent save state", err)
}

func (c consent) Forget(ctx context.Context, subject string) error {
	if subject == "" {
		return fmt.Errorf("consent forget: %w", fieldErr("subject", "is empty"))
	}
	s := c.s
	if err := s.open(ctx); err != nil {
		return fmt.Errorf("consent forget: %w", err)
	}
	subj, err := hex.DecodeString(subject)
	if err != nil {
		return nil // no subject has that name
	}
	err = s.write(ctx, func(q db) error {
		if _, err := q.exec(ctx, "DELETE FROM consent_events WHERE subject = ?", subj); err != nil {
			return err
		}
		_, err := q.exec(ctx, "DELETE FROM consent_states WHERE subject = ?", subj)
		return err
	})
	return s.fail("consent forget", err)
}
