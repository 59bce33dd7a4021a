package chat_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage/memory"
)

// Meta retries a failed delivery for up to seven days, so a person's older
// message can be accepted and handled after a newer one (an operator's
// Requeue of a dead letter does the same). While the older one is handled,
// ContactWindow answers with the person's latest message time, which the
// store holds and Touch returned, not that message's own: a reply is not
// refused outside a window that is in fact open.
func TestWindowWhileAnOlderMessageIsHandled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := memory.New()
		w := chat.ContactWindow{Contacts: store.Contacts()}
		var mu sync.Mutex
		seen := map[string]time.Time{}
		snd := chat.SenderFunc(func(ctx context.Context, to chat.Address, m chat.Outgoing) (chat.SendResult, error) {
			last, err := w.LastInbound(ctx, to)
			if err != nil {
				return chat.SendResult{}, err
			}
			mu.Lock()
			seen[m.(chat.Text).Body] = last
			mu.Unlock()
			return chat.SendResult{MessageID: "wamid.o." + m.(chat.Text).Body}, nil
		})
		h := chat.HandlerFunc(func(ctx context.Context, r chat.Replier, m *chat.Message) error {
			_, err := r.Reply(ctx, chat.Text{Body: m.ID})
			return err
		})
		srv, err := chat.NewServer(store, h, chat.WithSender(snd))
		if err != nil {
			t.Fatal(err)
		}
		stop := runServer(t, srv)
		now := time.Now()
		recent := now.Add(-time.Hour)
		old := now.Add(-30 * time.Hour)
		if err := srv.Accept(t.Context(), []chat.Event{textEvent(contactN(1), "wamid.recent", "hi", recent)}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		// The older message's delivery, retried by Meta.
		if err := srv.Accept(t.Context(), []chat.Event{textEvent(contactN(1), "wamid.old", "hello", old)}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		_ = stop()
		c, _ := chat.ContactWindow{Contacts: store.Contacts()}.LastInbound(t.Context(), addr(contactN(1)))
		mu.Lock()
		defer mu.Unlock()
		if got := seen["wamid.old"]; got.Before(recent) {
			t.Errorf("while handling the older message, LastInbound = %v (30h ago: window closed); the person last wrote %v (1h ago, stored: %v)",
				got.Sub(now), recent.Sub(now), c.Sub(now))
		}
	})
}
