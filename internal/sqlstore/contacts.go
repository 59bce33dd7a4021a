package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/impactchat/impactchat/storage"
)

type contacts struct{ s *Store }

var _ storage.Contacts = contacts{}

const contactCols = `c.ord, c.id, c.subject, c.ref, c.name, c.language, c.fields, c.last_inbound_at, c.created_at, c.updated_at, c.version, d.wrapped`

// contactReturning is contactCols for the RETURNING clause of a statement
// on contacts.
const contactReturning = `ord, id, subject, ref, name, language, fields, last_inbound_at, created_at, updated_at, version,
	(SELECT d.wrapped FROM dek d WHERE d.subject = contacts.subject)`

const contactFrom = ` FROM contacts c LEFT JOIN dek d ON d.subject = c.subject `

type contactRow struct {
	ord                int64
	id                 string
	subject, ref       []byte
	name, fields       []byte
	language           string
	last, created, upd int64
	version            int64
	wrapped            []byte
}

func scanContact(sc interface{ Scan(...any) error }) (contactRow, error) {
	var r contactRow
	err := sc.Scan(&r.ord, &r.id, &r.subject, &r.ref, &r.name, &r.language, &r.fields, &r.last, &r.created, &r.upd, &r.version, &r.wrapped)
	return r, err
}

func (c contacts) decode(ctx context.Context, k *keys, r contactRow) (storage.Contact, error) {
	box, err := k.open(ctx, r.subject, r.wrapped)
	if err != nil {
		return storage.Contact{}, err
	}
	ref, err := openRef(box, r.ref, "contacts", r.id)
	if err != nil {
		return storage.Contact{}, err
	}
	out := storage.Contact{
		ID: r.id, Ref: ref, Language: r.language,
		LastInboundAt: tm(r.last), CreatedAt: tm(r.created), UpdatedAt: tm(r.upd), Version: r.version,
	}
	if r.name != nil {
		name, err := openValue(box, r.name, "contacts", "name", r.id)
		if err != nil {
			return storage.Contact{}, err
		}
		out.Name = string(name)
	}
	if r.fields != nil {
		raw, err := openValue(box, r.fields, "contacts", "fields", r.id)
		if err != nil {
			return storage.Contact{}, err
		}
		if err := json.Unmarshal(raw, &out.Fields); err != nil {
			return storage.Contact{}, fmt.Errorf("contacts.fields: %w", storage.ErrCorrupt)
		}
	}
	return out, nil
}

// returning runs a statement on contacts that returns contactReturning
// for at most one row.
func (c contacts) returning(ctx context.Context, q db, query string, args ...any) (contactRow, bool, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return contactRow{}, false, err
	}
	var (
		row   contactRow
		found bool
	)
	if rows.Next() {
		found = true
		row, err = scanContact(rows)
	}
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	return row, found, err
}

// one reads a single contact.
func (c contacts) one(ctx context.Context, q db, where string, arg any) (storage.Contact, error) {
	row, err := c.oneRow(ctx, q, where, arg)
	if err != nil {
		return storage.Contact{}, err
	}
	return c.decode(ctx, c.s.keys(), row)
}

// oneRow reads a single contact's row, still sealed.
func (c contacts) oneRow(ctx context.Context, q db, where string, arg any) (contactRow, error) {
	r, err := q.row(ctx, "SELECT "+contactCols+contactFrom+where, arg)
	if err != nil {
		return contactRow{}, err
	}
	row, err := scanContact(r)
	if errors.Is(err, sql.ErrNoRows) {
		return contactRow{}, storage.ErrNotFound
	}
	return row, err
}

// touchQuery moves a known contact's last inbound time forward (or keeps
// it, for a second message in the same instant) and returns the contact.
const touchQuery = `UPDATE contacts SET updated_at = CASE WHEN last_inbound_at < ? THEN ? ELSE updated_at END,
	version = CASE WHEN last_inbound_at < ? THEN version + 1 ELSE version END, last_inbound_at = ?
WHERE subject = ? AND last_inbound_at <= ? RETURNING ` + contactReturning

// touchArgs are touchQuery's arguments.
func touchArgs(subj []byte, at int64) []any { return []any{at, at, at, at, subj, at} }

func (c contacts) Touch(ctx context.Context, ref storage.ContactRef, at time.Time) (storage.Contact, error) {
	if err := ref.Validate(); err != nil {
		return storage.Contact{}, fmt.Errorf("contacts touch: %w", err)
	}
	s := c.s
	if err := s.open(ctx); err != nil {
		return storage.Contact{}, fmt.Errorf("contacts touch: %w", err)
	}
	subj := s.subject(ref)
	// The row is opened after the commit: every other write waits while
	// the writer is held.
	var row contactRow
	// Most messages come from someone already known, in order, and within
	// a conversation, seconds after their last: a stored time less than
	// storage.TouchSlack behind is left as it is (so is one later than at,
	// a message delivered out of order), and the contact is read on the
	// writer, whose cache holds the pages (a reader's is dropped at every
	// commit), without dirtying a page. Otherwise a second statement moves
	// the time. Neither needs a transaction.
	var found bool
	err := s.one(ctx, false, func(ctx context.Context, q db) (err error) {
		row, err = c.oneRow(ctx, q, "WHERE c.subject = ?", subj)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			found = false
			q.wroteNothing() // the write below is its own request
			return nil
		case err != nil:
			return err
		case row.last > ts(at.Add(-storage.TouchSlack)):
			found = true
			q.wroteNothing()
			return nil
		}
		// The row as read, moved forward, unless another writer changed
		// it meanwhile (Postgres): then the full statement decides.
		n, err := q.exec(ctx, "UPDATE contacts SET last_inbound_at = ?, updated_at = ?, version = version + 1 WHERE subject = ? AND version = ? AND last_inbound_at = ?",
			ts(at), ts(at), subj, row.version, row.last)
		if err != nil {
			return err
		}
		if n == 1 {
			row.last, row.upd, row.version = ts(at), ts(at), row.version+1
			found = true
			return nil
		}
		row, found, err = c.returning(ctx, q, touchQuery, touchArgs(subj, ts(at))...)
		return err
	})
	if err != nil {
		return storage.Contact{}, s.fail("contacts touch", err)
	}
	if found {
		out, err := c.decode(ctx, s.keys(), row)
		if err != nil {
			return storage.Contact{}, s.fail("contacts touch", err)
		}
		return out, nil
	}
	// Someone new (or, where writers run side by side, someone whose time
	// another writer moved past at between the two statements).
	err = s.write(ctx, func(q db) error {
		box, err := s.keys().forWrite(ctx, q, subj)
		if err != nil {
			return err
		}
		id := s.newID()
		var found bool
		row, found, err = c.returning(ctx, q, `INSERT INTO contacts (id, subject, ref, language, last_inbound_at, created_at, updated_at, version)
VALUES (?, ?, ?, '', ?, ?, ?, 1) ON CONFLICT (subject) DO NOTHING RETURNING `+contactReturning,
			id, subj, sealRef(box, ref, "contacts", id), ts(at), ts(at), ts(at))
		if err != nil || found {
			return err
		}
		// Known after all: another writer created the contact while this
		// one looked (Postgres, where writers run side by side); move its
		// time now that its row is visible.
		row, found, err = c.returning(ctx, q, touchQuery, touchArgs(subj, ts(at))...)
		if err != nil || found {
			return err
		}
		row, err = c.oneRow(ctx, q, "WHERE c.subject = ?", subj)
		return err
	})
	if err != nil {
		return storage.Contact{}, s.fail("contacts touch", err)
	}
	out, err := c.decode(ctx, s.keys(), row)
	if err != nil {
		return storage.Contact{}, s.fail("contacts touch", err)
	}
	return out, nil
}

func (c contacts) Get(ctx context.Context, ref storage.ContactRef) (storage.Contact, error) {
	if err := ref.Validate(); err != nil {
		return storage.Contact{}, fmt.Errorf("contacts get: %w", err)
	}
	s := c.s
	if err := s.open(ctx); err != nil {
		return storage.Contact{}, fmt.Errorf("contacts get: %w", err)
	}
	out, err := c.one(ctx, s.reader(), "WHERE c.subject = ?", s.subject(ref))
	if err != nil {
		return storage.Contact{}, s.fail("contacts get", err)
	}
	return out, nil
}

func (c contacts) GetByID(ctx context.Context, id string) (storage.Contact, error) {
	if id == "" {
		return storage.Contact{}, fmt.Errorf("contacts get: %w", fieldErr("id", "is empty"))
	}
	s := c.s
	if err := s.open(ctx); err != nil {
		return storage.Contact{}, fmt.Errorf("contacts get: %w", err)
	}
	out, err := c.one(ctx, s.reader(), "WHERE c.id = ?", id)
	if err != nil {
		return storage.Contact{}, s.fail("contacts get", err)
	}
	return out, nil
}

// Update finds the contact by in.ID, or by in.Ref when the id is empty.
func (c contacts) Update(ctx context.Context, in storage.Contact, now time.Time) (storage.Contact, error) {
	if in.ID == "" {
		if err := in.Ref.Validate(); err != nil {
			return storage.Contact{}, fmt.Errorf("contacts update: %w", fieldErr("id", "is empty and so is the contact reference"))
		}
	}
	s := c.s
	if err := s.open(ctx); err != nil {
		return storage.Contact{}, fmt.Errorf("contacts update: %w", err)
	}
	var out storage.Contact
	err := s.write(ctx, func(q db) error {
		var (
			id      string
			subj    []byte
			version int64
		)
		sel, arg := "SELECT id, subject, version FROM contacts WHERE id = ?", any(in.ID)
		if in.ID == "" {
			sel, arg = "SELECT id, subject, version FROM contacts WHERE subject = ?", s.subject(in.Ref)
		}
		err := q.scanRow(ctx, sel, []any{arg}, &id, &subj, &version)
		if errors.Is(err, sql.ErrNoRows) {
			return storage.ErrNotFound
		}
		if err != nil {
			return err
		}
		if version != in.Version {
			return fmt.Errorf("version %d, stored %d: %w", in.Version, version, storage.ErrConflict)
		}
		box, err := s.keys().forWrite(ctx, q, subj)
		if err != nil {
			return err
		}
		var name, fields []byte
		if in.Name != "" {
			name = box.Seal([]byte(in.Name), aad("contacts", "name", id))
		}
		if in.Fields != nil {
			raw, err := json.Marshal(in.Fields)
			if err != nil {
				return err
			}
			fields = box.Seal(raw, aad("contacts", "fields", id))
		}
		n, err := q.exec(ctx, "UPDATE contacts SET name = ?, language = ?, fields = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?",
			name, in.Language, fields, ts(now), id, version)
		if err != nil {
			return err
		}
		if n == 0 {
			return storage.ErrConflict
		}
		out, err = c.one(ctx, q, "WHERE c.id = ?", id)
		return err
	})
	if err != nil {
		return storage.Contact{}, s.fail("contacts update", err)
	}
	return out, nil
}

// listPage is how many contacts List reads per query.
const listPage = 500

func (c contacts) List(ctx context.Context) storage.Seq[storage.Contact] {
	return func(yield func(storage.Contact, error) bool) {
		s := c.s
		after := int64(-1 << 62)
		for {
			if err := s.open(ctx); err != nil {
				yield(storage.Contact{}, fmt.Errorf("contacts list: %w", err))
				return
			}
			page, err := c.page(ctx, after)
			if err != nil {
				yield(storage.Contact{}, s.fail("contacts list", err))
				return
			}
			for _, p := range page {
				if !yield(p.c, nil) {
					return
				}
				after = p.ord
			}
			if len(page) < listPage {
				return
			}
		}
	}
}

type orderedContact struct {
	ord int64
	c   storage.Contact
}

func (c contacts) page(ctx context.Context, after int64) ([]orderedContact, error) {
	rows, err := c.s.reader().query(ctx, "SELECT "+contactCols+contactFrom+"WHERE c.ord > ? ORDER BY c.ord LIMIT ?", after, listPage)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	k := c.s.keys()
	var out []orderedContact
	for rows.Next() {
		r, err := scanContact(rows)
		if err != nil {
			return nil, err
		}
		ct, err := c.decode(ctx, k, r)
		if err != nil {
			return nil, err
		}
		out = append(out, orderedContact{r.ord, ct})
		// Each contact has its own key: do not keep them all.
		clear(k.boxes)
	}
	return out, rows.Err()
}
