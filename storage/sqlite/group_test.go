package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/sqlite"
)

// heldKeyring holds the first WrapKey after arm until release is closed, so
// that a test can keep the writer busy while other callers queue behind it.
type heldKeyring struct {
	storage.Keyring
	mu      sync.Mutex
	armed   bool
	panics  bool // the next WrapKey not held panics
	entered chan struct{}
	release chan struct{}
}

func (k *heldKeyring) arm() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.armed = true
	k.entered = make(chan struct{})
	k.release = make(chan struct{})
}

func (k *heldKeyring) WrapKey(ctx context.Context, subject, key []byte) ([]byte, error) {
	k.mu.Lock()
	hold := k.armed
	k.armed = false
	boom := !hold && k.panics
	if boom {
		k.panics = false
	}
	entered, release := k.entered, k.release
	k.mu.Unlock()
	if hold {
		close(entered)
		<-release
	}
	if boom {
		panic("keyring failure")
	}
	return k.Keyring.WrapKey(ctx, subject, key)
}

func openHeld(t *testing.T) (*sqlite.Store, *heldKeyring) {
	t.Helper()
	ring := &heldKeyring{Keyring: testKeyring(t)}
	st := openTemp(t, sqlite.WithKeyring(ring))
	return st, ring
}

func msg(id, phone, body string) storage.MessageRecord {
	return storage.MessageRecord{
		ID: id, Contact: storage.ContactRef{Channel: "whatsapp", Identifier: phone},
		Direction: storage.Inbound, Kind: "text", Body: body, At: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
	}
}

// TestGroupCommitIsolation queues durable writes behind a busy writer, so
// that they share one commit: each caller gets its own outcome, a failed
// caller's work is undone and nobody else's, and a caller whose context
// ends while it waits returns at once and its work never runs.
func TestGroupCommitIsolation(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st, ring := openHeld(t)
	ms := st.Messages()
	if err := ms.Record(ctx, msg("dup", "4915100000001", "first")); err != nil {
		t.Fatal(err)
	}

	// Keep the writer busy: a contact's first message creates its data key.
	ring.arm()
	holder := make(chan error, 1)
	go func() { holder <- ms.Record(ctx, msg("holder", "4915100000002", "x")) }()
	<-ring.entered

	const n = 10
	results := make([]chan error, n)
	for i := range results {
		results[i] = make(chan error, 1)
		go func() { results[i] <- ms.Record(ctx, msg(fmt.Sprintf("m%d", i), "4915100000001", "ok")) }()
	}
	dup := make(chan error, 1)
	go func() { dup <- ms.Record(ctx, msg("dup", "4915100000001", "second")) }()
	missing := make(chan error, 1)
	go func() {
		_, err := ms.UpdateStatus(ctx, "absent", storage.DeliveryDelivered, time.Now(), 0)
		missing <- err
	}()
	cctx, cancel := context.WithCancel(ctx)
	cancelled := make(chan error, 1)
	go func() { cancelled <- ms.Record(cctx, msg("cancelled", "4915100000001", "never")) }()
	time.Sleep(20 * time.Millisecond) // lets the callers queue; the outcome does not depend on it
	cancel()
	// The writer is still held: the cancelled caller must not wait for it.
	if err := <-cancelled; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller: %v; want context.Canceled", err)
	}
	close(ring.release)

	if err := <-holder; err != nil {
		t.Fatalf("holder: %v", err)
	}
	for i, ch := range results {
		if err := <-ch; err != nil {
			t.Errorf("m%d: %v", i, err)
		}
	}
	if err := <-dup; !errors.Is(err, storage.ErrConflict) {
		t.Errorf("duplicate id: %v; want ErrConflict", err)
	}
	if err := <-missing; !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("missing id: %v; want ErrNotFound", err)
	}
	for i := range n {
		if _, err := ms.Get(ctx, fmt.Sprintf("m%d", i)); err != nil {
			t.Errorf("get m%d: %v", i, err)
		}
	}
	if m, err := ms.Get(ctx, "dup"); err != nil || m.Body != "first" {
		t.Errorf("dup = %q, %v; want the first body", m.Body, err)
	}
	if _, err := ms.Get(ctx, "cancelled"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("cancelled caller's message: %v; want ErrNotFound", err)
	}
}

// TestGroupCommitClose closes the store while callers wait for the writer:
// each either completed before the close or fails with ErrClosed.
func TestGroupCommitClose(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st, ring := openHeld(t)
	ms := st.Messages()
	ring.arm()
	holder := make(chan error, 1)
	go func() { holder <- ms.Record(ctx, msg("holder", "4915100000002", "x")) }()
	<-ring.entered
	queued := make(chan error, 1)
	go func() { queued <- ms.Record(ctx, msg("queued", "4915100000002", "y")) }()
	closed := make(chan error, 1)
	go func() { closed <- st.Close() }()
	time.Sleep(10 * time.Millisecond)
	close(ring.release)
	if err := <-holder; err != nil {
		t.Fatalf("holder: %v", err)
	}
	if err := <-queued; err != nil && !errors.Is(err, storage.ErrClosed) {
		t.Fatalf("queued: %v; want nil or ErrClosed", err)
	}
	if err := <-closed; err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := ms.Record(ctx, msg("late", "4915100000002", "z")); !errors.Is(err, storage.ErrClosed) {
		t.Fatalf("after close: %v; want ErrClosed", err)
	}
}

// TestGroupCommitMixed runs durable writes, claims and acks from many
// goroutines at once; every write must be there afterwards.
func TestGroupCommitMixed(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := openTemp(t)
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	const workers, each = 16, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*3)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				id := fmt.Sprintf("w%d-%d", w, i)
				if err := st.Messages().Record(ctx, msg(id, fmt.Sprintf("49151%08d", w), id)); err != nil {
					errs <- err
				}
				if _, err := st.Inbox().Put(ctx, []storage.InboxItem{{Key: id, Partition: id, Payload: []byte(id)}}, now); err != nil {
					errs <- err
				}
				cs, err := st.Inbox().Claim(ctx, id, 1, time.Minute, now)
				if err != nil {
					errs <- err
				}
				for _, c := range cs {
					if err := st.Inbox().Ack(ctx, id, c.Seq); err != nil && !errors.Is(err, storage.ErrLeaseLost) {
						errs <- err
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for w := range workers {
		h, err := st.Messages().History(ctx, storage.ContactRef{Channel: "whatsapp", Identifier: fmt.Sprintf("49151%08d", w)}, 0)
		if err != nil || len(h) != each {
			t.Errorf("worker %d history: %d messages, %v; want %d", w, len(h), err, each)
		}
	}
	stats, err := st.Inbox().Stats(ctx)
	if err != nil || stats.Pending+stats.Leased+stats.Done != workers*each {
		t.Errorf("stats = %+v, %v; want %d items", stats, err, workers*each)
	}
}

// TestGroupCommitPanic has one caller's work panic inside a group: that
// caller panics in its own goroutine, and the others' writes commit.
func TestGroupCommitPanic(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st, ring := openHeld(t)
	ms := st.Messages()
	if err := ms.Record(ctx, msg("first", "4915100000001", "x")); err != nil {
		t.Fatal(err)
	}
	ring.arm()
	holder := make(chan error, 1)
	go func() { holder <- ms.Record(ctx, msg("holder", "4915100000002", "x")) }()
	<-ring.entered
	ring.mu.Lock()
	ring.panics = true
	ring.mu.Unlock()
	panicked := make(chan any, 1)
	go func() {
		defer func() { panicked <- recover() }()
		ms.Record(ctx, msg("boom", "4915100000003", "x")) // a new contact: its data key is wrapped
	}()
	other := make(chan error, 1)
	go func() { other <- ms.Record(ctx, msg("other", "4915100000001", "y")) }()
	time.Sleep(20 * time.Millisecond) // lets both queue; the outcome does not depend on it
	close(ring.release)
	if err := <-holder; err != nil {
		t.Fatalf("holder: %v", err)
	}
	if v := <-panicked; v == nil {
		t.Fatal("the panicking caller returned")
	}
	if err := <-other; err != nil {
		t.Fatalf("other: %v", err)
	}
	for _, id := range []string{"holder", "other"} {
		if _, err := ms.Get(ctx, id); err != nil {
			t.Errorf("get %s: %v", id, err)
		}
	}
	if _, err := ms.Get(ctx, "boom"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the panicked write: %v; want ErrNotFound", err)
	}
	if err := ms.Record(ctx, msg("after", "4915100000001", "z")); err != nil {
		t.Fatalf("a write after the panic: %v", err)
	}
}

// TestGroupCommitAnswersPutsFirst queues an inbox Put and another write
// behind a busy writer: the Put, which a webhook waits on, is committed and
// answered while the other write is still running.
func TestGroupCommitAnswersPutsFirst(t *testing.T) {
	st, ring := openHeld(t)
	ctx := t.Context()
	known := storage.ContactRef{Channel: "whatsapp", Identifier: "15550000001"}
	if _, err := st.Contacts().Touch(ctx, known, time.Now()); err != nil { // its data key exists now
		t.Fatal(err)
	}

	ring.arm()
	first := ring
	firstEntered, firstRelease := first.entered, first.release
	busy := make(chan error, 1)
	go func() { busy <- st.Messages().Record(ctx, msg("wamid.busy", "15550000002", "hello")) }()
	<-firstEntered // the writer is held inside that write

	ring.arm() // the next new data key (the other write's) is held too
	secondEntered, secondRelease := ring.entered, ring.release
	other := make(chan error, 1)
	go func() { other <- st.Messages().Record(ctx, msg("wamid.other", "15550000003", "hello")) }()
	put := make(chan error, 1)
	go func() {
		_, err := st.Inbox().Put(ctx, []storage.InboxItem{{Key: "k", Partition: storage.PartitionOf(known), Payload: []byte("x"), At: time.Now()}}, time.Now())
		put <- err
	}()
	time.Sleep(100 * time.Millisecond) // both queue behind the held writer
	close(firstRelease)
	if err := <-busy; err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-put:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the Put waited for the other write")
	}
	<-secondEntered
	select {
	case err := <-other:
		t.Fatalf("the other write finished (%v) while it was held", err)
	default:
	}
	close(secondRelease)
	if err := <-other; err != nil {
		t.Fatal(err)
	}
	if s, err := st.Inbox().Stats(ctx); err != nil || s.Pending != 1 {
		t.Fatalf("stats %+v, %v; want the Put's item", s, err)
	}
}
