package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/impactchat/impactchat/internal/sqlstore/sqlstoretest"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/postgres"
	"github.com/impactchat/impactchat/storage/postgres/postgrestest"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func schemaOf(t *testing.T, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Query().Get("search_path")
}

// sqlDump renders every row of every table of the store's schema as text,
// with bytea in the escape format, where printable bytes appear as they are
// (the default hex format would hide a value stored unsealed).
func sqlDump(t *testing.T, db *sql.DB) []byte {
	t.Helper()
	ctx := t.Context()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SET bytea_output = 'escape'"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(context.Background(), "RESET bytea_output")
	rows, err := conn.QueryContext(ctx, "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1")
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
	if len(tables) < 10 {
		t.Fatalf("only %d tables in the schema", len(tables))
	}
	var out strings.Builder
	for _, table := range tables {
		rs, err := conn.QueryContext(ctx, fmt.Sprintf("SELECT t::text FROM %s t", table))
		if err != nil {
			t.Fatal(err)
		}
		for rs.Next() {
			var line string
			if err := rs.Scan(&line); err != nil {
				t.Fatal(err)
			}
			out.WriteString(line + "\n")
		}
		rs.Close()
	}
	return []byte(out.String())
}

func TestNothingInTheClear(t *testing.T) {
	t.Parallel()
	u := postgrestest.URL(t)
	st := postgrestest.OpenURL(t, u)
	sqlstoretest.Populate(t, st)
	sqlstoretest.CheckReadable(t, st)

	dump := sqlDump(t, st.DB())
	if found := sqlstoretest.Contains(dump); len(found) > 0 {
		t.Fatalf("personal data in the clear in the tables: %q", found)
	}
	if !strings.Contains(string(dump), "clinic hours") || !strings.Contains(string(dump), "spec in the clear") {
		t.Fatal("the dump misses data stored in the clear on purpose: the scan sees nothing")
	}

	pgDump, err := exec.LookPath("pg_dump")
	if err != nil {
		t.Log("pg_dump is not installed; the SQL dump above is the check")
		return
	}
	base, _ := url.Parse(u)
	q := base.Query()
	q.Del("search_path")
	base.RawQuery = q.Encode()
	for _, format := range []string{"--inserts", "--format=custom"} {
		out, err := exec.CommandContext(t.Context(), pgDump, "--dbname="+base.String(), "--schema="+schemaOf(t, u), format).Output()
		if err != nil {
			t.Fatalf("pg_dump %s: %v", format, err)
		}
		if !strings.Contains(string(out), "clinic hours") && format == "--inserts" {
			t.Fatal("pg_dump output misses data stored in the clear on purpose")
		}
		if found := sqlstoretest.Contains(out); len(found) > 0 {
			t.Fatalf("personal data in the clear in pg_dump %s: %q", format, found)
		}
	}
}

func TestEraseLeavesNoContent(t *testing.T) {
	t.Parallel()
	st := postgrestest.Open(t)
	sqlstoretest.Populate(t, st)
	if err := st.Erase(t.Context(), sqlstoretest.Ref); err != nil {
		t.Fatal(err)
	}
	sqlstoretest.CheckErasedAPI(t, st)
	sqlstoretest.CheckErasedRows(t, st.DB())
}

func flip(t *testing.T, db *sql.DB, query string) []byte {
	t.Helper()
	var b []byte
	if err := db.QueryRow(query).Scan(&b); err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x10
	return b
}

func TestCorruptSealedValue(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := postgrestest.Open(t)
	sqlstoretest.Populate(t, st)
	db := st.DB()
	if _, err := db.Exec("UPDATE messages SET body = $1", flip(t, db, "SELECT body FROM messages")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Messages().Get(ctx, sqlstoretest.MessageID); !errors.Is(err, storage.ErrCorrupt) {
		t.Errorf("flipped message body: %v; want ErrCorrupt", err)
	}
	if _, err := db.Exec("UPDATE contacts SET name = fields"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Contacts().Get(ctx, sqlstoretest.Ref); !errors.Is(err, storage.ErrCorrupt) {
		t.Errorf("sealed value moved to another field: %v; want ErrCorrupt", err)
	}
	if _, err := db.Exec("UPDATE dek SET wrapped = $1", flip(t, db, "SELECT wrapped FROM dek")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Sessions().Get(ctx, sqlstoretest.Ref, t0); !errors.Is(err, storage.ErrCorrupt) {
		t.Errorf("tampered data key: %v; want ErrCorrupt", err)
	}
}

func TestSchemaTooNew(t *testing.T) {
	t.Parallel()
	u := postgrestest.URL(t)
	st := postgrestest.OpenURL(t, u)
	if _, err := st.DB().Exec("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, 0)", postgres.SchemaVersion+1); err != nil {
		t.Fatal(err)
	}
	_, err := postgres.Open(t.Context(), u, postgres.WithKeyring(postgrestest.Keyring()))
	if !errors.Is(err, storage.ErrSchemaTooNew) {
		t.Fatalf("Open of a newer schema: %v; want ErrSchemaTooNew", err)
	}
}

func TestClosed(t *testing.T) {
	t.Parallel()
	st := postgrestest.Open(t)
	st.Close()
	ctx := context.Background()
	if _, err := st.Contacts().Get(ctx, sqlstoretest.Ref); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("get after close: %v", err)
	}
	if err := st.Ping(ctx); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("ping after close: %v", err)
	}
	if err := st.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
}

func TestOpenFails(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if _, err := postgres.Open(ctx, "postgres://postgres@127.0.0.1:5432/x"); err == nil || !strings.Contains(err.Error(), "keyring") {
		t.Fatalf("Open without a keyring: %v", err)
	}
	const secret = "s3cret-password"
	_, err := postgres.Open(ctx, "postgres://postgres:"+secret+"@127.0.0.1:1/none?sslmode=disable&connect_timeout=2",
		postgres.WithKeyring(postgrestest.Keyring()))
	if err == nil {
		t.Fatal("Open of an unreachable server succeeded")
	}
	if strings.Contains(err.Error(), secret) {
		t.Fatal("the error shows the password")
	}
	if _, err := postgres.Open(ctx, "postgres://postgres:"+secret+"@[::1", postgres.WithKeyring(postgrestest.Keyring())); err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("bad URL: %v", err)
	}
}

// TestTwoReplicas runs workers on two stores sharing one schema: every event
// is handled once, one contact's events never overlap and keep their order,
// and each ticket is claimed by one staff member.
func TestTwoReplicas(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	u := postgrestest.URL(t)
	replicas := []storage.Store{postgrestest.OpenURL(t, u), postgrestest.OpenURL(t, u)}
	const parts, perPart = 8, 25
	var mu sync.Mutex
	next := map[string]int{}
	busy := map[string]bool{}
	var failures []string
	var wg sync.WaitGroup
	// Producers on both replicas, one partition each at a time.
	for p := range parts {
		wg.Go(func() {
			in := replicas[p%2].Inbox()
			for i := range perPart {
				key := fmt.Sprintf("p%d/%03d", p, i)
				if _, err := in.Put(ctx, []storage.InboxItem{{Key: key, Partition: fmt.Sprintf("p%d", p), Payload: []byte(key)}}, t0); err != nil {
					mu.Lock()
					failures = append(failures, err.Error())
					mu.Unlock()
					return
				}
			}
		})
	}
	var handled sync.WaitGroup
	handled.Add(parts * perPart)
	done := make(chan struct{})
	go func() { handled.Wait(); close(done) }()
	var workers sync.WaitGroup
	for w := range 4 {
		workers.Go(func() {
			in := replicas[w%2].Inbox()
			owner := fmt.Sprintf("w%d", w)
			for {
				select {
				case <-done:
					return
				case <-ctx.Done():
					return
				default:
				}
				cs, err := in.Claim(ctx, owner, 4, time.Minute, t0)
				if err != nil {
					mu.Lock()
					failures = append(failures, err.Error())
					mu.Unlock()
					return
				}
				if len(cs) == 0 {
					time.Sleep(time.Millisecond)
					continue
				}
				mu.Lock()
				for _, c := range cs {
					part, idx, _ := strings.Cut(c.Key, "/")
					n, _ := strconv.Atoi(idx)
					if busy[part] || next[part] != n {
						failures = append(failures, fmt.Sprintf("%s: got %d want %d busy %v", part, n, next[part], busy[part]))
					}
					busy[part] = true
					next[part] = n + 1
				}
				mu.Unlock()
				for _, c := range cs {
					mu.Lock()
					busy[c.Partition] = false
					mu.Unlock()
					if err := in.Ack(ctx, owner, c.Seq); err != nil {
						mu.Lock()
						failures = append(failures, err.Error())
						mu.Unlock()
					}
					handled.Done()
				}
			}
		})
	}
	wg.Wait()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("events not all handled in time")
	}
	workers.Wait()
	for _, f := range failures {
		t.Error(f)
	}
	stats, err := replicas[0].Inbox().Stats(ctx)
	if err != nil || stats != (storage.InboxStats{Done: parts * perPart}) {
		t.Fatalf("stats %+v, %v", stats, err)
	}

	// Tickets: staff on both replicas claim; each ticket goes to one.
	for i := range 20 {
		ref := storage.ContactRef{Channel: "whatsapp", Identifier: fmt.Sprintf("49151%06d", i)}
		if _, _, err := replicas[i%2].Tickets().Open(ctx, storage.Ticket{Contact: ref, Queue: "general", Priority: i % 4}, t0); err != nil {
			t.Fatal(err)
		}
	}
	claimed := map[string]string{}
	var cw sync.WaitGroup
	for s := range 6 {
		cw.Go(func() {
			for {
				tk, err := replicas[s%2].Tickets().ClaimNext(ctx, fmt.Sprintf("staff-%d", s), nil, t0)
				if errors.Is(err, storage.ErrNotFound) {
					return
				}
				mu.Lock()
				if err != nil {
					failures = append(failures, err.Error())
				} else if prev, dup := claimed[tk.ID]; dup {
					failures = append(failures, fmt.Sprintf("ticket %s claimed by %s and %s", tk.ID, prev, tk.Assignee))
				} else {
					claimed[tk.ID] = tk.Assignee
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	cw.Wait()
	for _, f := range failures {
		t.Error(f)
	}
	if len(claimed) != 20 {
		t.Fatalf("%d tickets claimed; want 20", len(claimed))
	}
}
