package consent_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/consent"
	"github.com/impactchat/impactchat/storage/memory"
)

// printer is a channel that prints what it is asked to send.
var printer = chat.SenderFunc(func(ctx context.Context, to chat.Address, m chat.Outgoing) (chat.SendResult, error) {
	in := chat.IntentFrom(ctx)
	label := string(in.Purpose)
	if in.Exemption != chat.ExemptNone {
		label = string(in.Exemption)
	}
	switch m := m.(type) {
	case chat.Choices:
		var titles []string
		for _, o := range m.Options {
			titles = append(titles, o.Title)
		}
		fmt.Printf("[%s] %s… %v\n", label, strings.SplitN(m.Body, "\n", 2)[0], titles)
	case chat.Text:
		fmt.Printf("[%s] %s\n", label, strings.SplitN(m.Body, "\n", 2)[0])
	}
	return chat.SendResult{MessageID: "wamid.out"}, nil
})

func ExampleService_Gate() {
	notices, err := consent.LoadNotices("../examples/notices", "en")
	if err != nil {
		fmt.Println(err)
		return
	}
	svc, err := consent.New(memory.New(), notices)
	if err != nil {
		fmt.Println(err)
		return
	}
	flows := chat.HandlerFunc(func(ctx context.Context, r chat.Replier, m *chat.Message) error {
		fmt.Println("flows get:", m.Text+m.Choice)
		return nil
	})
	h := chat.Chain(flows, svc.Gate)

	person := chat.Address{Channel: chat.ChannelWhatsApp, Line: "106540352242922", Contact: "16505551234"}
	r := chat.SenderReplier(svc.Guard(printer), person)
	ctx := context.Background()
	for _, m := range []*chat.Message{
		{ID: "wamid.1", From: person, Kind: chat.KindText, Text: "Where can I register?"},
		{ID: "wamid.2", From: person, Kind: chat.KindChoice, Choice: consent.ChoiceAccept},
		{ID: "wamid.3", From: person, Kind: chat.KindText, Text: "Where can I register?"},
		{ID: "wamid.4", From: person, Kind: chat.KindText, Text: "Stop"},
	} {
		if err := h.Handle(ctx, r, m); err != nil {
			fmt.Println(err)
		}
	}
	// Output:
	// [notice] This is the Example Help Line. Before we answer, here is what happens to your messages.… [I agree No thanks Listen]
	// [core] Thank you. You can write STOP at any time to stop, or RECEIPT to see what you agreed to.
	// flows get: consent.accept
	// flows get: Where can I register?
	// [withdrawal_confirmation] You have stopped. We will not send you any more messages. To delete your data, write DELETE. To start again, write to us at any time.
}

func ExampleService_Guard() {
	notices, err := consent.LoadNotices("../examples/notices", "en")
	if err != nil {
		fmt.Println(err)
		return
	}
	svc, err := consent.New(memory.New(), notices)
	if err != nil {
		fmt.Println(err)
		return
	}
	line := svc.Guard(printer)
	person := chat.Address{Channel: chat.ChannelWhatsApp, Line: "106540352242922", Contact: "16505551234"}

	// a reminder to someone who never agreed to reminders
	ctx := chat.WithIntent(context.Background(), chat.Intent{Purpose: chat.PurposeFollowUp})
	_, err = line.Send(ctx, person, chat.Text{Body: "Your appointment is tomorrow"})
	var refusal *consent.Refusal
	fmt.Println(errors.Is(err, consent.ErrNotPermitted), errors.As(err, &refusal))
	fmt.Println(err)

	// a safety acknowledgement always goes out, and is recorded under vital interest
	ctx = chat.WithIntent(context.Background(), chat.Intent{Exemption: chat.ExemptSafety})
	_, err = line.Send(ctx, person, chat.Text{Body: "We have seen your message. If you are in danger, call 112."})
	fmt.Println(err)
	// Output:
	// true true
	// consent: text message for purpose "followup" refused: consent is not given
	// [safety] We have seen your message. If you are in danger, call 112.
	// <nil>
}

func ExampleKeywords_Match() {
	kw := consent.DefaultKeywords()
	for _, text := range []string{"stop", "  Delete my DATA ", "ARRÊT", "احذف", "stop he is hitting me"} {
		k, ok := kw.Match(text)
		fmt.Printf("%q → %v %s %v\n", text, ok, k.Action, k.Languages)
	}
	// Output:
	// "stop" → true withdraw [en fr]
	// "  Delete my DATA " → true erase [en]
	// "ARRÊT" → true withdraw [fr]
	// "احذف" → true erase [ar]
	// "stop he is hitting me" → false  []
}

func ExampleParseNotice() {
	_, err := consent.ParseNotice("sw.yaml", []byte(`language: sw
version: "2026-03"
material: true
policy_url: https://help.example.org/privacy/sw
body: Kabla hatujajibu...
buttons:
  accept: Ninakubali masharti yote
  decline: Hapana
`))
	fmt.Println(err)
	// Output:
	// sw.yaml:7: buttons.accept is 24 characters; WhatsApp allows 20
}

func ExampleService_Export() {
	notices, _ := consent.LoadNotices("../examples/notices", "en")
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	svc, _ := consent.New(memory.New(), notices, consent.WithClock(func() time.Time { return now }))
	person := chat.Address{Channel: chat.ChannelWhatsApp, Line: "106540352242922", Contact: "16505551234"}
	h := svc.Gate(nil)
	r := chat.SenderReplier(svc.Guard(chat.SenderFunc(func(context.Context, chat.Address, chat.Outgoing) (chat.SendResult, error) {
		return chat.SendResult{MessageID: "wamid.out"}, nil
	})), person)
	_ = h.Handle(context.Background(), r, &chat.Message{ID: "wamid.1", From: person, Kind: chat.KindText, Text: "hi"})
	_ = h.Handle(context.Background(), r, &chat.Message{ID: "wamid.2", From: person, Kind: chat.KindChoice, Choice: consent.ChoiceAccept})

	// staff, after checking who asks, export what the line holds
	x, err := svc.Export(context.Background(), consent.ContactOf(person), consent.Request{Actor: consent.StaffActor("dpo"), Method: "staff:console"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(x.Summary)
	for _, e := range x.Consent.Events {
		fmt.Println(e.Type, e.Method)
	}
	// Output:
	// On 2026-11-22 we hold 0 messages and 0 conversations with staff about you. You have agreed to: answering your questions and referring you to staff.
	// notice_presented whatsapp:notice
	// granted whatsapp:button:consent.accept
}
