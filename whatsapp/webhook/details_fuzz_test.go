package webhook_test

import (
	"testing"

	"github.com/impactchat/impactchat/whatsapp/webhook"
)

// FuzzDetails reads every change of arbitrary notifications with Details
// and GroupUpdates: neither may panic, whatever the values hold.
func FuzzDetails(f *testing.F) {
	f.Add([]byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"flows","value":{"event":"FLOW_STATUS_CHANGE","flow_id":"1"}}]}]}`))
	f.Add([]byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"group_participants_update","value":{"groups":[{"group_id":1,"added_participants":[{"wa_id":2}]}]}}]}]}`))
	f.Add([]byte(`{"entry":[{"changes":[{"field":"history","value":{"history":"x"}}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := webhook.Parse(body)
		if err != nil {
			return
		}
		for c := range n.Changes() {
			_, _ = webhook.Details(c)
			_, _ = webhook.GroupUpdates(c)
			_, _ = webhook.TemplateChangeOf(c)
		}
		_ = n.GroupUpdates()
		_ = n.TemplateChanges()
	})
}
