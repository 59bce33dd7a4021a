package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/keyring"
	"github.com/impactchat/impactchat/storage/memory"
	"github.com/impactchat/impactchat/storage/postgres"
	"github.com/impactchat/impactchat/storage/sqlite"
)

// keyEnv names the variable that may hold the keyring instead of a file.
const keyEnv = "HELPLINE_KEYRING"

// openStore opens the store named by db: a postgres:// URL, or a SQLite file
// path. The keyring comes from HELPLINE_KEYRING when set, else from a key
// file beside the database, created on first use with mode 0600.
func openStore(ctx context.Context, db, keyFile string, getenv func(string) string, now func() time.Time) (storage.Store, storage.Keyring, error) {
	if db == "memory:" {
		// For trying the line only: nothing survives the process.
		secret := make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return nil, nil, err
		}
		ring, err := keyring.New(secret)
		if err != nil {
			return nil, nil, err
		}
		return memory.New(memory.WithClock(now)), ring, nil
	}
	ring, err := openKeyring(db, keyFile, getenv)
	if err != nil {
		return nil, nil, err
	}
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		st, err := postgres.Open(ctx, db, postgres.WithKeyring(ring), postgres.WithClock(now))
		if err != nil {
			return nil, nil, fmt.Errorf("open the PostgreSQL store: %w", err)
		}
		return st, ring, nil
	}
	st, err := sqlite.Open(ctx, db, sqlite.WithKeyring(ring), sqlite.WithClock(now))
	if err != nil {
		return nil, nil, fmt.Errorf("open the SQLite store %s: %w", db, err)
	}
	return st, ring, nil
}

func openKeyring(db, keyFile string, getenv func(string) string) (*keyring.Ring, error) {
	if getenv(keyEnv) != "" {
		ring, err := keyring.FromEnv(keyEnv)
		if err != nil {
			return nil, fmt.Errorf("read the keyring from %s: %w", keyEnv, err)
		}
		return ring, nil
	}
	if keyFile == "" {
		if strings.Contains(db, "://") {
			return nil, errors.New("a PostgreSQL store needs its keyring: set " + keyEnv + " or -keyfile (every replica must use the same one)")
		}
		keyFile = db + ".key"
	}
	if dir := filepath.Dir(keyFile); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create the key file's folder: %w", err)
		}
	}
	ring, err := keyring.FromFile(keyFile, keyring.Create())
	if err != nil {
		return nil, fmt.Errorf("open the key file %s: %w", keyFile, err)
	}
	return ring, nil
}
