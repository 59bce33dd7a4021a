package memory

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/impactchat/impactchat/internal/redact"
	"github.com/impactchat/impactchat/storage"
)

type recipientKey struct {
	broadcast string
	seq       int64
}

type broadcastRec struct {
	b storage.Broadcast
	// recipients in Seq order.
	recipients []*storage.Recipient
	bySeq      map[int64]*storage.Recipient
}

type broadcastData struct {
	byID      map[string]*broadcastRec
	byMessage map[string]recipientKey
}

func (d *broadcastData) init() {
	*d = broadcastData{
		byID:      make(map[string]*broadcastRec),
		byMessage: make(map[string]recipientKey),
	}
}

func (d *broadcastData) erase(ref storage.ContactRef, now time.Time) {
	for _, b := range d.byID {
		for _, r := range b.recipients {
			if r.Contact != ref {
				continue
			}
			r.Contact = storage.ContactRef{}
			r.Params = nil
			// A message id can encode the number. byMessage keeps its
			// keyed hash, so statuses still find the recipient.
			r.MessageID = ""
			if r.State == storage.RecipientQueued {
				r.State = storage.RecipientSkipped
				r.Reason = "erased"
				r.UpdatedAt = now
			}
		}
	}
}

func copyBroadcast(b storage.Broadcast) storage.Broadcast {
	b.Spec = bytes.Clone(b.Spec)
	return b
}

func copyRecipient(r *storage.Recipient) storage.Recipient {
	out := *r
	out.Params = bytes.Clone(r.Params)
	return out
}

// Create stores b with Version 1; a zero CreatedAt or UpdatedAt is set from
// the store's clock.
func (v broadcastsView) Create(ctx context.Context, b storage.Broadcast) error {
	if b.ID == "" {
		return fmt.Errorf("broadcasts create: %w", &storage.FieldError{Field: "id", Problem: "is empty"})
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return fmt.Errorf("broadcasts create: %w", err)
	}
	defer s.mu.Unlock()
	d := &s.broadcasts
	if _, taken := d.byID[b.ID]; taken {
		return fmt.Errorf("broadcasts create %q: %w", b.ID, storage.ErrConflict)
	}
	now := s.now()
	if b.CreatedAt.IsZero() {
		b.CreatedAt = now
	}
	if b.UpdatedAt.IsZero() {
		b.UpdatedAt = now
	}
	b.Version = 1
	d.byID[b.ID] = &broadcastRec{b: copyBroadcast(b), bySeq: make(map[int64]*storage.Recipient)}
	return nil
}

func (v broadcastsView) Get(ctx context.Context, id string) (storage.Broadcast, error) {
	if id == "" {
		return storage.Broadcast{}, fmt.Errorf("broadcasts get: %w", &storage.FieldError{Field: "id", Problem: "is empty"})
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return storage.Broadcast{}, fmt.Errorf("broadcasts get: %w", err)
	}
	defer s.mu.Unlock()
	b := s.broadcasts.byID[id]
	if b == nil {
		return storage.Broadcast{}, fmt.Errorf("broadcasts get %q: %w", id, storage.ErrNotFound)
	}
	return copyBroadcast(b.b), nil
}

// Update keeps CreatedAt as stored and sets UpdatedAt from the store's clock.
func (v broadcastsView) Update(ctx context.Context, b storage.Broadcast) (storage.Broadcast, error) {
	if b.ID == "" {
		return storage.Broadcast{}, fmt.Errorf("broadcasts update: %w", &storage.FieldError{Field: "id", Problem: "is empty"})
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return storage.Broadcast{}, fmt.Errorf("broadcasts update: %w", err)
	}
	defer s.mu.Unlock()
	cur := s.broadcasts.byID[b.ID]
	if cur == nil {
		return storage.Broadcast{}, fmt.Errorf("broadcasts update %q: %w", b.ID, storage.ErrNotFound)
	}
	if cur.b.Version != b.Version {
		return storage.Broadcast{}, fmt.Errorf("broadcasts update %q: version %d, stored %d: %w", b.ID, b.Version, cur.b.Version, storage.ErrConflict)
	}
	b.CreatedAt = cur.b.CreatedAt
	b.UpdatedAt = s.now()
	b.Version = cur.b.Version + 1
	cur.b = copyBroadcast(b)
	return copyBroadcast(cur.b), nil
}

// AddRecipients sets each recipient's Broadcast to id, an empty State to
// queued and a zero UpdatedAt from the store's clock.
func (v broadcastsView) AddRecipients(ctx context.Context, id string, rs []storage.Recipient) error {
	if id == "" {
		return fmt.Errorf("broadcasts add recipients: %w", &storage.FieldError{Field: "id", Problem: "is empty"})
	}
	for i, r := range rs {
		if r.Seq < 1 {
			return fmt.Errorf("broadcasts add recipients: %w", &storage.FieldError{Field: fmt.Sprintf("recipients[%d].seq", i), Problem: fmt.Sprintf("is %d; it must be at least 1", r.Seq)})
		}
		if err := r.Contact.Validate(); err != nil {
			return fmt.Errorf("broadcasts add recipients: recipients[%d]: %w", i, err)
		}
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return fmt.Errorf("broadcasts add recipients: %w", err)
	}
	defer s.mu.Unlock()
	d := &s.broadcasts
	b := d.byID[id]
	if b == nil {
		return fmt.Errorf("broadcasts add recipients %q: %w", id, storage.ErrNotFound)
	}
	seqs := make(map[int64]bool, len(rs))
	msgs := make(map[string]bool)
	for _, r := range rs {
		if b.bySeq[r.Seq] != nil || seqs[r.Seq] {
			return fmt.Errorf("broadcasts add recipients %q: seq %d exists: %w", id, r.Seq, storage.ErrConflict)
		}
		seqs[r.Seq] = true
		if r.MessageID != "" {
			if _, taken := d.byMessage[s.messageKey(r.MessageID)]; taken || msgs[r.MessageID] {
				return fmt.Errorf("broadcasts add recipients %q: message %s is another recipient's: %w", id, redact.MessageID(r.MessageID), storage.ErrConflict)
			}
			msgs[r.MessageID] = true
		}
	}
	now := s.now()
	for _, r := range rs {
		rec := new(storage.Recipient)
		*rec = copyRecipient(&r)
		rec.Broadcast = id
		if rec.State == "" {
			rec.State = storage.RecipientQueued
		}
		if rec.UpdatedAt.IsZero() {
			rec.UpdatedAt = now
		}
		if c := s.consent.bySubject[s.subject(rec.Contact)]; c != nil && c.state.Erased {
			// Erased since the campaign chose them: kept as Erase leaves
			// a recipient, with nothing of the person.
			rec.Contact, rec.Params, rec.MessageID = storage.ContactRef{}, nil, ""
			rec.State, rec.Reason, rec.UpdatedAt = storage.RecipientSkipped, "erased", now
		}
		b.bySeq[rec.Seq] = rec
		if rec.MessageID != "" {
			d.byMessage[s.messageKey(rec.MessageID)] = recipientKey{id, rec.Seq}
		}
	}
	for _, r := range rs {
		b.recipients = append(b.recipients, b.bySeq[r.Seq])
	}
	if !slices.IsSortedFunc(b.recipients, bySeq) {
		slices.SortFunc(b.recipients, bySeq)
	}
	return nil
}

func bySeq(a, b *storage.Recipient) int { return cmp.Compare(a.Seq, b.Seq) }

func (v broadcastsView) Recipients(ctx context.Context, id string, state storage.RecipientState, after int64, limit int) ([]storage.Recipient, error) {
	if id == "" {
		return nil, fmt.Errorf("broadcasts recipients: %w", &storage.FieldError{Field: "id", Problem: "is empty"})
	}
	if err := checkLimit("limit", limit); err != nil {
		return nil, fmt.Errorf("broadcasts recipients: %w", err)
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return nil, fmt.Errorf("broadcasts recipients: %w", err)
	}
	defer s.mu.Unlock()
	b := s.broadcasts.byID[id]
	if b == nil {
		return nil, fmt.Errorf("broadcasts recipients %q: %w", id, storage.ErrNotFound)
	}
	list := b.recipients
	i := sort.Search(len(list), func(i int) bool { return list[i].Seq > after })
	var out []storage.Recipient
	for _, r := range list[i:] {
		if limit > 0 && len(out) == limit {
			break
		}
		if state == "" || r.State == state {
			out = append(out, copyRecipient(r))
		}
	}
	return out, nil
}

// Transition writes r's State, MessageID, Reason, Attempts and UpdatedAt (a
// zero one from the store's clock); Contact and Params stay as added.
func (v broadcastsView) Transition(ctx context.Context, r storage.Recipient, from storage.RecipientState) error {
	if r.Broadcast == "" {
		return fmt.Errorf("broadcasts transition: %w", &storage.FieldError{Field: "broadcast", Problem: "is empty"})
	}
	if r.State == "" {
		return fmt.Errorf("broadcasts transition: %w", &storage.FieldError{Field: "state", Problem: "is empty"})
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return fmt.Errorf("broadcasts transition: %w", err)
	}
	defer s.mu.Unlock()
	d := &s.broadcasts
	b := d.byID[r.Broadcast]
	if b == nil {
		return fmt.Errorf("broadcasts transition %q: %w", r.Broadcast, storage.ErrNotFound)
	}
	cur := b.bySeq[r.Seq]
	if cur == nil {
		return fmt.Errorf("broadcasts transition %q seq %d: %w", r.Broadcast, r.Seq, storage.ErrNotFound)
	}
	if cur.State != from {
		return fmt.Errorf("broadcasts transition %q seq %d: state is %q, not %q: %w", r.Broadcast, r.Seq, cur.State, from, storage.ErrConflict)
	}
	key := recipientKey{r.Broadcast, r.Seq}
	if r.MessageID != "" && r.MessageID != cur.MessageID {
		if other, taken := d.byMessage[s.messageKey(r.MessageID)]; taken && other != key {
			return fmt.Errorf("broadcasts transition %q seq %d: message is another recipient's: %w", r.Broadcast, r.Seq, storage.ErrConflict)
		}
	}
	if cur.MessageID != r.MessageID {
		if cur.MessageID != "" {
			delete(d.byMessage, s.messageKey(cur.MessageID))
		}
		if r.MessageID != "" {
			d.byMessage[s.messageKey(r.MessageID)] = key
		}
	}
	cur.State = r.State
	cur.MessageID = r.MessageID
	if cur.Contact == (storage.ContactRef{}) {
		// Erased: the id, which can encode the number, is not kept; the
		// recipient is still found by it (byMessage holds its hash).
		cur.MessageID = ""
	}
	cur.Reason = r.Reason
	cur.Attempts = r.Attempts
	cur.UpdatedAt = r.UpdatedAt
	if cur.UpdatedAt.IsZero() {
		cur.UpdatedAt = s.now()
	}
	return nil
}

func (v broadcastsView) ByMessage(ctx context.Context, messageID string) (storage.Recipient, error) {
	if messageID == "" {
		return storage.Recipient{}, fmt.Errorf("broadcasts by message: %w", &storage.FieldError{Field: "message_id", Problem: "is empty"})
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return storage.Recipient{}, fmt.Errorf("broadcasts by message: %w", err)
	}
	defer s.mu.Unlock()
	d := &s.broadcasts
	k, ok := d.byMessage[s.messageKey(messageID)]
	if !ok {
		return storage.Recipient{}, fmt.Errorf("broadcasts by message %s: %w", redact.MessageID(messageID), storage.ErrNotFound)
	}
	return copyRecipient(d.byID[k.broadcast].bySeq[k.seq]), nil
}

func (v broadcastsView) Counts(ctx context.Context, id string) (map[storage.RecipientState]int, error) {
	if id == "" {
		return nil, fmt.Errorf("broadcasts counts: %w", &storage.FieldError{Field: "id", Problem: "is empty"})
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return nil, fmt.Errorf("broadcasts counts: %w", err)
	}
	defer s.mu.Unlock()
	b := s.broadcasts.byID[id]
	if b == nil {
		return nil, fmt.Errorf("broadcasts counts %q: %w", id, storage.ErrNotFound)
	}
	out := make(map[storage.RecipientState]int)
	for _, r := range b.recipients {
		out[r.State]++
	}
	return out, nil
}
