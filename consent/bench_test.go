package consent_test

import (
	"context"
	"testing"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/consent"
)

func consentedEnv(b *testing.B) (*env, chat.Address) {
	e := newEnv(b)
	who := addr("15550001111")
	e.agree(who)
	return e, who
}

// BenchmarkGateConsented is the Gate's hot path: a message from a person who
// has agreed, passed on to the next handler.
func BenchmarkGateConsented(b *testing.B) {
	e, who := consentedEnv(b)
	next := chat.HandlerFunc(func(context.Context, chat.Replier, *chat.Message) error { return nil })
	h := e.svc.Gate(next)
	r := chat.SenderReplier(e.svc.Guard(e.channel), who)
	m := &chat.Message{ID: "wamid.x", From: who, Time: t0, Kind: chat.KindText, Text: "Where is the office in Athens?"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := h.Handle(ctx, r, m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGuardConsented is the Guard's check on a send to a person who has
// agreed (the channel is a no-op).
func BenchmarkGuardConsented(b *testing.B) {
	e, who := consentedEnv(b)
	g := e.svc.Guard(chat.SenderFunc(func(context.Context, chat.Address, chat.Outgoing) (chat.SendResult, error) {
		return chat.SendResult{}, nil
	}))
	ctx := chat.WithIntent(context.Background(), chat.Intent{Purpose: chat.PurposeCore})
	m := chat.Text{Body: "The office is open 9 to 5."}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Send(ctx, who, m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkKeywordsMatch is the control-word lookup done on every message.
func BenchmarkKeywordsMatch(b *testing.B) {
	kw := consent.DefaultKeywords()
	b.ReportAllocs()
	for b.Loop() {
		kw.Match("Where is the office in Athens?")
	}
}

// BenchmarkGateConsentedSQLite is the Gate's hot path on the embedded SQLite
// store: one consent-state read per message.
func BenchmarkGateConsentedSQLite(b *testing.B) {
	e, _, _ := newSQLiteEnv(b)
	who := addr("15550001111")
	e.agree(who)
	next := chat.HandlerFunc(func(context.Context, chat.Replier, *chat.Message) error { return nil })
	h := e.svc.Gate(next)
	r := chat.SenderReplier(e.svc.Guard(e.channel), who)
	m := &chat.Message{ID: "wamid.x", From: who, Time: t0, Kind: chat.KindText, Text: "Where is the office in Athens?"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := h.Handle(ctx, r, m); err != nil {
			b.Fatal(err)
		}
	}
}
