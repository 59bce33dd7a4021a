package chat_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/memory"
)

func TestContactWindow(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := memory.New()
	w := chat.ContactWindow{Contacts: store.Contacts()}
	got, err := w.LastInbound(ctx, addr(contactN(9)))
	if err != nil || !got.IsZero() {
		t.Errorf("unknown person: %v, %v; want the zero time (window closed)", got, err)
	}
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	if _, err := store.Contacts().Touch(ctx, storage.ContactRef{Channel: "whatsapp", Identifier: contactN(9)}, at); err != nil {
		t.Fatal(err)
	}
	got, err = w.LastInbound(ctx, addr(contactN(9)))
	if err != nil || !got.Equal(at) {
		t.Errorf("LastInbound = %v, %v; want %v", got, err, at)
	}
	if _, err := (chat.ContactWindow{}).LastInbound(ctx, addr(contactN(9))); err == nil {
		t.Error("a ContactWindow without Contacts answered")
	}
	_ = store.Close()
	if _, err := w.LastInbound(ctx, addr(contactN(9))); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("closed store: %v, want ErrClosed", err)
	}
}

type noGetContacts struct{ storage.Contacts }

func (noGetContacts) Get(context.Context, storage.ContactRef) (storage.Contact, error) {
	return storage.Contact{}, errInjected
}

type noGetStore struct{ storage.Store }

func (s noGetStore) Contacts() storage.Contacts { return noGetContacts{s.Store.Contacts()} }

// While the Server handles a message, the window of its sender comes from
// the handler's context, with no read of the store.
func TestContactWindowDuringHandling(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := noGetStore{memory.New()}
		w := chat.ContactWindow{Contacts: store.Contacts()}
		var same, other error
		var last time.Time
		snd := chat.SenderFunc(func(ctx context.Context, to chat.Address, m chat.Outgoing) (chat.SendResult, error) {
			last, same = w.LastInbound(ctx, to)
			_, other = w.LastInbound(ctx, addr(contactN(2)))
			return chat.SendResult{MessageID: "wamid.o"}, nil
		})
		h := chat.HandlerFunc(func(ctx context.Context, r chat.Replier, m *chat.Message) error {
			_, err := r.Reply(ctx, chat.Text{Body: "hi"})
			return err
		})
		srv, err := chat.NewServer(store, h, chat.WithSender(snd))
		if err != nil {
			t.Fatal(err)
		}
		stop := runServer(t, srv)
		at := time.Now().Add(-time.Hour)
		_ = srv.Accept(t.Context(), []chat.Event{textEvent(contactN(1), "wamid.1", "hi", at)})
		synctest.Wait()
		_ = stop()
		if same != nil || !last.Equal(at) {
			t.Errorf("LastInbound of the person handled = %v, %v; want %v from the context", last, same, at)
		}
		if !errors.Is(other, errInjected) {
			t.Errorf("LastInbound of someone else = %v, want a read of the store", other)
		}
	})
}
