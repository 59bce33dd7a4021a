package webhook_test

import (
	"testing"

	"github.com/impactchat/impactchat/whatsapp/webhook"
)

func TestDetails(t *testing.T) {
	t.Parallel()
	body := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[
	{"field":"phone_number_name_update","value":{"display_phone_number":"15550783881","decision":"APPROVED","requested_verified_name":"Newcomer Help Line"}},
	{"field":"flows","value":{"event":"ENDPOINT_ERROR_RATE","message":"Flow endpoint error rate above 10%","flow_id":1234,"alert_state":"ACTIVATED","error_rate":12.5,"threshold":10}},
	{"field":"business_capability_update","value":{"max_daily_conversations_per_business":"2000","max_phone_numbers_per_business":2}},
	{"field":"security","value":{"display_phone_number":"15550783881","event":"PIN_CHANGED","requester":"12345"}},
	{"field":"account_alerts","value":{"entity_type":"WABA","entity_id":"102290129340398","alert_severity":"WARNING","alert_status":"ACTIVE","alert_type":"OBA_APPROVED","alert_description":"d"}},
	{"field":"flows","value":{"event":5}},
	{"field":"group_status_update","value":{"groups":[{"type":"group_suspend","group_id":"g1"}]}},
	{"field":"message_template_quality_update","value":{"new_quality_score":"RED"}},
	{"field":"something_new","value":{"a":1}}]}]}`)
	n, err := webhook.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	ch := n.Entries[0].Changes
	get := func(i int) any {
		v, ok := webhook.Details(&ch[i])
		if !ok {
			t.Fatalf("change %d (%s) not read", i, ch[i].Field)
		}
		return v
	}
	if v := get(0).(*webhook.PhoneNumberNameUpdate); v.Decision != "APPROVED" || v.RequestedVerifiedName != "Newcomer Help Line" {
		t.Errorf("name update %+v", v)
	}
	if v := get(1).(*webhook.FlowEvent); v.FlowID != "1234" || v.ErrorRate != 12.5 || v.AlertState != "ACTIVATED" {
		t.Errorf("flow event %+v", v)
	}
	if v := get(2).(*webhook.BusinessCapabilityUpdate); v.MaxDailyConversationsPerBusiness != 2000 || v.MaxPhoneNumbersPerBusiness != 2 {
		t.Errorf("capability %+v", v)
	}
	if v := get(3).(*webhook.SecurityEvent); v.Event != "PIN_CHANGED" {
		t.Errorf("security %+v", v)
	}
	if v := get(4).(*webhook.AccountAlert); v.AlertSeverity != "WARNING" || v.EntityID != "102290129340398" {
		t.Errorf("alert %+v", v)
	}
	if v := get(5).(*webhook.FlowEvent); v.Event != "" {
		t.Errorf("a wrong-typed member was kept: %+v", v)
	}
	if v := get(6).([]webhook.GroupUpdate); len(v) != 1 || v[0].Type != "group_suspend" {
		t.Errorf("group %+v", v)
	}
	if v := get(7).(*webhook.TemplateQualityUpdate); v.NewQualityScore != "RED" {
		t.Errorf("quality %+v", v)
	}
	if _, ok := webhook.Details(&ch[8]); ok {
		t.Error("an unknown field was read")
	}
}
