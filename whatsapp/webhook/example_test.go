package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/whatsapp/webhook"
	"github.com/impactchat/impactchat/whatsapp/webhook/webhooktest"
)

// Verify the exact bytes received, before parsing them. Several secrets
// may be given while one is being rotated.
func ExampleVerifySignature() {
	body := []byte(`{"object":"whatsapp_business_account","entry":[]}`)
	header := webhooktest.Sign(body, "app-secret") // what Meta sends in X-Hub-Signature-256

	fmt.Println(webhook.VerifySignature(body, header, "app-secret"))
	fmt.Println(webhook.VerifySignature(body, header, "new-secret", "app-secret"))

	tampered := append([]byte(nil), body...)
	tampered[1] = 'O'
	fmt.Println(errors.Is(webhook.VerifySignature(tampered, header, "app-secret"), webhook.ErrInvalidSignature))
	fmt.Println(errors.Is(webhook.VerifySignature(body, "", "app-secret"), webhook.ErrMissingSignature))
	fmt.Println(errors.Is(webhook.VerifySignature(body, header), webhook.ErrNoSecret))
	// Output:
	// <nil>
	// <nil>
	// true
	// true
	// true
}

// Parse a delivery and convert its messages and statuses to chat events.
// Addresses print without the person's number.
func ExampleParse() {
	body := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages","value":{
	  "messaging_product":"whatsapp",
	  "metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
	  "contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"}],
	  "messages":[{"from":"16505551234","id":"wamid.in1","timestamp":"1749416383","type":"interactive",
	    "context":{"from":"15550783881","id":"wamid.out0"},
	    "interactive":{"type":"button_reply","button_reply":{"id":"talk-to-staff","title":"Talk to a person"}}}],
	  "statuses":[{"id":"wamid.out0","status":"read","timestamp":"1749416390","recipient_id":"16505551234"}]}}]}]}`)

	n, err := webhook.Parse(body)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range n.Events() {
		switch {
		case e.Message != nil:
			m := e.Message
			fmt.Println(e.Key(), m.From, m.Kind, m.Choice, "in reply to", m.ReplyTo)
		case e.Status != nil:
			fmt.Println(e.Key(), e.Status.To, e.Status.Time.Format(time.RFC3339))
		}
	}
	// Output:
	// m:whatsapp:wamid.in1 whatsapp/106540352242922/***34 choice talk-to-staff in reply to wamid.out0
	// s:whatsapp:wamid.out0:read whatsapp/106540352242922/***34 2025-06-08T20:59:50Z
}

// Changes other than messages and statuses are typed values reached
// through the notification.
func ExampleNotification_Changes() {
	body := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","time":1751247548,"changes":[
	  {"field":"message_template_status_update","value":{"event":"REJECTED","message_template_id":1689556908129835,
	   "message_template_name":"abandoned_cart","message_template_language":"en","reason":"INVALID_FORMAT"}},
	  {"field":"security","value":{"event":"PIN_CHANGED"}}]}]}`)
	n, _ := webhook.Parse(body)
	for c := range n.Changes() {
		switch v := c.Value.(type) {
		case *webhook.TemplateStatusUpdate:
			fmt.Println(v.MessageTemplateName, v.MessageTemplateID, v.Event, v.Reason)
		case nil:
			fmt.Println(c.Field, "kept as", string(c.Raw))
		}
	}
	// Output:
	// abandoned_cart 1689556908129835 REJECTED INVALID_FORMAT
	// security kept as {"event":"PIN_CHANGED"}
}

// The handler answers Meta's subscription handshake and accepts signed
// deliveries, acknowledging each only once the sink has stored its events.
func ExampleNewHandler() {
	sink := webhook.SinkFunc(func(_ context.Context, events []chat.Event) error {
		for _, e := range events {
			fmt.Println("stored", e.Key(), e.Message.Kind)
		}
		return nil // return an error and Meta is asked to retry (503)
	})
	h, err := webhook.NewHandler(webhook.Config{
		Secrets:     []string{"app-secret"},
		VerifyToken: "verify-token",
	}, sink)
	if err != nil {
		fmt.Println(err)
		return
	}
	// mux.Handle("/webhook", h) in a server; here, requests as Meta sends them.

	w := httptest.NewRecorder()
	h.ServeHTTP(w, webhooktest.NewHandshakeRequest("verify-token", "1158201444"))
	fmt.Println(w.Code, w.Body.String())

	body := webhooktest.TextPayload(webhooktest.TextMessage{
		Line: "106540352242922", From: "16505551234", ProfileName: "Amina",
		ID: "wamid.in1", Body: "مرحبا", Time: time.Unix(1749416383, 0),
	})
	w = httptest.NewRecorder()
	h.ServeHTTP(w, webhooktest.NewRequest(body, "app-secret"))
	fmt.Println(w.Code)

	w = httptest.NewRecorder()
	h.ServeHTTP(w, webhooktest.NewRequest(body, "forged"))
	fmt.Println(w.Code)
	// Output:
	// 200 1158201444
	// stored m:whatsapp:wamid.in1 text
	// 200
	// 401
}

// Without a secret there is no handler: verification is never skipped.
func ExampleNewHandler_failClosed() {
	_, err := webhook.NewHandler(webhook.Config{VerifyToken: "verify-token"}, webhook.SinkFunc(nil))
	fmt.Println(errors.Is(err, webhook.ErrNoSecret))
	// Output: true
}

// One endpoint can serve several apps, each with its own secret (two while
// one is rotated) and its own lines: a delivery signed by one app that
// names another app's line is refused.
func ExampleConfig_apps() {
	h, err := webhook.NewHandler(webhook.Config{
		Apps: []webhook.App{
			{Secrets: []string{"quito-secret"}, Lines: []string{"106540352242922"}},
			{Secrets: []string{"lima-secret-new", "lima-secret-old"}, Lines: []string{"109999999999999"}},
		},
		VerifyToken: "verify-token",
	}, webhook.SinkFunc(func(context.Context, []chat.Event) error { return nil }))
	if err != nil {
		fmt.Println(err)
		return
	}
	deliver := func(line, secret string) int {
		body := webhooktest.TextPayload(webhooktest.TextMessage{
			Line: line, From: "16505551234", ID: "wamid." + line, Body: "hola", Time: time.Unix(1749416383, 0),
		})
		w := httptest.NewRecorder()
		h.ServeHTTP(w, webhooktest.NewRequest(body, secret))
		return w.Code
	}
	fmt.Println(deliver("106540352242922", "quito-secret"))
	fmt.Println(deliver("109999999999999", "lima-secret-old"))
	fmt.Println(deliver("109999999999999", "quito-secret"))
	// Output:
	// 200
	// 200
	// 403
}
