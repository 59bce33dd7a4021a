package chat_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/keyring"
	"github.com/impactchat/impactchat/storage/postgres"
	"github.com/impactchat/impactchat/whatsapp/webhook"
	"github.com/impactchat/impactchat/whatsapp/webhook/webhooktest"
)

// postgresSchema returns a connection URL for a new, empty schema of the
// database named by IMPACTCHAT_TEST_POSTGRES, dropped when the test ends.
// Without the variable the test is skipped, or fails when
// IMPACTCHAT_REQUIRE_POSTGRES=1.
func postgresSchema(t *testing.T) string {
	t.Helper()
	base := os.Getenv("IMPACTCHAT_TEST_POSTGRES")
	if base == "" {
		if os.Getenv("IMPACTCHAT_REQUIRE_POSTGRES") == "1" {
			t.Fatal("IMPACTCHAT_REQUIRE_POSTGRES=1 but IMPACTCHAT_TEST_POSTGRES is not set")
		}
		t.Skip("set IMPACTCHAT_TEST_POSTGRES to a postgres:// URL to run the Postgres tests")
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal("IMPACTCHAT_TEST_POSTGRES does not parse as a URL")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "chat_test_" + hex.EncodeToString(b[:])
	// The pgx driver is registered by storage/postgres.
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	if _, err := db.ExecContext(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		_ = db.Close()
		t.Fatalf("postgres: create schema: %v", err)
	}
	t.Cleanup(func() {
		defer db.Close()
		if _, err := db.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("postgres: drop schema: %v", err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// openPostgres opens one replica's handle on the database at dsn; every
// replica uses the same keyring, as they must.
func openPostgres(t *testing.T, dsn string) *postgres.Store {
	t.Helper()
	ring, err := keyring.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	st, err := postgres.Open(t.Context(), dsn, postgres.WithKeyring(ring))
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// The same delivery arrives twice at once, at two replicas sharing one
// Postgres database: each event is handled once.
func TestConcurrentDeliveryToTwoReplicasPostgres(t *testing.T) {
	t.Parallel()
	dsn := postgresSchema(t)
	a, b := openPostgres(t, dsn), openPostgres(t, dsn)
	seen := &exactlyOnce{times: map[string]int{}, byPerson: map[string][]string{}}
	h := chat.HandlerFunc(func(ctx context.Context, _ chat.Replier, m *chat.Message) error {
		seen.record(m)
		return nil
	})
	var servers []*chat.Server
	for i, st := range []storage.Store{a, b} {
		srv, err := chat.NewServer(st, h, chat.WithOwner(fmt.Sprintf("replica-%d", i)), chat.WithPollInterval(10*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		servers = append(servers, srv)
		runServer(t, srv)
	}
	const rounds, people = 20, 3
	now := time.Now()
	for r := range rounds {
		var delivery []chat.Event
		for p := range people {
			delivery = append(delivery, textEvent(contactN(p), fmt.Sprintf("wamid.r%d.p%d", r, p), "hi", now))
		}
		var wg sync.WaitGroup
		for _, srv := range servers {
			wg.Go(func() {
				if err := srv.Accept(t.Context(), delivery); err != nil {
					t.Errorf("Accept: %v", err)
				}
			})
		}
		wg.Wait()
	}
	waitFor(t, 30*time.Second, "every event to be handled", func() bool { return seen.total() >= rounds*people })
	time.Sleep(100 * time.Millisecond) // room for a second handling, which must not come
	seen.mu.Lock()
	defer seen.mu.Unlock()
	if len(seen.times) != rounds*people {
		t.Errorf("handled %d distinct events, want %d", len(seen.times), rounds*people)
	}
	for id, n := range seen.times {
		if n != 1 {
			t.Errorf("%s handled %d times", id, n)
		}
	}
	for p := range people {
		got := seen.byPerson[contactN(p)]
		for r, id := range got {
			if want := fmt.Sprintf("wamid.r%d.p%d", r, p); id != want {
				t.Errorf("person %d: handled %v, want rounds in order", p, got)
				break
			}
		}
	}
}

// Two replicas, each with its own connection pool, draining one Postgres
// inbox: the replica property over random interleavings.
func TestReplicasShareOneInboxPostgres(t *testing.T) {
	t.Parallel()
	base := uint64(time.Now().UnixNano())
	for i := range uint64(4) {
		seed := base + i
		dsn := postgresSchema(t)
		runReplicaTrial(t, newReplicaTrial(seed), openPostgres(t, dsn), openPostgres(t, dsn))
		if t.Failed() {
			t.Logf("reproduce with seed %d", seed)
			return
		}
	}
}

func TestServerRestartOnPostgres(t *testing.T) {
	t.Parallel()
	dsn := postgresSchema(t)
	testRestart(t, func(t *testing.T) storage.Store { return openPostgres(t, dsn) })
}

// The store fails while a delivery is accepted: the webhook answers 503, and
// the same delivery, sent again, is handled once.
func TestAcceptFailureOnSQLStores(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		testAcceptFailure(t, openSQLite(t, filepath.Join(t.TempDir(), "line.db")))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		testAcceptFailure(t, openPostgres(t, postgresSchema(t)))
	})
}

func testAcceptFailure(t *testing.T, st storage.Store) {
	store := &faultyStore{Store: st}
	seen := &exactlyOnce{times: map[string]int{}, byPerson: map[string][]string{}}
	srv, err := chat.NewServer(store, chat.HandlerFunc(func(ctx context.Context, _ chat.Replier, m *chat.Message) error {
		seen.record(m)
		return nil
	}), chat.WithPollInterval(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	runServer(t, srv)
	const secret = "app-secret"
	hook, err := webhook.NewHandler(webhook.Config{Secrets: []string{secret}, VerifyToken: "token"}, srv)
	if err != nil {
		t.Fatal(err)
	}
	body := webhooktest.TextPayload(webhooktest.TextMessage{
		Line: testLine, From: contactN(1), ID: "wamid.HBgLfail", Body: "I need help", Time: time.Now(),
	})
	deliver := func() int {
		w := httptest.NewRecorder()
		hook.ServeHTTP(w, webhooktest.NewRequest(body, secret))
		return w.Code
	}
	store.failPut.Store(true)
	if code := deliver(); code != http.StatusServiceUnavailable {
		t.Fatalf("delivery while the store fails: %d, want 503", code)
	}
	store.failPut.Store(false)
	for range 3 {
		if code := deliver(); code != http.StatusOK {
			t.Fatalf("delivery: %d, want 200", code)
		}
	}
	waitFor(t, 20*time.Second, "the message to be handled", func() bool { return seen.total() >= 1 })
	time.Sleep(50 * time.Millisecond)
	if n := seen.total(); n != 1 {
		t.Errorf("handled %d times, want once", n)
	}
}
