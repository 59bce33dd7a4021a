package consent_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/consent"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/memory"
)

// A person declines the notice and, before the runtime has handled the
// decline, writes again: "he is beating me, help". The decline's clean-up
// (dropResidue) erases what the runtime kept of the person, and an erasure
// drops the person's inbox items still to be handled: it must wait until
// the later message has been through the screening in front of the Gate
// (C2, T12, N4: an urgent message is never swallowed), and then happen.
func TestDeclineKeepsLaterMessages(t *testing.T) {
	store := memory.New()
	defer store.Close()
	svc, err := consent.New(store, loadNotices(t, "testdata/notices"))
	if err != nil {
		t.Fatal(err)
	}
	channel := &recorder{}
	var mu sync.Mutex
	var screened []string // what urgent screening in front of the Gate saw
	handled := make(chan string, 16)
	screen := func(next chat.Handler) chat.Handler {
		return chat.HandlerFunc(func(ctx context.Context, r chat.Replier, m *chat.Message) error {
			body := m.Text + m.Choice
			mu.Lock()
			screened = append(screened, body)
			mu.Unlock()
			defer func() { handled <- body }()
			return next.Handle(ctx, r, m)
		})
	}
	flows := chat.HandlerFunc(func(ctx context.Context, r chat.Replier, m *chat.Message) error { return nil })
	h := chat.Chain(flows, screen, svc.Gate)
	srv, err := chat.NewServer(store, h, chat.WithSender(svc.Guard(channel)), chat.WithPollInterval(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() { _ = srv.Run(ctx) }()

	who := addr("15550100001")
	wait := func(want string) {
		t.Helper()
		for {
			select {
			case got := <-handled:
				if got == want {
					return
				}
			case <-time.After(5 * time.Second):
				mu.Lock()
				defer mu.Unlock()
				t.Fatalf("%q was never handled; screened: %q", want, screened)
			}
		}
	}
	now := time.Now()
	if err := srv.Accept(ctx, []chat.Event{{Message: &chat.Message{ID: "wamid.in1", From: who, Kind: chat.KindText, Text: "hello", Time: now}}}); err != nil {
		t.Fatal(err)
	}
	wait("hello")
	// the decline and the next message arrive in one webhook delivery
	if err := srv.Accept(ctx, []chat.Event{
		{Message: &chat.Message{ID: "wamid.in2", From: who, Kind: chat.KindChoice, Choice: consent.ChoiceDecline, Time: now.Add(time.Second)}},
		{Message: &chat.Message{ID: "wamid.in3", From: who, Kind: chat.KindText, Text: "he is beating me, help", Time: now.Add(2 * time.Second)}},
	}); err != nil {
		t.Fatal(err)
	}
	wait(consent.ChoiceDecline)
	select {
	case <-handled:
	case <-time.After(2 * time.Second):
	}
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(screened, "he is beating me, help") {
		t.Errorf("the message sent after declining was dropped unseen; screened: %q", screened)
	}
	// Once it was handled, the residue went: no contact is left.
	if _, err := store.Contacts().Get(t.Context(), refOf(who)); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("contact of the person who declined, after their last message: %v; want ErrNotFound", err)
	}
}
