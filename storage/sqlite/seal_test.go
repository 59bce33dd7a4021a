package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/impactchat/impactchat/internal/seal"
	"github.com/impactchat/impactchat/internal/sqlstore/sqlstoretest"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/keyring"
	"github.com/impactchat/impactchat/storage/sqlite"
)

// raw opens the store's file directly, as someone holding a copy would.
func raw(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// scanDir reports secrets found in the clear in any file of dir (the
// database, its -wal and -shm).
func scanDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sqlstoretest.Contains(data) {
			found = append(found, e.Name()+": "+s)
		}
	}
	return found
}

func TestNothingInTheClear(t *testing.T) {
	t.Parallel()
	st := openTemp(t)
	dir := filepath.Dir(st.Path())
	sqlstoretest.Populate(t, st)
	sqlstoretest.CheckReadable(t, st)
	if _, err := os.Stat(st.Path() + "-wal"); err != nil {
		t.Fatalf("no write-ahead log to scan: %v", err)
	}
	if found := scanDir(t, dir); len(found) > 0 {
		t.Fatalf("personal data in the clear while open: %q", found)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if found := scanDir(t, dir); len(found) > 0 {
		t.Fatalf("personal data in the clear after close: %q", found)
	}
	// The test's own scan must be able to find something: the raw secret
	// written to a file in the directory is found.
	if err := os.WriteFile(filepath.Join(dir, "control"), []byte("x"+sqlstoretest.Secrets[0]+"x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if found := scanDir(t, dir); len(found) != 1 {
		t.Fatalf("control file: found %q", found)
	}
}

func TestEraseLeavesNoContent(t *testing.T) {
	t.Parallel()
	st := openTemp(t)
	sqlstoretest.Populate(t, st)
	if err := st.Erase(t.Context(), sqlstoretest.Ref); err != nil {
		t.Fatal(err)
	}
	sqlstoretest.CheckErasedAPI(t, st)
	sqlstoretest.CheckErasedRows(t, raw(t, st.Path()))
}

func TestCorruptSealedValue(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := openTemp(t)
	sqlstoretest.Populate(t, st)
	other := storage.ContactRef{Channel: "whatsapp", Identifier: "4915100000001"}
	oc, err := st.Contacts().Touch(ctx, other, oc0())
	if err != nil {
		t.Fatal(err)
	}
	oc.Name = "Other"
	if _, err := st.Contacts().Update(ctx, oc, oc0()); err != nil {
		t.Fatal(err)
	}
	db := raw(t, st.Path())
	var name []byte
	if err := db.QueryRow("SELECT name FROM contacts WHERE id = ?", oc.ID).Scan(&name); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name  string
		query string
		args  []any
		check func() error
	}{
		{"flipped byte in a message body", "UPDATE messages SET body = ?", []any{flip(t, db, "SELECT body FROM messages")},
			func() error { _, err := st.Messages().Get(ctx, sqlstoretest.MessageID); return err }},
		{"name moved from another contact", "UPDATE contacts SET name = ? WHERE id <> ?", []any{name, oc.ID},
			func() error { _, err := st.Contacts().Get(ctx, sqlstoretest.Ref); return err }},
		{"truncated session", "UPDATE sessions SET data = substr(data, 1, 10)", nil,
			func() error { _, err := st.Sessions().Get(ctx, sqlstoretest.Ref, oc0()); return err }},
		{"tampered data key", "UPDATE dek SET wrapped = ?", []any{flip(t, db, "SELECT wrapped FROM dek")},
			func() error { _, err := st.Inbox().Claim(ctx, "w", 1, 60e9, oc0()); return err }},
	}
	for _, c := range cases {
		if _, err := db.Exec(c.query, c.args...); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		err := c.check()
		if !errors.Is(err, storage.ErrCorrupt) {
			t.Errorf("%s: %v; want ErrCorrupt", c.name, err)
		}
		for _, s := range sqlstoretest.Secrets {
			if err != nil && strings.Contains(err.Error(), s) {
				t.Errorf("%s: error shows personal data", c.name)
			}
		}
	}
}

var sqlstoretestT0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func oc0() time.Time { return sqlstoretestT0 }

// flip reads one blob and returns it with one bit changed.
func flip(t *testing.T, db *sql.DB, query string) []byte {
	t.Helper()
	var b []byte
	if err := db.QueryRow(query).Scan(&b); err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x10
	return b
}

func TestSchemaTooNew(t *testing.T) {
	t.Parallel()
	st := openTemp(t)
	path := st.Path()
	st.Close()
	if _, err := raw(t, path).Exec("INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)", sqlite.SchemaVersion+1); err != nil {
		t.Fatal(err)
	}
	_, err := sqlite.Open(t.Context(), path, sqlite.WithKeyring(testKeyring(t)))
	if !errors.Is(err, storage.ErrSchemaTooNew) {
		t.Fatalf("Open of a newer schema: %v; want ErrSchemaTooNew", err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	t.Parallel()
	st := openTemp(t)
	path := st.Path()
	sqlstoretest.Populate(t, st)
	st.Close()
	again, err := sqlite.Open(t.Context(), path, sqlite.WithKeyring(testKeyring(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	sqlstoretest.CheckReadable(t, again)
}

func TestOpenFailsClosed(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "x.db")
	if _, err := sqlite.Open(t.Context(), path); err == nil || !strings.Contains(err.Error(), "keyring") {
		t.Fatalf("Open without a keyring: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Open without a keyring created the file: %v", err)
	}
	for _, opt := range []sqlite.Option{sqlite.WithKeyring(nil), sqlite.WithReaders(0), sqlite.WithSynchronous("off"), sqlite.WithIDs(nil)} {
		if _, err := sqlite.Open(t.Context(), path, sqlite.WithKeyring(testKeyring(t)), opt); err == nil {
			t.Fatal("a bad option was accepted")
		}
	}
	if _, err := sqlite.Open(t.Context(), ":memory:", sqlite.WithKeyring(testKeyring(t))); err == nil {
		t.Fatal(":memory: accepted")
	}
}

func TestWrongKeyring(t *testing.T) {
	t.Parallel()
	st := openTemp(t)
	path := st.Path()
	sqlstoretest.Populate(t, st)
	st.Close()
	other, _ := keyring.New(bytes.Repeat([]byte{7}, 32))
	wrong, err := sqlite.Open(t.Context(), path, sqlite.WithKeyring(other))
	if err != nil {
		t.Fatal(err)
	}
	defer wrong.Close()
	if _, err := wrong.Contacts().Get(t.Context(), sqlstoretest.Ref); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("lookup with another index key: %v; want ErrNotFound", err)
	}
	for _, err := range wrong.Contacts().List(t.Context()) {
		if !errors.Is(err, storage.ErrCorrupt) {
			t.Fatalf("list with another master key: %v; want ErrCorrupt", err)
		}
	}
}

func TestClosed(t *testing.T) {
	t.Parallel()
	st := openTemp(t)
	st.Close()
	ctx := context.Background()
	if _, err := st.Contacts().Touch(ctx, sqlstoretest.Ref, sqlstoretestT0); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("touch after close: %v", err)
	}
	if err := st.Ping(ctx); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("ping after close: %v", err)
	}
	if _, err := st.Inbox().Claim(ctx, "w", 1, 60e9, sqlstoretestT0); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("claim after close: %v", err)
	}
	if err := st.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
}

func TestRewrapAfterRotation(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	k1, err := keyring.FromFile(keys, keyring.Create())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "line.db")
	st, err := sqlite.Open(t.Context(), path, sqlite.WithKeyring(k1))
	if err != nil {
		t.Fatal(err)
	}
	sqlstoretest.Populate(t, st)
	st.Close()
	if _, err := keyring.Rotate(keys); err != nil {
		t.Fatal(err)
	}
	k2, err := keyring.FromFile(keys)
	if err != nil {
		t.Fatal(err)
	}
	st, err = sqlite.Open(t.Context(), path, sqlite.WithKeyring(k2))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sqlstoretest.CheckReadable(t, st)
	n, err := st.Rewrap(t.Context())
	if err != nil || n != 1 {
		t.Fatalf("Rewrap = %d, %v; want 1 key", n, err)
	}
	if n, err := st.Rewrap(t.Context()); err != nil || n != 0 {
		t.Fatalf("second Rewrap = %d, %v; want 0", n, err)
	}
	sqlstoretest.CheckReadable(t, st)
}

// A record is sealed under the data key the database holds when it is
// written, even when the store last opened another one for the person (a
// key rewrapped or replaced by another process sharing the file): the
// store's guess from its cache of opened keys is checked by the insert.
func TestRecordSealsUnderTheKeyTheDatabaseHolds(t *testing.T) {
	t.Parallel()
	ring := testKeyring(t)
	st := openTemp(t)
	ctx := t.Context()
	ref := storage.ContactRef{Channel: "whatsapp", Identifier: "4915100000001"}
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	rec := func(id, body string) {
		t.Helper()
		if err := st.Messages().Record(ctx, storage.MessageRecord{ID: id, Contact: ref, Direction: storage.Outbound, Kind: "text", Body: body, At: at}); err != nil {
			t.Fatal(err)
		}
	}
	rec("wamid.first", "first, under the key the store opened")

	db := raw(t, st.Path())
	var subject []byte
	if err := db.QueryRowContext(ctx, "SELECT subject FROM dek").Scan(&subject); err != nil {
		t.Fatal(err)
	}
	wrapped, err := ring.WrapKey(ctx, subject, seal.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "UPDATE dek SET wrapped = ? WHERE subject = ?", wrapped, subject); err != nil {
		t.Fatal(err)
	}

	rec("wamid.second", "second, under the key the database now holds")
	m, err := st.Messages().Get(ctx, "wamid.second")
	if err != nil {
		t.Fatalf("the record written after the key changed cannot be read: %v", err)
	}
	if m.Body != "second, under the key the database now holds" {
		t.Errorf("body %q", m.Body)
	}
}

// A data key that no master key unwraps (its data was unreadable already)
// does not stop the rotation of the others: Rewrap leaves it, rewraps the
// rest, and says how many it left, as ErrCorrupt.
func TestRewrapGoesPastAnUnreadableKey(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	k1, err := keyring.FromFile(keys, keyring.Create())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "line.db")
	st, err := sqlite.Open(ctx, path, sqlite.WithKeyring(k1))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, id := range []string{"4915100000001", "4915100000002", "4915100000003"} {
		if _, err := st.Contacts().Touch(ctx, storage.ContactRef{Channel: "whatsapp", Identifier: id}, at); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.ExecContext(ctx, "UPDATE dek SET wrapped = ? WHERE subject = (SELECT min(subject) FROM dek)", []byte("not a wrapped key at all, but long enough")); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if _, err := keyring.Rotate(keys); err != nil {
		t.Fatal(err)
	}
	k2, err := keyring.FromFile(keys)
	if err != nil {
		t.Fatal(err)
	}
	st, err = sqlite.Open(ctx, path, sqlite.WithKeyring(k2))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, err := st.Rewrap(ctx)
	if n != 2 || !errors.Is(err, storage.ErrCorrupt) || !strings.Contains(err.Error(), "1 data keys") {
		t.Fatalf("Rewrap = %d, %v; want the 2 readable keys rewrapped and the other counted", n, err)
	}
	if n, err := st.Rewrap(ctx); n != 0 || !errors.Is(err, storage.ErrCorrupt) {
		t.Fatalf("second Rewrap = %d, %v; want nothing left but the unreadable key", n, err)
	}
}
