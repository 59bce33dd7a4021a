package webhook_test

import (
	"encoding/json"
	"testing"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/whatsapp/webhook"
)

// A completed WhatsApp Flow becomes KindFlowReply with its answers in Data,
// and a group message keeps its group.
func TestEventsFlowReplyAndGroup(t *testing.T) {
	t.Parallel()
	body := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
	 "messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001","phone_number_id":"106540352242922"},
	 "contacts":[{"profile":{"name":"A"},"wa_id":"16505551234"}],
	 "messages":[
	  {"from":"16505551234","id":"wamid.F1","timestamp":"1767225600","type":"interactive",
	   "interactive":{"type":"nfm_reply","nfm_reply":{"name":"flow","body":"Sent","response_json":"{\"city\":\"quito\",\"household\":\"4\"}"}}},
	  {"from":"16505551234","id":"wamid.G1","timestamp":"1767225601","type":"text","group_id":"Y2FwaV9ncm91cDox","text":{"body":"When is the next session?"}},
	  {"from":"16505551234","id":"wamid.F2","timestamp":"1767225602","type":"interactive",
	   "interactive":{"type":"nfm_reply","nfm_reply":{"name":"flow","body":"Sent","response_json":"not json"}}}
	 ]}}]}]}`)
	n, err := webhook.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	evs := n.Events()
	if len(evs) != 3 {
		t.Fatalf("got %d events", len(evs))
	}
	f := evs[0].Message
	if f.Kind != chat.KindFlowReply || f.Text != "Sent" {
		t.Fatalf("flow reply: kind %q text %q", f.Kind, f.Text)
	}
	var answers map[string]string
	if err := json.Unmarshal(f.Data, &answers); err != nil || answers["city"] != "quito" {
		t.Fatalf("flow reply data %s: %v", f.Data, err)
	}
	if g := evs[1].Message; g.Group != "Y2FwaV9ncm91cDox" || g.Kind != chat.KindText {
		t.Fatalf("group message: group %q kind %q", g.Group, g.Kind)
	}
	if evs[0].Message.Group != "" {
		t.Fatal("a direct message has a group")
	}
	if bad := evs[2].Message; bad.Kind != chat.KindUnknown || bad.Data != nil {
		t.Fatalf("a flow reply whose JSON is not an object must stay unknown: %q %s", bad.Kind, bad.Data)
	}
}
