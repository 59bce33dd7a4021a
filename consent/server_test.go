package consent_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/consent"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/memory"
)

// TestWithTheRuntime runs the Gate and the Guard inside chat.Server, which
// touches the contact before the chain runs and records every reply: a
// person who declines must still leave only the ledger's minimum, and what a
// person who agreed writes is recorded only after the Gate.
func TestWithTheRuntime(t *testing.T) {
	t.Parallel()
	store := memory.New()
	defer store.Close()
	notices := loadNotices(t, "testdata/notices")
	svc, err := consent.New(store, notices)
	if err != nil {
		t.Fatal(err)
	}
	channel := &recorder{}
	handled := make(chan struct{}, 16)
	flows := chat.HandlerFunc(func(ctx context.Context, r chat.Replier, m *chat.Message) error {
		_, err := r.Reply(ctx, chat.Text{Body: "answer"})
		return err
	})
	signal := func(next chat.Handler) chat.Handler {
		return chat.HandlerFunc(func(ctx context.Context, r chat.Replier, m *chat.Message) error {
			defer func() { handled <- struct{}{} }()
			return next.Handle(ctx, r, m)
		})
	}
	h := chat.Chain(flows, signal, svc.Gate, chat.RecordInbound(store.Messages()))
	srv, err := chat.NewServer(store, h, chat.WithSender(svc.Guard(channel)), chat.WithPollInterval(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() { _ = srv.Run(ctx) }()

	declines, agrees := addr("15550100001"), addr("15550100002")
	n := 0
	deliver := func(m *chat.Message) {
		t.Helper()
		n++
		m.ID = "wamid.in" + string(rune('a'+n))
		m.Time = time.Now()
		if err := srv.Accept(ctx, []chat.Event{{Message: m}}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-handled:
		case <-time.After(30 * time.Second):
			t.Fatal("the message was not handled")
		}
	}
	deliver(&chat.Message{From: declines, Kind: chat.KindText, Text: "my husband hurts me", ProfileName: "Amal"})
	deliver(&chat.Message{From: declines, Kind: chat.KindChoice, Choice: consent.ChoiceDecline})
	deliver(&chat.Message{From: agrees, Kind: chat.KindText, Text: "hello"})
	deliver(&chat.Message{From: agrees, Kind: chat.KindChoice, Choice: consent.ChoiceAccept})
	deliver(&chat.Message{From: agrees, Kind: chat.KindText, Text: "where is the office"})
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}

	ref := refOf(declines)
	if _, err := store.Contacts().Get(ctx, ref); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the person who declined has a contact record: %v", err)
	}
	if msgs, _ := store.Messages().History(ctx, ref, 10); len(msgs) != 0 {
		t.Errorf("the person who declined has %d messages stored", len(msgs))
	}
	st, found, err := svc.State(ctx, ref)
	if err != nil || !found || st.Purposes["core"].State != string(consent.StateDeclined) {
		t.Errorf("declined state = %+v %v", st, err)
	}
	msgs, err := store.Messages().History(ctx, refOf(agrees), 10)
	if err != nil {
		t.Fatal(err)
	}
	var in []string
	for _, m := range msgs {
		if m.Direction == storage.Inbound {
			in = append(in, m.Body)
		}
	}
	if strings.Join(in, "|") != "consent.accept|where is the office" && !strings.Contains(strings.Join(in, "|"), "where is the office") {
		t.Errorf("inbound recorded for the person who agreed: %q", in)
	}
	if strings.Contains(strings.Join(in, "|"), "hello") {
		t.Errorf("a message sent before agreeing was recorded: %q", in)
	}
}
