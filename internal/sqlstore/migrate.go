package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"time"

	"github.com/impactchat/impactchat/storage"
)

// Migration is one versioned schema change. Versions start at 1 and follow
// each other without gaps.
type Migration struct {
	Version int
	SQL     string
	// Convert, if set, runs after SQL in the same transaction: a change
	// SQL cannot make alone, such as values keyed by the keyring.
	Convert func(ctx context.Context, tx *sql.Tx) error
	// After, if set, runs after Convert in the same transaction.
	After string
}

// Step names the files of one schema version in a backend's embedded
// migrations folder: the SQL to run, an optional conversion done in Go, and
// optional SQL to run after it.
type Step struct {
	SQL, After string
	Convert    func(ctx context.Context, tx *sql.Tx) error
}

// LoadMigrations reads the steps' files from dir in fsys as versions 1, 2,
// 3... in the order given.
func LoadMigrations(fsys fs.FS, dir string, steps []Step) ([]Migration, error) {
	read := func(name string) (string, error) {
		if name == "" {
			return "", nil
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		return string(b), err
	}
	out := make([]Migration, len(steps))
	for i, st := range steps {
		m := Migration{Version: i + 1, Convert: st.Convert}
		var err error
		if m.SQL, err = read(st.SQL); err != nil {
			return nil, fmt.Errorf("migration %d: %w", i+1, err)
		}
		if m.After, err = read(st.After); err != nil {
			return nil, fmt.Errorf("migration %d: %w", i+1, err)
		}
		out[i] = m
	}
	return out, nil
}

// Migrate brings the schema up to the last of ms in one transaction per
// migration. A schema newer than the code is ErrSchemaTooNew and nothing is
// changed.
func Migrate(ctx context.Context, pool *sql.DB, d Dialect, ms []Migration) error {
	for i, m := range ms {
		if m.Version != i+1 {
			return fmt.Errorf("migrate: migration %d has version %d", i+1, m.Version)
		}
	}
	for {
		done, err := migrateOne(ctx, pool, d, ms)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

// migrateOne applies the next missing migration, reporting when none is.
func migrateOne(ctx context.Context, pool *sql.DB, d Dialect, ms []Migration) (bool, error) {
	tx, err := pool.BeginTx(ctx, d.TxOptions)
	if err != nil {
		return false, fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	if d.LockMigrations != nil {
		if err := d.LockMigrations(ctx, tx); err != nil {
			return false, fmt.Errorf("migrate: lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
	version INTEGER PRIMARY KEY,
	applied_at BIGINT NOT NULL
)`); err != nil {
		return false, fmt.Errorf("migrate: %w", err)
	}
	var cur int
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&cur); err != nil {
		return false, fmt.Errorf("migrate: %w", err)
	}
	if cur > len(ms) {
		return false, fmt.Errorf("migrate: database schema version %d, this code knows up to %d: %w", cur, len(ms), storage.ErrSchemaTooNew)
	}
	if cur == len(ms) {
		return true, tx.Commit()
	}
	m := ms[cur]
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, fmt.Errorf("migrate: version %d: %w", m.Version, err)
	}
	if m.Convert != nil {
		if err := m.Convert(ctx, tx); err != nil {
			return false, fmt.Errorf("migrate: version %d: %w", m.Version, err)
		}
	}
	if m.After != "" {
		if _, err := tx.ExecContext(ctx, m.After); err != nil {
			return false, fmt.Errorf("migrate: version %d: %w", m.Version, err)
		}
	}
	q := "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)"
	if d.Numbered {
		q = "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)"
	}
	if _, err := tx.ExecContext(ctx, q, m.Version, time.Now().UnixNano()); err != nil {
		return false, fmt.Errorf("migrate: version %d: %w", m.Version, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("migrate: version %d: %w", m.Version, err)
	}
	return false, nil
}

// SchemaVersion reports the version the database is at.
func SchemaVersion(ctx context.Context, pool *sql.DB) (int, error) {
	var v int
	if err := pool.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&v); err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return v, nil
}
