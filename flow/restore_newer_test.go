package flow_test

import (
	"context"
	"errors"
	"testing"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
)

// When the first step of a new person fails to send, the runner takes back
// the session that step saved, but only that one: if a second message of
// the same person (another worker, or Runner.Start from the staff console)
// stepped and saved in between, its session stays, and the person's next
// answer is not taken against a fresh start.
func TestRestoreKeepsANewerSession(t *testing.T) {
	f := newFixture(t, nil)
	other := &phone{}
	first := true
	failing := chat.ReplierFunc(person, func(ctx context.Context, m chat.Outgoing) (chat.SendResult, error) {
		if first {
			first = false
			// Meanwhile, the person's next message is handled elsewhere.
			if err := f.runner.Handle(ctx, other.replier(), &chat.Message{ID: "wamid.b", From: person, Time: f.now, Kind: chat.KindText, Text: "hello"}); err != nil {
				t.Fatal(err)
			}
		}
		return chat.SendResult{}, errors.New("channel down")
	})
	if err := f.runner.Handle(t.Context(), failing, &chat.Message{ID: "wamid.a", From: person, Time: f.now, Kind: chat.KindText, Text: "hi"}); err == nil {
		t.Fatal("want the send error")
	}
	if len(other.sent) == 0 {
		t.Fatal("the concurrent message was not answered")
	}
	if _, err := f.store.Sessions().Get(t.Context(), ref, f.now); errors.Is(err, storage.ErrNotFound) {
		t.Fatal("the session saved (and answered) by the concurrent message was deleted by the failed step's restore")
	}
}
