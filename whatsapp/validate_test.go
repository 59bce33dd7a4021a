package whatsapp_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/whatsapp"
)

func TestValidationLimits(t *testing.T) {
	t.Parallel()
	env := whatsapp.Envelope{To: "+16505551234"}
	long := func(n int) string { return strings.Repeat("ب", n) } // Arabic: 2 bytes per character
	btn := func(titles ...string) []whatsapp.Button {
		var out []whatsapp.Button
		for i, tt := range titles {
			out = append(out, whatsapp.Button{ID: "b" + string(rune('a'+i)), Title: tt})
		}
		return out
	}
	rows := func(n int) []whatsapp.Row {
		var out []whatsapp.Row
		for i := range n {
			out = append(out, whatsapp.Row{ID: "r" + string(rune('a'+i)), Title: "Row"})
		}
		return out
	}
	list := func(mod func(*whatsapp.List)) whatsapp.List {
		l := whatsapp.List{Envelope: env, Body: "Pick", Button: "Options", Sections: []whatsapp.Section{{Rows: rows(2)}}}
		mod(&l)
		return l
	}
	tests := []struct {
		name  string
		m     whatsapp.Message
		field string // "" means valid
		limit string // text the error must contain
	}{
		{"text at limit", whatsapp.Text{Envelope: env, Body: long(4096)}, "", ""},
		{"text over limit", whatsapp.Text{Envelope: env, Body: long(4097)}, "text.body", "4097 characters; WhatsApp allows 4096"},
		{"text empty", whatsapp.Text{Envelope: env, Body: " "}, "text.body", "empty"},
		{"no recipient", whatsapp.Text{Body: "x"}, "to", "empty"},
		{"both recipients", whatsapp.Text{Envelope: whatsapp.Envelope{To: "+1", Recipient: "US.1"}, Body: "x"}, "to", "both"},
		{"bsuid in to", whatsapp.Text{Envelope: whatsapp.Envelope{To: "US.13491208655302741918"}, Body: "x"}, "to", "Recipient"},
		{"callback data", whatsapp.Text{Envelope: whatsapp.Envelope{To: "+1", CallbackData: long(513)}, Body: "x"}, "biz_opaque_callback_data", "allows 512"},
		{"caption", whatsapp.Image{Envelope: env, MediaRef: whatsapp.MediaRef{ID: "1"}, Caption: long(1025)}, "image.caption", "allows 1024"},
		{"media neither", whatsapp.Image{Envelope: env}, "image", "neither"},
		{"media both", whatsapp.Video{Envelope: env, MediaRef: whatsapp.MediaRef{ID: "1", Link: "https://x"}}, "video", "both"},
		{"media link scheme", whatsapp.Audio{Envelope: env, MediaRef: whatsapp.MediaRef{Link: "ftp://x"}}, "audio.link", "http"},
		{"button title 20", whatsapp.Buttons{Envelope: env, Body: "b", Buttons: btn(long(20))}, "", ""},
		{"button title 21", whatsapp.Buttons{Envelope: env, Body: "b", Buttons: btn("Talk to a person today")}, "interactive.action.buttons[0].reply.title", "22 characters; WhatsApp allows 20"},
		{"button id 257", whatsapp.Buttons{Envelope: env, Body: "b", Buttons: []whatsapp.Button{{ID: long(257), Title: "t"}}}, "interactive.action.buttons[0].reply.id", "allows 256"},
		{"four buttons", whatsapp.Buttons{Envelope: env, Body: "b", Buttons: btn("a", "b", "c", "d")}, "interactive.action.buttons", "4 buttons; WhatsApp allows 3"},
		{"no buttons", whatsapp.Buttons{Envelope: env, Body: "b"}, "interactive.action.buttons", "empty"},
		{"duplicate titles", whatsapp.Buttons{Envelope: env, Body: "b", Buttons: btn("a", "a")}, "interactive.action.buttons[1].reply.title", "repeats"},
		{"button body", whatsapp.Buttons{Envelope: env, Body: long(1025), Buttons: btn("a")}, "interactive.body.text", "allows 1024"},
		{"button footer", whatsapp.Buttons{Envelope: env, Body: "b", Footer: long(61), Buttons: btn("a")}, "interactive.footer.text", "allows 60"},
		{"button header", whatsapp.Buttons{Envelope: env, Header: &whatsapp.Header{Text: long(61)}, Body: "b", Buttons: btn("a")}, "interactive.header.text", "allows 60"},
		{"header two kinds", whatsapp.Buttons{Envelope: env, Header: &whatsapp.Header{Text: "x", Image: &whatsapp.MediaRef{ID: "1"}}, Body: "b", Buttons: btn("a")}, "interactive.header", "more than one"},
		{"list ok", list(func(*whatsapp.List) {}), "", ""},
		{"list body 4096", list(func(l *whatsapp.List) { l.Body = long(4096) }), "", ""},
		{"list body 4097", list(func(l *whatsapp.List) { l.Body = long(4097) }), "interactive.body.text", "allows 4096"},
		{"list button", list(func(l *whatsapp.List) { l.Button = long(21) }), "interactive.action.button", "allows 20"},
		{"list header", list(func(l *whatsapp.List) { l.Header = long(61) }), "interactive.header.text", "allows 60"},
		{"eleven rows", list(func(l *whatsapp.List) {
			second := rows(5)
			for i := range second {
				second[i].ID += "2"
			}
			l.Sections = []whatsapp.Section{{Title: "a", Rows: rows(6)}, {Title: "b", Rows: second}}
		}), "interactive.action.sections", "11 rows in all; WhatsApp allows 10"},
		{"row title", list(func(l *whatsapp.List) { l.Sections[0].Rows[1].Title = long(25) }), "interactive.action.sections[0].rows[1].title", "25 characters; WhatsApp allows 24"},
		{"row description", list(func(l *whatsapp.List) { l.Sections[0].Rows[0].Description = long(73) }), "interactive.action.sections[0].rows[0].description", "allows 72"},
		{"row id", list(func(l *whatsapp.List) { l.Sections[0].Rows[0].ID = long(201) }), "interactive.action.sections[0].rows[0].id", "allows 200"},
		{"section title", list(func(l *whatsapp.List) { l.Sections[0].Title = long(25) }), "interactive.action.sections[0].title", "allows 24"},
		{"section title needed", list(func(l *whatsapp.List) {
			l.Sections = append(l.Sections, whatsapp.Section{Title: "x", Rows: []whatsapp.Row{{ID: "z", Title: "z"}}})
		}), "interactive.action.sections[0].title", "required"},
		{"eleven sections", list(func(l *whatsapp.List) {
			l.Sections = nil
			for i := range 11 {
				l.Sections = append(l.Sections, whatsapp.Section{Title: "s", Rows: []whatsapp.Row{{ID: "r" + string(rune('a'+i)), Title: "t"}}})
			}
		}), "interactive.action.sections", "11 sections; WhatsApp allows 10"},
		{"flow cta", whatsapp.Flow{Envelope: env, Body: "b", FlowID: "1", CTA: long(21)}, "interactive.action.parameters.flow_cta", "allows 20"},
		{"flow id and name", whatsapp.Flow{Envelope: env, Body: "b", FlowID: "1", FlowName: "n", CTA: "Go"}, "interactive.action.parameters.flow_id", "exactly one"},
		{"flow action", whatsapp.Flow{Envelope: env, Body: "b", FlowID: "1", CTA: "Go", Action: "jump"}, "interactive.action.parameters.flow_action", "navigate"},
		{"cta display text", whatsapp.CTAURL{Envelope: env, Body: "b", DisplayText: long(21), URL: "https://x"}, "interactive.action.parameters.display_text", "allows 20"},
		{"cta url", whatsapp.CTAURL{Envelope: env, Body: "b", DisplayText: "Go", URL: "x"}, "interactive.action.parameters.url", "http"},
		{"location request body", whatsapp.LocationRequest{Envelope: env}, "interactive.body.text", "empty"},
		{"latitude", whatsapp.Location{Envelope: env, Latitude: 91}, "location.latitude", "-90..90"},
		{"reaction id", whatsapp.Reaction{Envelope: env, Emoji: "👍"}, "reaction.message_id", "empty"},
		{"six contacts", whatsapp.Contacts{Envelope: env, Contacts: make([]whatsapp.Contact, 6)}, "contacts", "6 contacts; WhatsApp allows 5"},
		{"contact name", whatsapp.Contacts{Envelope: env, Contacts: make([]whatsapp.Contact, 1)}, "contacts[0].name.formatted_name", "empty"},
		{"template name case", whatsapp.TemplateMessage{Envelope: env, Name: "Hello", Language: "en"}, "template.name", "lowercase"},
		{"template name long", whatsapp.TemplateMessage{Envelope: env, Name: strings.Repeat("a", 513), Language: "en"}, "template.name", "513 characters; WhatsApp allows 512"},
		{"template language", whatsapp.TemplateMessage{Envelope: env, Name: "a"}, "template.language.code", "empty"},
		{"template mixed params", whatsapp.TemplateMessage{Envelope: env, Name: "a", Language: "en", Body: []whatsapp.Param{{Name: "x", Text: "1"}, {Text: "2"}}}, "template.body.parameters[1].parameter_name", "named"},
		{"template empty param", whatsapp.TemplateMessage{Envelope: env, Name: "a", Language: "en", Body: []whatsapp.Param{{}}}, "template.body.parameters[0]", "no value"},
		{"template two values", whatsapp.TemplateMessage{Envelope: env, Name: "a", Language: "en", Body: []whatsapp.Param{{Text: "x", DateTime: &whatsapp.DateTime{FallbackValue: "y"}}}}, "template.body.parameters[0]", "more than one"},
		{"template media body", whatsapp.TemplateMessage{Envelope: env, Name: "a", Language: "en", Body: []whatsapp.Param{{Image: &whatsapp.MediaRef{ID: "1"}}}}, "template.body.parameters[0]", "media"},
		{"template currency", whatsapp.TemplateMessage{Envelope: env, Name: "a", Language: "en", Body: []whatsapp.Param{{Currency: &whatsapp.Currency{FallbackValue: "$1", Code: "US"}}}}, "template.body.parameters[0].currency", "ISO 4217"},
		{"template two media headers", whatsapp.TemplateMessage{Envelope: env, Name: "a", Language: "en", Header: []whatsapp.Param{{Image: &whatsapp.MediaRef{ID: "1"}}, {Text: "x"}}}, "template.header.parameters", "exactly one"},
		{"template button index", whatsapp.TemplateMessage{Envelope: env, Name: "a", Language: "en", Buttons: []whatsapp.TemplateButton{{SubType: "url", Index: 10, Text: "x"}}}, "template.buttons[0].index", "0..9"},
		{"template button repeat", whatsapp.TemplateMessage{Envelope: env, Name: "a", Language: "en", Buttons: []whatsapp.TemplateButton{{SubType: "url", Text: "x"}, {SubType: "url", Text: "y"}}}, "template.buttons[1].index", "repeats"},
		{"template button subtype", whatsapp.TemplateMessage{Envelope: env, Name: "a", Language: "en", Buttons: []whatsapp.TemplateButton{{SubType: "call"}}}, "template.buttons[0].sub_type", "quick_reply"},
		{"template quick reply payload", whatsapp.TemplateMessage{Envelope: env, Name: "a", Language: "en", Buttons: []whatsapp.TemplateButton{{SubType: "quick_reply"}}}, "template.buttons[0].payload", "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.m.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var fe *chat.FieldError
			if !errors.As(err, &fe) || !errors.Is(err, whatsapp.ErrInvalid) {
				t.Fatalf("Validate() = %v, want a field error", err)
			}
			if fe.Field != tt.field || !strings.Contains(err.Error(), tt.limit) {
				t.Fatalf("Validate() = %q (field %q), want field %q mentioning %q", err, fe.Field, tt.field, tt.limit)
			}
			if strings.Contains(err.Error(), "ببب") {
				t.Fatalf("error quotes the content: %v", err)
			}
		})
	}
}

// TestSendValidatesBeforeHTTP: an invalid message never reaches the wire.
func TestSendValidatesBeforeHTTP(t *testing.T) {
	t.Parallel()
	c, cp := captureClient(t, okSend)
	_, err := c.Messages.Send(t.Context(), phoneID, whatsapp.Text{Envelope: to(meta), Body: strings.Repeat("x", 4097)})
	if !errors.Is(err, whatsapp.ErrInvalid) || len(cp.reqs) != 0 {
		t.Fatalf("err %v with %d requests, want a validation error and none", err, len(cp.reqs))
	}
	for _, id := range []string{"", "../1", "1/messages"} {
		if _, err := c.Messages.Send(t.Context(), id, whatsapp.Text{Envelope: to(meta), Body: "x"}); !errors.Is(err, whatsapp.ErrInvalid) {
			t.Errorf("phone number id %q: err %v", id, err)
		}
	}
	if _, err := c.Messages.Send(t.Context(), phoneID, nil); !errors.Is(err, whatsapp.ErrInvalid) {
		t.Errorf("nil message: err %v", err)
	}
	if len(cp.reqs) != 0 {
		t.Fatalf("%d requests sent", len(cp.reqs))
	}
}

func TestUploadChecksTypeAndSize(t *testing.T) {
	t.Parallel()
	c, cp := captureClient(t, `{"id":"1"}`)
	cases := map[string]whatsapp.Upload{
		"mime_type": {MIMEType: "image/gif", Body: strings.NewReader("GIF89a")},
		"file":      {MIMEType: "image/jpeg", Body: strings.NewReader(strings.Repeat("x", 5<<20+1))},
	}
	for field, u := range cases {
		var fe *chat.FieldError
		if _, err := c.Media.Upload(t.Context(), phoneID, u); !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("%s: err %v", field, err)
		}
	}
	if len(cp.reqs) != 0 {
		t.Fatalf("%d requests sent", len(cp.reqs))
	}
	if k, max, ok := whatsapp.MediaLimit("audio/ogg; codecs=opus"); !ok || k != whatsapp.KindAudio || max != 16<<20 {
		t.Fatalf("MediaLimit(audio/ogg) = %v %v %v", k, max, ok)
	}
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	bad := map[string][]whatsapp.Option{
		"base url":     {whatsapp.WithBaseURL("graph.facebook.com")},
		"version":      {whatsapp.WithAPIVersion("25")},
		"http client":  {whatsapp.WithHTTPClient(nil)},
		"logger":       {whatsapp.WithLogger(nil)},
		"rate":         {whatsapp.WithRateLimit(1001)},
		"rate zero":    {whatsapp.WithRateLimit(0)},
		"pair":         {whatsapp.WithPairRateLimit(0, 1)},
		"retry":        {whatsapp.WithRetryPolicy(whatsapp.RetryPolicy{})},
		"retry delays": {whatsapp.WithRetryPolicy(whatsapp.RetryPolicy{MaxAttempts: 3, InitialDelay: time.Second, MaxDelay: time.Millisecond})},
		"clock":        {whatsapp.WithClock(nil)},
		"nil option":   {nil},
	}
	for name, opts := range bad {
		if _, err := whatsapp.New("tok", opts...); err == nil {
			t.Errorf("%s: New accepted a bad option", name)
		}
	}
	for _, tok := range []string{"", " ", "a b"} {
		if _, err := whatsapp.New(tok); err == nil {
			t.Errorf("token %q accepted", tok)
		}
	}
	c, err := whatsapp.New("secret-token-value", whatsapp.WithAPIVersion("v26.0"), whatsapp.WithBaseURL("https://example.org/graph/"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.URL("1/messages"); got != "https://example.org/graph/v26.0/1/messages" {
		t.Fatalf("URL = %s", got)
	}
	if s := fmt.Sprint(c); strings.Contains(s, "secret-token-value") {
		t.Fatalf("client prints its token: %s", s)
	}
}
