package sqlite_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/impactchat/impactchat/internal/sqlstore/sqlstoretest"
	"github.com/impactchat/impactchat/storage"
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

// TestMigrateKeepsLeases opens a file written at schema version 4, where a
// leased item had state 1, and checks that the item is still leased to its
// owner after the migration to version 5.
func TestMigrateKeepsLeases(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "line.db")
	ring := testKeyring(t)
	st, err := sqlite.Open(ctx, path, sqlite.WithKeyring(ring))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	in := st.Inbox()
	if _, err := in.Put(ctx, []storage.InboxItem{{Key: "k1", Partition: "p", At: now}, {Key: "k2", Partition: "q", At: now}}, now); err != nil {
		t.Fatal(err)
	}
	cs, err := in.Claim(ctx, "w1", 1, time.Hour, now)
	if err != nil || len(cs) != 1 {
		t.Fatalf("claim: %v, %v", cs, err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	// Back to version 4 as that code wrote it: the leased item in state 1.
	db := raw(t, path)
	for _, q := range []string{
		"UPDATE inbox SET state = 1 WHERE owner <> ''",
		"DELETE FROM schema_migrations WHERE version = 5",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	st, err = sqlite.Open(ctx, path, sqlite.WithKeyring(ring))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	in = st.Inbox()
	if s, err := in.Stats(ctx); err != nil || s != (storage.InboxStats{Pending: 1, Leased: 1}) {
		t.Fatalf("stats after the migration: %+v, %v", s, err)
	}
	others, err := in.Claim(ctx, "w2", 10, time.Hour, now)
	if err != nil || len(others) != 1 || others[0].Key != "k2" {
		t.Fatalf("another owner claimed %v (%v); want only the pending item", others, err)
	}
	if err := in.Ack(ctx, "w1", cs[0].Seq); err != nil {
		t.Fatalf("the owner of the lease could not ack after the migration: %v", err)
	}
}
