package memory

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/impactchat/impactchat/internal/redact"
	"github.com/impactchat/impactchat/storage"
)

type messageData struct {
	byID map[string]*storage.MessageRecord
	// byContact keeps each contact's messages ordered by At, then by the
	// order they were recorded.
	byContact map[storage.ContactRef][]*storage.MessageRecord
}

func (d *messageData) init() {
	*d = messageData{
		byID:      make(map[string]*storage.MessageRecord),
		byContact: make(map[storage.ContactRef][]*storage.MessageRecord),
	}
}

func (d *messageData) erase(ref storage.ContactRef) {
	for _, m := range d.byContact[ref] {
		delete(d.byID, m.ID)
	}
	delete(d.byContact, ref)
}

func (v messagesView) Record(ctx context.Context, m storage.MessageRecord) error {
	if m.ID == "" {
		return fmt.Errorf("messages record: %w", &storage.FieldError{Field: "id", Problem: "is empty"})
	}
	if err := m.Contact.Validate(); err != nil {
		return fmt.Errorf("messages record: %w", err)
	}
	if m.Direction != storage.Inbound && m.Direction != storage.Outbound {
		return fmt.Errorf("messages record: %w", &storage.FieldError{Field: "direction", Problem: fmt.Sprintf("is %q; want %q or %q", m.Direction, storage.Inbound, storage.Outbound)})
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return fmt.Errorf("messages record: %w", err)
	}
	defer s.mu.Unlock()
	d := &s.messages
	if _, dup := d.byID[m.ID]; dup {
		return fmt.Errorf("messages record %s: %w", redact.MessageID(m.ID), storage.ErrConflict)
	}
	rec := new(storage.MessageRecord)
	*rec = m
	d.byID[m.ID] = rec
	list := d.byContact[m.Contact]
	i := sort.Search(len(list), func(i int) bool { return list[i].At.After(m.At) })
	list = append(list, nil)
	copy(list[i+1:], list[i:])
	list[i] = rec
	d.byContact[m.Contact] = list
	return nil
}

func (v messagesView) Get(ctx context.Context, id string) (storage.MessageRecord, error) {
	if id == "" {
		return storage.MessageRecord{}, fmt.Errorf("messages get: %w", &storage.FieldError{Field: "id", Problem: "is empty"})
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return storage.MessageRecord{}, fmt.Errorf("messages get: %w", err)
	}
	defer s.mu.Unlock()
	m := s.messages.byID[id]
	if m == nil {
		return storage.MessageRecord{}, fmt.Errorf("messages get %s: %w", redact.MessageID(id), storage.ErrNotFound)
	}
	return *m, nil
}

func (v messagesView) UpdateStatus(ctx context.Context, id string, st storage.Delivery, at time.Time, errorCode int) (bool, error) {
	if id == "" {
		return false, fmt.Errorf("messages update status: %w", &storage.FieldError{Field: "id", Problem: "is empty"})
	}
	if !st.Supersedes(storage.DeliveryNone) {
		return false, fmt.Errorf("messages update status: %w", &storage.FieldError{Field: "status", Problem: fmt.Sprintf("%q is not a delivery state", st)})
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return false, fmt.Errorf("messages update status: %w", err)
	}
	defer s.mu.Unlock()
	m := s.messages.byID[id]
	if m == nil {
		return false, fmt.Errorf("messages update status %s: %w", redact.MessageID(id), storage.ErrNotFound)
	}
	if !st.Supersedes(m.Status) {
		return false, nil
	}
	m.Status = st
	m.StatusAt = at
	m.ErrorCode = errorCode
	return true, nil
}

func (v messagesView) History(ctx context.Context, ref storage.ContactRef, limit int) ([]storage.MessageRecord, error) {
	if err := ref.Validate(); err != nil {
		return nil, fmt.Errorf("messages history: %w", err)
	}
	if err := checkLimit("limit", limit); err != nil {
		return nil, fmt.Errorf("messages history: %w", err)
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return nil, fmt.Errorf("messages history: %w", err)
	}
	defer s.mu.Unlock()
	list := s.messages.byContact[ref]
	list = list[len(list)-upTo(len(list), limit):]
	out := make([]storage.MessageRecord, len(list))
	for i, m := range list {
		out[i] = *m
	}
	return out, nil
}
