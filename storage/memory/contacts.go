package memory

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/impactchat/impactchat/storage"
)

type contactData struct {
	byRef map[storage.ContactRef]*storage.Contact
	byID  map[string]*storage.Contact
	// order lists contacts in creation order; erased ones are nil until
	// the next compaction.
	order  []*storage.Contact
	erased int
}

func (d *contactData) init() {
	*d = contactData{
		byRef: make(map[storage.ContactRef]*storage.Contact),
		byID:  make(map[string]*storage.Contact),
	}
}

func (d *contactData) erase(ref storage.ContactRef) {
	c := d.byRef[ref]
	if c == nil {
		return
	}
	delete(d.byRef, ref)
	delete(d.byID, c.ID)
	for i, o := range d.order {
		if o == c {
			d.order[i] = nil
			d.erased++
			break
		}
	}
	if d.erased > len(d.order)/2 {
		kept := d.order[:0]
		for _, o := range d.order {
			if o != nil {
				kept = append(kept, o)
			}
		}
		clear(d.order[len(kept):])
		d.order = kept
		d.erased = 0
	}
}

func copyContact(c *storage.Contact) storage.Contact {
	out := *c
	out.Fields = maps.Clone(c.Fields)
	return out
}

func (v contactsView) Touch(ctx context.Context, ref storage.ContactRef, at time.Time) (storage.Contact, error) {
	if err := ref.Validate(); err != nil {
		return storage.Contact{}, fmt.Errorf("contacts touch: %w", err)
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return storage.Contact{}, fmt.Errorf("contacts touch: %w", err)
	}
	defer s.mu.Unlock()
	d := &s.contacts
	if c := d.byRef[ref]; c != nil {
		if at.After(c.LastInboundAt) {
			c.LastInboundAt = at
			c.UpdatedAt = at
			c.Version++
		}
		return copyContact(c), nil
	}
	id := s.newID()
	if _, taken := d.byID[id]; taken {
		return storage.Contact{}, fmt.Errorf("contacts touch: id source repeated id %q: %w", id, storage.ErrConflict)
	}
	c := &storage.Contact{
		ID:            id,
		Ref:           ref,
		LastInboundAt: at,
		CreatedAt:     at,
		UpdatedAt:     at,
		Version:       1,
	}
	d.byRef[ref] = c
	d.byID[id] = c
	d.order = append(d.order, c)
	return copyContact(c), nil
}

func (v contactsView) Get(ctx context.Context, ref storage.ContactRef) (storage.Contact, error) {
	if err := ref.Validate(); err != nil {
		return storage.Contact{}, fmt.Errorf("contacts get: %w", err)
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return storage.Contact{}, fmt.Errorf("contacts get: %w", err)
	}
	defer s.mu.Unlock()
	c := s.contacts.byRef[ref]
	if c == nil {
		return storage.Contact{}, fmt.Errorf("contacts get: %w", storage.ErrNotFound)
	}
	return copyContact(c), nil
}

func (v contactsView) GetByID(ctx context.Context, id string) (storage.Contact, error) {
	if id == "" {
		return storage.Contact{}, fmt.Errorf("contacts get: %w", &storage.FieldError{Field: "id", Problem: "is empty"})
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return storage.Contact{}, fmt.Errorf("contacts get: %w", err)
	}
	defer s.mu.Unlock()
	c := s.contacts.byID[id]
	if c == nil {
		return storage.Contact{}, fmt.Errorf("contacts get %q: %w", id, storage.ErrNotFound)
	}
	return copyContact(c), nil
}

// Update finds the contact by c.ID, or by c.Ref when c.ID is empty.
func (v contactsView) Update(ctx context.Context, c storage.Contact, now time.Time) (storage.Contact, error) {
	if c.ID == "" {
		if err := c.Ref.Validate(); err != nil {
			return storage.Contact{}, fmt.Errorf("contacts update: %w", &storage.FieldError{Field: "id", Problem: "is empty and so is the contact reference"})
		}
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return storage.Contact{}, fmt.Errorf("contacts update: %w", err)
	}
	defer s.mu.Unlock()
	cur := s.contacts.byID[c.ID]
	if c.ID == "" {
		cur = s.contacts.byRef[c.Ref]
	}
	if cur == nil {
		return storage.Contact{}, fmt.Errorf("contacts update: %w", storage.ErrNotFound)
	}
	if cur.Version != c.Version {
		return storage.Contact{}, fmt.Errorf("contacts update %q: version %d, stored %d: %w", cur.ID, c.Version, cur.Version, storage.ErrConflict)
	}
	cur.Name = c.Name
	cur.Language = c.Language
	cur.Fields = maps.Clone(c.Fields)
	cur.UpdatedAt = now
	cur.Version++
	return copyContact(cur), nil
}

func (v contactsView) List(ctx context.Context) storage.Seq[storage.Contact] {
	return func(yield func(storage.Contact, error) bool) {
		s := v.s
		if err := s.lock(ctx); err != nil {
			yield(storage.Contact{}, fmt.Errorf("contacts list: %w", err))
			return
		}
		all := make([]storage.Contact, 0, len(s.contacts.byID))
		for _, c := range s.contacts.order {
			if c != nil {
				all = append(all, copyContact(c))
			}
		}
		s.mu.Unlock()
		for _, c := range all {
			if err := ctx.Err(); err != nil {
				yield(storage.Contact{}, fmt.Errorf("contacts list: %w", err))
				return
			}
			if !yield(c, nil) {
				return
			}
		}
	}
}
