package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/impactchat/impactchat/storage"
)

type staff struct{ s *Store }

var _ storage.Staff = staff{}

const staffCols = "id, login, name, password_hash, roles, disabled, created_at, updated_at, version"

func scanStaff(sc interface{ Scan(...any) error }) (storage.StaffAccount, error) {
	var (
		a                storage.StaffAccount
		roles            string
		disabled         int64
		created, updated int64
	)
	if err := sc.Scan(&a.ID, &a.Login, &a.Name, &a.PasswordHash, &roles, &disabled, &created, &updated, &a.Version); err != nil {
		return a, err
	}
	if err := json.Unmarshal([]byte(roles), &a.Roles); err != nil {
		return a, fmt.Errorf("roles: %w", storage.ErrCorrupt)
	}
	a.Disabled = disabled != 0
	a.CreatedAt, a.UpdatedAt = tm(created), tm(updated)
	return a, nil
}

func (st staff) one(ctx context.Context, q db, where string, arg any) (storage.StaffAccount, error) {
	r, err := q.row(ctx, "SELECT "+staffCols+" FROM staff WHERE "+where, arg)
	if err != nil {
		return storage.StaffAccount{}, err
	}
	a, err := scanStaff(r)
	if errors.Is(err, sql.ErrNoRows) {
		return a, storage.ErrNotFound
	}
	return a, err
}

// Create assigns an id when a.ID is empty, stores Version 1 and sets a zero
// CreatedAt or UpdatedAt from the store's clock.
func (st staff) Create(ctx context.Context, a storage.StaffAccount) (storage.StaffAccount, error) {
	if a.Login == "" {
		return storage.StaffAccount{}, fmt.Errorf("staff create: %w", fieldErr("login", "is empty"))
	}
	s := st.s
	if err := s.open(ctx); err != nil {
		return storage.StaffAccount{}, fmt.Errorf("staff create: %w", err)
	}
	if a.ID == "" {
		a.ID = s.newID()
	}
	now := s.now()
	if a.CreatedAt.IsZero() {
		a.CreatedAt = now
	}
	if a.UpdatedAt.IsZero() {
		a.UpdatedAt = now
	}
	roles, err := json.Marshal(a.Roles)
	if err != nil {
		return storage.StaffAccount{}, fmt.Errorf("staff create: %w", err)
	}
	var out storage.StaffAccount
	err = s.write(ctx, func(q db) error {
		if _, err := q.exec(ctx, "INSERT INTO staff ("+staffCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)",
			a.ID, a.Login, a.Name, a.PasswordHash, string(roles), boolInt(a.Disabled), ts(a.CreatedAt), ts(a.UpdatedAt)); err != nil {
			return err
		}
		var err error
		out, err = st.one(ctx, q, "id = ?", a.ID)
		return err
	})
	if err != nil {
		return storage.StaffAccount{}, s.fail("staff create", err)
	}
	return out, nil
}

func (st staff) ByLogin(ctx context.Context, login string) (storage.StaffAccount, error) {
	if login == "" {
		return storage.StaffAccount{}, fmt.Errorf("staff by login: %w", fieldErr("login", "is empty"))
	}
	s := st.s
	if err := s.open(ctx); err != nil {
		return storage.StaffAccount{}, fmt.Errorf("staff by login: %w", err)
	}
	a, err := st.one(ctx, s.reader(), "login = ?", login)
	if err != nil {
		return storage.StaffAccount{}, s.fail("staff by login", err)
	}
	return a, nil
}

func (st staff) Get(ctx context.Context, id string) (storage.StaffAccount, error) {
	if id == "" {
		return storage.StaffAccount{}, fmt.Errorf("staff get: %w", fieldErr("id", "is empty"))
	}
	s := st.s
	if err := s.open(ctx); err != nil {
		return storage.StaffAccount{}, fmt.Errorf("staff get: %w", err)
	}
	a, err := st.one(ctx, s.reader(), "id = ?", id)
	if err != nil {
		return storage.StaffAccount{}, s.fail("staff get", err)
	}
	return a, nil
}

// Update keeps CreatedAt as stored and sets UpdatedAt from the store's
// clock. Changing the login to one in use is ErrConflict.
func (st staff) Update(ctx context.Context, a storage.StaffAccount) (storage.StaffAccount, error) {
	if a.ID == "" {
		return storage.StaffAccount{}, fmt.Errorf("staff update: %w", fieldErr("id", "is empty"))
	}
	if a.Login == "" {
		return storage.StaffAccount{}, fmt.Errorf("staff update: %w", fieldErr("login", "is empty"))
	}
	s := st.s
	if err := s.open(ctx); err != nil {
		return storage.StaffAccount{}, fmt.Errorf("staff update: %w", err)
	}
	roles, err := json.Marshal(a.Roles)
	if err != nil {
		return storage.StaffAccount{}, fmt.Errorf("staff update: %w", err)
	}
	var out storage.StaffAccount
	err = s.write(ctx, func(q db) error {
		cur, err := st.one(ctx, q, "id = ?", a.ID)
		if err != nil {
			return err
		}
		if cur.Version != a.Version {
			return fmt.Errorf("version %d, stored %d: %w", a.Version, cur.Version, storage.ErrConflict)
		}
		n, err := q.exec(ctx, "UPDATE staff SET login = ?, name = ?, password_hash = ?, roles = ?, disabled = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?",
			a.Login, a.Name, a.PasswordHash, string(roles), boolInt(a.Disabled), ts(s.now()), a.ID, a.Version)
		if err != nil {
			return err
		}
		if n == 0 {
			return storage.ErrConflict
		}
		out, err = st.one(ctx, q, "id = ?", a.ID)
		return err
	})
	if err != nil {
		return storage.StaffAccount{}, s.fail("staff update", err)
	}
	return out, nil
}

func (st staff) List(ctx context.Context) ([]storage.StaffAccount, error) {
	s := st.s
	if err := s.open(ctx); err != nil {
		return nil, fmt.Errorf("staff list: %w", err)
	}
	rows, err := s.reader().query(ctx, "SELECT "+staffCols+" FROM staff ORDER BY login")
	if err != nil {
		return nil, s.fail("staff list", err)
	}
	defer rows.Close()
	out := []storage.StaffAccount{}
	for rows.Next() {
		a, err := scanStaff(rows)
		if err != nil {
			return nil, s.fail("staff list", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail("staff list", err)
	}
	return out, nil
}
