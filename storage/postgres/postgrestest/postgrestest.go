package postgrestest

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/impactchat/impactchat/internal/seal"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/postgres"
)

// EnvURL names the variable holding the test database URL; EnvRequire the
// one that turns a missing database from a skip into a failure.
const (
	EnvURL     = "IMPACTCHAT_TEST_POSTGRES"
	EnvRequire = "IMPACTCHAT_REQUIRE_POSTGRES"
)

// Keyring is the keyring every store opened here uses unless told
// otherwise: fixed keys, so that replicas of one test share it. Only for
// tests; lines use storage/keyring.
func Keyring() storage.Keyring {
	master, err := seal.New(bytes.Repeat([]byte{0x5e}, seal.KeySize))
	if err != nil {
		panic(err) // a 32-byte key is always accepted
	}
	return testKeyring{master: master, index: bytes.Repeat([]byte{0x1d}, seal.KeySize)}
}

type testKeyring struct {
	master *seal.Box
	index  []byte
}

func (k testKeyring) WrapKey(_ context.Context, subject, key []byte) ([]byte, error) {
	return k.master.Seal(key, seal.AAD("test data key", string(subject))), nil
}

func (k testKeyring) UnwrapKey(_ context.Context, subject, wrapped []byte) ([]byte, error) {
	key, err := k.master.Open(wrapped, seal.AAD("test data key", string(subject)))
	if err != nil {
		return nil, fmt.Errorf("postgrestest: unwrap: %w", storage.ErrCorrupt)
	}
	return key, nil
}

func (k testKeyring) IndexKey(context.Context) ([]byte, error) { return bytes.Clone(k.index), nil }

// skip skips or fails the test when no database can be used.
func skip(t testing.TB, why string) {
	t.Helper()
	if os.Getenv(EnvRequire) == "1" {
		t.Fatalf("postgres required (%s=1) but %s", EnvRequire, why)
	}
	t.Skipf("postgres tests skipped: %s (set %s to a postgres:// URL to run them)", why, EnvURL)
}

// Base returns the database URL from the environment after checking that
// the server answers; it skips or fails the test otherwise.
func Base(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		skip(t, EnvURL+" is not set")
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		skip(t, "the URL in "+EnvURL+" does not parse")
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		skip(t, "the server does not answer: "+err.Error())
	}
	return base
}

// URL creates a fresh schema and returns the database URL that selects it.
// The schema is dropped when the test ends, after the stores opened on it
// are closed.
func URL(t testing.TB) string {
	t.Helper()
	base := Base(t)
	b := make([]byte, 6)
	rand.Read(b)
	schema := "test_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return withSearchPath(t, base, schema)
}

func withSearchPath(t testing.TB, base, schema string) string {
	t.Helper()
	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatalf("%s does not parse", EnvURL)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return base + " search_path=" + schema
}

// Open opens a store in a fresh schema, closed when the test ends. Options
// come after the default keyring, so WithKeyring overrides it.
func Open(t testing.TB, opts ...postgres.Option) *postgres.Store {
	t.Helper()
	return OpenURL(t, URL(t), opts...)
}

// OpenURL opens another store (another replica) on a URL from URL.
func OpenURL(t testing.TB, u string, opts ...postgres.Option) *postgres.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := postgres.Open(ctx, u, append([]postgres.Option{postgres.WithKeyring(Keyring()), postgres.WithMaxConns(4)}, opts...)...)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
