package chat_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage/memory"
)

// whatsapp.Channel sends a long text as several messages; when a part
// after the first fails it returns the first part's result together with a
// *whatsapp.PartialSendError. The person has that message: the Replier
// records it, so that its delivery statuses find it.
func TestPartlySentReplyIsRecorded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := memory.New()
		errPartial := errors.New("whatsapp: channel: part 2 of 2 failed (1 sent): rate limited")
		sender := chat.SenderFunc(func(ctx context.Context, to chat.Address, m chat.Outgoing) (chat.SendResult, error) {
			// What Channel.Send returns when part 2 of 2 fails.
			return chat.SendResult{MessageID: "wamid.out.part1", Time: time.Now()}, errPartial
		})
		h := chat.HandlerFunc(func(ctx context.Context, r chat.Replier, m *chat.Message) error {
			if _, err := r.Reply(ctx, chat.Text{Body: "A long answer"}); err != nil {
				// Not retried: the person has part of it (see handler docs).
				return nil
			}
			return nil
		})
		srv, err := chat.NewServer(store, h, chat.WithSender(sender))
		if err != nil {
			t.Fatal(err)
		}
		stop := runServer(t, srv)
		if err := srv.Accept(t.Context(), []chat.Event{textEvent(contactN(1), "wamid.in", "hi", time.Now())}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		_ = stop()
		if _, err := store.Messages().Get(t.Context(), "wamid.out.part1"); err != nil {
			t.Errorf("the first part, delivered to the person, is not in storage.Messages: %v", err)
		}
	})
}

// A reply the channel accepted as the drain deadline passed (the handler's
// context is cancelled between the send and its record) is recorded all
// the same: the person has the message, and its statuses must find it.
func TestReplySentAtTheDrainDeadlineIsRecorded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := memory.New()
		sending := make(chan struct{})
		sender := chat.SenderFunc(func(ctx context.Context, to chat.Address, m chat.Outgoing) (chat.SendResult, error) {
			close(sending)
			// The request is with Meta; its answer comes as the deadline passes.
			<-ctx.Done()
			return chat.SendResult{MessageID: "wamid.out.1", Time: time.Now()}, nil
		})
		h := chat.HandlerFunc(func(ctx context.Context, r chat.Replier, m *chat.Message) error {
			_, err := r.Reply(ctx, chat.Text{Body: "Welcome"})
			return err
		})
		srv, err := chat.NewServer(store, h, chat.WithSender(sender))
		if err != nil {
			t.Fatal(err)
		}
		stop := runServer(t, srv)
		if err := srv.Accept(t.Context(), []chat.Event{textEvent(contactN(1), "wamid.in", "hi", time.Now())}); err != nil {
			t.Fatal(err)
		}
		<-sending
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		_ = stop()
		if _, err := store.Messages().Get(t.Context(), "wamid.out.1"); err != nil {
			t.Errorf("the reply Send reported sent is not in storage.Messages: %v", err)
		}
	})
}
