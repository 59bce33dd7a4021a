package chat_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/memory"
)

// countingStore counts the events its inbox leases: by a claim, or as a
// put stores them (storage.PutClaimer). A test may also hold its first
// claim before it reaches the store (holdFirstClaim), or fail extensions
// of leases for a while (failExtend).
type countingStore struct {
	storage.Store
	claimed, leasedAtPut atomic.Int64

	holdOnce       sync.Once
	holdFirstClaim *claimHold // nil: claims go straight on
	failExtend     atomic.Bool
}

// claimHold holds a store's first claim: claiming is closed when it
// starts, and it goes on once the test closes proceed.
type claimHold struct {
	claiming, proceed chan struct{}
}

func newClaimHold() *claimHold {
	return &claimHold{claiming: make(chan struct{}), proceed: make(chan struct{})}
}

func (s *countingStore) Inbox() storage.Inbox {
	in := s.Store.Inbox()
	return countingInbox{Inbox: in, pc: in.(storage.PutClaimer), s: s}
}

type countingInbox struct {
	storage.Inbox
	pc storage.PutClaimer
	s  *countingStore
}

func (i countingInbox) Claim(ctx context.Context, owner string, max int, lease time.Duration, now time.Time) ([]storage.Claimed, error) {
	if h := i.s.holdFirstClaim; h != nil {
		i.s.holdOnce.Do(func() {
			close(h.claiming)
			<-h.proceed
		})
	}
	cs, err := i.Inbox.Claim(ctx, owner, max, lease, now)
	i.s.claimed.Add(int64(len(cs)))
	return cs, err
}

func (i countingInbox) PutClaim(ctx context.Context, items []storage.InboxItem, now time.Time, owner string, max int, lease time.Duration) (storage.PutResult, []storage.Claimed, error) {
	res, cs, err := i.pc.PutClaim(ctx, items, now, owner, max, lease)
	i.s.leasedAtPut.Add(int64(len(cs)))
	return res, cs, err
}

func (i countingInbox) Extend(ctx context.Context, owner string, seq int64, lease time.Duration, now time.Time) error {
	if i.s.failExtend.Load() {
		return errInjected
	}
	return i.Inbox.Extend(ctx, owner, seq, lease, now)
}

// gate is a handler that holds the messages whose text is in hold until
// let is called, recording the order messages finish in.
type gate struct {
	rec  *recorder
	hold map[string]chan struct{}
}

func newGate(hold ...string) *gate {
	g := &gate{rec: newRecorder(), hold: map[string]chan struct{}{}}
	for _, h := range hold {
		g.hold[h] = make(chan struct{})
	}
	g.rec.next = chat.HandlerFunc(func(ctx context.Context, _ chat.Replier, m *chat.Message) error {
		if ch := g.hold[m.Text]; ch != nil {
			<-ch
		}
		return nil
	})
	return g
}

func (g *gate) let(text string) { close(g.hold[text]) }

// The poll interval of these tests is an hour: whatever is handled was
// handed over or claimed because the Server knew of it, not found by the
// poll.
func newDirectServer(t *testing.T, st storage.Store, h chat.Handler, opts ...chat.ServerOption) *chat.Server {
	t.Helper()
	srv, err := chat.NewServer(st, h, append([]chat.ServerOption{chat.WithPollInterval(time.Hour)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// Events that Accept stores while workers are idle go to them with the
// put: no claim fetches them back.
func TestServerHandsNewEventsToIdleWorkers(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		st := &countingStore{Store: memory.New()}
		rec := newRecorder()
		srv := newDirectServer(t, st, rec)
		stop := runServer(t, srv)
		synctest.Wait() // the first claim found nothing
		now := time.Now()
		for i := range 10 {
			ev := textEvent(contactN(i), fmt.Sprintf("wamid.%d", i), "hello", now)
			if err := srv.Accept(t.Context(), []chat.Event{ev}); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		if got := rec.count(); got != 10 {
			t.Fatalf("handled %d of 10 events", got)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if c, l := st.claimed.Load(), st.leasedAtPut.Load(); c != 0 || l != 10 {
			t.Errorf("claimed %d and leased at put %d; want 0 and 10", c, l)
		}
	})
}

// A person's burst in one delivery: the first event is handed over, the
// others wait behind it in the inbox and are claimed, in order, as each
// before them finishes, without waiting for the poll.
func TestServerHandsOverABurstInOrder(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		st := &countingStore{Store: memory.New()}
		rec := newRecorder()
		srv := newDirectServer(t, st, rec)
		runServer(t, srv)
		synctest.Wait()
		now := time.Now()
		c := contactN(1)
		burst := []chat.Event{textEvent(c, "wamid.1", "one", now), textEvent(c, "wamid.2", "two", now), textEvent(c, "wamid.3", "three", now)}
		if err := srv.Accept(t.Context(), burst); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if got := rec.handled(); !slices.Equal(got, []string{"wamid.1", "wamid.2", "wamid.3"}) {
			t.Fatalf("handled %v; want the burst in order", got)
		}
		if c, l := st.claimed.Load(), st.leasedAtPut.Load(); c != 2 || l != 1 {
			t.Errorf("claimed %d and leased at put %d; want 2 and 1", c, l)
		}
		if n := rec.overlaps.Load(); n != 0 {
			t.Errorf("%d events of one person overlapped", n)
		}
	})
}

// An event stored while an earlier one of its person is handled here
// waits for it, and is claimed as soon as it finishes; another person's
// event goes straight to an idle worker meanwhile.
func TestServerFollowerWaitsForTheEventInFlight(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		st := &countingStore{Store: memory.New()}
		g := newGate("first")
		srv := newDirectServer(t, st, g.rec)
		runServer(t, srv)
		synctest.Wait()
		now := time.Now()
		accept := func(ev chat.Event) {
			t.Helper()
			if err := srv.Accept(t.Context(), []chat.Event{ev}); err != nil {
				t.Fatal(err)
			}
		}
		accept(textEvent(contactN(1), "wamid.a1", "first", now))
		synctest.Wait() // its handler holds
		accept(textEvent(contactN(1), "wamid.a2", "second", now))
		accept(textEvent(contactN(2), "wamid.b1", "other", now))
		synctest.Wait()
		if got := g.rec.handled(); !slices.Equal(got, []string{"wamid.b1"}) {
			t.Fatalf("handled %v while the first was held; want only the other person's", got)
		}
		g.let("first")
		synctest.Wait()
		if got := g.rec.handled(); !slices.Equal(got, []string{"wamid.b1", "wamid.a1", "wamid.a2"}) {
			t.Fatalf("handled %v; want the follower after the first", got)
		}
		if c, l := st.claimed.Load(), st.leasedAtPut.Load(); c != 1 || l != 2 {
			t.Errorf("claimed %d and leased at put %d; want 1 and 2", c, l)
		}
	})
}

// With every worker busy, Accept leases nothing: the events wait and are
// claimed when a worker is free.
func TestServerBusyWorkersLeaveEventsForAClaim(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		st := &countingStore{Store: memory.New()}
		g := newGate("held")
		srv := newDirectServer(t, st, g.rec, chat.WithWorkers(1))
		runServer(t, srv)
		synctest.Wait()
		now := time.Now()
		if err := srv.Accept(t.Context(), []chat.Event{textEvent(contactN(1), "wamid.a", "held", now)}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if err := srv.Accept(t.Context(), []chat.Event{textEvent(contactN(2), "wamid.b", "next", now)}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if n := g.rec.count(); n != 0 {
			t.Fatalf("handled %d while the only worker was held", n)
		}
		g.let("held")
		synctest.Wait()
		if got := g.rec.handled(); !slices.Equal(got, []string{"wamid.a", "wamid.b"}) {
			t.Fatalf("handled %v; want both, the held one first", got)
		}
		if c, l := st.claimed.Load(), st.leasedAtPut.Load(); c != 1 || l != 1 {
			t.Errorf("claimed %d and leased at put %d; want 1 and 1", c, l)
		}
	})
}

// Two Servers share one inbox. A person's second event reaches the one
// that is not handling their first: it cannot be leased or claimed until
// the first is acked by the other Server, which knows nothing of it. The
// Server that stored it looks again soon, then less and less often, so it
// is handled shortly after the first, not at the next poll (an hour here).
func TestServerFollowerOfAnotherServersEvent(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		st := memory.New()
		g := newGate("first")
		a := newDirectServer(t, st, g.rec, chat.WithOwner("a"))
		b := newDirectServer(t, st, g.rec, chat.WithOwner("b"))
		runServer(t, a)
		runServer(t, b)
		synctest.Wait()
		now := time.Now()
		if err := a.Accept(t.Context(), []chat.Event{textEvent(contactN(1), "wamid.1", "first", now)}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // a's handler holds the first
		if err := b.Accept(t.Context(), []chat.Event{textEvent(contactN(1), "wamid.2", "second", now)}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3 * time.Second)
		synctest.Wait()
		if got := g.rec.handled(); len(got) != 0 {
			t.Fatalf("handled %v while the first was held; want nothing", got)
		}
		g.let("first")
		start := time.Now()
		for len(g.rec.handled()) < 2 && time.Since(start) < time.Minute {
			time.Sleep(10 * time.Millisecond)
		}
		if got := g.rec.handled(); !slices.Equal(got, []string{"wamid.1", "wamid.2"}) {
			t.Fatalf("a minute after the first finished, handled %v; want the second after the first", got)
		}
		// The second waited no longer after the first than the first had
		// been held when b last looked.
		if waited := time.Since(start); waited > 4*time.Second {
			t.Errorf("the second was handled %v after the first finished; want at most 4s", waited)
		}
		if n := g.rec.overlaps.Load(); n != 0 {
			t.Errorf("%d events of one person overlapped", n)
		}
	})
}
