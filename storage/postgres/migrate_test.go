package postgres_test

import (
	"database/sql"
	"os"
	"testing"

	"github.com/impactchat/impactchat/internal/sqlstore/sqlstoretest"
	"github.com/impactchat/impactchat/storage/postgres/postgrestest"
)

// TestMigrateSealsMessageIDs fills a schema at version 1, with message ids
// in the clear, and checks that the migration hashes and seals them and
// that no id is left in the tables.
func TestMigrateSealsMessageIDs(t *testing.T) {
	t.Parallel()
	u := postgrestest.URL(t)
	init, err := os.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{string(init),
		"CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
		"INSERT INTO schema_migrations (version, applied_at) VALUES (1, 0)"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	sqlstoretest.PopulateV1(t, db, postgrestest.Keyring(), true)

	st := postgrestest.OpenURL(t, u)
	sqlstoretest.CheckV1Converted(t, st, st.DB())
	if found := sqlstoretest.Contains(sqlDump(t, st.DB())); len(found) > 0 {
		t.Fatalf("personal data in the clear after the migration: %q", found)
	}
}
