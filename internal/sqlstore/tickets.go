package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/impactchat/impactchat/storage"
)

type tickets struct{ s *Store }

var _ storage.Tickets = tickets{}

const ticketCols = `t.id, t.subject, t.ref, t.queue, t.priority, t.category, t.state, t.assignee, t.due_at, t.arrival,
t.opened_at, t.updated_at, t.closed_at, t.escalated, t.acked_at, t.notes, t.version, d.wrapped`

const ticketFrom = ` FROM tickets t LEFT JOIN dek d ON d.subject = t.subject `

// urgent orders tickets most urgent first: priority descending, then DueAt
// ascending with a zero DueAt (no SLA) last, then Arrival.
const urgent = ` ORDER BY t.priority DESC, CASE WHEN t.due_at = 0 THEN 1 ELSE 0 END, t.due_at, t.arrival, t.ord `

func (ts_ tickets) scan(ctx context.Context, k *keys, sc interface{ Scan(...any) error }) (storage.Ticket, error) {
	var (
		t                                   storage.Ticket
		subj, ref, notes, wrapped           []byte
		state                               string
		due, opened, updated, closed, acked int64
	)
	if err := sc.Scan(&t.ID, &subj, &ref, &t.Queue, &t.Priority, &t.Category, &state, &t.Assignee, &due, &t.Arrival,
		&opened, &updated, &closed, &t.Escalated, &acked, &notes, &t.Version, &wrapped); err != nil {
		return t, err
	}
	t.State = storage.TicketState(state)
	t.DueAt, t.OpenedAt, t.UpdatedAt, t.ClosedAt, t.AckedAt = tm(due), tm(opened), tm(updated), tm(closed), tm(acked)
	if ref == nil && notes == nil {
		return t, nil
	}
	box, err := k.open(ctx, subj, wrapped)
	if err != nil {
		return t, err
	}
	if t.Contact, err = openRef(box, ref, "tickets", t.ID); err != nil {
		return t, err
	}
	if notes != nil {
		raw, err := openValue(box, notes, "tickets", "notes", t.ID)
		if err != nil {
			return t, err
		}
		if err := json.Unmarshal(raw, &t.Notes); err != nil {
			return t, fmt.Errorf("tickets.notes: %w", storage.ErrCorrupt)
		}
	}
	return t, nil
}

func (ts_ tickets) one(ctx context.Context, q db, where string, args ...any) (storage.Ticket, error) {
	r, err := q.row(ctx, "SELECT "+ticketCols+ticketFrom+where, args...)
	if err != nil {
		return storage.Ticket{}, err
	}
	t, err := ts_.scan(ctx, ts_.s.keys(), r)
	if errors.Is(err, sql.ErrNoRows) {
		return storage.Ticket{}, storage.ErrNotFound
	}
	return t, err
}

func sealNotes(k *keys, ctx context.Context, q db, subj []byte, id string, notes []storage.TicketNote) ([]byte, error) {
	if len(notes) == 0 {
		return nil, nil
	}
	if subj == nil {
		return nil, fieldErr("notes", "cannot be kept: the ticket's contact was erased")
	}
	box, err := k.forWrite(ctx, q, subj)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(notes)
	if err != nil {
		return nil, err
	}
	return box.Seal(raw, aad("tickets", "notes", id)), nil
}

// Open accepts a ticket in state open (the default) or claimed.
func (ts_ tickets) Open(ctx context.Context, t storage.Ticket, now time.Time) (storage.Ticket, bool, error) {
	if err := t.Contact.Validate(); err != nil {
		return storage.Ticket{}, false, fmt.Errorf("tickets open: %w", err)
	}
	if t.State == "" {
		t.State = storage.TicketOpen
	}
	if t.State != storage.TicketOpen && t.State != storage.TicketClaimed {
		return storage.Ticket{}, false, fmt.Errorf("tickets open: %w", fieldErr("state", fmt.Sprintf("is %q; a new ticket is open or claimed", t.State)))
	}
	s := ts_.s
	if err := s.open(ctx); err != nil {
		return storage.Ticket{}, false, fmt.Errorf("tickets open: %w", err)
	}
	subj := s.subject(t.Contact)
	var (
		out     storage.Ticket
		created bool
	)
	err := s.write(ctx, func(q db) error {
		created = false
		cur, err := ts_.one(ctx, q, "WHERE t.subject = ? AND t.state <> 'closed'", subj)
		if err == nil {
			out = cur
			return nil
		}
		if !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		id := t.ID
		if id == "" {
			id = s.newID()
		}
		if t.Arrival == 0 {
			if err := q.scanRow(ctx, "SELECT COALESCE(MAX(arrival), 0) + 1 FROM tickets", nil, &t.Arrival); err != nil {
				return err
			}
		}
		opened := t.OpenedAt
		if opened.IsZero() {
			opened = now
		}
		k := s.keys()
		box, err := k.forWrite(ctx, q, subj)
		if err != nil {
			return err
		}
		notes, err := sealNotes(k, ctx, q, subj, id, t.Notes)
		if err != nil {
			return err
		}
		n, err := q.exec(ctx, `INSERT INTO tickets (id, subject, ref, queue, priority, category, state, assignee, due_at, arrival,
opened_at, updated_at, closed_at, escalated, acked_at, notes, version)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, 1) ON CONFLICT DO NOTHING`,
			id, subj, sealRef(box, t.Contact, "tickets", id), t.Queue, t.Priority, t.Category, string(t.State), t.Assignee,
			ts(t.DueAt), t.Arrival, ts(opened), ts(now), t.Escalated, ts(t.AckedAt), notes)
		if err != nil {
			return err
		}
		if n == 0 {
			// Another writer opened one for this contact first, or the id
			// is taken.
			cur, err := ts_.one(ctx, q, "WHERE t.subject = ? AND t.state <> 'closed'", subj)
			if errors.Is(err, storage.ErrNotFound) {
				return fmt.Errorf("ticket id exists: %w", storage.ErrConflict)
			}
			out = cur
			return err
		}
		created = true
		out, err = ts_.one(ctx, q, "WHERE t.id = ?", id)
		return err
	})
	if err != nil {
		return storage.Ticket{}, false, s.fail("tickets open", err)
	}
	return out, created, nil
}

func (ts_ tickets) Get(ctx context.Context, id string) (storage.Ticket, error) {
	if id == "" {
		return storage.Ticket{}, fmt.Errorf("tickets get: %w", fieldErr("id", "is empty"))
	}
	s := ts_.s
	if err := s.open(ctx); err != nil {
		return storage.Ticket{}, fmt.Errorf("tickets get: %w", err)
	}
	t, err := ts_.one(ctx, s.reader(), "WHERE t.id = ?", id)
	if err != nil {
		return storage.Ticket{}, s.fail("tickets get", err)
	}
	return t, nil
}

func (ts_ tickets) Active(ctx context.Context, ref storage.ContactRef) (storage.Ticket, error) {
	if err := ref.Validate(); err != nil {
		return storage.Ticket{}, fmt.Errorf("tickets active: %w", err)
	}
	s := ts_.s
	if err := s.open(ctx); err != nil {
		return storage.Ticket{}, fmt.Errorf("tickets active: %w", err)
	}
	t, err := ts_.one(ctx, s.reader(), "WHERE t.subject = ? AND t.state <> 'closed'", s.subject(ref))
	if err != nil {
		return storage.Ticket{}, s.fail("tickets active", err)
	}
	return t, nil
}

// Update writes every field but ID, Contact, Arrival and OpenedAt. Closing
// sets ClosedAt to now when it is zero; reopening a closed ticket while the
// contact has another one not closed, or after the contact was erased, is
// ErrConflict.
func (ts_ tickets) Update(ctx context.Context, t storage.Ticket, now time.Time) (storage.Ticket, error) {
	if t.ID == "" {
		return storage.Ticket{}, fmt.Errorf("tickets update: %w", fieldErr("id", "is empty"))
	}
	if t.State != storage.TicketOpen && t.State != storage.TicketClaimed && t.State != storage.TicketClosed {
		return storage.Ticket{}, fmt.Errorf("tickets update: %w", fieldErr("state", fmt.Sprintf("%q is not a ticket state", t.State)))
	}
	s := ts_.s
	if err := s.open(ctx); err != nil {
		return storage.Ticket{}, fmt.Errorf("tickets update: %w", err)
	}
	var out storage.Ticket
	err := s.write(ctx, func(q db) error {
		var (
			subj    []byte
			state   string
			version int64
		)
		err := q.scanRow(ctx, "SELECT subject, state, version FROM tickets WHERE id = ? "+s.d.ForUpdate, []any{t.ID}, &subj, &state, &version)
		if errors.Is(err, sql.ErrNoRows) {
			return storage.ErrNotFound
		}
		if err != nil {
			return err
		}
		if version != t.Version {
			return fmt.Errorf("version %d, stored %d: %w", t.Version, version, storage.ErrConflict)
		}
		closing := t.State == storage.TicketClosed
		if state == string(storage.TicketClosed) && !closing {
			if subj == nil {
				return fmt.Errorf("the contact was erased: %w", storage.ErrConflict)
			}
			var other string
			err := q.scanRow(ctx, "SELECT id FROM tickets WHERE subject = ? AND state <> 'closed' AND id <> ?", []any{subj, t.ID}, &other)
			if err == nil {
				return fmt.Errorf("the contact has another ticket: %w", storage.ErrConflict)
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		closedAt := time.Time{}
		if closing {
			closedAt = t.ClosedAt
			if closedAt.IsZero() {
				closedAt = now
			}
		}
		notes, err := sealNotes(s.keys(), ctx, q, subj, t.ID, t.Notes)
		if err != nil {
			return err
		}
		n, err := q.exec(ctx, `UPDATE tickets SET queue = ?, priority = ?, category = ?, state = ?, assignee = ?, due_at = ?,
updated_at = ?, closed_at = ?, escalated = ?, acked_at = ?, notes = ?, version = version + 1 WHERE id = ? AND version = ?`,
			t.Queue, t.Priority, t.Category, string(t.State), t.Assignee, ts(t.DueAt), ts(now), ts(closedAt),
			t.Escalated, ts(t.AckedAt), notes, t.ID, version)
		if err != nil {
			return err
		}
		if n == 0 {
			return storage.ErrConflict
		}
		out, err = ts_.one(ctx, q, "WHERE t.id = ?", t.ID)
		return err
	})
	if err != nil {
		return storage.Ticket{}, s.fail("tickets update", err)
	}
	return out, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func (ts_ tickets) ClaimNext(ctx context.Context, assignee string, queues []string, now time.Time) (storage.Ticket, error) {
	if assignee == "" {
		return storage.Ticket{}, fmt.Errorf("tickets claim next: %w", fieldErr("assignee", "is empty"))
	}
	s := ts_.s
	if err := s.open(ctx); err != nil {
		return storage.Ticket{}, fmt.Errorf("tickets claim next: %w", err)
	}
	where := "t.state = 'open'"
	args := []any{assignee, ts(now)}
	if len(queues) > 0 {
		where += " AND t.queue IN (" + placeholders(len(queues)) + ")"
		for _, q := range queues {
			args = append(args, q)
		}
	}
	query := `UPDATE tickets SET state = 'claimed', assignee = ?, updated_at = ?, version = version + 1
WHERE id = (SELECT t.id FROM tickets t WHERE ` + where + urgent + ` LIMIT 1 ` + s.d.SkipLocked + `) RETURNING id`
	var out storage.Ticket
	err := s.write(ctx, func(q db) error {
		var id string
		if err := q.scanRow(ctx, query, args, &id); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return storage.ErrNotFound
			}
			return err
		}
		var err error
		out, err = ts_.one(ctx, q, "WHERE t.id = ?", id)
		return err
	})
	if err != nil {
		return storage.Ticket{}, s.fail("tickets claim next", err)
	}
	return out, nil
}

func (ts_ tickets) List(ctx context.Context, f storage.TicketFilter) ([]storage.Ticket, error) {
	if err := checkLimit(f.Limit); err != nil {
		return nil, fmt.Errorf("tickets list: %w", err)
	}
	if f.Contact != nil {
		if err := f.Contact.Validate(); err != nil {
			return nil, fmt.Errorf("tickets list: %w", err)
		}
	}
	s := ts_.s
	if err := s.open(ctx); err != nil {
		return nil, fmt.Errorf("tickets list: %w", err)
	}
	where := []string{"1 = 1"}
	var args []any
	if len(f.States) > 0 {
		where = append(where, "t.state IN ("+placeholders(len(f.States))+")")
		for _, st := range f.States {
			args = append(args, string(st))
		}
	}
	if len(f.Queues) > 0 {
		where = append(where, "t.queue IN ("+placeholders(len(f.Queues))+")")
		for _, q := range f.Queues {
			args = append(args, q)
		}
	}
	if f.Contact != nil {
		where = append(where, "t.subject = ?")
		args = append(args, s.subject(*f.Contact))
	}
	args = append(args, sqlLimit(f.Limit))
	rows, err := s.reader().query(ctx, "SELECT "+ticketCols+ticketFrom+"WHERE "+strings.Join(where, " AND ")+urgent+"LIMIT ?", args...)
	if err != nil {
		return nil, s.fail("tickets list", err)
	}
	defer rows.Close()
	k := s.keys()
	var out []storage.Ticket
	for rows.Next() {
		t, err := ts_.scan(ctx, k, rows)
		if err != nil {
			return nil, s.fail("tickets list", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail("tickets list", err)
	}
	return out, nil
}
