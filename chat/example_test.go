package chat_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/impactchat/impactchat/chat"
)

// A handler answers the person through the Replier it is given; middleware
// wraps it, first outermost.
func ExampleChain() {
	menu := chat.HandlerFunc(func(ctx context.Context, r chat.Replier, m *chat.Message) error {
		_, err := r.Reply(ctx, chat.Choices{
			Body: "How can we help?",
			Options: []chat.Option{
				{ID: "offices", Title: "Office locations"},
				{ID: "asylum", Title: "Asylum procedure"},
				{ID: "staff", Title: "Talk to a person"},
			},
		})
		return err
	})
	logging := func(next chat.Handler) chat.Handler {
		return chat.HandlerFunc(func(ctx context.Context, r chat.Replier, m *chat.Message) error {
			fmt.Println("handling", m.Kind, "message", m.ID)
			return next.Handle(ctx, r, m)
		})
	}

	to := chat.Address{Channel: chat.ChannelWhatsApp, Line: "106540352242922", Contact: "16505551234"}
	phone := chat.ReplierFunc(to, func(_ context.Context, m chat.Outgoing) (chat.SendResult, error) {
		c := m.(chat.Choices)
		fmt.Println(c.Body)
		for i, o := range c.Options {
			fmt.Printf("%d. %s\n", i+1, o.Title)
		}
		return chat.SendResult{MessageID: "wamid.out1"}, nil
	})

	h := chat.Chain(menu, logging)
	_ = h.Handle(context.Background(), phone, &chat.Message{ID: "wamid.in1", From: to, Kind: chat.KindText, Text: "hello"})
	// Output:
	// handling text message wamid.in1
	// How can we help?
	// 1. Office locations
	// 2. Asylum procedure
	// 3. Talk to a person
}

// Validation names the field that is wrong.
func ExampleChoices_Validate() {
	c := chat.Choices{Body: "Which city?", Options: []chat.Option{
		{ID: "quito", Title: "Quito"},
		{ID: "quito", Title: "Guayaquil"},
	}}
	fmt.Println(c.Validate())
	// Output: choices.options[1].id repeats option id "quito" of options[0]
}

// Statuses arrive out of order; Supersedes says whether one may replace another.
func ExampleStatusState_Supersedes() {
	fmt.Println(chat.StatusSent.Supersedes(chat.StatusRead))
	fmt.Println(chat.StatusRead.Supersedes(chat.StatusDelivered))
	// Output:
	// false
	// true
}

// An Address never prints the person's number.
func ExampleAddress_String() {
	a := chat.Address{Channel: "whatsapp", Line: "106540352242922", Contact: "16505551234"}
	fmt.Println(a)
	fmt.Println(strings.Contains(a.String(), "6505551234"))
	// Output:
	// whatsapp/106540352242922/***34
	// false
}

// Sends carry their intent in the context; a consent guard reads it.
func ExampleWithIntent() {
	ctx := chat.WithIntent(context.Background(), chat.Intent{Exemption: chat.ExemptSafety})
	in := chat.IntentFrom(ctx)
	fmt.Println(in.Purpose, in.Exemption)
	// Output: core safety
}
