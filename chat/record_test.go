package chat_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/memory"
)

func TestRecordInbound(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := memory.New()
	calls := 0
	next := chat.HandlerFunc(func(ctx context.Context, r chat.Replier, m *chat.Message) error {
		calls++
		return nil
	})
	h := chat.Chain(next, chat.RecordInbound(store.Messages()))
	at := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	m := &chat.Message{ID: "wamid.in1", From: addr(contactN(1)), Time: at, Kind: chat.KindText, Text: "Where is the office?"}
	r := chat.ReplierFunc(m.From, nil)
	for range 2 { // the second time is a retry of the same message
		if err := h.Handle(ctx, r, m); err != nil {
			t.Fatalf("Handle: %v", err)
		}
	}
	if calls != 2 {
		t.Errorf("next called %d times, want 2", calls)
	}
	got, err := store.Messages().Get(ctx, "wamid.in1")
	if err != nil {
		t.Fatal(err)
	}
	want := storage.MessageRecord{
		ID: "wamid.in1", Contact: storage.ContactRef{Channel: "whatsapp", Identifier: contactN(1)},
		Direction: storage.Inbound, Kind: "text", Body: "Where is the office?", At: at,
	}
	if got.ID != want.ID || got.Contact != want.Contact || got.Direction != want.Direction ||
		got.Kind != want.Kind || got.Body != want.Body || !got.At.Equal(want.At) {
		t.Errorf("recorded %+v, want %+v", got, want)
	}
}

type failingMessages struct{ storage.Messages }

func (failingMessages) Record(context.Context, storage.MessageRecord) error { return errInjected }

func TestRecordInboundFailureStopsTheChain(t *testing.T) {
	t.Parallel()
	called := false
	next := chat.HandlerFunc(func(context.Context, chat.Replier, *chat.Message) error { called = true; return nil })
	h := chat.RecordInbound(failingMessages{})(next)
	m := &chat.Message{ID: "wamid.x", From: addr(contactN(1)), Kind: chat.KindText, Text: "hi"}
	err := h.Handle(t.Context(), chat.ReplierFunc(m.From, nil), m)
	if !errors.Is(err, errInjected) {
		t.Errorf("Handle = %v, want the store's error so that the message is retried", err)
	}
	if called {
		t.Error("the chain went on without the record")
	}
}

func TestRecordStatus(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := memory.New()
	ref := storage.ContactRef{Channel: "whatsapp", Identifier: contactN(1)}
	if err := store.Messages().Record(ctx, storage.MessageRecord{ID: "wamid.o", Contact: ref, Direction: storage.Outbound, Kind: "text", Body: "x", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	sh := chat.RecordStatus(store.Messages())
	now := time.Now()
	steps := []struct {
		state chat.StatusState
		err   *chat.StatusError
		want  storage.Delivery
	}{
		{chat.StatusDelivered, nil, storage.DeliveryDelivered},
		{chat.StatusSent, nil, storage.DeliveryDelivered}, // late: no regression
		{chat.StatusFailed, &chat.StatusError{Code: 131026}, storage.DeliveryFailed},
		{chat.StatusRead, nil, storage.DeliveryFailed}, // failed is final
	}
	for i, s := range steps {
		if err := sh.HandleStatus(ctx, &chat.Status{MessageID: "wamid.o", To: addr(contactN(1)), State: s.state, Time: now, Error: s.err}); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		got, _ := store.Messages().Get(ctx, "wamid.o")
		if got.Status != s.want {
			t.Errorf("step %d (%s): status %q, want %q", i, s.state, got.Status, s.want)
		}
	}
	if got, _ := store.Messages().Get(ctx, "wamid.o"); got.ErrorCode != 131026 {
		t.Errorf("error code = %d, want 131026", got.ErrorCode)
	}
	if err := sh.HandleStatus(ctx, &chat.Status{MessageID: "wamid.none", To: addr(contactN(1)), State: chat.StatusRead, Time: now}); err != nil {
		t.Errorf("status of an unknown message = %v, want nil", err)
	}
}

func TestInboundText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		m    chat.Message
		want string
	}{
		{"text", chat.Message{Kind: chat.KindText, Text: "hello"}, "hello"},
		{"choice", chat.Message{Kind: chat.KindChoice, Text: "Yes", Choice: "y"}, "Yes"},
		{"image with caption", chat.Message{Kind: chat.KindImage, Text: "my card", Attachment: &chat.Attachment{ID: "1"}}, "[image] my card"},
		{"document", chat.Message{Kind: chat.KindDocument, Attachment: &chat.Attachment{ID: "1", Filename: "letter.pdf"}}, "[document letter.pdf]"},
		{"voice", chat.Message{Kind: chat.KindAudio, Attachment: &chat.Attachment{ID: "1", Voice: true}}, "[audio]"},
		{"location", chat.Message{Kind: chat.KindLocation, Location: &chat.Location{Latitude: -0.18, Longitude: -78.47, Name: "Centro"}}, "[location -0.18,-78.47] Centro"},
		{"reaction", chat.Message{Kind: chat.KindReaction, Text: "👍"}, "[reaction] 👍"},
		{"unknown", chat.Message{Kind: chat.KindUnknown}, "[unknown]"},
		{"no kind", chat.Message{}, "[unknown]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := chat.InboundText(&tt.m); got != tt.want {
				t.Errorf("InboundText = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestOutgoingText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		m    chat.Outgoing
		want string
	}{
		{"text", chat.Text{Body: "Welcome"}, "Welcome"},
		{"choices", chat.Choices{Body: "Pick", Options: []chat.Option{{ID: "a", Title: "A"}, {ID: "b", Title: "B"}}}, "Pick\n1. A\n2. B"},
		{"media", chat.Media{Kind: chat.MediaImage, ID: "9", Caption: "Map"}, "[image] Map"},
		{"document", chat.Media{Kind: chat.MediaDocument, URL: "https://example.org/f.pdf", Filename: "f.pdf"}, "[document f.pdf]"},
		{"template", chat.Template{Name: "appointment", Language: "ar", Body: []chat.Param{{Value: "Tue"}, {Value: "10:00"}}}, "[template appointment ar] Tue | 10:00"},
		{"location", chat.Location{Latitude: 1.5, Longitude: 2, Name: "Office"}, "[location 1.5,2] Office"},
		{"reaction", chat.Reaction{MessageID: "w", Emoji: "❤"}, "[reaction] ❤"},
		{"native", chat.Native{Channel: "whatsapp", Value: 1}, "[native whatsapp]"},
		{"pointer", &chat.Text{Body: "p"}, "p"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := chat.OutgoingText(tt.m); got != tt.want {
				t.Errorf("OutgoingText = %q, want %q", got, tt.want)
			}
		})
	}
	long := chat.OutgoingText(chat.Text{Body: strings.Repeat("é", 5000)})
	if n := len([]rune(long)); n != 4096 || !strings.HasSuffix(long, "…") {
		t.Errorf("a long body is cut to %d runes (%q...), want 4096 ending in an ellipsis", n, long[len(long)-8:])
	}
}
