package memory

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/impactchat/impactchat/storage"
)

type staffData struct {
	byID    map[string]*storage.StaffAccount
	byLogin map[string]*storage.StaffAccount
}

func (d *staffData) init() {
	*d = staffData{
		byID:    make(map[string]*storage.StaffAccount),
		byLogin: make(map[string]*storage.StaffAccount),
	}
}

func copyStaff(a *storage.StaffAccount) storage.StaffAccount {
	out := *a
	out.PasswordHash = bytes.Clone(a.PasswordHash)
	out.Roles = slices.Clone(a.Roles)
	return out
}

// Create assigns an id when a.ID is empty, stores Version 1 and sets a zero
// CreatedAt or UpdatedAt from the store's clock.
func (v staffView) Create(ctx context.Context, a storage.StaffAccount) (storage.StaffAccount, error) {
	if a.Login == "" {
		return storage.StaffAccount{}, fmt.Errorf("staff create: %w", &storage.FieldError{Field: "login", Problem: "is empty"})
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return storage.StaffAccount{}, fmt.Errorf("staff create: %w", err)
	}
	defer s.mu.Unlock()
	d := &s.staff
	if d.byLogin[a.Login] != nil {
		return storage.StaffAccount{}, fmt.Errorf("staff create: login exists: %w", storage.ErrConflict)
	}
	if a.ID == "" {
		a.ID = s.newID()
	}
	if d.byID[a.ID] != nil {
		return storage.StaffAccount{}, fmt.Errorf("staff create %q: id exists: %w", a.ID, storage.ErrConflict)
	}
	now := s.now()
	if a.CreatedAt.IsZero() {
		a.CreatedAt = now
	}
	if a.UpdatedAt.IsZero() {
		a.UpdatedAt = now
	}
	a.Version = 1
	rec := new(storage.StaffAccount)
	*rec = copyStaff(&a)
	d.byID[rec.ID] = rec
	d.byLogin[rec.Login] = rec
	return copyStaff(rec), nil
}

func (v staffView) ByLogin(ctx context.Context, login string) (storage.StaffAccount, error) {
	if login == "" {
		return storage.StaffAccount{}, fmt.Errorf("staff by login: %w", &storage.FieldError{Field: "login", Problem: "is empty"})
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return storage.StaffAccount{}, fmt.Errorf("staff by login: %w", err)
	}
	defer s.mu.Unlock()
	a := s.staff.byLogin[login]
	if a == nil {
		return storage.StaffAccount{}, fmt.Errorf("staff by login: %w", storage.ErrNotFound)
	}
	return copyStaff(a), nil
}

func (v staffView) Get(ctx context.Context, id string) (storage.StaffAccount, error) {
	if id == "" {
		return storage.StaffAccount{}, fmt.Errorf("staff get: %w", &storage.FieldError{Field: "id", Problem: "is empty"})
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return storage.StaffAccount{}, fmt.Errorf("staff get: %w", err)
	}
	defer s.mu.Unlock()
	a := s.staff.byID[id]
	if a == nil {
		return storage.StaffAccount{}, fmt.Errorf("staff get %q: %w", id, storage.ErrNotFound)
	}
	return copyStaff(a), nil
}

// Update keeps CreatedAt as stored and sets UpdatedAt from the store's
// clock. Changing the login to one in use is ErrConflict.
func (v staffView) Update(ctx context.Context, a storage.StaffAccount) (storage.StaffAccount, error) {
	if a.ID == "" {
		return storage.StaffAccount{}, fmt.Errorf("staff update: %w", &storage.FieldError{Field: "id", Problem: "is empty"})
	}
	if a.Login == "" {
		return storage.StaffAccount{}, fmt.Errorf("staff update: %w", &storage.FieldError{Field: "login", Problem: "is empty"})
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return storage.StaffAccount{}, fmt.Errorf("staff update: %w", err)
	}
	defer s.mu.Unlock()
	d := &s.staff
	cur := d.byID[a.ID]
	if cur == nil {
		return storage.StaffAccount{}, fmt.Errorf("staff update %q: %w", a.ID, storage.ErrNotFound)
	}
	if cur.Version != a.Version {
		return storage.StaffAccount{}, fmt.Errorf("staff update %q: version %d, stored %d: %w", a.ID, a.Version, cur.Version, storage.ErrConflict)
	}
	if other := d.byLogin[a.Login]; other != nil && other != cur {
		return storage.StaffAccount{}, fmt.Errorf("staff update %q: login exists: %w", a.ID, storage.ErrConflict)
	}
	delete(d.byLogin, cur.Login)
	a.CreatedAt = cur.CreatedAt
	a.UpdatedAt = s.now()
	a.Version = cur.Version + 1
	*cur = copyStaff(&a)
	d.byLogin[cur.Login] = cur
	return copyStaff(cur), nil
}

func (v staffView) List(ctx context.Context) ([]storage.StaffAccount, error) {
	s := v.s
	if err := s.lock(ctx); err != nil {
		return nil, fmt.Errorf("staff list: %w", err)
	}
	defer s.mu.Unlock()
	out := make([]storage.StaffAccount, 0, len(s.staff.byID))
	for _, a := range s.staff.byID {
		out = append(out, copyStaff(a))
	}
	slices.SortFunc(out, func(a, b storage.StaffAccount) int { return strings.Compare(a.Login, b.Login) })
	return out, nil
}
