package webhook_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/whatsapp/webhook"
)

func wrap(value string) []byte {
	return []byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":` + value + `}]}]}`)
}

func TestParseRejectsOnlyNonObjects(t *testing.T) {
	t.Parallel()
	for _, body := range []string{``, `   `, `[]`, `"x"`, `null`, `1`, `{`, `{"entry":[}`, `{} {}`, `{"a":1}x`} {
		if _, err := webhook.Parse([]byte(body)); !errors.Is(err, webhook.ErrMalformed) {
			t.Errorf("Parse(%q) = %v, want ErrMalformed", body, err)
		}
	}
	for _, body := range []string{`{}`, ` {"object":"page"} `, `{"entry":null}`, `{"entry":{}}`, `{"entry":[1,"x",null,{"changes":7}]}`} {
		if _, err := webhook.Parse([]byte(body)); err != nil {
			t.Errorf("Parse(%q) = %v, want the notification with its problems", body, err)
		}
	}
}

func TestParseNumbersAndStrings(t *testing.T) {
	t.Parallel()
	n, err := webhook.Parse([]byte(`{"object":"whatsapp_business_account","entry":[{"id":102290129340398,"time":"1751247548","changes":[
		{"field":"messages","value":{"metadata":{"phone_number_id":106540352242922},
		 "messages":[{"from":16505551234,"id":"wamid.n","timestamp":1749416383,"type":"location","location":{"latitude":"-0.18","longitude":-78.47}},
		             {"from":"16505551234","id":"wamid.s","timestamp":"1749416384","type":"order","order":{"product_items":[{"quantity":3,"item_price":"30.5"}]}}],
		 "statuses":[{"id":"wamid.o","status":"sent","timestamp":1749416385,"recipient_id":16505551234,"conversation":{"expiration_timestamp":"1749500000"},
		              "errors":[{"code":"131047","title":"Re-engagement message"}]}]}}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if ps := n.Problems(); len(ps) != 0 {
		t.Fatalf("problems: %v", ps)
	}
	e := n.Entries[0]
	if e.ID != "102290129340398" || e.Time.Time() != time.Unix(1751247548, 0).UTC() {
		t.Fatalf("entry = %q %v", e.ID, e.Time)
	}
	v := e.Changes[0].Value.(*webhook.MessagesValue)
	m := v.Messages[0]
	if m.From != "16505551234" || m.Timestamp != 1749416383 || m.Location.Latitude != -0.18 || m.Location.Longitude != -78.47 {
		t.Fatalf("message = %+v %+v", m, m.Location)
	}
	if it := v.Messages[1].Order.ProductItems[0]; it.Quantity != "3" || it.ItemPrice != "30.5" {
		t.Fatalf("order item = %+v", it)
	}
	s := v.Statuses[0]
	if s.RecipientID != "16505551234" || s.Conversation.ExpirationTimestamp != 1749500000 || s.Errors[0].Code != 131047 {
		t.Fatalf("status = %+v", s)
	}
	evs := n.Events()
	if len(evs) != 3 || evs[2].Status.Error.Code != 131047 || evs[0].Message.From.Line != "106540352242922" {
		t.Fatalf("events = %+v", evs)
	}
}

// A member of the wrong type costs that member only: the rest of the
// message, and every other message of the batch, still arrive.
func TestParseWrongTypesLoseNothingElse(t *testing.T) {
	t.Parallel()
	n, err := webhook.Parse(wrap(`{"metadata":{"phone_number_id":"1"},"messages":[
		{"from":"16505551234","id":"wamid.a","timestamp":"1749416383","type":"text","text":"not an object","context":{"forwarded":"yes"}},
		"not a message",
		{"from":"16505551234","id":"wamid.b","timestamp":"1749416384","type":"text","text":{"body":"fine"}}],
		"statuses":{"not":"a list"}}`))
	if err != nil {
		t.Fatal(err)
	}
	v := n.Entries[0].Changes[0].Value.(*webhook.MessagesValue)
	if len(v.Messages) != 3 {
		t.Fatalf("messages = %d, want 3", len(v.Messages))
	}
	if string(v.Messages[1].Raw) != `"not a message"` {
		t.Fatalf("raw of the odd message = %s", v.Messages[1].Raw)
	}
	evs := n.Events()
	if len(evs) != 2 || evs[0].Message.ID != "wamid.a" || evs[0].Message.Kind != chat.KindUnknown || evs[1].Message.Text != "fine" {
		t.Fatalf("events = %+v", evs)
	}
	var got []string
	for _, p := range n.Problems() {
		got = append(got, p.String())
	}
	want := []string{
		"entry[0].changes[0]: value.statuses: got a JSON object, want an array",
		"entry[0].changes[0].value.messages[0]: text: got a JSON string, want an object",
		"entry[0].changes[0].value.messages[1]: value: got a JSON string, want an object",
		"entry[0].changes[0].value.messages[1]: event.message.id is empty",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestParseUnknownKeptAndSurfaced(t *testing.T) {
	t.Parallel()
	n, err := webhook.Parse([]byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[
		{"field":"security","value":{"display_phone_number":"15550783881","event":"PIN_CHANGED"}},
		{"field":"messages","value":{"metadata":{"phone_number_id":"1"},"brand_new":[1,2],"messages":[
			{"from":"16505551234","id":"wamid.poll","timestamp":"1749416383","type":"poll_vote","poll_vote":{"option":2}},
			{"from":"16505551234","id":"wamid.call","timestamp":"1749416384","type":"interactive","interactive":{"type":"call_permission_reply","call_permission_reply":{"response":"accept"}}}]}}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	sec := n.Entries[0].Changes[0]
	if sec.Field != "security" || sec.Value != nil || !strings.Contains(string(sec.Raw), "PIN_CHANGED") {
		t.Fatalf("unknown field not kept: %+v", sec)
	}
	evs := n.Events()
	if len(evs) != 2 {
		t.Fatalf("events = %d", len(evs))
	}
	for _, e := range evs {
		if e.Message.Kind != chat.KindUnknown || len(e.Message.Raw) == 0 {
			t.Fatalf("unknown type not surfaced: %+v", e.Message)
		}
	}
	if !strings.Contains(string(evs[0].Message.Raw), `"poll_vote":{"option":2}`) {
		t.Fatalf("raw = %s", evs[0].Message.Raw)
	}
	if ps := n.Problems(); len(ps) != 0 {
		t.Fatalf("unknown types are not problems: %v", ps)
	}
}

func TestParseBusinessScopedUser(t *testing.T) {
	t.Parallel()
	n, err := webhook.Parse(wrap(`{"metadata":{"phone_number_id":"1"},
		"contacts":[{"profile":{"name":"A"},"user_id":"US.13491208655302741918"}],
		"messages":[{"from_user_id":"US.13491208655302741918","id":"wamid.bsuid","timestamp":"1749416383","type":"text","text":{"body":"hi"}}],
		"statuses":[{"id":"wamid.out","status":"delivered","timestamp":"1749416384","recipient_user_id":"US.13491208655302741918"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	evs := n.Events()
	if len(evs) != 2 || evs[0].Message.From.Contact != "US.13491208655302741918" || evs[0].Message.ProfileName != "A" ||
		evs[1].Status.To.Contact != "US.13491208655302741918" {
		t.Fatalf("events = %+v / %+v", evs[0].Message, evs[1].Status)
	}
}

func TestEventsRepeatedKeyOnce(t *testing.T) {
	t.Parallel()
	msg := `{"from":"16505551234","id":"wamid.dup","timestamp":"1749416383","type":"text","text":{"body":"hi"}}`
	n, err := webhook.Parse(wrap(`{"metadata":{"phone_number_id":"1"},"messages":[` + msg + `,` + msg + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	if v := n.Entries[0].Changes[0].Value.(*webhook.MessagesValue); len(v.Messages) != 2 {
		t.Fatalf("Parse kept %d messages, want both", len(v.Messages))
	}
	if evs := n.Events(); len(evs) != 1 {
		t.Fatalf("events = %d, want 1", len(evs))
	}
}

func TestFlowReply(t *testing.T) {
	t.Parallel()
	f := webhook.FlowReply{ResponseJSON: `{"flow_token":"fl0w+t0k3n","age":"32"}`}
	if f.FlowToken() != "fl0w+t0k3n" {
		t.Fatalf("token = %q", f.FlowToken())
	}
	var v map[string]string
	if err := f.Decode(&v); err != nil || v["age"] != "32" {
		t.Fatalf("Decode = %v %v", v, err)
	}
	bad := webhook.FlowReply{ResponseJSON: `not json`}
	if bad.FlowToken() != "" || bad.Decode(&v) == nil {
		t.Fatal("bad response_json accepted")
	}
}

// The quick and fast paths of Parse read keys as encoding/json does, or
// leave the body to the slow path; either way the result is the slow
// path's.
func TestParseFastPathAgreesWithSlowPath(t *testing.T) {
	t.Parallel()
	msg := func(id string) string {
		return `{"from":"16505551234","id":"` + id + `","timestamp":"1749416383","type":"text","text":{"body":"a \"quoted\" \\ body [{"}}`
	}
	bodies := map[string]string{
		"duplicate messages key":       string(wrap(`{"metadata":{"phone_number_id":"1"},"messages":[` + msg("a") + `],"messages":[` + msg("b") + `,` + msg("c") + `]}`)),
		"case variant key":             string(wrap(`{"metadata":{"phone_number_id":"1"},"Messages":[` + msg("a") + `],"STATUSES":[{"id":"x","status":"read","recipient_id":"2"}]}`)),
		"escaped key":                  string(wrap(`{"metadata":{"phone_number_id":"1"},"mess\u0061ges":[` + msg("a") + `]}`)),
		"non-ASCII folding key":        string(wrap(`{"metadata":{"phone_number_id":"1"},"messages":[` + msg("a") + `],"meſſages":[` + msg("b") + `]}`)),
		"null elements":                string(wrap(`{"metadata":{"phone_number_id":"1"},"messages":[null,` + msg("a") + `,null],"statuses":[null]}`)),
		"empty arrays":                 string(wrap(`{"metadata":{"phone_number_id":"1"},"messages":[],"statuses":[],"message_echoes":[]}`)),
		"null value":                   `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":null}]}]}`,
		"duplicate value":              `{"entry":[{"changes":[{"field":"messages","value":{"messages":[` + msg("a") + `]},"value":{"messages":[` + msg("b") + `]}}]}]}`,
		"duplicate entry":              `{"entry":[{"changes":[{"field":"messages","value":{"messages":[` + msg("a") + `]}}]}],"entry":null}`,
		"value before field":           `{"entry":[{"changes":[{"value":{"messages":[` + msg("a") + `]},"field":"messages"}]}]}`,
		"unknown field":                `{"entry":[{"changes":[{"field":"history","value":{"messages":[` + msg("a") + `]}}]}]}`,
		"whitespace everywhere":        "{ \"entry\" : [ { \"changes\" : [ { \"field\" : \"messages\" , \"value\" : { \"messages\" : [ " + msg("a") + " , " + msg("b") + " ] } } ] } ] }",
		"nested arrays":                string(wrap(`{"messages":[{"id":"o","from":"1","type":"order","order":{"product_items":[{"quantity":1},[[]]]}}]}`)),
		"entries without changes":      `{"entry":[{},null,{"changes":null},{"changes":[]}]}`,
		"nulls in known places":        string(wrap(`{"metadata":null,"contacts":[null,{"profile":null,"wa_id":null}],"messages":[{"id":"a","from":"1","text":null,"context":null,"image":{"voice":null,"id":null}}],"statuses":[{"id":"s","status":"read","pricing":{"billable":null},"conversation":{"origin":null},"errors":[null,{"error_data":null}]}],"errors":null}`)),
		"numbers where strings":        string(wrap(`{"metadata":{"phone_number_id":106540352242922},"messages":[{"id":1,"from":16505551234,"timestamp":1749416383,"type":"text","text":{"body":"x"}}]}`)),
		"string where number":          string(wrap(`{"messages":[{"id":"a","type":"location","location":{"latitude":"1.5","longitude":"x"}}]}`)),
		"wrong type for a string":      string(wrap(`{"messages":[{"id":"a","type":7}]}`)),
		"escaped text":                 string(wrap(`{"messages":[{"id":"a","from":"1","type":"text","text":{"body":"\u0645\u0631\u062d\u0628\u0627 \ud83d\ude4f \/ \"q\" \ud800"}}]}`)),
		"raw UTF-8 text":               string(wrap(`{"messages":[{"id":"a","from":"1","type":"text","text":{"body":"مرحبا é"}}]}`)),
		"template field":               `{"entry":[{"changes":[{"value":{"event":"APPROVED","message_template_id":1},"field":"message_template_status_update"}]}]}`,
		"messages under another field": `{"entry":[{"changes":[{"value":{"messages":[]},"field":"history"}]}]}`,
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if !json.Valid([]byte(body)) {
				t.Fatalf("test body is not JSON: %s", body)
			}
			quick, quickOK, fast, ok, slow := webhook.ParsePaths([]byte(body))
			if quickOK && !reflect.DeepEqual(quick, slow) {
				qj, _ := json.Marshal(quick)
				sj, _ := json.Marshal(slow)
				t.Fatalf("quick and slow paths differ:\nquick %s\nslow  %s", qj, sj)
			}
			if ok && !reflect.DeepEqual(fast, slow) {
				fj, _ := json.Marshal(fast)
				sj, _ := json.Marshal(slow)
				t.Fatalf("paths differ:\nfast %s\nslow %s", fj, sj)
			}
			n, err := webhook.Parse([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(n, slow) {
				t.Fatal("Parse differs from the slow path")
			}
		})
	}
}

// Large batches deduplicate through keys, small ones without: both agree.
func TestEventsDeduplicateLargeBatches(t *testing.T) {
	t.Parallel()
	var msgs, sts []string
	for i := range 40 {
		id := "wamid." + strconv.Itoa(i%25) // 15 repeats
		msgs = append(msgs, `{"from":"16505551234","id":"`+id+`","timestamp":"1749416383","type":"text","text":{"body":"x"}}`)
		sts = append(sts, `{"id":"`+id+`","status":"read","timestamp":"1749416383","recipient_id":"16505551234"}`,
			`{"id":"`+id+`","status":"delivered","timestamp":"1749416383","recipient_id":"16505551234"}`)
	}
	n, err := webhook.Parse(wrap(`{"metadata":{"phone_number_id":"1"},"messages":[` + strings.Join(msgs, ",") + `],"statuses":[` + strings.Join(sts, ",") + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	evs := n.Events()
	seen := map[string]bool{}
	for _, e := range evs {
		if seen[e.Key()] {
			t.Fatalf("%s twice", e.Key())
		}
		seen[e.Key()] = true
	}
	if len(evs) != 25*3 {
		t.Fatalf("events = %d, want 75", len(evs))
	}
}

// A message without a sender of its own takes the only contact's: its
// phone number, or its business-scoped user id.
func TestSenderFromTheOnlyContact(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ contact, want string }{
		{`{"profile":{"name":"A"},"wa_id":"16505551234","user_id":"US.1"}`, "16505551234"},
		{`{"profile":{"name":"A"},"user_id":"US.13491208655302741918"}`, "US.13491208655302741918"},
	} {
		n, err := webhook.Parse(wrap(`{"metadata":{"phone_number_id":"1"},"contacts":[` + tt.contact + `],
			"messages":[{"id":"wamid.r","timestamp":"1749416383","type":"reaction","reaction":{"message_id":"wamid.o","emoji":""}}]}`))
		if err != nil {
			t.Fatal(err)
		}
		evs := n.Events()
		if len(evs) != 1 || evs[0].Message.From.Contact != tt.want || evs[0].Message.ProfileName != "A" {
			t.Fatalf("events = %+v", evs)
		}
		r := n.Entries[0].Changes[0].Value.(*webhook.MessagesValue).Messages[0].Reaction
		if !r.Removed() || evs[0].Message.Kind != chat.KindReaction || evs[0].Message.ReplyTo != "wamid.o" {
			t.Fatalf("reaction = %+v, event = %+v", r, evs[0].Message)
		}
	}
}
