package triage_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/memory"
	"github.com/impactchat/impactchat/triage"
)

// The seed lexicons tell an urgent message from an opt-out and from a
// message that only looks alarming.
func ExampleLexicon_Match() {
	lex, err := triage.LoadLexicon(triage.SeedLexicons())
	if err != nil {
		panic(err)
	}
	for _, msg := range []string{"STOP", "stop, he is hitting me", "I can't stop crying", "والاغتصاب", "vou me matar"} {
		rules := lex.Match(msg, nil)
		if len(rules) == 0 {
			fmt.Printf("%-24q nothing\n", msg)
			continue
		}
		fmt.Printf("%-24q %s %s\n", msg, rules[0].Category, rules[0].Priority)
	}
	// Output:
	// "STOP"                   opt_out routine
	// "stop, he is hitting me" violence urgent
	// "I can't stop crying"    nothing
	// "والاغتصاب"              sexual_violence urgent
	// "vou me matar"           self_harm critical
}

// A mistake in a lexicon file is reported with its file and line.
func ExampleLoadLexiconBytes() {
	_, err := triage.LoadLexiconBytes("fr/violence.yaml", []byte(`format: 1
language: fr
category: violence
status: seed
entries:
  - me frappe
  - text: vi
    mode: fragment
`))
	fmt.Println(err)
	// Output: fr/violence.yaml:7: fragment entry "vi" is 2 characters after normalisation; fragments need at least 3
}

// The screen answers an urgent message with the safety acknowledgement,
// opens an urgent ticket and pages on-call, even for a person who has not
// consented: urgent always reaches a person.
func ExampleScreen() {
	ctx := context.Background()
	store := memory.New()
	night := time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC) // 22:00 in Quito
	loc := time.FixedZone("ECT", -5*3600)
	hours, _ := triage.NewBusinessHours(loc, triage.Weekdays, "09:00", "17:00")
	queue, _ := triage.NewQueue(store.Tickets(),
		triage.WithSchedule(hours),
		triage.WithClock(func() time.Time { return night }),
		triage.WithNotifier(triage.NotifierFunc(func(_ context.Context, e triage.Event) error {
			fmt.Println("page:", e.Target, e.Priority, "ticket id set:", e.TicketID != "")
			return nil
		})))
	lex, _ := triage.LoadLexicon(triage.SeedLexicons())
	screen, err := triage.NewScreen(triage.ScreenConfig{
		Lexicon: lex,
		Queue:   queue,
		Replies: triage.Replies{
			Default:    "en",
			Safety:     map[string]string{"en": "A staff member has been alerted. In immediate danger, call 911."},
			Queued:     map[string]string{"en": "A staff member will read your message."},
			OutOfHours: map[string]string{"en": "We are closed; expect an answer by {due}. In an emergency, call 911."},
		},
	})
	if err != nil {
		panic(err)
	}
	consent := chat.HandlerFunc(func(context.Context, chat.Replier, *chat.Message) error {
		fmt.Println("consent saw the message")
		return nil
	})
	h := chat.Chain(consent, screen.Middleware)

	from := chat.Address{Channel: chat.ChannelWhatsApp, Line: "106540352242922", Contact: "593991234567"}
	phone := chat.ReplierFunc(from, func(ctx context.Context, m chat.Outgoing) (chat.SendResult, error) {
		fmt.Printf("reply (%s): %s\n", chat.IntentFrom(ctx).Exemption, m.(chat.Text).Body)
		return chat.SendResult{}, nil
	})
	_ = h.Handle(ctx, phone, &chat.Message{ID: "wamid.1", From: from, Kind: chat.KindText, Text: "STOP he is hitting me"})

	it, _ := queue.Active(ctx, storage.ContactRef{Channel: from.Channel, Identifier: from.Contact})
	fmt.Println("ticket:", it.Priority, it.Ticket.Queue, it.Ticket.Category)
	// Output:
	// page: oncall urgent ticket id set: true
	// reply (safety): A staff member has been alerted. In immediate danger, call 911.
	// ticket: urgent protection violence
}

// Staff pull the next conversation rather than browse: the critical one
// comes first, whatever arrived before it.
func ExampleQueue_Next() {
	ctx := context.Background()
	store := memory.New()
	queue, _ := triage.NewQueue(store.Tickets(), triage.WithAudit(store.Audit()))
	for i, p := range []triage.Priority{triage.Routine, triage.Elevated, triage.Critical, triage.Routine} {
		ref := storage.ContactRef{Channel: "whatsapp", Identifier: fmt.Sprintf("59399000000%d", i)}
		_, _, _ = queue.Enqueue(ctx, triage.Request{Contact: ref, Priority: p})
	}
	for {
		it, err := queue.Next(ctx, "officer-1")
		if errors.Is(err, triage.ErrEmpty) {
			break
		}
		fmt.Println(it.Priority)
	}
	// Output:
	// critical
	// elevated
	// routine
	// routine
}

// Business-hours arithmetic: eight working hours from Friday 16:00 end on
// Monday at 16:00.
func ExampleBusinessHours_Add() {
	loc := time.FixedZone("ECT", -5*3600)
	hours, _ := triage.NewBusinessHours(loc, triage.Weekdays, "09:00", "17:00", "2026-12-25")
	fri := time.Date(2026, 11, 20, 16, 0, 0, 0, loc)
	fmt.Println(hours.Add(fri, 8*time.Hour).Format("Mon 15:04"))
	fmt.Println(hours.Open(time.Date(2026, 12, 25, 10, 0, 0, 0, loc)))
	// Output:
	// Mon 16:00
	// false
}

// Routes are tried in order; the first that matches decides. A message no
// route takes goes to a person.
func ExampleRouter() {
	ctx := context.Background()
	store := memory.New()
	queue, _ := triage.NewQueue(store.Tickets())
	flow := chat.HandlerFunc(func(ctx context.Context, r chat.Replier, m *chat.Message) error {
		_, err := r.Reply(ctx, chat.Text{Body: "1. Offices 2. Asylum 3. Talk to a person"})
		return err
	})
	router, err := triage.NewRouter(triage.RouterConfig{
		Queue: queue,
		Replies: triage.Replies{
			Default:    "en",
			Safety:     map[string]string{"en": "A staff member has been alerted. In immediate danger, call 911."},
			Queued:     map[string]string{"en": "A staff member will read your message."},
			OutOfHours: map[string]string{"en": "We are closed; expect an answer by {due}."},
		},
		Language: triage.ContactLanguage(store.Contacts()),
		Routes: []triage.Route{
			{Name: "menu", When: triage.Command("menu", "0"), Then: triage.Handle(flow)},
			{Name: "offices", When: triage.Keyword("office", "oficina"), Then: triage.Answer(map[string]string{
				"en": "Our office is at Av. Amazonas 123, weekdays 9 to 5.",
			})},
			{Name: "legal", When: triage.Choice("legal_aid"), Then: triage.Human("legal", triage.Routine)},
		},
	})
	if err != nil {
		panic(err)
	}
	from := chat.Address{Channel: chat.ChannelWhatsApp, Line: "106540352242922", Contact: "593991234567"}
	phone := chat.ReplierFunc(from, func(_ context.Context, m chat.Outgoing) (chat.SendResult, error) {
		fmt.Println("->", m.(chat.Text).Body)
		return chat.SendResult{}, nil
	})
	for _, text := range []string{"MENU", "where is the office?", "my landlord keeps my deposit"} {
		fmt.Println(text)
		_ = router.Handle(ctx, phone, &chat.Message{ID: "wamid." + text, From: from, Kind: chat.KindText, Text: text})
	}
	// Output:
	// MENU
	// -> 1. Offices 2. Asylum 3. Talk to a person
	// where is the office?
	// -> Our office is at Av. Amazonas 123, weekdays 9 to 5.
	// my landlord keeps my deposit
	// -> A staff member will read your message.
}
