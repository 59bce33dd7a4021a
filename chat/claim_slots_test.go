package chat_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage/memory"
)

// An Accept that hands an event to the idle worker while the dispatcher's
// claim for that worker is with the store must not leave the dispatcher
// holding a claimed event with no slot for it: deaf to Shutdown, its lease
// running unextended. The dispatcher takes its slots before it claims, so
// Shutdown returns at its deadline once the handler honours cancellation.
func TestShutdownReturnsWhenAcceptRacesAClaim(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hold := newClaimHold() // widens the window in which an Accept runs while the claim is with the store
		st := &countingStore{Store: memory.New(), holdFirstClaim: hold}
		release := make(chan struct{})
		h := chat.HandlerFunc(func(ctx context.Context, _ chat.Replier, m *chat.Message) error {
			select {
			case <-ctx.Done(): // honours cancellation at the drain deadline
				return ctx.Err()
			case <-release: // only for the test's cleanup
				return nil
			}
		})
		srv, err := chat.NewServer(st, h, chat.WithWorkers(1), chat.WithPollInterval(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		// An event waiting in the inbox before Run (accepted by an earlier run).
		if err := srv.Accept(t.Context(), []chat.Event{textEvent(contactN(1), "wamid.a", "a", now)}); err != nil {
			t.Fatal(err)
		}
		runErr := make(chan error, 1)
		go func() { runErr <- srv.Run(context.Background()) }()
		<-hold.claiming // the dispatcher computed one free worker and claims for it
		// A webhook delivery for another person arrives meanwhile.
		if err := srv.Accept(t.Context(), []chat.Event{textEvent(contactN(2), "wamid.b", "b", now)}); err != nil {
			t.Fatal(err)
		}
		close(hold.proceed)
		synctest.Wait()

		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		shut := make(chan error, 1)
		go func() { shut <- srv.Shutdown(ctx) }()
		select {
		case err := <-shut:
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Shutdown = %v, want the deadline", err)
			}
		case <-time.After(time.Hour):
			t.Errorf("Shutdown with a 2s deadline has not returned after an hour: the dispatcher is blocked on a worker slot holding %d claimed event(s)", st.claimed.Load())
			close(release)
			<-shut
		}
		<-runErr
	})
}

// The same race with two replicas sharing the store: had the claimed event
// waited for a slot with its lease running and never extended, the other
// replica would have claimed and handled it when the lease ended, and then
// the first again. No process dies here: the event is handled once.
func TestClaimRacingAcceptHandlesTheEventOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hold := newClaimHold() // widens the window in which an Accept runs while the claim is with the store
		st := &countingStore{Store: memory.New(), holdFirstClaim: hold}
		var handledA atomic.Int64
		h := chat.HandlerFunc(func(ctx context.Context, _ chat.Replier, m *chat.Message) error {
			switch m.ID {
			case "wamid.a":
				handledA.Add(1)
			case "wamid.b":
				time.Sleep(5 * time.Second) // a slow reply, well within what a lease allows
			}
			return nil
		})
		opts := []chat.ServerOption{chat.WithWorkers(1), chat.WithLease(time.Second), chat.WithPollInterval(100 * time.Millisecond)}
		a, err := chat.NewServer(st, h, append(opts, chat.WithOwner("a"))...)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		if err := a.Accept(t.Context(), []chat.Event{textEvent(contactN(1), "wamid.a", "a", now)}); err != nil {
			t.Fatal(err)
		}
		stopA := runServer(t, a)
		<-hold.claiming
		if err := a.Accept(t.Context(), []chat.Event{textEvent(contactN(2), "wamid.b", "b", now)}); err != nil {
			t.Fatal(err)
		}
		close(hold.proceed)
		synctest.Wait()
		// A second replica of the line.
		b, err := chat.NewServer(st.Store, h, append(opts, chat.WithOwner("b"))...)
		if err != nil {
			t.Fatal(err)
		}
		stopB := runServer(t, b)
		time.Sleep(10 * time.Second)
		synctest.Wait()
		_, _ = stopA(), stopB()
		if n := handledA.Load(); n != 1 {
			t.Errorf("wamid.a handled %d times; want once (no replica died)", n)
		}
	})
}
