package chat_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/postgres/postgrestest"
	"github.com/impactchat/impactchat/whatsapp/webhook"
	"github.com/impactchat/impactchat/whatsapp/webhook/webhooktest"
)

// postgresSchema returns the URL of a fresh schema of the test database,
// dropped when the test ends (skipped without IMPACTCHAT_TEST_POSTGRES,
// failed without it when IMPACTCHAT_REQUIRE_POSTGRES=1).
func postgresSchema(t *testing.T) string { return postgrestest.URL(t) }

// openPostgres opens one replica's handle on the schema at dsn.
func openPostgres(t *testing.T, dsn string) storage.Store { return postgrestest.OpenURL(t, dsn) }

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

// BenchmarkFollowerAcrossReplicasPostgres measures how long a person's
// second message waits after their first when the two reach different
// replicas: replica a handles the first (its handler takes 20 ms, as a
// reply to Meta might), replica b stores the second meanwhile and cannot
// lease it. Both replicas poll at the default interval. The figures are
// from the end of the first's handler to the start of the second's.
func BenchmarkFollowerAcrossReplicasPostgres(b *testing.B) {
	dsn := postgrestest.URL(b)
	var (
		mu    sync.Mutex
		ended = map[string]time.Time{} // person -> when the first's handler ended
		gaps  []time.Duration
	)
	seconds := make(chan struct{}, 1)
	h := chat.HandlerFunc(func(ctx context.Context, _ chat.Replier, m *chat.Message) error {
		switch m.Text {
		case "first":
			time.Sleep(20 * time.Millisecond)
			mu.Lock()
			ended[m.From.Contact] = time.Now()
			mu.Unlock()
		case "second":
			mu.Lock()
			gaps = append(gaps, time.Since(ended[m.From.Contact]))
			mu.Unlock()
			seconds <- struct{}{}
		}
		return nil
	})
	var servers []*chat.Server
	for i := range 2 {
		srv, err := chat.NewServer(postgrestest.OpenURL(b, dsn), h, chat.WithOwner(fmt.Sprintf("replica-%d", i)))
		if err != nil {
			b.Fatal(err)
		}
		servers = append(servers, srv)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- srv.Run(ctx) }()
		b.Cleanup(func() { cancel(); <-done })
	}
	time.Sleep(50 * time.Millisecond) // both running
	now := time.Now()
	b.ResetTimer()
	for i := range b.N {
		c := contactN(i)
		if err := servers[0].Accept(b.Context(), []chat.Event{textEvent(c, fmt.Sprintf("wamid.%d.1", i), "first", now)}); err != nil {
			b.Fatal(err)
		}
		if err := servers[1].Accept(b.Context(), []chat.Event{textEvent(c, fmt.Sprintf("wamid.%d.2", i), "second", now)}); err != nil {
			b.Fatal(err)
		}
		select {
		case <-seconds:
		case <-time.After(10 * time.Second):
			b.Fatal("the second message was not handled within 10s")
		}
	}
	b.StopTimer()
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(gaps)
	var sum time.Duration
	for _, g := range gaps {
		sum += g
	}
	b.ReportMetric(float64(sum.Microseconds())/float64(len(gaps))/1000, "gap-mean-ms")
	b.ReportMetric(float64(gaps[len(gaps)/2].Microseconds())/1000, "gap-p50-ms")
	b.ReportMetric(float64(gaps[len(gaps)-1].Microseconds())/1000, "gap-max-ms")
}
