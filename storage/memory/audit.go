package memory

import (
	"context"
	"fmt"
	"maps"
	"sort"
	"time"

	"github.com/impactchat/impactchat/storage"
)

type auditData struct {
	entries []storage.AuditEntry // ordered by At, then by order of Append
	ids     map[string]struct{}
}

func (d *auditData) init() {
	*d = auditData{ids: make(map[string]struct{})}
}

// Append assigns an id when e.ID is empty and sets a zero At from the
// store's clock. An id that exists is ErrConflict.
func (v auditView) Append(ctx context.Context, e storage.AuditEntry) error {
	if e.Actor == "" {
		return fmt.Errorf("audit append: %w", &storage.FieldError{Field: "actor", Problem: "is empty"})
	}
	if e.Action == "" {
		return fmt.Errorf("audit append: %w", &storage.FieldError{Field: "action", Problem: "is empty"})
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return fmt.Errorf("audit append: %w", err)
	}
	defer s.mu.Unlock()
	d := &s.audit
	if e.ID == "" {
		e.ID = s.newID()
	}
	if _, dup := d.ids[e.ID]; dup {
		return fmt.Errorf("audit append %q: %w", e.ID, storage.ErrConflict)
	}
	if e.At.IsZero() {
		e.At = s.now()
	}
	e.Detail = maps.Clone(e.Detail)
	i := sort.Search(len(d.entries), func(i int) bool { return d.entries[i].At.After(e.At) })
	d.entries = append(d.entries, storage.AuditEntry{})
	copy(d.entries[i+1:], d.entries[i:])
	d.entries[i] = e
	d.ids[e.ID] = struct{}{}
	return nil
}

func (v auditView) List(ctx context.Context, since time.Time, limit int) ([]storage.AuditEntry, error) {
	if err := checkLimit("limit", limit); err != nil {
		return nil, fmt.Errorf("audit list: %w", err)
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return nil, fmt.Errorf("audit list: %w", err)
	}
	defer s.mu.Unlock()
	es := s.audit.entries
	i := sort.Search(len(es), func(i int) bool { return !es[i].At.Before(since) })
	es = es[i:]
	es = es[:upTo(len(es), limit)]
	out := make([]storage.AuditEntry, len(es))
	for i, e := range es {
		e.Detail = maps.Clone(e.Detail)
		out[i] = e
	}
	return out, nil
}
