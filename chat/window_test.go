package chat_test

import (
	"errors"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/memory"
)

func TestContactWindow(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := memory.New()
	w := chat.ContactWindow{Contacts: store.Contacts()}
	got, err := w.LastInbound(ctx, addr(contactN(9)))
	if err != nil || !got.IsZero() {
		t.Errorf("unknown person: %v, %v; want the zero time (window closed)", got, err)
	}
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	if _, err := store.Contacts().Touch(ctx, storage.ContactRef{Channel: "whatsapp", Identifier: contactN(9)}, at); err != nil {
		t.Fatal(err)
	}
	got, err = w.LastInbound(ctx, addr(contactN(9)))
	if err != nil || !got.Equal(at) {
		t.Errorf("LastInbound = %v, %v; want %v", got, err, at)
	}
	if _, err := (chat.ContactWindow{}).LastInbound(ctx, addr(contactN(9))); err == nil {
		t.Error("a ContactWindow without Contacts answered")
	}
	_ = store.Close()
	if _, err := w.LastInbound(ctx, addr(contactN(9))); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("closed store: %v, want ErrClosed", err)
	}
}
