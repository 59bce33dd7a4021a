package chat_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/memory"
)

// statusFailingMessages fails every status update while fail is set.
type statusFailingMessages struct {
	storage.Messages
	fail bool
}

func (f *statusFailingMessages) UpdateStatus(ctx context.Context, id string, d storage.Delivery, at time.Time, code int) (bool, error) {
	if f.fail {
		return false, errors.New("disk I/O error")
	}
	return f.Messages.UpdateStatus(ctx, id, d, at, code)
}

type messagesStore struct {
	storage.Store
	msgs *statusFailingMessages
}

func (s messagesStore) Messages() storage.Messages { return s.msgs }

func TestAcceptRecordsStatusesItself(t *testing.T) {
	ctx := context.Background()
	base := memory.New()
	msgs := &statusFailingMessages{Messages: base.Messages()}
	store := messagesStore{Store: base, msgs: msgs}
	now := time.Now()
	if err := base.Messages().Record(ctx, storage.MessageRecord{
		ID: "wamid.out", Contact: storage.ContactRef{Channel: chat.ChannelWhatsApp, Identifier: contactN(1)},
		Direction: storage.Outbound, Kind: "text", Body: "Welcome", At: now,
	}); err != nil {
		t.Fatal(err)
	}
	var counters chat.Counters
	srv, err := chat.NewServer(store, chat.HandlerFunc(func(context.Context, chat.Replier, *chat.Message) error { return nil }),
		chat.WithMetrics(&counters))
	if err != nil {
		t.Fatal(err)
	}

	// Not running: what Accept does alone.
	if err := srv.Accept(ctx, []chat.Event{statusEvent(contactN(1), "wamid.out", chat.StatusDelivered, now)}); err != nil {
		t.Fatal(err)
	}
	m, err := base.Messages().Get(ctx, "wamid.out")
	if err != nil || m.Status != storage.DeliveryDelivered {
		t.Fatalf("after Accept: status %q, %v; want delivered at once", m.Status, err)
	}
	if st, _ := base.Inbox().Stats(ctx); st != (storage.InboxStats{}) {
		t.Fatalf("inbox %+v; a recorded status needs no inbox item", st)
	}
	if c := counters.Snapshot(); c.Accepted != 1 || c.Handled != 1 {
		t.Fatalf("counters %+v; want the status accepted and handled", c)
	}

	// The same status again, and an older one: nothing moves back.
	for _, st := range []chat.StatusState{chat.StatusDelivered, chat.StatusSent} {
		if err := srv.Accept(ctx, []chat.Event{statusEvent(contactN(1), "wamid.out", st, now)}); err != nil {
			t.Fatal(err)
		}
	}
	if m, _ := base.Messages().Get(ctx, "wamid.out"); m.Status != storage.DeliveryDelivered {
		t.Fatalf("status %q after a repeat and an older one; want delivered", m.Status)
	}

	// A status whose reply is not in the log yet waits in the inbox.
	if err := srv.Accept(ctx, []chat.Event{statusEvent(contactN(1), "wamid.later", chat.StatusSent, now)}); err != nil {
		t.Fatal(err)
	}
	if st, _ := base.Inbox().Stats(ctx); st.Pending != 1 {
		t.Fatalf("inbox %+v; want the status of an unknown message pending", st)
	}

	// Several statuses in one delivery are recorded side by side.
	if err := base.Messages().Record(ctx, storage.MessageRecord{
		ID: "wamid.out2", Contact: storage.ContactRef{Channel: chat.ChannelWhatsApp, Identifier: contactN(2)},
		Direction: storage.Outbound, Kind: "text", Body: "Menu", At: now,
	}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Accept(ctx, []chat.Event{
		statusEvent(contactN(2), "wamid.out2", chat.StatusSent, now),
		statusEvent(contactN(1), "wamid.out", chat.StatusRead, now),
		statusEvent(contactN(3), "wamid.later2", chat.StatusSent, now),
	}); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]storage.Delivery{"wamid.out2": storage.DeliverySent, "wamid.out": storage.DeliveryRead} {
		if m, _ := base.Messages().Get(ctx, id); m.Status != want {
			t.Fatalf("%s: status %q; want %q", id, m.Status, want)
		}
	}
	if st, _ := base.Inbox().Stats(ctx); st.Pending != 2 {
		t.Fatalf("inbox %+v; want the two statuses of unknown messages pending", st)
	}

	// A failing store fails Accept (the webhook answers 503 and Meta
	// delivers again), with the message of the same delivery kept.
	msgs.fail = true
	err = srv.Accept(ctx, []chat.Event{
		textEvent(contactN(2), "wamid.in", "hello", now),
		statusEvent(contactN(1), "wamid.out", chat.StatusRead, now),
	})
	if err == nil {
		t.Fatal("Accept succeeded while statuses could not be recorded")
	}
	msgs.fail = false
	if err := srv.Accept(ctx, []chat.Event{
		textEvent(contactN(2), "wamid.in", "hello", now),
		statusEvent(contactN(1), "wamid.out", chat.StatusRead, now),
	}); err != nil {
		t.Fatal(err)
	}
	if m, _ := base.Messages().Get(ctx, "wamid.out"); m.Status != storage.DeliveryRead {
		t.Fatalf("status %q after the delivery came again; want read", m.Status)
	}
	if st, _ := base.Inbox().Stats(ctx); st.Pending != 3 {
		t.Fatalf("inbox %+v; want the two unknown statuses and the message (once) pending", st)
	}
}

func TestAcceptQueuesStatusesForACustomHandler(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	srv, err := chat.NewServer(store, chat.HandlerFunc(func(context.Context, chat.Replier, *chat.Message) error { return nil }),
		chat.WithStatusHandler(chat.StatusHandlerFunc(func(context.Context, *chat.Status) error { return nil })))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Accept(ctx, []chat.Event{statusEvent(contactN(1), "wamid.out", chat.StatusSent, time.Now())}); err != nil {
		t.Fatal(err)
	}
	if st, _ := store.Inbox().Stats(ctx); st.Pending != 1 {
		t.Fatalf("inbox %+v; a custom status handler gets its statuses through the inbox", st)
	}
}

func TestHandlersGetTheContactTheServerRecorded(t *testing.T) {
	store := memory.New()
	at := time.Now().Add(-time.Minute).Truncate(time.Second)
	type seen struct {
		c            storage.Contact
		ok, otherRef bool
	}
	got := make(chan seen, 1)
	h := chat.HandlerFunc(func(ctx context.Context, r chat.Replier, m *chat.Message) error {
		ref := storage.ContactRef{Channel: m.From.Channel, Identifier: m.From.Contact}
		c, ok := chat.ContactFrom(ctx, ref)
		_, other := chat.ContactFrom(ctx, storage.ContactRef{Channel: m.From.Channel, Identifier: contactN(9)})
		got <- seen{c, ok, other}
		return nil
	})
	srv, err := chat.NewServer(store, h)
	if err != nil {
		t.Fatal(err)
	}
	stop := runServer(t, srv)
	defer stop()
	if err := srv.Accept(context.Background(), []chat.Event{textEvent(contactN(1), "wamid.1", "hi", at)}); err != nil {
		t.Fatal(err)
	}
	s := <-got
	if !s.ok || s.c.ID == "" || s.c.Ref.Identifier != contactN(1) || !s.c.LastInboundAt.Equal(at) {
		t.Fatalf("ContactFrom = %+v, %v; want the contact with the message's time", s.c, s.ok)
	}
	if s.otherRef {
		t.Fatal("ContactFrom answered for someone else")
	}
	if _, ok := chat.ContactFrom(context.Background(), s.c.Ref); ok {
		t.Fatal("ContactFrom answered outside a handler")
	}
}

// relaxedSpy records whether the writes it sees are marked relaxed.
type relaxedSpy struct {
	storage.Store
	mu    sync.Mutex
	touch []bool
	puts  []bool
}

type spyContacts struct {
	storage.Contacts
	s *relaxedSpy
}

func (c spyContacts) Touch(ctx context.Context, ref storage.ContactRef, at time.Time) (storage.Contact, error) {
	c.s.mu.Lock()
	c.s.touch = append(c.s.touch, storage.RelaxedWrites(ctx))
	c.s.mu.Unlock()
	return c.Contacts.Touch(ctx, ref, at)
}

type spyInbox struct {
	storage.Inbox
	s *relaxedSpy
}

func (i spyInbox) Put(ctx context.Context, items []storage.InboxItem, now time.Time) (storage.PutResult, error) {
	i.s.mu.Lock()
	i.s.puts = append(i.s.puts, storage.RelaxedWrites(ctx))
	i.s.mu.Unlock()
	return i.Inbox.Put(ctx, items, now)
}

func (s *relaxedSpy) Contacts() storage.Contacts { return spyContacts{s.Store.Contacts(), s} }
func (s *relaxedSpy) Inbox() storage.Inbox       { return spyInbox{s.Store.Inbox(), s} }

func TestHandlersWriteRelaxedAcceptDoesNot(t *testing.T) {
	spy := &relaxedSpy{Store: memory.New()}
	relaxed := make(chan bool, 1)
	srv, err := chat.NewServer(spy, chat.HandlerFunc(func(ctx context.Context, r chat.Replier, m *chat.Message) error {
		relaxed <- storage.RelaxedWrites(ctx)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	stop := runServer(t, srv)
	defer stop()
	if err := srv.Accept(context.Background(), []chat.Event{textEvent(contactN(1), "wamid.1", "hi", time.Now())}); err != nil {
		t.Fatal(err)
	}
	if !<-relaxed {
		t.Fatal("the handler's context does not mark its writes relaxed")
	}
	spy.mu.Lock()
	defer spy.mu.Unlock()
	if len(spy.puts) != 1 || spy.puts[0] {
		t.Fatalf("Accept's puts relaxed = %v; a webhook's events must be durable before it answers", spy.puts)
	}
	if len(spy.touch) != 1 || !spy.touch[0] {
		t.Fatalf("Touch relaxed = %v; want the handling's writes relaxed", spy.touch)
	}
}
