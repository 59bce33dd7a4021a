package memory

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/impactchat/impactchat/storage"
)

type consentRec struct {
	state  storage.ConsentState // Contact is empty once erased
	events []storage.ConsentEvent
}

type consentData struct {
	bySubject map[string]*consentRec
	eventIDs  map[string]string // event id → subject
}

func (d *consentData) init() {
	*d = consentData{
		bySubject: make(map[string]*consentRec),
		eventIDs:  make(map[string]string),
	}
}

func (d *consentData) erase(subject string) {
	r := d.bySubject[subject]
	if r == nil {
		return
	}
	r.state.Contact = storage.ContactRef{}
	r.state.Erased = true
	for i := range r.events {
		r.events[i].Contact = storage.ContactRef{}
	}
}

func copyConsentState(st storage.ConsentState) storage.ConsentState {
	st.Purposes = maps.Clone(st.Purposes)
	return st
}

func copyConsentEvent(e storage.ConsentEvent) storage.ConsentEvent {
	e.Purposes = slices.Clone(e.Purposes)
	return e
}

// compare returns the record of subject (nil if none) when its LastEvent is
// prev. It runs under s.mu.
func (d *consentData) compare(subject, prev string) (*consentRec, error) {
	r := d.bySubject[subject]
	stored := ""
	if r != nil {
		stored = r.state.LastEvent
	}
	if stored != prev {
		return nil, fmt.Errorf("last event is not %q: %w", prev, storage.ErrConflict)
	}
	return r, nil
}

func stateFor(next storage.ConsentState, ref storage.ContactRef, subject string) storage.ConsentState {
	st := copyConsentState(next)
	st.Subject = subject
	st.Contact = ref
	if st.Erased {
		st.Contact = storage.ContactRef{}
	}
	return st
}

func (v consentView) Append(ctx context.Context, e storage.ConsentEvent, prev string, next storage.ConsentState) error {
	if e.ID == "" {
		return fmt.Errorf("consent append: %w", &storage.FieldError{Field: "event.id", Problem: "is empty"})
	}
	if err := e.Contact.Validate(); err != nil {
		return fmt.Errorf("consent append: %w", err)
	}
	if next.LastEvent != e.ID {
		return fmt.Errorf("consent append: %w", &storage.FieldError{Field: "next.last_event", Problem: "is not the event's id"})
	}
	if next.Contact != (storage.ContactRef{}) && next.Contact != e.Contact {
		return fmt.Errorf("consent append: %w", &storage.FieldError{Field: "next.contact", Problem: "is not the event's contact"})
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return fmt.Errorf("consent append: %w", err)
	}
	defer s.mu.Unlock()
	d := &s.consent
	if _, dup := d.eventIDs[e.ID]; dup {
		return fmt.Errorf("consent append: event %q exists: %w", e.ID, storage.ErrConflict)
	}
	subject := s.subject(e.Contact)
	r, err := d.compare(subject, prev)
	if err != nil {
		return fmt.Errorf("consent append: %w", err)
	}
	if r == nil {
		r = &consentRec{}
		d.bySubject[subject] = r
	}
	r.state = stateFor(next, e.Contact, subject)
	ev := copyConsentEvent(e)
	if next.Erased {
		// An erased person's ledger names nobody (see storage.ConsentLog).
		ev.Contact = storage.ContactRef{}
	}
	r.events = append(r.events, ev)
	d.eventIDs[e.ID] = subject
	return nil
}

func (v consentView) State(ctx context.Context, ref storage.ContactRef) (storage.ConsentState, error) {
	if err := ref.Validate(); err != nil {
		return storage.ConsentState{}, fmt.Errorf("consent state: %w", err)
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return storage.ConsentState{}, fmt.Errorf("consent state: %w", err)
	}
	defer s.mu.Unlock()
	r := s.consent.bySubject[s.subject(ref)]
	if r == nil {
		return storage.ConsentState{}, fmt.Errorf("consent state: %w", storage.ErrNotFound)
	}
	return copyConsentState(r.state), nil
}

func (v consentView) History(ctx context.Context, ref storage.ContactRef) ([]storage.ConsentEvent, error) {
	if err := ref.Validate(); err != nil {
		return nil, fmt.Errorf("consent history: %w", err)
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return nil, fmt.Errorf("consent history: %w", err)
	}
	defer s.mu.Unlock()
	r := s.consent.bySubject[s.subject(ref)]
	if r == nil {
		return nil, nil
	}
	out := make([]storage.ConsentEvent, len(r.events))
	for i, e := range r.events {
		out[i] = copyConsentEvent(e)
	}
	return out, nil
}

// List yields the states ordered by subject.
func (v consentView) List(ctx context.Context) storage.Seq[storage.ConsentState] {
	return func(yield func(storage.ConsentState, error) bool) {
		s := v.s
		if err := s.lock(ctx); err != nil {
			yield(storage.ConsentState{}, fmt.Errorf("consent list: %w", err))
			return
		}
		all := make([]storage.ConsentState, 0, len(s.consent.bySubject))
		for _, r := range s.consent.bySubject {
			all = append(all, copyConsentState(r.state))
		}
		s.mu.Unlock()
		slices.SortFunc(all, func(a, b storage.ConsentState) int { return strings.Compare(a.Subject, b.Subject) })
		for _, st := range all {
			if err := ctx.Err(); err != nil {
				yield(storage.ConsentState{}, fmt.Errorf("consent list: %w", err))
				return
			}
			if !yield(st, nil) {
				return
			}
		}
	}
}

// SaveState finds the contact by next.Contact, or by next.Subject when
// Contact is empty (a tombstone read back after erasure).
func (v consentView) SaveState(ctx context.Context, prev string, next storage.ConsentState) error {
	bySubject := next.Contact == (storage.ContactRef{}) && next.Subject != ""
	if !bySubject {
		if err := next.Contact.Validate(); err != nil {
			return fmt.Errorf("consent save state: %w", err)
		}
	}
	if next.LastEvent != prev {
		return fmt.Errorf("consent save state: %w", &storage.FieldError{Field: "next.last_event", Problem: "differs from prev; only Append moves it"})
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return fmt.Errorf("consent save state: %w", err)
	}
	defer s.mu.Unlock()
	d := &s.consent
	subject := next.Subject
	if !bySubject {
		subject = s.subject(next.Contact)
	} else if d.bySubject[subject] == nil {
		return fmt.Errorf("consent save state: %w", storage.ErrNotFound)
	}
	r, err := d.compare(subject, prev)
	if err != nil {
		return fmt.Errorf("consent save state: %w", err)
	}
	if r == nil {
		r = &consentRec{}
		d.bySubject[subject] = r
	}
	r.state = stateFor(next, next.Contact, subject)
	return nil
}

func (v consentView) Forget(ctx context.Context, subject string) error {
	if subject == "" {
		return fmt.Errorf("consent forget: %w", &storage.FieldError{Field: "subject", Problem: "is empty"})
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return fmt.Errorf("consent forget: %w", err)
	}
	defer s.mu.Unlock()
	d := &s.consent
	r := d.bySubject[subject]
	if r == nil {
		return nil
	}
	for _, e := range r.events {
		delete(d.eventIDs, e.ID)
	}
	delete(d.bySubject, subject)
	return nil
}
