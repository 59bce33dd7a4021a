package sqlite_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/impactchat/impactchat/internal/sqlstore/sqlstoretest"
	"github.com/impactchat/impactchat/storage/sqlite"
)

// TestMigrateSealsMessageIDs opens a file written at schema version 1, with
// message ids in the clear, and checks that the migration hashes and seals
// them and that no id is left anywhere in the files.
func TestMigrateSealsMessageIDs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "line.db")
	init, err := os.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	db := raw(t, path)
	for _, q := range []string{"PRAGMA journal_mode = WAL", string(init),
		"CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
		"INSERT INTO schema_migrations (version, applied_at) VALUES (1, 0)"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	ring := testKeyring(t)
	sqlstoretest.PopulateV1(t, db, ring, false)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	st, err := sqlite.Open(t.Context(), path, sqlite.WithKeyring(ring))
	if err != nil {
		t.Fatal(err)
	}
	check := raw(t, path)
	sqlstoretest.CheckV1Converted(t, st, check)
	check.Close()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if found := scanDir(t, dir); len(found) > 0 {
		t.Fatalf("personal data in the clear after the migration: %q", found)
	}
}
