package whatsapptest_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/whatsapp/webhook"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

// TestDeliveriesReachTheWebhookHandler runs the fake's deliveries through
// the real receiver (webhook.NewHandler): signatures verify and every kind
// of inbound message and status becomes the expected chat.Event.
func TestDeliveriesReachTheWebhookHandler(t *testing.T) {
	t.Parallel()
	srv := whatsapptest.NewServer()
	defer srv.Close()
	var mu sync.Mutex
	var events []chat.Event
	h, err := webhook.NewHandler(webhook.Config{Secrets: []string{secret}, VerifyToken: "verify"},
		webhook.SinkFunc(func(_ context.Context, evs []chat.Event) error {
			mu.Lock()
			events = append(events, evs...)
			mu.Unlock()
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	hook := httptest.NewServer(h)
	defer hook.Close()

	img := srv.AddMedia("image/jpeg", []byte("\xff\xd8\xff"))
	voice := srv.AddMedia("audio/ogg", []byte("OggS"))
	inbound := []whatsapptest.Inbound{
		{Text: "مرحبا، أحتاج مساعدة"},
		{ButtonReply: &whatsapptest.Reply{ID: "staff", Title: "Talk to a person"}, ReplyTo: "wamid.menu"},
		{ListReply: &whatsapptest.Reply{ID: "uio", Title: "Quito"}},
		{Media: &whatsapptest.InboundMedia{Kind: "image", ID: img, Caption: "my document"}},
		{Media: &whatsapptest.InboundMedia{Kind: "audio", ID: voice, Voice: true}},
		{Location: &whatsapptest.InboundLocation{Latitude: -0.18, Longitude: -78.47}},
		{Reaction: &whatsapptest.InboundReaction{MessageID: "wamid.out", Emoji: "👍"}},
		{UserID: "US.13491208655302741918", Text: "from a username"},
	}
	for _, in := range inbound {
		in.From = person
		if _, err := srv.DeliverMessage(t.Context(), hook.URL, secret, in); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.DeliverStatus(t.Context(), hook.URL, secret, whatsapptest.Status{MessageID: "wamid.out", RecipientID: person, Status: "failed", ErrorCode: 131047, CallbackData: "case-1"}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Deliver(t.Context(), hook.URL, "wrong-secret", []byte(`{}`)); err == nil {
		t.Fatal("a delivery signed with the wrong secret was accepted")
	}

	mu.Lock()
	defer mu.Unlock()
	if len(events) != len(inbound)+1 {
		t.Fatalf("%d events, want %d", len(events), len(inbound)+1)
	}
	m := func(i int) *chat.Message { return events[i].Message }
	checks := []struct {
		ok   bool
		what string
	}{
		{m(0).Kind == chat.KindText && m(0).Text == "مرحبا، أحتاج مساعدة" && m(0).From.Line == line && m(0).From.Contact == person, "text"},
		{m(1).Kind == chat.KindChoice && m(1).Choice == "staff" && m(1).ReplyTo == "wamid.menu", "button reply"},
		{m(2).Kind == chat.KindChoice && m(2).Choice == "uio", "list reply"},
		{m(3).Kind == chat.KindImage && m(3).Attachment != nil && m(3).Attachment.ID == img, "image"},
		{m(4).Kind == chat.KindAudio && m(4).Attachment != nil && m(4).Attachment.Voice, "voice note"},
		{m(5).Kind == chat.KindLocation && m(5).Location != nil && m(5).Location.Latitude == -0.18, "location"},
		{m(6).Kind == chat.KindReaction, "reaction"},
		{m(7).Kind == chat.KindText && m(7).From.Contact != "", "bsuid text"},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: event %+v", c.what, events)
		}
	}
	st := events[len(events)-1].Status
	if st == nil || st.State != chat.StatusFailed || st.Error == nil || st.Error.Code != 131047 || st.Callback != "case-1" {
		t.Fatalf("status event %+v", st)
	}
}
