package sqlite_test

import (
	"errors"
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage"
)

// A person's keyed subject (and so their data key and every record that
// names them) is derived from the channel and identifier joined by a
// colon. Two refs that join alike, one with a colon in its channel, would
// share everything: the second would read the first person's name and
// messages, and erasing either would erase both. A channel with a colon
// is refused, as the memory store refuses it.
func TestChannelWithAColonIsRefused(t *testing.T) {
	t.Parallel()
	st := openTemp(t)
	ctx := t.Context()
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	a := storage.ContactRef{Channel: "whatsapp:line2", Identifier: "4915100000001"}
	b := storage.ContactRef{Channel: "whatsapp", Identifier: "line2:4915100000001"}
	if _, err := st.Contacts().Touch(ctx, a, at); !errors.Is(err, storage.ErrInvalid) {
		t.Fatalf("Touch with a colon in the channel: %v; want ErrInvalid", err)
	}
	if err := st.Messages().Record(ctx, storage.MessageRecord{ID: "wamid.a1", Contact: a, Direction: storage.Inbound,
		Kind: "text", Body: "a's private message", At: at}); !errors.Is(err, storage.ErrInvalid) {
		t.Fatalf("Record with a colon in the channel: %v; want ErrInvalid", err)
	}
	if _, err := st.Contacts().Touch(ctx, b, at); err != nil {
		t.Fatalf("a colon in the identifier: %v", err)
	}
	if h, err := st.Messages().History(ctx, b, 0); err != nil || len(h) != 0 {
		t.Fatalf("History(b) = %d messages, %v; want none", len(h), err)
	}
}
