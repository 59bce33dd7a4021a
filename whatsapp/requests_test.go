package whatsapp_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/impactchat/impactchat/whatsapp"
)

// conformanceDir finds Meta's recorded requests, responses and OpenAPI
// description: $IMPACTCHAT_CONFORMANCE_DIR, or ../shared/conformance beside
// the module root. Tests skip when it is absent, unless
// IMPACTCHAT_REQUIRE_CONFORMANCE=1.
func conformanceDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("IMPACTCHAT_CONFORMANCE_DIR")
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				dir = filepath.Join(d, "..", "shared", "conformance")
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if st, err := os.Stat(dir); dir == "" || err != nil || !st.IsDir() {
		if os.Getenv("IMPACTCHAT_REQUIRE_CONFORMANCE") == "1" {
			t.Fatalf("conformance fixtures not found at %q (IMPACTCHAT_REQUIRE_CONFORMANCE=1)", dir)
		}
		t.Skipf("conformance fixtures not found at %q; set IMPACTCHAT_CONFORMANCE_DIR to run this test", dir)
	}
	return dir
}

func readFixture(t testing.TB, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return b
}

// capture is a transport that records request bodies and answers every
// request with one fixed body.
type capture struct {
	mu     sync.Mutex
	status int
	answer []byte
	header http.Header
	reqs   []*http.Request
	bodies [][]byte
}

func (c *capture) RoundTrip(r *http.Request) (*http.Response, error) {
	var b []byte
	if r.Body != nil {
		b, _ = io.ReadAll(r.Body)
	}
	c.mu.Lock()
	c.reqs = append(c.reqs, r)
	c.bodies = append(c.bodies, b)
	status, answer := c.status, c.answer
	c.mu.Unlock()
	if status == 0 {
		status = http.StatusOK
	}
	h := http.Header{"Content-Type": {"application/json"}}
	for k, v := range c.header {
		h[k] = v
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(bytes.NewReader(answer)), Request: r}, nil
}

func (c *capture) last() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.bodies) == 0 {
		return nil
	}
	return c.bodies[len(c.bodies)-1]
}

const okSend = `{"messaging_product":"whatsapp","contacts":[{"input":"x","wa_id":"x"}],"messages":[{"id":"wamid.OK"}]}`

func captureClient(t testing.TB, answer string) (*whatsapp.Client, *capture) {
	t.Helper()
	cp := &capture{answer: []byte(answer)}
	c, err := whatsapp.New("test-token", whatsapp.WithHTTPClient(&http.Client{Transport: cp}), whatsapp.WithoutPacing(),
		whatsapp.WithRetryPolicy(whatsapp.RetryPolicy{MaxAttempts: 1}))
	if err != nil {
		t.Fatal(err)
	}
	return c, cp
}

const phoneID = "106540352242922"

// requestCase is one call of the client, with the real request it should
// match (fixture, may be empty) and the OpenAPI schema its body must
// satisfy.
type requestCase struct {
	name    string
	fixture string
	schema  string // "Message", "MarkMessageRequestPayload" or "CreateTemplate"
	answer  string
	call    func(ctx context.Context, c *whatsapp.Client) error
}

func send(m whatsapp.Message) func(ctx context.Context, c *whatsapp.Client) error {
	return func(ctx context.Context, c *whatsapp.Client) error {
		_, err := c.Messages.Send(ctx, phoneID, m)
		return err
	}
}

func to(n string) whatsapp.Envelope { return whatsapp.Envelope{To: n} }

const (
	ruby    = "13437772910"
	java    = "121212121212"
	meta    = "+16505551234"
	courier = "250788123123"
)

func requestCases() []requestCase {
	javaRows := func(s int) []whatsapp.Row {
		var rows []whatsapp.Row
		for i := 1; i <= 3; i++ {
			id := "SECTION_" + string(rune('0'+s)) + "_ROW_" + string(rune('0'+i))
			rows = append(rows, whatsapp.Row{ID: id + "_ID", Title: "Title " + string(rune('0'+i)), Description: id + "_DESCRIPTION"})
		}
		return rows
	}
	quick := func(payloads ...string) []whatsapp.TemplateButton {
		var out []whatsapp.TemplateButton
		for i, p := range payloads {
			out = append(out, whatsapp.TemplateButton{SubType: whatsapp.ButtonQuickReply, Index: i, Payload: p})
		}
		return out
	}
	return []requestCase{
		{name: "text", fixture: "text__ruby-sdk.json", call: send(whatsapp.Text{Envelope: to(ruby), Body: "hola"})},
		{name: "text no preview", fixture: "text_no_preview__java-sdk.json", call: send(whatsapp.Text{Envelope: to(java), Body: "*Hello world!*\nSome code here: \n```hello world code here```"})},
		{name: "text preview", fixture: "text_preview_url__meta-docs.json", call: send(whatsapp.Text{Envelope: to("+16505555555"), Body: "Here's the info you requested! https://www.meta.com/quest/quest-3/", PreviewURL: true})},
		{name: "text preview courier", fixture: "text_preview_url_true__courier.json", call: send(whatsapp.Text{Envelope: to(courier), Body: "Link Sending https://link.com", PreviewURL: true})},
		{name: "text reply", fixture: "text_reply_with_context__ruby-sdk.json", call: send(whatsapp.Text{Envelope: whatsapp.Envelope{To: ruby, ReplyTo: "wamid.HBgLMTM0Mzc3NzI5MTAVAgARGBI3OEVCRjczQ0JGNzYzMTdBRDIA"}, Body: "gracias"})},
		{name: "text bsuid", fixture: "text_to_bsuid_recipient__courier.json", call: send(whatsapp.Text{Envelope: whatsapp.Envelope{Recipient: "US.1234"}, Body: "Simple Message"})},
		{name: "text callback data", call: send(whatsapp.Text{Envelope: whatsapp.Envelope{To: meta, CallbackData: "case-7"}, Body: "hello"})},
		{name: "image id", fixture: "image_by_id__ruby-sdk.json", call: send(whatsapp.Image{Envelope: to(ruby), MediaRef: whatsapp.MediaRef{ID: "1761991787669262"}, Caption: "Ignacio Chiazzo Profile"})},
		{name: "image link", fixture: "image_by_link__ruby-sdk.json", call: send(whatsapp.Image{Envelope: to(ruby), MediaRef: whatsapp.MediaRef{Link: "https://ignaciochiazzo.com/static/4c403819b9750c8ad8b20a75308f2a8a/876d5/profile-pic.avif"}, Caption: "Ignacio Chiazzo Profile"})},
		{name: "audio id", fixture: "audio_by_id__java-sdk.json", call: send(whatsapp.Audio{Envelope: to(java), MediaRef: whatsapp.MediaRef{ID: "4545454545454"}})},
		{name: "audio id ruby", fixture: "audio_by_id__ruby-sdk.json", call: send(whatsapp.Audio{Envelope: to(ruby), MediaRef: whatsapp.MediaRef{ID: "914268667232441"}})},
		{name: "audio voice", call: send(whatsapp.Audio{Envelope: to(meta), MediaRef: whatsapp.MediaRef{ID: "1013859600285441"}, Voice: true})},
		{name: "video id", fixture: "video_by_id__ruby-sdk.json", call: send(whatsapp.Video{Envelope: to(ruby), MediaRef: whatsapp.MediaRef{ID: "535689082735659"}, Caption: "here we have the caption"})},
		{name: "video link", fixture: "video_by_link__ruby-sdk.json", call: send(whatsapp.Video{Envelope: to(ruby), MediaRef: whatsapp.MediaRef{Link: "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=535689082735659&ext=1728914425&hash=ATsJzdzBhUZo3p6_XWI6MH2zzIyaatYIMQrySbaG-93Z3g"}, Caption: "Juan Roman"})},
		{name: "document id", fixture: "document_by_id_with_filename__ruby-sdk.json", call: send(whatsapp.Document{Envelope: to(ruby), MediaRef: whatsapp.MediaRef{ID: "1753306975419607"}, Caption: "Ignacio Chiazzo Profile", Filename: "custom_name"})},
		{name: "document link", fixture: "document_by_link__ruby-sdk.json", call: send(whatsapp.Document{Envelope: to(ruby), MediaRef: whatsapp.MediaRef{Link: "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1753306975419607&ext=1728915089&hash=ATvwReL_PLDHz6DWxvpaf6bNc1FGIwvIBTvDdxlnyn_ZXw"}, Caption: "Ignacio Chiazzo Profile", Filename: "custom_name"})},
		{name: "sticker id", fixture: "sticker_by_id__ruby-sdk.json", call: send(whatsapp.Sticker{Envelope: to(ruby), MediaRef: whatsapp.MediaRef{ID: "503335829198997"}})},
		{name: "sticker link", fixture: "sticker_by_link__ruby-sdk.json", call: send(whatsapp.Sticker{Envelope: to(ruby), MediaRef: whatsapp.MediaRef{Link: "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=503335829198997&ext=1728915786&hash=ATtVD-s23cG7a-A68fi7ZOjufIMjge89SIvw9wv9cvjIOg"}})},
		{name: "reaction", fixture: "reaction__ruby-sdk.json", call: send(whatsapp.Reaction{Envelope: to(ruby), MessageID: "wamid.HBgLMTM0Mzc3NzI5MTAVAgARGBI2REVCOTdDQkIyMTcyQUQ1MkUA", Emoji: "🕐"})},
		{name: "reaction removal", call: send(whatsapp.Reaction{Envelope: to(meta), MessageID: "wamid.HBgLMTM0"})},
		{name: "location", fixture: "location__ruby-sdk.json", call: send(whatsapp.Location{Envelope: to(ruby), Longitude: 45.4215, Latitude: 75.6972, Name: "nacho", Address: "141 cooper street"})},
		{name: "location java", fixture: "location__java-sdk.json", call: send(whatsapp.Location{Envelope: to(java), Longitude: -84.265742, Latitude: 39.284064, Name: "Loveland Castle Museum", Address: "12025 Shore Dr, Loveland, OH 45140"})},
		{name: "contacts", fixture: "contacts__ruby-sdk.json", call: send(whatsapp.Contacts{Envelope: to(ruby), Contacts: []whatsapp.Contact{{
			Addresses: []whatsapp.ContactAddress{
				{Street: "STREET", City: "CITY", State: "STATE", Zip: "ZIP", Country: "COUNTRY", CountryCode: "COUNTRY_CODE", Type: "Work"},
				{Street: "STREET", City: "CITY", State: "STATE", Zip: "ZIP", Country: "COUNTRY", CountryCode: "COUNTRY_CODE", Type: "Work"}},
			Birthday: "2019-01-01",
			Emails:   []whatsapp.ContactEmail{{Email: "ignacio@gmail.com", Type: "Work"}, {Email: "ignacio2@gmail.com", Type: "Home"}},
			Name:     whatsapp.ContactName{FormattedName: "ignacio chiazzo", FirstName: "ignacio", LastName: "chiazo", MiddleName: "jose", Suffix: "ch", Prefix: "ig"},
			Org:      &whatsapp.ContactOrg{Company: "ignacioCo", Department: "Engineering", Title: "ignacioOrg"},
			Phones:   []whatsapp.ContactPhone{{Phone: "1234567", Type: "Home", WAID: "1234"}, {Phone: "9876543", Type: "Work", WAID: "1234"}},
			URLs:     []whatsapp.ContactURL{{URL: "1234567", Type: "Home"}, {URL: "1234567", Type: "Work"}},
		}}})},
		{name: "contacts java", fixture: "contacts__java-sdk.json", call: send(whatsapp.Contacts{Envelope: to(java), Contacts: []whatsapp.Contact{{
			Birthday:  "1900-01-01",
			Emails:    []whatsapp.ContactEmail{{Type: "HOME", Email: "mauriciobinda@hotmail.com"}},
			Addresses: []whatsapp.ContactAddress{{Zip: "10011", Country: "United States", CountryCode: "US", City: "New York", Street: "47 W 13th St", State: "NY", Type: "WORK"}},
			URLs:      []whatsapp.ContactURL{{Type: "WORK", URL: "https://www.google.com"}},
			Org:       &whatsapp.ContactOrg{Company: "My company", Department: "IT", Title: "Org title"},
			Name:      whatsapp.ContactName{FirstName: "Mauricio", FormattedName: "Mauricio Binda"},
			Phones:    []whatsapp.ContactPhone{{Phone: "121212121212", Type: "IPHONE"}},
		}}})},
		{name: "buttons", fixture: "interactive_button__ruby-sdk.json", call: send(whatsapp.Buttons{Envelope: to(ruby), Header: &whatsapp.Header{Text: "I am the header!"}, Body: "I am the body!", Footer: "I am the footer!",
			Buttons: []whatsapp.Button{{ID: "button_1", Title: "This is button 1!"}, {ID: "button_2", Title: "This is button 2!"}}})},
		{name: "buttons java", fixture: "interactive_button__java-sdk.json", call: send(whatsapp.Buttons{Envelope: to(java), Header: &whatsapp.Header{Text: "Appointment confirmation."}, Body: "Would you like to confirm your appointment for tomorrow?", Footer: "Choose an option:",
			Buttons: []whatsapp.Button{{ID: "1278454", Title: "YES"}, {ID: "1278455", Title: "NO"}, {ID: "1278456", Title: "CHANGE"}}})},
		{name: "buttons image header", fixture: "interactive_button_image_header__meta-docs.json", call: send(whatsapp.Buttons{Envelope: to(meta), Header: &whatsapp.Header{Image: &whatsapp.MediaRef{ID: "2762702990552401"}},
			Body: "Hi Pablo! Your gardening workshop is scheduled for 9am tomorrow. Use the buttons if you need to reschedule. Thank you!", Footer: "Lucky Shrub: Your gateway to succulents!™",
			Buttons: []whatsapp.Button{{ID: "change-button", Title: "Change"}, {ID: "cancel-button", Title: "Cancel"}}})},
		{name: "buttons video header", fixture: "interactive_button_video_header__java-sdk.json", call: send(whatsapp.Buttons{Envelope: to(java), Header: &whatsapp.Header{Video: &whatsapp.MediaRef{Link: "https://joy1.videvo.net/videvo_files/video/free/2014-04/large_watermarked/Lonely_tree_at_Sunset_slow_motion_CCBY_NatureClip_preview.mp4"}},
			Body: "Do you like this video?", Footer: "Choose an option:", Buttons: []whatsapp.Button{{ID: "1278454", Title: "YES"}, {ID: "1278455", Title: "NO"}}})},
		{name: "list", fixture: "interactive_list__meta-docs.json", call: send(whatsapp.List{Envelope: to(meta), Header: "Choose Shipping Option", Body: "Which shipping option do you prefer?", Footer: "Lucky Shrub: Your gateway to succulents™", Button: "Shipping Options",
			Sections: []whatsapp.Section{
				{Title: "I want it ASAP!", Rows: []whatsapp.Row{{ID: "priority_express", Title: "Priority Mail Express", Description: "Next Day to 2 Days"}, {ID: "priority_mail", Title: "Priority Mail", Description: "1–3 Days"}}},
				{Title: "I can wait a bit", Rows: []whatsapp.Row{{ID: "usps_ground_advantage", Title: "USPS Ground Advantage", Description: "2–5 Days"}, {ID: "media_mail", Title: "Media Mail", Description: "2–8 Days"}}},
			}})},
		{name: "list ruby", fixture: "interactive_list__ruby-sdk.json", call: send(whatsapp.List{Envelope: to(ruby), Header: "I am the header!", Body: "I am the body!", Footer: "I am the footer!", Button: "I am the button CTA",
			Sections: []whatsapp.Section{
				{Title: "I am section 1", Rows: []whatsapp.Row{{ID: "section_1_row_1", Title: "I am row 1", Description: "I am the optional section 1 row 1 description"}}},
				{Title: "I am section 2", Rows: []whatsapp.Row{{ID: "section_2_row_1", Title: "I am row 1", Description: "I am the optional section 2 row 1 description"}, {ID: "section_2_row_2", Title: "I am row 2", Description: "I am the optional section 2 row 2 description"}}},
			}})},
		{name: "list java", fixture: "interactive_list__java-sdk.json", call: send(whatsapp.List{Envelope: to(java), Header: "Header Text", Body: "Body message", Footer: "Footer Text", Button: "choose an option",
			Sections: []whatsapp.Section{{Title: "Section 1", Rows: javaRows(1)}, {Title: "Section 2", Rows: javaRows(2)}}})},
		{name: "cta url", fixture: "interactive_cta_url__courier.json", call: send(whatsapp.CTAURL{Envelope: to(courier), Body: "Interactive URL msg", DisplayText: "Visit", URL: "https://example.com"})},
		{name: "cta url image header", fixture: "interactive_cta_url_image_header__courier.json", call: send(whatsapp.CTAURL{Envelope: to(courier), Header: &whatsapp.Header{Image: &whatsapp.MediaRef{Link: "https://foo.bar/image.jpg"}}, Body: "Interactive URL msg", DisplayText: "Visit", URL: "https://example.com"})},
		{name: "flow", fixture: "interactive_flow__courier.json", call: send(whatsapp.Flow{Envelope: to(courier), Body: "Interactive form msg", FlowID: "123456", CTA: "Book now"})},
		{name: "flow data exchange", fixture: "interactive_flow_data_exchange__courier.json", call: send(whatsapp.Flow{Envelope: to(courier), Body: "Interactive form msg", FlowID: "123456", CTA: "Book now", Action: "data_exchange", Token: "b2fdc934"})},
		{name: "flow navigate data", fixture: "interactive_flow_navigate_with_data__courier.json", call: send(whatsapp.Flow{Envelope: to(courier), Body: "Interactive form msg", FlowID: "123456", CTA: "Book now", Action: "navigate", Screen: "BOOKING", Data: map[string]any{"age": "32", "name": "Bob"}})},
		{name: "flow token", fixture: "interactive_flow_with_token__courier.json", call: send(whatsapp.Flow{Envelope: to(courier), Body: "Interactive form msg", FlowID: "123456", CTA: "Book now", Action: "navigate", Screen: "BOOKING", Data: map[string]any{"name": "Bob & Ann"}, Token: "session=123"})},
		{name: "flow by name draft", call: send(whatsapp.Flow{Envelope: to(meta), Header: &whatsapp.Header{Text: "Registration"}, Body: "Please register", Footer: "Takes 2 minutes", FlowName: "registration", CTA: "Register", Draft: true})},
		{name: "location request", fixture: "interactive_location_request__courier.json", call: send(whatsapp.LocationRequest{Envelope: to(courier), Body: "Interactive send location"})},
		{name: "template body", fixture: "template_body_text_param__java-sdk.json", call: send(whatsapp.TemplateMessage{Envelope: to(java), Name: "number_confirmation", Language: "pt_BR", Body: []whatsapp.Param{{Text: "18754269072"}}})},
		{name: "template body buttons", fixture: "template_body_and_buttons__java-sdk.json", call: send(whatsapp.TemplateMessage{Envelope: to(java), Name: "schedule_confirmation3", Language: "pt_BR",
			Body: []whatsapp.Param{{Text: "Mauricio"}, {Text: "04/11/2022"}, {Text: "14:30"}}, Buttons: quick("OP_YES_48547", "OP_NO_48548", "OP_CH_48549")})},
		{name: "template date time", fixture: "template_date_time_currency__java-sdk.json", call: send(whatsapp.TemplateMessage{Envelope: to(java), Name: "schedule_confirmation3", Language: "pt_BR",
			Body:    []whatsapp.Param{{Text: "Mauricio"}, {DateTime: &whatsapp.DateTime{FallbackValue: "25/03/2023"}}, {DateTime: &whatsapp.DateTime{FallbackValue: "14:34"}}},
			Buttons: quick("OP_YES_48547", "OP_NO_48548", "OP_CH_48549")})},
		{name: "template image header currency", fixture: "template_header_image_by_id__java-sdk.json", call: send(whatsapp.TemplateMessage{Envelope: to(java), Name: "marketing_music_2", Language: "en_US",
			Header:  []whatsapp.Param{{Image: &whatsapp.MediaRef{ID: "3196424913981611"}}},
			Body:    []whatsapp.Param{{DateTime: &whatsapp.DateTime{FallbackValue: "May 10th, 2023"}}, {Currency: &whatsapp.Currency{FallbackValue: "$35", Code: "USD", Amount1000: 30000}}},
			Buttons: quick("OP_SHN_454584", "OP_SPR_454585")})},
		{name: "template document header", fixture: "template_header_document__java-sdk.json", call: send(whatsapp.TemplateMessage{Envelope: to(java), Name: "new_classes_pdf", Language: "en_US",
			Header:  []whatsapp.Param{{Document: &whatsapp.DocumentRef{MediaRef: whatsapp.MediaRef{ID: "928860901494862"}, Filename: "Class.pdf"}}},
			Body:    []whatsapp.Param{{Text: "Mauricio Binda"}},
			Buttons: []whatsapp.TemplateButton{{SubType: whatsapp.ButtonURL, Index: 0, Text: "career-academy/?trk_ref=globalnav"}}})},
		{name: "template video header", fixture: "template_header_video__java-sdk.json", call: send(whatsapp.TemplateMessage{Envelope: to(java), Name: "video_tm", Language: "en_US",
			Header: []whatsapp.Param{{Video: &whatsapp.MediaRef{ID: "4548775454857854"}}}, Body: []whatsapp.Param{{Text: "Mauricio Binda"}}})},
		{name: "template named", fixture: "template_named_params__meta-docs.json", call: send(whatsapp.TemplateMessage{Envelope: to(meta), Name: "order_confirmation", Language: "en_US",
			Body: []whatsapp.Param{{Name: "first_name", Text: "Jessica"}, {Name: "order_number", Text: "SKBUP2-4CPIG9"}}})},
		{name: "template positional", fixture: "template_positional_params__meta-docs.json", call: send(whatsapp.TemplateMessage{Envelope: to(meta), Name: "order_confirmation", Language: "en_US",
			Body: []whatsapp.Param{{Text: "Jessica"}, {Text: "SKBUP2-4CPIG9"}}})},
		{name: "template ruby", fixture: "template_with_body_params__ruby-sdk.json", call: send(whatsapp.TemplateMessage{Envelope: to(ruby), Name: "sample_shipping_confirmation", Language: "en_US", Body: []whatsapp.Param{{Text: "2 hours"}}})},
		{name: "template courier", fixture: "template_header_body_buttons_quick_reply_url__courier.json", call: send(whatsapp.TemplateMessage{Envelope: to(courier), Name: "revive_issue", Language: "en_US",
			Header:  []whatsapp.Param{{Image: &whatsapp.MediaRef{Link: "https://foo.bar/image.jpg"}}},
			Body:    []whatsapp.Param{{Text: "Ryan Lewis"}, {Text: "niño"}},
			Buttons: []whatsapp.TemplateButton{{SubType: whatsapp.ButtonQuickReply, Index: 0, Payload: "Sip"}, {SubType: whatsapp.ButtonURL, Index: 1, Text: "id00231"}}})},
		{name: "template header text copy code", call: send(whatsapp.TemplateMessage{Envelope: to(meta), Name: "coupon_offer", Language: "es",
			Header:  []whatsapp.Param{{Text: "Ana"}},
			Body:    []whatsapp.Param{{Text: "25%"}},
			Buttons: []whatsapp.TemplateButton{{SubType: whatsapp.ButtonCopyCode, Index: 0, CouponCode: "SAVE25"}}})},
		{name: "mark read", fixture: "mark_as_read__meta-docs.json", schema: "MarkMessageRequestPayload", answer: `{"success":true}`,
			call: markRead("wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA", false)},
		{name: "mark read java", fixture: "mark_as_read__java-sdk.json", schema: "MarkMessageRequestPayload", answer: `{"success":true}`, call: markRead("123456", false)},
		{name: "typing", fixture: "typing_indicator__meta-docs.json", schema: "MarkMessageRequestPayload", answer: `{"success":true}`,
			call: markRead("wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA", true)},
		{name: "typing courier", fixture: "typing_indicator__courier.json", schema: "MarkMessageRequestPayload", answer: `{"success":true}`, call: markRead("wamid.HBgMNTU3", true)},
		{name: "create template named", fixture: "template_create_named__meta-docs.json", schema: "CreateTemplate", answer: `{"id":"1","status":"PENDING","category":"UTILITY"}`,
			call: createTemplate(whatsapp.NewTemplate{Name: "order_confirmation", Language: "en_US", Category: "utility", ParameterFormat: "named",
				Components: []whatsapp.TemplateComponent{{Type: "body", Text: "Thank you, {{first_name}}! Your order number is {{order_number}}.",
					Example: &whatsapp.TemplateExample{BodyTextNamedParams: []whatsapp.NamedExample{{ParamName: "first_name", Example: "Pablo"}, {ParamName: "order_number", Example: "860198-230332"}}}}}})},
		{name: "create template positional", fixture: "template_create_positional__meta-docs.json", schema: "CreateTemplate", answer: `{"id":"1","status":"PENDING","category":"UTILITY"}`,
			call: createTemplate(whatsapp.NewTemplate{Name: "order_confirmation", Language: "en_US", Category: "utility", ParameterFormat: "positional",
				Components: []whatsapp.TemplateComponent{{Type: "body", Text: "Hi {{1}}! Your order number is {{2}}. Thank you.",
					Example: &whatsapp.TemplateExample{BodyText: [][]string{{"Pablo", "860198-230332"}}}}}})},
		{name: "create template named buttons", fixture: "template_create_named__ruby-sdk.json", schema: "CreateTemplate", answer: `{"id":"1","status":"PENDING","category":"MARKETING"}`,
			call: createTemplate(whatsapp.NewTemplate{Name: "seasonal_promotion", Language: "en", Category: "MARKETING", ParameterFormat: "named",
				Components: []whatsapp.TemplateComponent{
					{Type: "BODY", Text: "Thank you for your order, {{name}}! Your confirmation number is {{order_number}}. If you have any questions, please use the buttons below to contact support. Thank you for being a customer!",
						Example: &whatsapp.TemplateExample{BodyTextNamedParams: []whatsapp.NamedExample{{ParamName: "name", Example: "Ignacio"}, {ParamName: "order_number", Example: "860198-230332"}}}},
					{Type: "BUTTONS", Buttons: []whatsapp.TemplateComponentButton{{Type: "PHONE_NUMBER", Text: "Call", PhoneNumber: "59898400766"}, {Type: "URL", Text: "Contact Support", URL: "https://www.luckyshrub.com/support"}}},
				}})},
		{name: "create template buttons", fixture: "template_create_positional_with_buttons__ruby-sdk.json", schema: "CreateTemplate", answer: `{"id":"1","status":"PENDING","category":"MARKETING"}`,
			call: createTemplate(whatsapp.NewTemplate{Name: "seasonal_promotion", Language: "nl", Category: "MARKETING", AllowCategoryChange: true,
				Components: []whatsapp.TemplateComponent{
					{Type: "BODY", Text: "Thank you for your order, {{1}}! Your confirmation number is {{2}}. If you have any questions, please use the buttons below to contact support. Thank you for being a customer!",
						Example: &whatsapp.TemplateExample{BodyText: [][]string{{"Ignacio", "860198-230332"}}}},
					{Type: "BUTTONS", Buttons: []whatsapp.TemplateComponentButton{{Type: "PHONE_NUMBER", Text: "Call", PhoneNumber: "59898400766"}, {Type: "URL", Text: "Contact Support", URL: "https://www.luckyshrub.com/support"}}},
				}})},
	}
}

func markRead(id string, typing bool) func(ctx context.Context, c *whatsapp.Client) error {
	return func(ctx context.Context, c *whatsapp.Client) error {
		return c.Messages.MarkRead(ctx, phoneID, whatsapp.ReadReceipt{MessageID: id, Typing: typing})
	}
}

func createTemplate(t whatsapp.NewTemplate) func(ctx context.Context, c *whatsapp.Client) error {
	return func(ctx context.Context, c *whatsapp.Client) error {
		_, err := c.Templates.Create(ctx, "114503234599312", t)
		return err
	}
}

// body runs a case against a capturing transport and returns what was sent.
func (rc requestCase) body(t *testing.T) []byte {
	t.Helper()
	answer := rc.answer
	if answer == "" {
		answer = okSend
	}
	c, cp := captureClient(t, answer)
	if err := rc.call(t.Context(), c); err != nil {
		t.Fatalf("call: %v", err)
	}
	b := cp.last()
	if b == nil {
		t.Fatal("nothing was sent")
	}
	return b
}
