package webhook_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/impactchat/impactchat/whatsapp"
	"github.com/impactchat/impactchat/whatsapp/webhook"
)

func TestGroupUpdates(t *testing.T) {
	t.Parallel()
	body := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[
	{"field":"group_lifecycle_update","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
	 "groups":[{"timestamp":"1767225600","group_id":"Y2FwaV9ncm91cDox","type":"group_create","request_id":"9001","subject":"Newcomers","invite_link":"https://chat.whatsapp.com/abc","join_approval_mode":"approval_required"}]}},
	{"field":"group_participants_update","value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"106540352242922"},
	 "groups":[{"timestamp":1767225700,"group_id":"Y2FwaV9ncm91cDox","type":"group_join_request_created","join_request_id":"jr1","wa_id":"16505551234"},
	           {"timestamp":"1767225800","group_id":"Y2FwaV9ncm91cDox","type":"group_participants_remove","initiated_by":"business","removed_participants":[{"input":"+16505551234","wa_id":"16505551234"}]},
	           {"timestamp":"1767225900","group_id":"Y2FwaV9ncm91cDox","type":"group_participants_remove","errors":[{"code":131009,"title":"Parameter value is not valid","message":"not a participant"}]},
	           {"group_id":5}]}},
	{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"106540352242922"},"statuses":[]}}]}]}`)
	n, err := webhook.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	gs := n.GroupUpdates()
	if len(gs) != 5 {
		t.Fatalf("%d updates, want 5", len(gs))
	}
	c := gs[0]
	if c.Field != webhook.FieldGroupLifecycle || c.Type != "group_create" || c.RequestID != "9001" || c.GroupID != "Y2FwaV9ncm91cDox" ||
		c.InviteLink != "https://chat.whatsapp.com/abc" || c.PhoneNumberID != "106540352242922" || c.Timestamp.Time().Unix() != 1767225600 {
		t.Errorf("create %+v", c)
	}
	if j := gs[1]; j.JoinRequestID != "jr1" || j.WAID != "16505551234" || j.Timestamp != 1767225700 {
		t.Errorf("join request %+v", j)
	}
	if r := gs[2]; len(r.RemovedParticipants) != 1 || r.RemovedParticipants[0].WAID != "16505551234" || r.InitiatedBy != "business" {
		t.Errorf("removal %+v", r)
	}
	if f := gs[3]; len(f.Errors) != 1 || f.Errors[0].Code != 131009 {
		t.Errorf("failure %+v", f)
	}
	if odd := gs[4]; odd.Raw == nil {
		t.Errorf("an odd item lost its raw JSON")
	}
	if _, ok := webhook.GroupUpdates(&n.Entries[0].Changes[2]); ok {
		t.Error("a messages change read as a group update")
	}
}

func TestGroupMessageFromFixture(t *testing.T) {
	t.Parallel()
	body, err := os.ReadFile(filepath.Join(conformanceDir(t), "text_group_message__courier.json"))
	if err != nil {
		t.Fatal(err)
	}
	n, err := webhook.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	evs := n.Events()
	if len(evs) != 1 || evs[0].Message == nil {
		t.Fatalf("events %+v", evs)
	}
	if g := whatsapp.GroupOf(evs[0].Message); g != "555555555" {
		t.Errorf("group %q, want 555555555", g)
	}
}
