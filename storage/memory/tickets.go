package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/impactchat/impactchat/storage"
)

type ticketData struct {
	byID    map[string]*storage.Ticket
	active  map[storage.ContactRef]*storage.Ticket // the ticket not closed, per contact
	arrival int64
}

func (d *ticketData) init() {
	*d = ticketData{
		byID:   make(map[string]*storage.Ticket),
		active: make(map[storage.ContactRef]*storage.Ticket),
	}
}

func (d *ticketData) erase(ref storage.ContactRef, now time.Time) {
	delete(d.active, ref)
	for _, t := range d.byID {
		if t.Contact != ref {
			continue
		}
		t.Contact = storage.ContactRef{}
		t.Notes = nil
		if t.State != storage.TicketClosed {
			t.State = storage.TicketClosed
			t.ClosedAt = now
		}
		t.UpdatedAt = now
		t.Version++
	}
}

func copyTicket(t *storage.Ticket) storage.Ticket {
	out := *t
	out.Notes = slices.Clone(t.Notes)
	return out
}

// urgency orders tickets most urgent first: priority descending, then DueAt
// ascending with a zero DueAt (no SLA) last, then Arrival ascending.
func urgency(a, b *storage.Ticket) int {
	if c := cmp.Compare(b.Priority, a.Priority); c != 0 {
		return c
	}
	switch {
	case a.DueAt.IsZero() && !b.DueAt.IsZero():
		return 1
	case !a.DueAt.IsZero() && b.DueAt.IsZero():
		return -1
	}
	if c := a.DueAt.Compare(b.DueAt); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Arrival, b.Arrival); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

func validState(st storage.TicketState) bool {
	return st == storage.TicketOpen || st == storage.TicketClaimed || st == storage.TicketClosed
}

// Open accepts a ticket in state open (the default) or claimed.
func (v ticketsView) Open(ctx context.Context, t storage.Ticket, now time.Time) (storage.Ticket, bool, error) {
	if err := t.Contact.Validate(); err != nil {
		return storage.Ticket{}, false, fmt.Errorf("tickets open: %w", err)
	}
	if t.State == "" {
		t.State = storage.TicketOpen
	}
	if t.State != storage.TicketOpen && t.State != storage.TicketClaimed {
		return storage.Ticket{}, false, fmt.Errorf("tickets open: %w", &storage.FieldError{Field: "state", Problem: fmt.Sprintf("is %q; a new ticket is open or claimed", t.State)})
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return storage.Ticket{}, false, fmt.Errorf("tickets open: %w", err)
	}
	defer s.mu.Unlock()
	d := &s.tickets
	if cur := d.active[t.Contact]; cur != nil {
		return copyTicket(cur), false, nil
	}
	if t.ID == "" {
		t.ID = s.newID()
	}
	if _, taken := d.byID[t.ID]; taken {
		return storage.Ticket{}, false, fmt.Errorf("tickets open %q: id exists: %w", t.ID, storage.ErrConflict)
	}
	d.arrival = max(d.arrival+1, t.Arrival)
	if t.Arrival == 0 {
		t.Arrival = d.arrival
	}
	if t.OpenedAt.IsZero() {
		t.OpenedAt = now
	}
	t.UpdatedAt = now
	t.ClosedAt = time.Time{}
	t.Version = 1
	rec := new(storage.Ticket)
	*rec = copyTicket(&t)
	d.byID[rec.ID] = rec
	d.active[rec.Contact] = rec
	return copyTicket(rec), true, nil
}

func (v ticketsView) Get(ctx context.Context, id string) (storage.Ticket, error) {
	if id == "" {
		return storage.Ticket{}, fmt.Errorf("tickets get: %w", &storage.FieldError{Field: "id", Problem: "is empty"})
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return storage.Ticket{}, fmt.Errorf("tickets get: %w", err)
	}
	defer s.mu.Unlock()
	t := s.tickets.byID[id]
	if t == nil {
		return storage.Ticket{}, fmt.Errorf("tickets get %q: %w", id, storage.ErrNotFound)
	}
	return copyTicket(t), nil
}

func (v ticketsView) Active(ctx context.Context, ref storage.ContactRef) (storage.Ticket, error) {
	if err := ref.Validate(); err != nil {
		return storage.Ticket{}, fmt.Errorf("tickets active: %w", err)
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return storage.Ticket{}, fmt.Errorf("tickets active: %w", err)
	}
	defer s.mu.Unlock()
	t := s.tickets.active[ref]
	if t == nil {
		return storage.Ticket{}, fmt.Errorf("tickets active: %w", storage.ErrNotFound)
	}
	return copyTicket(t), nil
}

// Update writes every field but ID, Contact, Arrival and OpenedAt, which
// stay as stored. Closing sets ClosedAt to now when it is zero; reopening a
// closed ticket while the contact has another one not closed is ErrConflict.
func (v ticketsView) Update(ctx context.Context, t storage.Ticket, now time.Time) (storage.Ticket, error) {
	if t.ID == "" {
		return storage.Ticket{}, fmt.Errorf("tickets update: %w", &storage.FieldError{Field: "id", Problem: "is empty"})
	}
	if !validState(t.State) {
		return storage.Ticket{}, fmt.Errorf("tickets update: %w", &storage.FieldError{Field: "state", Problem: fmt.Sprintf("%q is not a ticket state", t.State)})
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return storage.Ticket{}, fmt.Errorf("tickets update: %w", err)
	}
	defer s.mu.Unlock()
	d := &s.tickets
	cur := d.byID[t.ID]
	if cur == nil {
		return storage.Ticket{}, fmt.Errorf("tickets update %q: %w", t.ID, storage.ErrNotFound)
	}
	if cur.Version != t.Version {
		return storage.Ticket{}, fmt.Errorf("tickets update %q: version %d, stored %d: %w", t.ID, t.Version, cur.Version, storage.ErrConflict)
	}
	if cur.Contact == (storage.ContactRef{}) && len(t.Notes) > 0 {
		// As the SQL stores: an erased contact's ticket keeps no notes.
		return storage.Ticket{}, fmt.Errorf("tickets update %q: %w", t.ID, &storage.FieldError{Field: "notes", Problem: "cannot be kept: the ticket's contact was erased"})
	}
	wasClosed := cur.State == storage.TicketClosed
	closing := t.State == storage.TicketClosed
	if wasClosed && !closing {
		if cur.Contact == (storage.ContactRef{}) {
			return storage.Ticket{}, fmt.Errorf("tickets update %q: the contact was erased: %w", t.ID, storage.ErrConflict)
		}
		if other := d.active[cur.Contact]; other != nil && other != cur {
			return storage.Ticket{}, fmt.Errorf("tickets update %q: the contact has another ticket: %w", t.ID, storage.ErrConflict)
		}
	}
	t.Contact = cur.Contact
	t.Arrival = cur.Arrival
	t.OpenedAt = cur.OpenedAt
	t.UpdatedAt = now
	t.Version = cur.Version + 1
	switch {
	case closing && t.ClosedAt.IsZero():
		t.ClosedAt = now
	case !closing:
		t.ClosedAt = time.Time{}
	}
	*cur = copyTicket(&t)
	if closing {
		if d.active[cur.Contact] == cur {
			delete(d.active, cur.Contact)
		}
	} else {
		d.active[cur.Contact] = cur
	}
	return copyTicket(cur), nil
}

func inQueues(q string, queues []string) bool {
	return len(queues) == 0 || slices.Contains(queues, q)
}

func (v ticketsView) ClaimNext(ctx context.Context, assignee string, queues []string, now time.Time) (storage.Ticket, error) {
	if assignee == "" {
		return storage.Ticket{}, fmt.Errorf("tickets claim next: %w", &storage.FieldError{Field: "assignee", Problem: "is empty"})
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return storage.Ticket{}, fmt.Errorf("tickets claim next: %w", err)
	}
	defer s.mu.Unlock()
	var best *storage.Ticket
	for _, t := range s.tickets.active {
		if t.State != storage.TicketOpen || !inQueues(t.Queue, queues) {
			continue
		}
		if best == nil || urgency(t, best) < 0 {
			best = t
		}
	}
	if best == nil {
		return storage.Ticket{}, fmt.Errorf("tickets claim next: %w", storage.ErrNotFound)
	}
	best.State = storage.TicketClaimed
	best.Assignee = assignee
	best.UpdatedAt = now
	best.Version++
	return copyTicket(best), nil
}

func (v ticketsView) List(ctx context.Context, f storage.TicketFilter) ([]storage.Ticket, error) {
	if err := checkLimit("limit", f.Limit); err != nil {
		return nil, fmt.Errorf("tickets list: %w", err)
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return nil, fmt.Errorf("tickets list: %w", err)
	}
	defer s.mu.Unlock()
	var match []*storage.Ticket
	for _, t := range s.tickets.byID {
		if len(f.States) > 0 && !slices.Contains(f.States, t.State) {
			continue
		}
		if !inQueues(t.Queue, f.Queues) {
			continue
		}
		if f.Contact != nil && t.Contact != *f.Contact {
			continue
		}
		match = append(match, t)
	}
	slices.SortFunc(match, urgency)
	match = match[:upTo(len(match), f.Limit)]
	out := make([]storage.Ticket, len(match))
	for i, t := range match {
		out[i] = copyTicket(t)
	}
	return out, nil
}
