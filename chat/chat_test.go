package chat_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
)

func TestOutgoingValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		m     chat.Outgoing
		field string // empty: valid
	}{
		{"text ok", chat.Text{Body: "hello"}, ""},
		{"text empty", chat.Text{Body: "  "}, "text.body"},
		{"choices ok", chat.Choices{Body: "Pick", Options: []chat.Option{{ID: "a", Title: "A"}, {ID: "b", Title: "B"}}}, ""},
		{"choices no body", chat.Choices{Options: []chat.Option{{ID: "a", Title: "A"}}}, "choices.body"},
		{"choices no options", chat.Choices{Body: "Pick"}, "choices.options"},
		{"choices empty id", chat.Choices{Body: "Pick", Options: []chat.Option{{Title: "A"}}}, "choices.options[0].id"},
		{"choices empty title", chat.Choices{Body: "Pick", Options: []chat.Option{{ID: "a"}}}, "choices.options[0].title"},
		{"choices duplicate id", chat.Choices{Body: "Pick", Options: []chat.Option{{ID: "a", Title: "A"}, {ID: "a", Title: "B"}}}, "choices.options[1].id"},
		{"media by id", chat.Media{Kind: chat.MediaAudio, ID: "123"}, ""},
		{"media no kind", chat.Media{ID: "123"}, "media.kind"},
		{"media bad kind", chat.Media{Kind: "gif", ID: "123"}, "media.kind"},
		{"media neither", chat.Media{Kind: chat.MediaImage}, "media"},
		{"media both", chat.Media{Kind: chat.MediaImage, ID: "1", URL: "https://example.org/a.png"}, "media"},
		{"audio caption", chat.Media{Kind: chat.MediaAudio, ID: "1", Caption: "hi"}, "media.caption"},
		{"filename on image", chat.Media{Kind: chat.MediaImage, ID: "1", Filename: "a.png"}, "media.filename"},
		{"template ok", chat.Template{Name: "alert", Language: "en", Body: []chat.Param{{Value: "x"}}}, ""},
		{"template no name", chat.Template{Language: "en"}, "template.name"},
		{"template no language", chat.Template{Name: "alert"}, "template.language"},
		{"template mixed params", chat.Template{Name: "a", Language: "en", Body: []chat.Param{{Value: "x"}, {Name: "n", Value: "y"}}}, "template.body[1]"},
		{"template header both", chat.Template{Name: "a", Language: "en", Header: &chat.TemplateHeader{Params: []chat.Param{{Value: "x"}}, Media: &chat.Media{Kind: chat.MediaImage, ID: "1"}}}, "template.header"},
		{"template header bad media", chat.Template{Name: "a", Language: "en", Header: &chat.TemplateHeader{Media: &chat.Media{Kind: chat.MediaImage}}}, "template.header.media"},
		{"template button subtype", chat.Template{Name: "a", Language: "en", Buttons: []chat.TemplateButton{{Index: 0, SubType: "call"}}}, "template.buttons[0].sub_type"},
		{"template button repeat", chat.Template{Name: "a", Language: "en", Buttons: []chat.TemplateButton{{Index: 0, SubType: "url"}, {Index: 0, SubType: "url"}}}, "template.buttons[1].index"},
		{"location ok", chat.Location{Latitude: -0.18, Longitude: -78.47}, ""},
		{"location lat", chat.Location{Latitude: 91}, "location.latitude"},
		{"location lon", chat.Location{Longitude: -181}, "location.longitude"},
		{"reaction ok removal", chat.Reaction{MessageID: "wamid.1"}, ""},
		{"reaction no id", chat.Reaction{Emoji: "👍"}, "reaction.message_id"},
		{"native no channel", chat.Native{Value: 1}, "native.channel"},
		{"native nil", chat.Native{Channel: "whatsapp"}, "native.value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.m.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var fe *chat.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate() = %v, want a *FieldError", err)
			}
			if fe.Field != tt.field {
				t.Fatalf("field = %q, want %q (%v)", fe.Field, tt.field, err)
			}
			if !errors.Is(err, chat.ErrInvalid) {
				t.Fatalf("error does not match ErrInvalid")
			}
		})
	}
}

func TestStatusSupersedes(t *testing.T) {
	t.Parallel()
	order := []chat.StatusState{chat.StatusSent, chat.StatusDelivered, chat.StatusRead, chat.StatusPlayed}
	for i, prev := range order {
		for j, next := range order {
			if got, want := next.Supersedes(prev), j > i; got != want {
				t.Errorf("%s.Supersedes(%s) = %v, want %v", next, prev, got, want)
			}
		}
	}
	tests := []struct {
		next, prev chat.StatusState
		want       bool
	}{
		{chat.StatusFailed, chat.StatusSent, true},
		{chat.StatusFailed, chat.StatusDelivered, true},
		{chat.StatusFailed, chat.StatusRead, false},
		{chat.StatusSent, chat.StatusFailed, false},
		{chat.StatusRead, chat.StatusFailed, false},
		{chat.StatusSent, "", true},
		{"bogus", chat.StatusSent, false},
	}
	for _, tt := range tests {
		if got := tt.next.Supersedes(tt.prev); got != tt.want {
			t.Errorf("%q.Supersedes(%q) = %v, want %v", tt.next, tt.prev, got, tt.want)
		}
	}
}

func TestEventKeyAndValidate(t *testing.T) {
	t.Parallel()
	addr := chat.Address{Channel: "whatsapp", Line: "106540352242922", Contact: "16505551234"}
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	msg := chat.Event{Message: &chat.Message{ID: "wamid.A", From: addr, Time: now, Kind: chat.KindText, Text: "hi"}}
	read := chat.Event{Status: &chat.Status{MessageID: "wamid.B", To: addr, State: chat.StatusRead, Time: now}}
	sent := chat.Event{Status: &chat.Status{MessageID: "wamid.B", To: addr, State: chat.StatusSent, Time: now}}
	if msg.Key() != "m:whatsapp:wamid.A" {
		t.Fatalf("message key = %q", msg.Key())
	}
	if read.Key() == sent.Key() {
		t.Fatalf("two states of one message share a key: %q", read.Key())
	}
	if msg.Address() != addr || read.Address() != addr || !msg.Time().Equal(now) {
		t.Fatal("Address/Time do not come from the event")
	}
	for _, e := range []chat.Event{msg, read, sent} {
		if err := e.Validate(); err != nil {
			t.Fatalf("Validate(%v) = %v", e.Key(), err)
		}
	}
	bad := []struct {
		e     chat.Event
		field string
	}{
		{chat.Event{}, "event"},
		{chat.Event{Message: msg.Message, Status: read.Status}, "event"},
		{chat.Event{Message: &chat.Message{From: addr}}, "event.message.id"},
		{chat.Event{Message: &chat.Message{ID: "x", From: chat.Address{Channel: "whatsapp", Line: "1"}}}, "event.message.from.contact"},
		{chat.Event{Status: &chat.Status{MessageID: "x", To: addr, State: "bogus"}}, "event.status.state"},
		{chat.Event{Status: &chat.Status{MessageID: "x", State: chat.StatusSent}}, "event.status.to.channel"},
		// The store joins channel and contact with a colon to name a person.
		{chat.Event{Message: &chat.Message{ID: "x", From: chat.Address{Channel: "whatsapp:2", Line: "1", Contact: "3"}}}, "event.message.from.channel"},
	}
	for _, b := range bad {
		var fe *chat.FieldError
		if err := b.e.Validate(); !errors.As(err, &fe) || fe.Field != b.field {
			t.Errorf("Validate() = %v, want field %q", err, b.field)
		}
	}
}

func TestAddressNeverPrintsContact(t *testing.T) {
	t.Parallel()
	a := chat.Address{Channel: "whatsapp", Line: "1065", Contact: "16505551234"}
	if s := a.String(); strings.Contains(s, "6505551234") {
		t.Fatalf("String leaks the number: %s", s)
	}
	if s := a.LogValue().String(); strings.Contains(s, "6505551234") {
		t.Fatalf("LogValue leaks the number: %s", s)
	}
}

func TestChainOrder(t *testing.T) {
	t.Parallel()
	var trail []string
	mw := func(name string) chat.Middleware {
		return func(next chat.Handler) chat.Handler {
			return chat.HandlerFunc(func(ctx context.Context, r chat.Replier, m *chat.Message) error {
				trail = append(trail, name)
				return next.Handle(ctx, r, m)
			})
		}
	}
	h := chat.Chain(chat.HandlerFunc(func(context.Context, chat.Replier, *chat.Message) error {
		trail = append(trail, "handler")
		return nil
	}), mw("a"), mw("b"))
	if err := h.Handle(t.Context(), nil, &chat.Message{}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(trail, ","); got != "a,b,handler" {
		t.Fatalf("order = %s", got)
	}
	if err := chat.Chain(nil).Handle(t.Context(), nil, &chat.Message{}); err != nil {
		t.Fatalf("nil handler: %v", err)
	}
}

func TestIntent(t *testing.T) {
	t.Parallel()
	if got := chat.IntentFrom(t.Context()); got.Purpose != chat.PurposeCore || got.Exemption != chat.ExemptNone {
		t.Fatalf("default intent = %+v", got)
	}
	ctx := chat.WithIntent(t.Context(), chat.Intent{Purpose: chat.PurposeFeedback})
	if got := chat.IntentFrom(ctx); got.Purpose != chat.PurposeFeedback {
		t.Fatalf("intent = %+v", got)
	}
}

// A WhatsApp message id is base64 that spells the person's number, so the
// log values of messages and statuses show a fingerprint of it instead.
func TestMessageAndStatusNeverLogTheID(t *testing.T) {
	t.Parallel()
	const wamid = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
	a := chat.Address{Channel: "whatsapp", Line: "1065", Contact: "16503879439"}
	m := &chat.Message{ID: wamid, From: a, Kind: chat.KindText, Text: "I need help"}
	s := &chat.Status{MessageID: wamid, To: a, State: chat.StatusDelivered}
	for _, v := range []slog.Value{m.LogValue(), s.LogValue()} {
		if out := v.String(); strings.Contains(out, "HBgL") || strings.Contains(out, "3879439") || strings.Contains(out, "help") {
			t.Fatalf("log value leaks the id, number or text: %s", out)
		}
	}
}
