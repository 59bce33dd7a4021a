package chat_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/memory"
	"github.com/impactchat/impactchat/whatsapp/webhook"
	"github.com/impactchat/impactchat/whatsapp/webhook/webhooktest"
)

func TestServerHandlesEachPersonInOrder(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := memory.New()
		rec := newRecorder()
		// Handlers take different, fixed times so that people overtake each
		// other while each person's messages stay in order.
		rec.next = chat.HandlerFunc(func(ctx context.Context, _ chat.Replier, m *chat.Message) error {
			time.Sleep(time.Duration(len(m.ID)%7+1) * time.Millisecond)
			return nil
		})
		var counters chat.Counters
		srv, err := chat.NewServer(store, rec, chat.WithWorkers(4), chat.WithMetrics(&counters))
		if err != nil {
			t.Fatal(err)
		}
		stop := runServer(t, srv)

		const people, each = 6, 15
		var want = map[string][]string{}
		for i := range each {
			var batch []chat.Event
			for p := range people {
				id := fmt.Sprintf("wamid.%d.%d%s", p, i, strings.Repeat("x", (p*i)%5))
				want[contactN(p)] = append(want[contactN(p)], id)
				batch = append(batch, textEvent(contactN(p), id, "hello", time.Now()))
			}
			if err := srv.Accept(t.Context(), batch); err != nil {
				t.Fatalf("Accept: %v", err)
			}
		}
		for rec.count() < people*each {
			time.Sleep(10 * time.Millisecond)
		}
		synctest.Wait()
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}

		if n := rec.overlaps.Load(); n != 0 {
			t.Errorf("one person's messages were handled at once %d times", n)
		}
		for c, ids := range want {
			if got := rec.byPerson[c]; strings.Join(got, ",") != strings.Join(ids, ",") {
				t.Errorf("person %s: handled %v, want %v", c, got, ids)
			}
		}
		snap := counters.Snapshot()
		if snap.Accepted != people*each || snap.Handled != people*each || snap.Duplicate != 0 {
			t.Errorf("counters = %+v, want %d accepted and handled, no duplicates", snap, people*each)
		}
		st, err := store.Inbox().Stats(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if st.Done != people*each || st.Pending+st.Leased+st.Dead != 0 {
			t.Errorf("inbox stats = %+v, want all done", st)
		}
	})
}

func TestServerAcceptDeduplicates(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := memory.New()
		rec := newRecorder()
		var counters chat.Counters
		srv, err := chat.NewServer(store, rec, chat.WithMetrics(&counters))
		if err != nil {
			t.Fatal(err)
		}
		stop := runServer(t, srv)
		now := time.Now()
		batch := []chat.Event{
			textEvent(contactN(1), "wamid.a", "one", now),
			textEvent(contactN(1), "wamid.a", "one", now), // repeated inside the delivery
			textEvent(contactN(2), "wamid.b", "two", now),
			statusEvent(contactN(2), "wamid.out.x", chat.StatusSent, now),
		}
		for range 3 { // Meta delivers the same payload again
			if err := srv.Accept(t.Context(), batch); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
		}
		_ = stop()
		if got := rec.handled(); len(got) != 2 {
			t.Errorf("handled %v, want each of the two messages once", got)
		}
		snap := counters.Snapshot()
		if snap.Accepted != 3 || snap.Duplicate != 1+4+4 || snap.Handled != 3 {
			t.Errorf("counters = %+v, want 3 accepted, 9 duplicates, 3 handled", snap)
		}
	})
}

func TestServerAcceptDropsInvalidEvents(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := memory.New()
		rec := newRecorder()
		var counters chat.Counters
		var logs logBuffer
		srv, err := chat.NewServer(store, rec, chat.WithMetrics(&counters), chat.WithLogger(newTestLogger(&logs)))
		if err != nil {
			t.Fatal(err)
		}
		stop := runServer(t, srv)
		now := time.Now()
		noContact := textEvent("", "wamid.nc", "secret words", now)
		badRaw := textEvent(contactN(3), "wamid.raw", "x", now)
		badRaw.Message.Raw = []byte("{not json")
		err = srv.Accept(t.Context(), []chat.Event{
			textEvent(contactN(1), "wamid.ok1", "hi", now),
			noContact,
			{},
			badRaw,
			statusEvent(contactN(1), "wamid.s", "bogus", now),
			textEvent(contactN(2), "wamid.ok2", "hi", now),
		})
		if err != nil {
			t.Fatalf("Accept = %v, want nil: invalid events must not fail the delivery", err)
		}
		synctest.Wait()
		_ = stop()
		if got := rec.handled(); len(got) != 2 {
			t.Errorf("handled %v, want the two valid messages", got)
		}
		if snap := counters.Snapshot(); snap.Rejected != 4 || snap.Accepted != 2 {
			t.Errorf("counters = %+v, want 4 rejected, 2 accepted", snap)
		}
		out := logs.String()
		for _, want := range []string{"event.message.from.contact is empty", "event has neither", "event.status.state"} {
			if !strings.Contains(out, want) {
				t.Errorf("log does not give the reason %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "secret words") {
			t.Errorf("log holds message text:\n%s", out)
		}
	})
}

// The store fails while a delivery is accepted: the webhook answers 503,
// and when Meta delivers the same payload again it is handled once.
func TestServerStoreFailureDuringAccept(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := &faultyStore{Store: memory.New()}
		rec := newRecorder()
		srv, err := chat.NewServer(store, rec)
		if err != nil {
			t.Fatal(err)
		}
		stop := runServer(t, srv)
		const secret = "app-secret"
		hook, err := webhook.NewHandler(webhook.Config{Secrets: []string{secret}, VerifyToken: "token"}, srv)
		if err != nil {
			t.Fatal(err)
		}
		body := webhooktest.TextPayload(webhooktest.TextMessage{
			Line: testLine, From: contactN(1), ID: "wamid.HBgL1", Body: "I need help", Time: time.Now(),
		})
		deliver := func() int {
			w := httptest.NewRecorder()
			hook.ServeHTTP(w, webhooktest.NewRequest(body, secret))
			return w.Code
		}

		store.failPut.Store(true)
		if code := deliver(); code != http.StatusServiceUnavailable {
			t.Fatalf("delivery while the store fails: status %d, want 503", code)
		}
		synctest.Wait()
		if n := rec.count(); n != 0 {
			t.Fatalf("handled %d messages that were never stored", n)
		}
		store.failPut.Store(false)
		for range 2 {
			if code := deliver(); code != http.StatusOK {
				t.Fatalf("delivery: status %d, want 200", code)
			}
			synctest.Wait()
		}
		_ = stop()
		if got := rec.handled(); len(got) != 1 || got[0] != "wamid.HBgL1" {
			t.Errorf("handled %v, want the message once", got)
		}
	})
}

func TestServerRetriesWithBackoff(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := memory.New()
		var calls atomic.Int64
		var times []time.Time
		h := chat.HandlerFunc(func(ctx context.Context, _ chat.Replier, m *chat.Message) error {
			times = append(times, time.Now())
			if calls.Add(1) <= 2 {
				return errors.New("partner service unavailable")
			}
			return nil
		})
		var counters chat.Counters
		srv, err := chat.NewServer(store, h, chat.WithMetrics(&counters),
			chat.WithRetry(chat.RetryPolicy{MaxAttempts: 5, Initial: 2 * time.Second, Max: time.Minute}),
			chat.WithPollInterval(100*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		stop := runServer(t, srv)
		start := time.Now()
		if err := srv.Accept(t.Context(), []chat.Event{textEvent(contactN(1), "wamid.r", "hi", start)}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		_ = stop()
		if calls.Load() != 3 {
			t.Fatalf("handler called %d times, want 3", calls.Load())
		}
		// Waits of 2s then 4s, each noticed within a poll interval.
		for i, want := range []time.Duration{0, 2 * time.Second, 6 * time.Second} {
			got := times[i].Sub(start)
			if got < want || got > want+200*time.Millisecond {
				t.Errorf("attempt %d at %v, want %v (+ one poll)", i+1, got, want)
			}
		}
		if snap := counters.Snapshot(); snap.Retried != 2 || snap.Handled != 1 || snap.Dead != 0 {
			t.Errorf("counters = %+v, want 2 retries, 1 handled", snap)
		}
	})
}

func TestServerDeadLettersAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := memory.New()
		rec := newRecorder()
		rec.next = chat.HandlerFunc(func(ctx context.Context, _ chat.Replier, m *chat.Message) error {
			if m.ID == "wamid.bad" {
				return errors.New("flow step 7: no such node")
			}
			return nil
		})
		var counters chat.Counters
		srv, err := chat.NewServer(store, rec, chat.WithMetrics(&counters),
			chat.WithRetry(chat.RetryPolicy{MaxAttempts: 3, Initial: time.Second, Max: time.Second}))
		if err != nil {
			t.Fatal(err)
		}
		stop := runServer(t, srv)
		now := time.Now()
		err = srv.Accept(t.Context(), []chat.Event{
			textEvent(contactN(1), "wamid.first", "a", now),
			textEvent(contactN(1), "wamid.bad", "b", now),
			textEvent(contactN(1), "wamid.after", "c", now),
		})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		_ = stop()

		if got := strings.Join(rec.handled(), ","); got != "wamid.first,wamid.after" {
			t.Errorf("handled %s, want the person's other messages to go on", got)
		}
		dead, err := store.Inbox().DeadLetters(t.Context(), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(dead) != 1 || dead[0].Key != "m:whatsapp:wamid.bad" {
			t.Fatalf("dead letters = %+v, want the bad message", dead)
		}
		if want := "attempt 3 of 3: flow step 7: no such node"; dead[0].LastError != want {
			t.Errorf("dead letter reason = %q, want %q", dead[0].LastError, want)
		}
		if snap := counters.Snapshot(); snap.Dead != 1 || snap.Retried != 2 {
			t.Errorf("counters = %+v, want 1 dead, 2 retried", snap)
		}
	})
}

// A handler that panics on one event does not stop the others and does not
// lose the event; the log holds no personal data.
func TestServerRecoversPanics(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := memory.New()
		rec := newRecorder()
		var panics atomic.Int64
		rec.next = chat.HandlerFunc(func(ctx context.Context, _ chat.Replier, m *chat.Message) error {
			switch m.ID {
			case "wamid.once":
				if panics.Add(1) == 1 {
					panic("cannot parse " + m.Text) // a careless panic quoting the person
				}
			case "wamid.always":
				var fields []string
				_ = fields[len(m.Text)] // index out of range: a runtime error
			}
			return nil
		})
		var logs logBuffer
		var counters chat.Counters
		srv, err := chat.NewServer(store, rec, chat.WithMetrics(&counters), chat.WithLogger(newTestLogger(&logs)),
			chat.WithWorkers(2), chat.WithRetry(chat.RetryPolicy{MaxAttempts: 2, Initial: time.Second}))
		if err != nil {
			t.Fatal(err)
		}
		stop := runServer(t, srv)
		now := time.Now()
		var batch []chat.Event
		for i := range 10 {
			batch = append(batch, textEvent(contactN(100+i), fmt.Sprintf("wamid.ok%d", i), "fine", now))
		}
		batch = append(batch,
			textEvent(contactN(1), "wamid.once", "my address is 12 Rue Haute", now),
			textEvent(contactN(2), "wamid.always", "my address is 12 Rue Haute", now))
		if err := srv.Accept(t.Context(), batch); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if err := stop(); err != nil {
			t.Fatalf("Run = %v after panics", err)
		}
		handled := rec.handled()
		if len(handled) != 11 {
			t.Errorf("handled %d messages %v, want the 10 others and the one that panicked once", len(handled), handled)
		}
		dead, err := store.Inbox().DeadLetters(t.Context(), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(dead) != 1 || !strings.Contains(dead[0].LastError, "handler panicked: runtime error: index out of range") {
			t.Errorf("dead letters = %+v, want the always-panicking message with a readable reason", dead)
		}
		out := logs.String()
		if !strings.Contains(out, "handler panicked") {
			t.Errorf("the panic was not logged:\n%s", out)
		}
		for _, secret := range []string{"Rue Haute", contactN(1), contactN(2)} {
			if strings.Contains(out, secret) {
				t.Errorf("log holds personal data %q:\n%s", secret, out)
			}
		}
	})
}

func TestServerRecordsLastInboundAndReplies(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := memory.New()
		sender := &fakeSender{}
		h := chat.HandlerFunc(func(ctx context.Context, r chat.Replier, m *chat.Message) error {
			if r.Address() != m.From {
				return fmt.Errorf("replier bound to %v, want %v", r.Address(), m.From)
			}
			if _, err := r.Reply(ctx, chat.Text{Body: "Welcome"}); err != nil {
				return err
			}
			_, err := r.Reply(chat.WithIntent(ctx, chat.Intent{Purpose: chat.PurposeFeedback}), chat.Choices{
				Body: "Was this useful?", Options: []chat.Option{{ID: "y", Title: "Yes"}, {ID: "n", Title: "No"}},
			})
			return err
		})
		srv, err := chat.NewServer(store, h, chat.WithSender(sender))
		if err != nil {
			t.Fatal(err)
		}
		stop := runServer(t, srv)
		sentAt := time.Now().Add(-time.Minute)
		ev := textEvent(contactN(1), "wamid.in", "hi", sentAt)
		ev.Message.ProfileName = "Amira"
		if err := srv.Accept(t.Context(), []chat.Event{ev}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()

		ctx := t.Context()
		c, err := store.Contacts().Get(ctx, storage.ContactRef{Channel: "whatsapp", Identifier: contactN(1)})
		if err != nil {
			t.Fatalf("contact not recorded: %v", err)
		}
		if !c.LastInboundAt.Equal(sentAt) {
			t.Errorf("LastInboundAt = %v, want the message time %v", c.LastInboundAt, sentAt)
		}
		if c.Name != "" {
			t.Errorf("contact name %q stored before consent", c.Name)
		}
		last, err := chat.ContactWindow{Contacts: store.Contacts()}.LastInbound(ctx, addr(contactN(1)))
		if err != nil || !last.Equal(sentAt) {
			t.Errorf("ContactWindow.LastInbound = %v, %v; want %v", last, err, sentAt)
		}

		sent := sender.replies()
		if len(sent) != 2 {
			t.Fatalf("sent %d replies, want 2", len(sent))
		}
		m1, err := store.Messages().Get(ctx, sent[0].ID)
		if err != nil {
			t.Fatalf("reply not recorded: %v", err)
		}
		if m1.Direction != storage.Outbound || m1.Kind != "text" || m1.Body != "Welcome" || m1.Purpose != "core" {
			t.Errorf("recorded reply = %+v", m1)
		}
		m2, err := store.Messages().Get(ctx, sent[1].ID)
		if err != nil {
			t.Fatalf("reply not recorded: %v", err)
		}
		if m2.Kind != "choices" || m2.Body != "Was this useful?\n1. Yes\n2. No" || m2.Purpose != "feedback" {
			t.Errorf("recorded reply = %+v", m2)
		}
		if _, err := store.Messages().Get(ctx, "wamid.in"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("the inbound message was recorded without RecordInbound (err %v)", err)
		}

		// Statuses move the reply forward and never back; an unknown id is fine.
		now := time.Now()
		for _, ev := range []chat.Event{
			statusEvent(contactN(1), sent[0].ID, chat.StatusRead, now),
			statusEvent(contactN(1), sent[0].ID, chat.StatusDelivered, now),
			statusEvent(contactN(1), "wamid.unknown", chat.StatusSent, now),
		} {
			if err := srv.Accept(ctx, []chat.Event{ev}); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
		}
		_ = stop()
		m1, _ = store.Messages().Get(ctx, sent[0].ID)
		if m1.Status != storage.DeliveryRead {
			t.Errorf("status = %q, want read (a late delivered must not regress it)", m1.Status)
		}
		// The statuses of a recorded reply were recorded by Accept itself;
		// only the message and the status of an unknown id (its reply not
		// in the log yet) went through the inbox.
		if st, _ := store.Inbox().Stats(ctx); st.Done != 2 || st.Dead != 0 || st.Pending != 0 {
			t.Errorf("inbox = %+v, want the message and the unknown status done", st)
		}
	})
}

func TestServerReplyWithoutSender(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var got error
		h := chat.HandlerFunc(func(ctx context.Context, r chat.Replier, m *chat.Message) error {
			_, got = r.Reply(ctx, chat.Text{Body: "hi"})
			return nil
		})
		srv, err := chat.NewServer(memory.New(), h)
		if err != nil {
			t.Fatal(err)
		}
		stop := runServer(t, srv)
		_ = srv.Accept(t.Context(), []chat.Event{textEvent(contactN(1), "wamid.1", "hi", time.Now())})
		synctest.Wait()
		_ = stop()
		if !errors.Is(got, chat.ErrNoSender) {
			t.Errorf("Reply = %v, want ErrNoSender", got)
		}
	})
}

func TestServerCustomStatusHandler(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var states []chat.StatusState
		sh := chat.StatusHandlerFunc(func(ctx context.Context, s *chat.Status) error {
			states = append(states, s.State)
			return nil
		})
		srv, err := chat.NewServer(memory.New(), newRecorder(), chat.WithStatusHandler(sh))
		if err != nil {
			t.Fatal(err)
		}
		stop := runServer(t, srv)
		now := time.Now()
		_ = srv.Accept(t.Context(), []chat.Event{
			statusEvent(contactN(1), "wamid.o", chat.StatusSent, now),
			statusEvent(contactN(1), "wamid.o", chat.StatusDelivered, now),
		})
		synctest.Wait()
		_ = stop()
		if len(states) != 2 || states[0] != chat.StatusSent || states[1] != chat.StatusDelivered {
			t.Errorf("status handler saw %v, want sent then delivered", states)
		}
	})
}

func TestServerExtendsLeaseOfLongHandler(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := memory.New()
		rec := newRecorder()
		rec.next = chat.HandlerFunc(func(ctx context.Context, _ chat.Replier, m *chat.Message) error {
			time.Sleep(10 * time.Second) // ten leases
			return ctx.Err()
		})
		opts := []chat.ServerOption{chat.WithLease(time.Second), chat.WithPollInterval(100 * time.Millisecond)}
		a, err := chat.NewServer(store, rec, append(opts, chat.WithOwner("a"))...)
		if err != nil {
			t.Fatal(err)
		}
		b, err := chat.NewServer(store, rec, append(opts, chat.WithOwner("b"))...)
		if err != nil {
			t.Fatal(err)
		}
		stopA := runServer(t, a)
		stopB := runServer(t, b)
		if err := a.Accept(t.Context(), []chat.Event{textEvent(contactN(1), "wamid.slow", "hi", time.Now())}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(15 * time.Second)
		synctest.Wait()
		_, _ = stopA(), stopB()
		if n := rec.overlaps.Load(); n != 0 {
			t.Errorf("the event was claimed by the other replica while its handler ran")
		}
		if got := rec.handled(); len(got) != 1 {
			t.Errorf("handled %v, want once", got)
		}
	})
}

// Cancelling Run's context lets a handler in flight finish within the drain
// timeout; the event is acked, not left for a retry.
func TestServerDrainsOnCancel(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := memory.New()
		rec := newRecorder()
		started := make(chan struct{})
		rec.next = chat.HandlerFunc(func(ctx context.Context, _ chat.Replier, m *chat.Message) error {
			close(started)
			time.Sleep(3 * time.Second)
			return ctx.Err()
		})
		srv, err := chat.NewServer(store, rec, chat.WithDrainTimeout(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		stop := runServer(t, srv)
		_ = srv.Accept(t.Context(), []chat.Event{textEvent(contactN(1), "wamid.1", "hi", time.Now())})
		<-started
		begin := time.Now()
		// Accepted after the stop: stored, and left for the next run.
		if err := stop(); err != nil {
			t.Fatalf("Run = %v, want nil after a clean drain", err)
		}
		if took := time.Since(begin); took != 3*time.Second {
			t.Errorf("Run returned %v after cancellation, want when the handler finished (3s)", took)
		}
		if err := srv.Accept(t.Context(), []chat.Event{textEvent(contactN(1), "wamid.2", "hi", time.Now())}); err != nil {
			t.Fatal(err)
		}
		if got := rec.handled(); len(got) != 1 {
			t.Errorf("handled %v, want the one in flight", got)
		}
		st, _ := store.Inbox().Stats(t.Context())
		if st.Done != 1 || st.Pending != 1 || st.Leased != 0 {
			t.Errorf("inbox = %+v, want one done and one pending", st)
		}
	})
}

// A handler still running at the drain deadline has its context cancelled;
// its event is released at once and handled by the next Server.
func TestServerReleasesUnfinishedAtDeadline(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := memory.New()
		started := make(chan struct{}, 1)
		slow := chat.HandlerFunc(func(ctx context.Context, _ chat.Replier, m *chat.Message) error {
			started <- struct{}{}
			<-ctx.Done()
			return ctx.Err()
		})
		srv, err := chat.NewServer(store, slow)
		if err != nil {
			t.Fatal(err)
		}
		stop := runServer(t, srv)
		_ = srv.Accept(t.Context(), []chat.Event{textEvent(contactN(1), "wamid.1", "hi", time.Now())})
		<-started

		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Shutdown = %v, want the deadline", err)
		}
		if err := stop(); err != nil {
			t.Errorf("Run = %v, want nil: the handler returned after cancellation", err)
		}
		st, _ := store.Inbox().Stats(t.Context())
		if st.Pending != 1 || st.Leased != 0 {
			t.Fatalf("inbox = %+v, want the event released", st)
		}

		rec := newRecorder()
		next, err := chat.NewServer(store, rec)
		if err != nil {
			t.Fatal(err)
		}
		stopNext := runServer(t, next)
		synctest.Wait()
		_ = stopNext()
		if got := rec.handled(); len(got) != 1 {
			t.Errorf("next server handled %v, want the released event", got)
		}
	})
}

// A process that dies while handling leaves its event leased; once the lease
// ends another Server handles it, exactly once. The dead process is played by
// a handler that ignores cancellation and never finishes.
func TestServerRecoversEventsOfDeadProcess(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := memory.New()
		wedged := make(chan struct{})
		released := make(chan struct{})
		dead := chat.HandlerFunc(func(ctx context.Context, _ chat.Replier, m *chat.Message) error {
			if m.ID == "wamid.2" {
				close(wedged)
				<-released
				return errors.New("the process died")
			}
			return nil
		})
		a, err := chat.NewServer(store, dead, chat.WithLease(5*time.Second), chat.WithDrainTimeout(0), chat.WithWorkers(1))
		if err != nil {
			t.Fatal(err)
		}
		stopA := runServer(t, a)
		now := time.Now()
		var events []chat.Event
		for i := 1; i <= 4; i++ {
			events = append(events, textEvent(contactN(1), fmt.Sprintf("wamid.%d", i), "hi", now))
		}
		if err := a.Accept(t.Context(), events); err != nil {
			t.Fatal(err)
		}
		<-wedged
		if err := stopA(); err == nil || !strings.Contains(err.Error(), "still running") {
			t.Errorf("Run = %v, want an error naming the handler that did not return", err)
		}

		rec := newRecorder()
		b, err := chat.NewServer(store, rec, chat.WithLease(5*time.Second), chat.WithPollInterval(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		stopB := runServer(t, b)
		synctest.Wait()
		if n := rec.count(); n != 0 {
			t.Fatalf("handled %d events while the dead process still held the lease", n)
		}
		time.Sleep(6 * time.Second)
		synctest.Wait()
		close(released) // the dead handler's late failure must change nothing
		synctest.Wait()
		_ = stopB()
		if got := strings.Join(rec.handled(), ","); got != "wamid.2,wamid.3,wamid.4" {
			t.Errorf("handled %s after the lease ended, want 2,3,4 once each in order", got)
		}
		if st, _ := store.Inbox().Stats(t.Context()); st.Done != 4 {
			t.Errorf("inbox = %+v, want all four done", st)
		}
	})
}

func TestServerRunsOnce(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv, err := chat.NewServer(memory.New(), newRecorder())
		if err != nil {
			t.Fatal(err)
		}
		stop := runServer(t, srv)
		synctest.Wait()
		if err := srv.Run(t.Context()); !errors.Is(err, chat.ErrServerStarted) {
			t.Errorf("second Run = %v, want ErrServerStarted", err)
		}
		if err := srv.Shutdown(t.Context()); err != nil {
			t.Errorf("Shutdown = %v", err)
		}
		if err := stop(); err != nil {
			t.Errorf("Run = %v", err)
		}
	})
}

func TestServerShutdownBeforeRun(t *testing.T) {
	t.Parallel()
	srv, err := chat.NewServer(memory.New(), newRecorder())
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := srv.Run(t.Context()); err != nil {
		t.Errorf("Run after Shutdown = %v, want nil at once", err)
	}
}

func TestServerStopsWhenStoreCloses(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := memory.New()
		srv, err := chat.NewServer(store, newRecorder())
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- srv.Run(context.Background()) }()
		synctest.Wait()
		_ = store.Close()
		time.Sleep(time.Second)
		if err := <-done; !errors.Is(err, storage.ErrClosed) {
			t.Errorf("Run = %v, want ErrClosed", err)
		}
	})
}

func TestNewServerRejectsBadOptions(t *testing.T) {
	t.Parallel()
	store := memory.New()
	tests := []struct {
		name  string
		opt   chat.ServerOption
		field string
	}{
		{"workers", chat.WithWorkers(0), "workers"},
		{"batch", chat.WithClaimBatch(-1), "claim batch"},
		{"lease", chat.WithLease(time.Millisecond), "lease"},
		{"poll", chat.WithPollInterval(0), "poll interval"},
		{"drain", chat.WithDrainTimeout(-time.Second), "drain timeout"},
		{"owner", chat.WithOwner(""), "owner"},
		{"sender", chat.WithSender(nil), "sender"},
		{"status", chat.WithStatusHandler(nil), "status handler"},
		{"clock", chat.WithClock(nil), "clock"},
		{"logger", chat.WithLogger(nil), "logger"},
		{"metrics", chat.WithMetrics(nil), "metrics"},
		{"retention", chat.WithRetention(time.Hour), "retention"},
		{"attempts", chat.WithRetry(chat.RetryPolicy{MaxAttempts: -1}), "retry.max_attempts"},
		{"max below initial", chat.WithRetry(chat.RetryPolicy{Initial: time.Minute, Max: time.Second}), "retry.max"},
		{"multiplier", chat.WithRetry(chat.RetryPolicy{Multiplier: 0.5}), "retry.multiplier"},
		{"jitter", chat.WithRetry(chat.RetryPolicy{Jitter: 1}), "retry.jitter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := chat.NewServer(store, newRecorder(), tt.opt)
			var fe *chat.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || !errors.Is(err, chat.ErrInvalid) {
				t.Errorf("NewServer = %v, want a FieldError for %q", err, tt.field)
			}
		})
	}
	if _, err := chat.NewServer(nil, newRecorder()); !errors.Is(err, chat.ErrInvalid) {
		t.Errorf("nil store: %v", err)
	}
	if _, err := chat.NewServer(store, nil); !errors.Is(err, chat.ErrInvalid) {
		t.Errorf("nil handler: %v", err)
	}
	srv, err := chat.NewServer(store, newRecorder(), chat.WithOwner("replica-1"))
	if err != nil || srv.Owner() != "replica-1" {
		t.Errorf("WithOwner: %v, %v", srv, err)
	}
}

func TestRetryPolicyDelay(t *testing.T) {
	t.Parallel()
	p := chat.RetryPolicy{MaxAttempts: 10, Initial: time.Second, Max: 10 * time.Second, Multiplier: 2}
	for attempt, want := range map[int]time.Duration{0: time.Second, 1: time.Second, 2: 2 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 500: 10 * time.Second} {
		if got := p.Delay(attempt); got != want {
			t.Errorf("Delay(%d) = %v, want %v", attempt, got, want)
		}
	}
	p.Jitter = 0.2
	for range 1000 {
		if d := p.Delay(3); d < 3200*time.Millisecond || d > 4800*time.Millisecond {
			t.Fatalf("Delay(3) with 20%% jitter = %v, want within 4s ± 20%%", d)
		}
	}
	if d := chat.DefaultRetryPolicy(); d.MaxAttempts != 10 || d.Jitter != 0.2 {
		t.Errorf("DefaultRetryPolicy = %+v", d)
	}
}

// A failure a retry cannot cure is dead-lettered at once.
func TestServerDeadLettersPermanentFailuresAtOnce(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := memory.New()
		var calls atomic.Int64
		h := chat.HandlerFunc(func(ctx context.Context, r chat.Replier, m *chat.Message) error {
			calls.Add(1)
			switch m.ID {
			case "wamid.perm":
				return chat.Permanent(errors.New("flow definition is broken"))
			case "wamid.invalid":
				_, err := r.Reply(ctx, chat.Text{Body: " "}) // fails validation in the sender
				return err
			}
			return nil
		})
		snd := chat.SenderFunc(func(ctx context.Context, to chat.Address, m chat.Outgoing) (chat.SendResult, error) {
			if err := m.Validate(); err != nil {
				return chat.SendResult{}, err
			}
			return chat.SendResult{MessageID: "wamid.o"}, nil
		})
		srv, err := chat.NewServer(store, h, chat.WithSender(snd))
		if err != nil {
			t.Fatal(err)
		}
		stop := runServer(t, srv)
		now := time.Now()
		_ = srv.Accept(t.Context(), []chat.Event{
			textEvent(contactN(1), "wamid.perm", "a", now),
			textEvent(contactN(2), "wamid.invalid", "b", now),
		})
		synctest.Wait()
		_ = stop()
		if calls.Load() != 2 {
			t.Errorf("handler called %d times, want once per message", calls.Load())
		}
		dead, _ := store.Inbox().DeadLetters(t.Context(), 10)
		if len(dead) != 2 {
			t.Fatalf("dead letters = %+v, want both", dead)
		}
		for _, d := range dead {
			if !strings.Contains(d.LastError, "attempt 1, not retried: ") {
				t.Errorf("reason = %q", d.LastError)
			}
		}
		if chat.Permanent(nil) != nil {
			t.Error("Permanent(nil) != nil")
		}
	})
}

// A running Server forgets the keys of events handled longer ago than the
// retention, so the inbox does not grow for ever.
func TestServerPurgesOldKeys(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := memory.New()
		var counters chat.Counters
		srv, err := chat.NewServer(store, newRecorder(), chat.WithMetrics(&counters),
			chat.WithRetention(7*24*time.Hour), chat.WithPollInterval(time.Hour), chat.WithLease(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		stop := runServer(t, srv)
		ev := textEvent(contactN(1), "wamid.old", "hi", time.Now())
		if err := srv.Accept(t.Context(), []chat.Event{ev}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(6 * 24 * time.Hour)
		synctest.Wait()
		if err := srv.Accept(t.Context(), []chat.Event{ev}); err != nil {
			t.Fatal(err)
		}
		if s := counters.Snapshot(); s.Duplicate != 1 {
			t.Errorf("after 6 days: %+v, want the redelivery recognised", s)
		}
		time.Sleep(2 * 24 * time.Hour)
		synctest.Wait()
		st, _ := store.Inbox().Stats(t.Context())
		_ = stop()
		if st.Done != 0 {
			t.Errorf("after 8 days the inbox still keeps %d keys, want them purged", st.Done)
		}
	})
}
