package storage

import (
	"context"
	"time"
)

// StaffAccount is a person on staff who signs in to the console.
type StaffAccount struct {
	ID           string // assigned by the store when empty
	Login        string // unique
	Name         string
	PasswordHash []byte // a bcrypt or argon2 hash; never the password
	Roles        []string
	Disabled     bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Version      int64
}

// Staff keeps staff accounts.
type Staff interface {
	// Create stores a new account. ErrConflict if the login exists.
	Create(ctx context.Context, a StaffAccount) (StaffAccount, error)
	// ByLogin finds an account by login. ErrNotFound if absent.
	ByLogin(ctx context.Context, login string) (StaffAccount, error)
	// Get finds an account by id. ErrNotFound if absent.
	Get(ctx context.Context, id string) (StaffAccount, error)
	// Update writes a if a.Version is still stored (ErrConflict otherwise).
	Update(ctx context.Context, a StaffAccount) (StaffAccount, error)
	// List returns every account, by login.
	List(ctx context.Context) ([]StaffAccount, error)
}
