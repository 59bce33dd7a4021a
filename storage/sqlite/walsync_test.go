package sqlite_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/sqlite"
)

// heldFlush holds every flush of the log until release is closed, and
// counts the flushes that reached the disk.
type heldFlush struct {
	entered chan struct{} // closed at the first flush
	release chan struct{}
	once    atomic.Bool
	done    atomic.Int64
	fail    atomic.Bool // the flushes fail instead
}

func newHeldFlush() *heldFlush {
	return &heldFlush{entered: make(chan struct{}), release: make(chan struct{})}
}

// waitEntered waits for the first flush to begin.
func (h *heldFlush) waitEntered(t *testing.T) {
	t.Helper()
	select {
	case <-h.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("no flush of the log began for a durable write")
	}
}

// let releases the held flushes; it may be called more than once.
func (h *heldFlush) let() {
	select {
	case <-h.release:
	default:
		close(h.release)
	}
}

func (h *heldFlush) wrap(flush func() error) func() error {
	return func() error {
		if h.once.CompareAndSwap(false, true) {
			close(h.entered)
		}
		<-h.release
		if h.fail.Load() {
			return errors.New("injected: fsync: input/output error")
		}
		if err := flush(); err != nil {
			return err
		}
		h.done.Add(1)
		return nil
	}
}

func touch(t *testing.T, st storage.Store, ctx context.Context, who string) <-chan error {
	t.Helper()
	return touchAt(t, st, ctx, who, time.Now())
}

func touchAt(t *testing.T, st storage.Store, ctx context.Context, who string, at time.Time) <-chan error {
	t.Helper()
	out := make(chan error, 1)
	go func() {
		_, err := st.Contacts().Touch(ctx, storage.ContactRef{Channel: "whatsapp", Identifier: who}, at)
		out <- err
	}()
	return out
}

// A durable write is answered only after the log was flushed after its
// commit, and the flush does not hold the writer: a relaxed write, and the
// readers, go on meanwhile.
func TestDurableWriteWaitsForTheLogFlush(t *testing.T) {
	h := newHeldFlush()
	st := openTemp(t, sqlite.WithFlushWrapper(h.wrap))
	t.Cleanup(h.let) // before the store closes, should the test fail
	ctx := t.Context()
	ref := storage.ContactRef{Channel: "whatsapp", Identifier: "4915100000001"}
	// Known already (a relaxed write needs no flush), so that the durable
	// Touch below is one statement.
	first := time.Now().Add(-time.Hour).Truncate(time.Second)
	if _, err := st.Contacts().Touch(storage.WithRelaxedWrites(ctx), ref, first); err != nil {
		t.Fatal(err)
	}

	durable := touch(t, st, ctx, ref.Identifier)
	h.waitEntered(t)
	select {
	case err := <-durable:
		t.Fatalf("the durable write returned (%v) while the log's flush was held", err)
	case <-time.After(100 * time.Millisecond):
	}
	// The writer is free: a relaxed write commits and returns.
	select {
	case err := <-touch(t, st, storage.WithRelaxedWrites(ctx), "4915100000002"):
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a relaxed write waited for the held flush")
	}
	// The durable write is committed, and visible, before it is durable.
	c, err := st.Contacts().Get(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if !c.LastInboundAt.After(first) {
		t.Errorf("last inbound %v while the flush is held; want the durable Touch's time, visible", c.LastInboundAt)
	}
	h.let()
	if err := <-durable; err != nil {
		t.Fatal(err)
	}
	if h.done.Load() < 1 {
		t.Fatal("the durable write returned without a flush")
	}
}

// A failed flush fails the writes waiting for it and every durable write
// after it, even when the disk would take the next flush: the store must
// be opened again. Writes that never wait for the disk go on.
func TestFailedLogFlushFailsClosed(t *testing.T) {
	h := newHeldFlush()
	h.fail.Store(true)
	h.let()
	st := openTemp(t, sqlite.WithFlushWrapper(h.wrap))
	ctx := t.Context()

	if err := <-touch(t, st, ctx, "4915100000001"); err == nil || !strings.Contains(err.Error(), "input/output error") {
		t.Fatalf("durable write with a failed flush: %v; want the flush's error", err)
	}
	h.fail.Store(false)
	err := <-touch(t, st, ctx, "4915100000002")
	if err == nil {
		t.Fatal("a durable write after a failed flush succeeded")
	}
	t.Logf("after a failed flush: %v", err)
	// Refused before it runs: nothing of it reaches the store.
	rec := storage.MessageRecord{ID: "wamid.after", Contact: storage.ContactRef{Channel: "whatsapp", Identifier: "4915100000002"},
		Direction: storage.Outbound, Kind: "text", Body: "after the failed flush", At: time.Now()}
	if err := st.Messages().Record(ctx, rec); err == nil {
		t.Fatal("a record after a failed flush succeeded")
	}
	if _, err := st.Messages().Get(ctx, rec.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the record refused after a failed flush is in the store all the same (get: %v)", err)
	}
	if h.done.Load() != 0 {
		t.Fatalf("%d flushes ran after the failed one", h.done.Load())
	}
	if err := <-touch(t, st, storage.WithRelaxedWrites(ctx), "4915100000003"); err != nil {
		t.Fatalf("relaxed write after a failed flush: %v", err)
	}
}

// Close answers the durable writes still waiting for the disk, after
// flushing the log for them.
func TestCloseFlushesTheWritesWaitingForTheDisk(t *testing.T) {
	h := newHeldFlush()
	st := openTemp(t, sqlite.WithFlushWrapper(h.wrap))
	t.Cleanup(h.let)
	// Known already, so that the durable Touch is one write, and a while
	// ago, so that it writes (see storage.TouchSlack).
	if err := <-touch(t, st, storage.WithRelaxedWrites(t.Context()), "4915100000001"); err != nil {
		t.Fatal(err)
	}
	durable := touchAt(t, st, t.Context(), "4915100000001", time.Now().Add(2*storage.TouchSlack))
	h.waitEntered(t)
	closed := make(chan error, 1)
	go func() { closed <- st.Close() }()
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while a write waited for the held flush", err)
	case <-time.After(100 * time.Millisecond):
	}
	h.let()
	if err := <-durable; err != nil {
		t.Fatalf("the write waiting at Close: %v", err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if h.done.Load() < 1 {
		t.Fatal("Close did not flush the log for the waiting write")
	}
}

// A touch within storage.TouchSlack of the stored time writes nothing: it
// neither waits for the disk nor bumps the version. One a slack later
// writes, and waits.
func TestTouchWithinTheSlackWritesNothing(t *testing.T) {
	h := newHeldFlush()
	st := openTemp(t, sqlite.WithFlushWrapper(h.wrap))
	t.Cleanup(h.let)
	ctx := t.Context()
	ref := storage.ContactRef{Channel: "whatsapp", Identifier: "4915100000001"}
	first := time.Now().Add(-time.Hour).Truncate(time.Second)
	c, err := st.Contacts().Touch(storage.WithRelaxedWrites(ctx), ref, first)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []time.Duration{0, time.Second, storage.TouchSlack - time.Nanosecond, -time.Minute} {
		select {
		case err := <-touchAt(t, st, ctx, ref.Identifier, first.Add(d)):
			if err != nil {
				t.Fatalf("touch %v after: %v", d, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("a touch %v after the stored time waited for the disk", d)
		}
	}
	got, err := st.Contacts().Get(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != c.Version || !got.LastInboundAt.Equal(first) {
		t.Fatalf("after touches within the slack: version %d, last inbound %v; want %d, %v", got.Version, got.LastInboundAt, c.Version, first)
	}
	if h.once.Load() {
		t.Fatal("a flush of the log began for touches that write nothing")
	}

	late := touchAt(t, st, ctx, ref.Identifier, first.Add(storage.TouchSlack))
	h.waitEntered(t)
	h.let()
	if err := <-late; err != nil {
		t.Fatal(err)
	}
	got, err = st.Contacts().Get(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != c.Version+1 || !got.LastInboundAt.Equal(first.Add(storage.TouchSlack)) {
		t.Fatalf("after a touch a slack later: version %d, last inbound %v; want %d, %v", got.Version, got.LastInboundAt, c.Version+1, first.Add(storage.TouchSlack))
	}
}
