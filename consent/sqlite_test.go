package consent_test

import (
	"bytes"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/keyring"
	"github.com/impactchat/impactchat/storage/sqlite"
)

// TestErasureLeavesNoContentInSQLite runs a conversation on the SQLite
// store, erases the person with DELETE, closes the database and scans every
// file SQLite left (database, WAL, shared memory) for anything the person
// sent or is, and for every sealed value and wrapped key that held it:
// nothing may be left, not even in free pages.
func TestErasureLeavesNoContentInSQLite(t *testing.T) {
	t.Parallel()
	e, db, path := newSQLiteEnv(t)
	ctx := t.Context()
	who := addr("4915123456789")
	ref := refOf(who)
	secrets := []string{"Zarathustra-Qx7", "Hamburg-Wilhelmsburg-Kl9", "4915123456789", "Mariam Al-Rashidi"}

	if err := e.deliver(&chat.Message{From: who, Kind: chat.KindText, Text: "hello", ProfileName: secrets[3]}); err != nil {
		t.Fatal(err)
	}
	if err := e.tap(who, "consent.accept"); err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets[:2] {
		if err := e.text(who, "my name is "+s); err != nil {
			t.Fatal(err)
		}
	}
	c, err := e.store.Contacts().Get(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	c.Name, c.Fields = secrets[3], map[string]string{"city": secrets[1]}
	if _, err := e.store.Contacts().Update(ctx, c, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	tk, _, err := e.store.Tickets().Open(ctx, storage.Ticket{Contact: ref, Queue: "general", Priority: 0, State: storage.TicketOpen}, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	tk.Notes = []storage.TicketNote{{At: e.clock.Now(), Author: "s1", Text: "called " + secrets[3] + " about " + secrets[0]}}
	if _, err := e.store.Tickets().Update(ctx, tk, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if msgs, err := e.store.Messages().History(ctx, ref, 10); err != nil || len(msgs) == 0 {
		t.Fatalf("nothing stored before erasure: %v", err)
	}

	sealed := sealedValues(t, path)
	if len(sealed) < 5 {
		t.Fatalf("only %d sealed values found before erasure", len(sealed))
	}

	if err := e.text(who, "DELETE"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Contacts().Get(ctx, ref); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("contact after erasure: %v", err)
	}
	if msgs, _ := e.store.Messages().History(ctx, ref, 10); len(msgs) != 0 {
		t.Fatalf("%d messages after erasure", len(msgs))
	}
	if err := e.svc.Verify(ctx, ref); err != nil {
		t.Fatalf("the tombstone ledger: %v", err)
	}
	st, found, err := e.svc.State(ctx, ref)
	if err != nil || !found || !st.Erased {
		t.Fatalf("tombstone: %+v %v %v", st, found, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	files, err := filepath.Glob(filepath.Join(filepath.Dir(path), "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no database files: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("%s still holds %q after erasure", filepath.Base(f), s)
			}
		}
		for _, v := range sealed {
			if bytes.Contains(data, v.value) {
				t.Errorf("%s still holds the sealed %s (%d bytes) after erasure", filepath.Base(f), v.column, len(v.value))
			}
		}
	}
}

type sealedValue struct {
	column string
	value  []byte
}

// sealedValues reads, through a second connection, every sealed value and
// wrapped key in the database: the BLOB columns other than the keyed
// hashes. Content is sealed, so plain text never reaches the file; what
// erasure must remove are these ciphertexts and the wrapped data keys that
// open them.
func sealedValues(t *testing.T, path string) []sealedValue {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	rows, err := db.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'table'")
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	var out []sealedValue
	for _, table := range tables {
		cols, err := db.QueryContext(ctx, "SELECT name, type FROM pragma_table_info(?)", table)
		if err != nil {
			t.Fatal(err)
		}
		var blobs []string
		for cols.Next() {
			var name, typ string
			if err := cols.Scan(&name, &typ); err != nil {
				t.Fatal(err)
			}
			if strings.EqualFold(typ, "BLOB") && name != "subject" && name != "key_hash" && name != "part" {
				blobs = append(blobs, name)
			}
		}
		cols.Close()
		for _, c := range blobs {
			vals, err := db.QueryContext(ctx, `SELECT "`+c+`" FROM "`+table+`" WHERE "`+c+`" IS NOT NULL`)
			if err != nil {
				t.Fatal(err)
			}
			for vals.Next() {
				var v []byte
				if err := vals.Scan(&v); err != nil {
					t.Fatal(err)
				}
				if len(v) >= 16 {
					out = append(out, sealedValue{column: table + "." + c, value: v})
				}
			}
			vals.Close()
		}
	}
	return out
}

// newSQLiteEnv is newEnv on a fresh SQLite file, returned with its path; the
// store is closed when the test ends (closing it before is no error).
func newSQLiteEnv(t testing.TB) (*env, *sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "line.db")
	ring, err := keyring.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	var db *sqlite.Store
	e := newEnvOn(t, func(now func() time.Time) storage.Store {
		db, err = sqlite.Open(t.Context(), path, sqlite.WithKeyring(ring), sqlite.WithClock(now))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
	return e, db, path
}
