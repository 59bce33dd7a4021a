package whatsapptest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/whatsapp"
	"github.com/impactchat/impactchat/whatsapp/webhook/webhooktest"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

// A whole round trip: a person writes, the line's webhook receives the
// signed message and answers with a menu through whatsapp.Channel, and the
// person taps a button.
func Example() {
	srv := whatsapptest.NewServer(whatsapptest.WithOnSend(func(s whatsapptest.Sent) {
		fmt.Printf("line -> %s: %s %v\n", s.To, s.Text, s.Options)
	}))
	defer srv.Close()

	client, err := srv.NewClient()
	if err != nil {
		panic(err)
	}
	lastInbound := map[string]time.Time{}
	channel, err := whatsapp.NewChannel(client, whatsapp.WindowFunc(func(_ context.Context, a chat.Address) (time.Time, error) {
		return lastInbound[a.Contact], nil
	}))
	if err != nil {
		panic(err)
	}

	// The line's webhook: verify, decode just enough, reply.
	const appSecret = "app-secret"
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get(webhooktest.SignatureHeader) != webhooktest.Sign(body, appSecret) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var n struct {
			Entry []struct {
				Changes []struct {
					Value struct {
						Metadata struct {
							PhoneNumberID string `json:"phone_number_id"`
						} `json:"metadata"`
						Messages []struct {
							From        string `json:"from"`
							Type        string `json:"type"`
							Text        struct{ Body string }
							Interactive json.RawMessage `json:"interactive"`
						} `json:"messages"`
					} `json:"value"`
				} `json:"changes"`
			} `json:"entry"`
		}
		_ = json.Unmarshal(body, &n)
		v := n.Entry[0].Changes[0].Value
		m := v.Messages[0]
		fmt.Printf("%s -> line: %s %s\n", m.From, m.Type, m.Text.Body+string(m.Interactive))
		lastInbound[m.From] = time.Now()
		if m.Type == "text" {
			to := chat.Address{Channel: chat.ChannelWhatsApp, Line: v.Metadata.PhoneNumberID, Contact: m.From}
			_, _ = channel.Send(r.Context(), to, chat.Choices{Body: "How can we help?", Options: []chat.Option{
				{ID: "offices", Title: "Office locations"}, {ID: "staff", Title: "Talk to a person"},
			}})
		}
	}))
	defer hook.Close()

	ctx := context.Background()
	if _, err := srv.DeliverText(ctx, hook.URL, appSecret, "16505551234", "hola"); err != nil {
		panic(err)
	}
	menu := srv.Sent()[0]
	if _, err := srv.DeliverMessage(ctx, hook.URL, appSecret, whatsapptest.Inbound{
		From: "16505551234", ReplyTo: menu.MessageID, ButtonReply: &whatsapptest.Reply{ID: menu.Options[1].ID, Title: menu.Options[1].Title},
	}); err != nil {
		panic(err)
	}
	// Output:
	// 16505551234 -> line: text hola
	// line -> +16505551234: How can we help? [{offices Office locations } {staff Talk to a person }]
	// 16505551234 -> line: interactive {"type":"button_reply","button_reply":{"id":"staff","title":"Talk to a person"}}
}
