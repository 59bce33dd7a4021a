package chat_test

import (
	"context"
	"fmt"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage/memory"
)

// A Server takes the events a webhook delivers, keeps them in the store's
// inbox, and hands each message to the handler chain with a Replier bound
// to the person. Replies go out through the Sender and are recorded, so that
// their delivery statuses find them.
func ExampleServer() {
	store := memory.New()
	defer store.Close()

	// The Sender would be a whatsapp.Channel; this one hands what it sends
	// to the example, which prints it once Accept has returned (the reply
	// may well be on its way before that).
	sent := make(chan string, 1)
	phone := chat.SenderFunc(func(ctx context.Context, to chat.Address, m chat.Outgoing) (chat.SendResult, error) {
		sent <- fmt.Sprintf("to %v: %s", to, chat.OutgoingText(m))
		return chat.SendResult{MessageID: "wamid.reply1"}, nil
	})

	done := make(chan struct{})
	echo := chat.HandlerFunc(func(ctx context.Context, r chat.Replier, m *chat.Message) error {
		defer close(done)
		_, err := r.Reply(ctx, chat.Text{Body: "You wrote: " + m.Text})
		return err
	})

	srv, err := chat.NewServer(store, echo, chat.WithSender(phone))
	if err != nil {
		fmt.Println(err)
		return
	}
	go func() { _ = srv.Run(context.Background()) }()

	// What the webhook calls once it has verified a delivery.
	from := chat.Address{Channel: chat.ChannelWhatsApp, Line: "106540352242922", Contact: "16505551234"}
	err = srv.Accept(context.Background(), []chat.Event{{Message: &chat.Message{
		ID: "wamid.in1", From: from, Time: time.Now(), Kind: chat.KindText, Text: "hello",
	}}})
	fmt.Println("accepted:", err == nil)
	fmt.Println(<-sent)

	<-done
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		fmt.Println(err)
	}
	rec, err := store.Messages().Get(ctx, "wamid.reply1")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("recorded:", rec.Direction, rec.Body)
	// Output:
	// accepted: true
	// to whatsapp/106540352242922/***34: You wrote: hello
	// recorded: out You wrote: hello
}

// RecordInbound keeps what people write in the conversation log. It goes
// after the consent gate, so that only the messages of people who agreed are
// kept.
func ExampleRecordInbound() {
	store := memory.New()
	defer store.Close()

	// A stand-in for consent.Gate: it stops messages of people who have not agreed.
	agreed := map[string]bool{"16505551234": true}
	gate := func(next chat.Handler) chat.Handler {
		return chat.HandlerFunc(func(ctx context.Context, r chat.Replier, m *chat.Message) error {
			if !agreed[m.From.Contact] {
				return nil
			}
			return next.Handle(ctx, r, m)
		})
	}
	h := chat.Chain(nil, gate, chat.RecordInbound(store.Messages()))

	ctx := context.Background()
	for _, contact := range []string{"16505551234", "16505559876"} {
		from := chat.Address{Channel: chat.ChannelWhatsApp, Line: "106540352242922", Contact: contact}
		m := &chat.Message{ID: "wamid." + contact, From: from, Kind: chat.KindText, Text: "hello", Time: time.Now()}
		_ = h.Handle(ctx, chat.ReplierFunc(from, nil), m)
	}
	_, err1 := store.Messages().Get(ctx, "wamid.16505551234")
	_, err2 := store.Messages().Get(ctx, "wamid.16505559876")
	fmt.Println("agreed, kept:", err1 == nil)
	fmt.Println("not agreed, kept:", err2 == nil)
	// Output:
	// agreed, kept: true
	// not agreed, kept: false
}
