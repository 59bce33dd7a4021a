package webhook_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/impactchat/impactchat/internal/redact"
	"github.com/impactchat/impactchat/whatsapp/webhook"
)

func TestValuesMaskThemselvesInLogs(t *testing.T) {
	t.Parallel()
	n, err := webhook.Parse(wrap(`{"metadata":{"phone_number_id":"1"},
		"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234","user_id":"US.13491208655302741918"}],
		"messages":[{"from":"16505551234","id":"wamid.a","timestamp":"1","type":"text","text":{"body":"Where is the office?"}}],
		"statuses":[{"id":"wamid.b","status":"failed","recipient_id":"16505551234","errors":[{"code":131047}]}],
		"user_preferences":[{"wa_id":"16505551234","category":"marketing_messages","value":"stop"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	v := n.Entries[0].Changes[0].Value.(*webhook.MessagesValue)
	var out bytes.Buffer
	log := slog.New(slog.NewTextHandler(&out, nil))
	log.Info("values", "notification", n, "message", &v.Messages[0], "status", &v.Statuses[0],
		"contact", v.Contacts[0], "preference", v.UserPreferences[0])
	s := out.String()
	// A message id can encode the number: it is logged as a fingerprint.
	for _, leak := range []string{"6505551234", "Sheena", "Where is", "13491208655302741918", "wamid.a", "wamid.b"} {
		if strings.Contains(s, leak) {
			t.Errorf("log leaks %q: %s", leak, s)
		}
	}
	for _, kept := range []string{"id=" + redact.MessageID("wamid.a"), "id=" + redact.MessageID("wamid.b"), "error_code=131047", "value=stop", "changes=1"} {
		if !strings.Contains(s, kept) {
			t.Errorf("log lacks %q: %s", kept, s)
		}
	}
}
