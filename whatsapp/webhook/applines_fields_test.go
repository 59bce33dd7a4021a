package webhook_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/impactchat/impactchat/whatsapp/webhook"
	"github.com/impactchat/impactchat/whatsapp/webhook/webhooktest"
)

// App.Lines: "A delivery signed by this app that names another line is
// refused with 403", for a change of any field that names a line in its
// metadata (calls, history, smb_app_state_sync), not only messages: app B
// cannot hand app A's line data to OnNotification.
func TestAppLinesCheckedForEveryField(t *testing.T) {
	for _, field := range []string{"history", "calls", "smb_app_state_sync"} {
		t.Run(field, func(t *testing.T) {
			var got []string
			h, err := webhook.NewHandler(webhook.Config{
				Apps: []webhook.App{
					{Secrets: []string{"app-a"}, Lines: []string{"111"}},
					{Secrets: []string{"app-b"}, Lines: []string{"222"}},
				},
				VerifyToken: "vt",
				OnNotification: func(_ context.Context, n *webhook.Notification) error {
					for c := range n.Changes() {
						got = append(got, c.Field)
					}
					return nil
				},
			}, newMemSink())
			if err != nil {
				t.Fatal(err)
			}
			body := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"` + field + `","value":{
				"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"111"}}}]}]}`)
			w := serve(h, webhooktest.NewRequest(body, "app-b"))
			if w.Code != http.StatusForbidden || len(got) != 0 {
				t.Errorf("app B's delivery naming app A's line 111 in a %q change: status %d, OnNotification got %v; want 403 and nothing", field, w.Code, got)
			}
		})
	}
}
