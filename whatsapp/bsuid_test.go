package whatsapp_test

import (
	"context"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/whatsapp"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

// TestBSUIDOnEverySendPath sends every kind of message to a business-scoped
// user id, directly and through Channel, and checks each request against
// the OpenAPI description and the fake's answer (user_id, no wa_id).
func TestBSUIDOnEverySendPath(t *testing.T) {
	t.Parallel()
	const bsuid = "US.13491208655302741918"
	srv, c, tp := tappedFake(t, whatsapptest.WithoutWindow())
	env := whatsapp.Envelope{Recipient: bsuid, CallbackData: "case-7"}
	img := srv.AddMedia("image/jpeg", []byte{0xff, 0xd8, 0xff})
	msgs := []whatsapp.Message{
		whatsapp.Text{Envelope: env, Body: "hello"},
		whatsapp.Image{Envelope: env, MediaRef: whatsapp.MediaRef{ID: img}, Caption: "map"},
		whatsapp.Audio{Envelope: env, MediaRef: whatsapp.MediaRef{Link: "https://example.org/a.ogg"}, Voice: true},
		whatsapp.Document{Envelope: env, MediaRef: whatsapp.MediaRef{Link: "https://example.org/a.pdf"}, Filename: "a.pdf"},
		whatsapp.Location{Envelope: env, Latitude: 33.9, Longitude: 35.5, Name: "Office"},
		whatsapp.Reaction{Envelope: env, MessageID: "wamid.x", Emoji: "👍"},
		whatsapp.Buttons{Envelope: env, Body: "Choose", Buttons: []whatsapp.Button{{ID: "a", Title: "A"}}},
		whatsapp.CTAURL{Envelope: env, Body: "Read", DisplayText: "Open", URL: "https://example.org"},
		whatsapp.LocationRequest{Envelope: env, Body: "Where are you?"},
		whatsapp.TemplateMessage{Envelope: env, Name: "hello_world", Language: "en_US"},
		whatsapp.Contacts{Envelope: env, Contacts: []whatsapp.Contact{{Name: whatsapp.ContactName{FormattedName: "Office"}, Phones: []whatsapp.ContactPhone{{Phone: "+16505550000"}}}}},
	}
	doc := loadSpec(t)
	for _, m := range msgs {
		r, err := c.Messages.Send(t.Context(), fakeLine, m)
		if err != nil {
			t.Fatalf("%s: %v", m.Type(), err)
		}
		if r.UserID != bsuid || r.WAID != "" {
			t.Errorf("%s: result user_id %q wa_id %q", m.Type(), r.UserID, r.WAID)
		}
		checkExchange(t, doc, "/{Version}/{Phone-Number-ID}/messages", tp.last())
	}
	ch, err := whatsapp.NewChannel(c, whatsapp.WindowFunc(func(context.Context, chat.Address) (time.Time, error) { return time.Now(), nil }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ch.Send(t.Context(), chat.Address{Channel: chat.ChannelWhatsApp, Line: fakeLine, Contact: bsuid}, chat.Text{Body: "via the channel"}); err != nil {
		t.Fatal(err)
	}
	checkExchange(t, doc, "/{Version}/{Phone-Number-ID}/messages", tp.last())
	for _, s := range srv.Sent() {
		if s.To != bsuid {
			t.Errorf("%s went to %q", s.Type, s.To)
		}
	}
}
