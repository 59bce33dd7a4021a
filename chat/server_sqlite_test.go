package chat_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/keyring"
	"github.com/impactchat/impactchat/storage/sqlite"
)

func openSQLite(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	ring, err := keyring.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(t.Context(), path, sqlite.WithKeyring(ring))
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// exactlyOnce counts how often each message was handled, and the order per
// person.
type exactlyOnce struct {
	mu       sync.Mutex
	times    map[string]int
	byPerson map[string][]string
}

func (e *exactlyOnce) record(m *chat.Message) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.times[m.ID]++
	e.byPerson[m.From.Contact] = append(e.byPerson[m.From.Contact], m.ID)
}

func (e *exactlyOnce) total() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, k := range e.times {
		n += k
	}
	return n
}

// The process is killed between Accept and handling: a Server accepts a
// backlog, handles part of it, and dies in the middle of a handler (its
// store is closed under it, nothing is drained). A new Server on the same
// SQLite file handles every event exactly once, each person's in order,
// and a redelivery of the whole backlog changes nothing.
func TestServerRestartOnSQLite(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "line.db")
	testRestart(t, func(t *testing.T) storage.Store { return openSQLite(t, path) })
}

// testRestart runs the crash-and-restart scenario; open returns a new handle
// on the same database each time it is called.
func testRestart(t *testing.T, open func(t *testing.T) storage.Store) {
	seen := &exactlyOnce{times: map[string]int{}, byPerson: map[string][]string{}}
	const people, each = 4, 10
	var events []chat.Event
	want := map[string][]string{}
	at := time.Now().Add(-time.Minute)
	for i := range each {
		for p := range people {
			id := fmt.Sprintf("wamid.k%d.%d", p, i)
			want[contactN(p)] = append(want[contactN(p)], id)
			events = append(events, textEvent(contactN(p), id, "hello", at))
		}
	}

	// The first process.
	storeA := open(t)
	dying := make(chan struct{})
	release := make(chan struct{})
	handled := 0
	a, err := chat.NewServer(storeA, chat.HandlerFunc(func(ctx context.Context, _ chat.Replier, m *chat.Message) error {
		if handled == 10 {
			close(dying)
			<-release // never finishes before the process dies
			return errors.New("the process died")
		}
		handled++
		seen.record(m)
		return nil
	}), chat.WithWorkers(1), chat.WithDrainTimeout(0), chat.WithLease(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Accept(t.Context(), events); err != nil {
		t.Fatalf("Accept: %v", err)
	}
	ctxA, kill := context.WithCancel(context.Background())
	runA := make(chan error, 1)
	go func() { runA <- a.Run(ctxA) }()
	<-dying
	// The process is gone: its database handle closes and its Run is
	// abandoned without draining (the wedged handler never returns).
	if err := storeA.Close(); err != nil {
		t.Fatal(err)
	}
	kill()
	if err := <-runA; err == nil {
		t.Errorf("first Run = nil, want an error: a handler was still running")
	}
	close(release)

	// The restarted process, a lease later.
	storeB := open(t)
	later := func() time.Time { return time.Now().Add(2 * time.Minute) }
	b, err := chat.NewServer(storeB, chat.HandlerFunc(func(ctx context.Context, _ chat.Replier, m *chat.Message) error {
		seen.record(m)
		return nil
	}), chat.WithClock(later), chat.WithWorkers(4), chat.WithPollInterval(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	// Meta delivers the backlog again: nothing is stored twice.
	var counters chat.Counters
	dup, err := chat.NewServer(storeB, chat.HandlerFunc(func(context.Context, chat.Replier, *chat.Message) error { return nil }),
		chat.WithMetrics(&counters))
	if err != nil {
		t.Fatal(err)
	}
	if err := dup.Accept(t.Context(), events); err != nil {
		t.Fatalf("redelivery: %v", err)
	}
	if s := counters.Snapshot(); s.Duplicate != people*each || s.Accepted != 0 {
		t.Errorf("redelivery counted %+v, want all duplicates", s)
	}
	stop := runServer(t, b)
	waitFor(t, 20*time.Second, "the backlog to be handled", func() bool { return seen.total() >= people*each })
	if err := stop(); err != nil {
		t.Errorf("second Run = %v", err)
	}

	for id, n := range seen.times {
		if n != 1 {
			t.Errorf("%s handled %d times", id, n)
		}
	}
	for c, ids := range want {
		if got := seen.byPerson[c]; fmt.Sprint(got) != fmt.Sprint(ids) {
			t.Errorf("person %s: handled %v, want %v", c, got, ids)
		}
	}
	st, err := storeB.Inbox().Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.Done != people*each || st.Pending+st.Leased+st.Dead != 0 {
		t.Errorf("inbox = %+v, want all %d done", st, people*each)
	}
}

func TestReplicasShareOneInboxSQLite(t *testing.T) {
	t.Parallel()
	base := uint64(time.Now().UnixNano())
	for i := range uint64(2) {
		seed := base + i
		st := openSQLite(t, filepath.Join(t.TempDir(), fmt.Sprintf("line%d.db", i)))
		runReplicaTrial(t, newReplicaTrial(seed), st, st)
		if t.Failed() {
			t.Logf("reproduce with seed %d", seed)
			return
		}
	}
}
