package whatsapp

import (
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/impactchat/impactchat/internal/redact"
)

// Message is one message the Cloud API can send: Text, Image, Audio, Video,
// Document, Sticker, TemplateMessage, Buttons, List, Flow, CTAURL,
// LocationRequest, Product, ProductList, Catalog, Reaction, Location or
// Contacts. The set is closed; each
// type knows its own JSON "type". Every type embeds an Envelope that says
// who receives it and how.
type Message interface {
	// Type is the message's JSON "type", e.g. "text" or "interactive".
	Type() string
	envelope() Envelope
	// Validate checks the message against WhatsApp's content limits.
	Validate() error
	withEnvelope(Envelope) Message
	fill(w *wireMessage)
}

// Envelope addresses a message. Set exactly one of To, Recipient and
// Group.
type Envelope struct {
	// To is the person's phone number, best in E.164 form with a leading
	// "+": without it Meta prefixes the business number's country code.
	To string
	// Recipient is a business-scoped user id (BSUID, e.g. "US.1349...") for
	// people who use a username instead of sharing their number.
	Recipient string
	// Group is the id of a group the business created (see GroupsService):
	// the message goes to every participant, as recipient_type "group".
	Group string
	// ReplyTo is the id (wamid) of a message this one quotes.
	ReplyTo string
	// CallbackData is echoed back in the message's status webhooks as
	// biz_opaque_callback_data (at most 512 characters).
	CallbackData string
}

func (e Envelope) envelope() Envelope { return e }

// LogValue implements slog.LogValuer with the recipient masked. It is
// promoted to every message type, so logging a message shows neither the
// person's number nor the message's content.
func (e Envelope) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("to", redact.Identifier(e.To)),
		slog.String("recipient", redact.Identifier(e.Recipient)),
		slog.String("group", e.Group),
		slog.String("reply_to", e.ReplyTo),
	)
}

// EnvelopeOf returns the envelope of m.
func EnvelopeOf(m Message) Envelope { return m.envelope() }

// IsBSUID reports whether id is a business-scoped user id rather than a
// phone number: BSUIDs carry a country prefix and a dot ("US.1349...").
func IsBSUID(id string) bool { return strings.Contains(id, ".") }

// Text is a text message.
type Text struct {
	Envelope
	Body       string
	PreviewURL bool // render a preview of the first http(s) link
}

// MediaRef names a media file by the id of an upload or by a public link.
// Set exactly one.
type MediaRef struct {
	ID   string
	Link string
}

// Image is an image message (JPEG or PNG, at most 5 MB).
type Image struct {
	Envelope
	MediaRef
	Caption string
}

// Audio is an audio message (AAC, AMR, MP3, M4A or OGG/OPUS, at most
// 16 MB). Set Voice for a voice message (OGG/OPUS): WhatsApp then shows it
// as a voice note, downloads it automatically and may transcribe it, which
// helps people who cannot read.
type Audio struct {
	Envelope
	MediaRef
	Voice bool
}

// Video is a video message (MP4 or 3GP, at most 16 MB).
type Video struct {
	Envelope
	MediaRef
	Caption string
}

// Document is a document message (PDF, text, office files; at most 100 MB).
type Document struct {
	Envelope
	MediaRef
	Caption  string
	Filename string
}

// Sticker is a sticker message (WebP).
type Sticker struct {
	Envelope
	MediaRef
}

// Reaction puts Emoji on a message the person sent. An empty Emoji removes
// the reaction.
type Reaction struct {
	Envelope
	MessageID string
	Emoji     string
}

// Location is a location pin.
type Location struct {
	Envelope
	Latitude  float64
	Longitude float64
	Name      string
	Address   string
}

// Contacts shares one or more contact cards.
type Contacts struct {
	Envelope
	Contacts []Contact
}

// Contact is one contact card.
type Contact struct {
	Name      ContactName      `json:"name"`
	Addresses []ContactAddress `json:"addresses,omitempty"`
	Birthday  string           `json:"birthday,omitempty"` // YYYY-MM-DD
	Emails    []ContactEmail   `json:"emails,omitempty"`
	Org       *ContactOrg      `json:"org,omitempty"`
	Phones    []ContactPhone   `json:"phones,omitempty"`
	URLs      []ContactURL     `json:"urls,omitempty"`
}

// ContactName is a contact's name; FormattedName is required.
type ContactName struct {
	FormattedName string `json:"formatted_name"`
	FirstName     string `json:"first_name,omitempty"`
	LastName      string `json:"last_name,omitempty"`
	MiddleName    string `json:"middle_name,omitempty"`
	Suffix        string `json:"suffix,omitempty"`
	Prefix        string `json:"prefix,omitempty"`
}

// ContactAddress is a postal address; Type is "HOME" or "WORK".
type ContactAddress struct {
	Street      string `json:"street,omitempty"`
	City        string `json:"city,omitempty"`
	State       string `json:"state,omitempty"`
	Zip         string `json:"zip,omitempty"`
	Country     string `json:"country,omitempty"`
	CountryCode string `json:"country_code,omitempty"`
	Type        string `json:"type,omitempty"`
}

// ContactEmail is an email address; Type is "HOME" or "WORK".
type ContactEmail struct {
	Email string `json:"email"`
	Type  string `json:"type,omitempty"`
}

// ContactOrg is where a contact works.
type ContactOrg struct {
	Company    string `json:"company,omitempty"`
	Department string `json:"department,omitempty"`
	Title      string `json:"title,omitempty"`
}

// ContactPhone is a phone number; WAID is its WhatsApp id when known.
type ContactPhone struct {
	Phone string `json:"phone"`
	Type  string `json:"type,omitempty"`
	WAID  string `json:"wa_id,omitempty"`
}

// ContactURL is a web address; Type is "HOME" or "WORK".
type ContactURL struct {
	URL  string `json:"url"`
	Type string `json:"type,omitempty"`
}

// TemplateMessage sends an approved template, the only kind of message
// allowed outside the 24-hour window.
type TemplateMessage struct {
	Envelope
	Name     string
	Language string // e.g. "en", "ar", "pt_BR"
	// Header fills the header: text parameters, or one media parameter.
	Header []Param
	// Body fills the body's {{1}}... or {{name}} placeholders.
	Body []Param
	// Buttons fill dynamic buttons (quick-reply payloads, URL suffixes,
	// coupon codes).
	Buttons []TemplateButton
	// OfferExpires is the end of a limited-time offer, for templates with a
	// limited_time_offer component (shown as a countdown).
	OfferExpires time.Time
	// Cards fill the cards of a carousel template, in order (up to 10).
	Cards []TemplateCard
}

// TemplateCard fills one card of a carousel template: its media header
// (one image or video parameter), body parameters and dynamic buttons.
type TemplateCard struct {
	Header  Param
	Body    []Param
	Buttons []TemplateButton
}

// LocationParam is a location header parameter.
type LocationParam struct {
	Latitude  float64
	Longitude float64
	Name      string
	Address   string
}

// Param is one template parameter. Set exactly one of Text, Currency,
// DateTime, Image, Video or Document. Name is the placeholder's name for
// templates with named parameters ({{first_name}}), empty for positional.
type Param struct {
	Name     string
	Text     string
	Currency *Currency
	DateTime *DateTime
	Image    *MediaRef
	Video    *MediaRef
	Document *DocumentRef
	Location *LocationParam // header only
}

// DocumentRef is a document given to a template header.
type DocumentRef struct {
	MediaRef
	Filename string
}

// Currency is an amount of money; Amount1000 is the amount times 1000.
type Currency struct {
	FallbackValue string
	Code          string // ISO 4217, e.g. "USD"
	Amount1000    int64
}

// DateTime is a date or time; Cloud API always shows FallbackValue.
type DateTime struct {
	FallbackValue string
}

// Template button sub-types.
const (
	ButtonQuickReply = "quick_reply"
	ButtonURL        = "url"
	ButtonCopyCode   = "copy_code"
)

// TemplateButton fills one button of a template.
type TemplateButton struct {
	SubType string // ButtonQuickReply, ButtonURL or ButtonCopyCode
	Index   int    // position of the button in the template, 0-9
	// Payload is returned when a quick-reply button is tapped.
	Payload string
	// Text is the dynamic suffix of a URL button.
	Text string
	// CouponCode is copied by a copy-code button.
	CouponCode string
}

// Header is the header of an interactive message: text, or one media.
type Header struct {
	Text     string
	Image    *MediaRef
	Video    *MediaRef
	Document *MediaRef
}

// Buttons is an interactive message with up to three reply buttons.
type Buttons struct {
	Envelope
	Header  *Header
	Body    string
	Footer  string
	Buttons []Button
}

// Button is one reply button.
type Button struct {
	ID    string // returned in the reply; at most 256 characters
	Title string // at most 20 characters, unique
}

// List is an interactive list: a button that opens up to ten rows in up to
// ten sections.
type List struct {
	Envelope
	Header   string // text only
	Body     string
	Footer   string
	Button   string // the label of the button that opens the list
	Sections []Section
}

// Section is a titled group of rows in a List.
type Section struct {
	Title string // required when there is more than one section
	Rows  []Row
}

// Row is one choice in a List.
type Row struct {
	ID          string // at most 200 characters
	Title       string // at most 24 characters
	Description string // at most 72 characters
}

// Flow sends a WhatsApp Flow (a form) behind a call-to-action button.
type Flow struct {
	Envelope
	Header *Header
	Body   string
	Footer string
	// FlowID or FlowName names the flow; set one.
	FlowID   string
	FlowName string
	CTA      string // button label, at most 20 characters
	Token    string // identifies this flow session; echoed in the reply
	Draft    bool   // send the draft version of the flow
	// Action is "navigate" (the default) or "data_exchange".
	Action string
	// Screen is the first screen for navigate; Data its input (non-empty
	// when given).
	Screen string
	Data   map[string]any
}

// CTAURL is an interactive message with one button that opens a URL.
type CTAURL struct {
	Envelope
	Header      *Header
	Body        string
	Footer      string
	DisplayText string // the button label, at most 20 characters
	URL         string
}

// LocationRequest asks the person to share their location.
type LocationRequest struct {
	Envelope
	Body string
}

// Type implements Message.
func (Text) Type() string { return "text" }

// Type implements Message.
func (Image) Type() string { return "image" }

// Type implements Message.
func (Audio) Type() string { return "audio" }

// Type implements Message.
func (Video) Type() string { return "video" }

// Type implements Message.
func (Document) Type() string { return "document" }

// Type implements Message.
func (Sticker) Type() string { return "sticker" }

// Type implements Message.
func (Reaction) Type() string { return "reaction" }

// Type implements Message.
func (Location) Type() string { return "location" }

// Type implements Message.
func (Contacts) Type() string { return "contacts" }

// Type implements Message.
func (TemplateMessage) Type() string { return "template" }

// Type implements Message.
func (Buttons) Type() string { return "interactive" }

// Type implements Message.
func (List) Type() string { return "interactive" }

// Type implements Message.
func (Flow) Type() string { return "interactive" }

// Type implements Message.
func (CTAURL) Type() string { return "interactive" }

// Type implements Message.
func (LocationRequest) Type() string { return "interactive" }

func (m Text) withEnvelope(e Envelope) Message            { m.Envelope = e; return m }
func (m Image) withEnvelope(e Envelope) Message           { m.Envelope = e; return m }
func (m Audio) withEnvelope(e Envelope) Message           { m.Envelope = e; return m }
func (m Video) withEnvelope(e Envelope) Message           { m.Envelope = e; return m }
func (m Document) withEnvelope(e Envelope) Message        { m.Envelope = e; return m }
func (m Sticker) withEnvelope(e Envelope) Message         { m.Envelope = e; return m }
func (m Reaction) withEnvelope(e Envelope) Message        { m.Envelope = e; return m }
func (m Location) withEnvelope(e Envelope) Message        { m.Envelope = e; return m }
func (m Contacts) withEnvelope(e Envelope) Message        { m.Envelope = e; return m }
func (m TemplateMessage) withEnvelope(e Envelope) Message { m.Envelope = e; return m }
func (m Buttons) withEnvelope(e Envelope) Message         { m.Envelope = e; return m }
func (m List) withEnvelope(e Envelope) Message            { m.Envelope = e; return m }
func (m Flow) withEnvelope(e Envelope) Message            { m.Envelope = e; return m }
func (m CTAURL) withEnvelope(e Envelope) Message          { m.Envelope = e; return m }
func (m LocationRequest) withEnvelope(e Envelope) Message { m.Envelope = e; return m }

// WithEnvelope returns a copy of m addressed by e.
func WithEnvelope(m Message, e Envelope) Message { return m.withEnvelope(e) }

// ---- wire shapes ----

type wireMessage struct {
	MessagingProduct string           `json:"messaging_product"`
	RecipientType    string           `json:"recipient_type"`
	To               string           `json:"to,omitempty"`
	Recipient        string           `json:"recipient,omitempty"`
	Type             string           `json:"type"`
	Context          *wireContext     `json:"context,omitempty"`
	CallbackData     string           `json:"biz_opaque_callback_data,omitempty"`
	Text             *wireText        `json:"text,omitempty"`
	Image            *wireMedia       `json:"image,omitempty"`
	Audio            *wireMedia       `json:"audio,omitempty"`
	Video            *wireMedia       `json:"video,omitempty"`
	Document         *wireMedia       `json:"document,omitempty"`
	Sticker          *wireMedia       `json:"sticker,omitempty"`
	Reaction         *wireReaction    `json:"reaction,omitempty"`
	Location         *wireLocation    `json:"location,omitempty"`
	Contacts         []Contact        `json:"contacts,omitempty"`
	Template         *wireTemplate    `json:"template,omitempty"`
	Interactive      *wireInteractive `json:"interactive,omitempty"`
}

type wireContext struct {
	MessageID string `json:"message_id"`
}

type wireText struct {
	Body       string `json:"body"`
	PreviewURL bool   `json:"preview_url,omitempty"`
}

type wireMedia struct {
	ID       string `json:"id,omitempty"`
	Link     string `json:"link,omitempty"`
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
	Voice    bool   `json:"voice,omitempty"`
}

type wireReaction struct {
	MessageID string `json:"message_id"`
	Emoji     string `json:"emoji"` // empty removes the reaction
}

type wireLocation struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Name      string  `json:"name,omitempty"`
	Address   string  `json:"address,omitempty"`
}

type wireTemplate struct {
	Name       string          `json:"name"`
	Language   wireLanguage    `json:"language"`
	Components []wireComponent `json:"components,omitempty"`
}

type wireLanguage struct {
	Code string `json:"code"`
}

type wireComponent struct {
	Type       string      `json:"type"`
	SubType    string      `json:"sub_type,omitempty"`
	Index      string      `json:"index,omitempty"`
	Parameters []wireParam `json:"parameters,omitempty"`
	Cards      []wireCard  `json:"cards,omitempty"`
}

type wireCard struct {
	CardIndex  int             `json:"card_index"`
	Components []wireComponent `json:"components"`
}

type wireOffer struct {
	ExpirationTimeMS int64 `json:"expiration_time_ms"`
}

type wireParam struct {
	Type          string         `json:"type"`
	ParameterName string         `json:"parameter_name,omitempty"`
	Text          string         `json:"text,omitempty"`
	Payload       string         `json:"payload,omitempty"`
	CouponCode    string         `json:"coupon_code,omitempty"`
	Currency      *wireCurrency  `json:"currency,omitempty"`
	DateTime      *wireDateTime  `json:"date_time,omitempty"`
	Image         *wireMedia     `json:"image,omitempty"`
	Video         *wireMedia     `json:"video,omitempty"`
	Document      *wireMedia     `json:"document,omitempty"`
	Location      *wireLocation  `json:"location,omitempty"`
	Offer         *wireOffer     `json:"limited_time_offer,omitempty"`
	Action        map[string]any `json:"action,omitempty"`
}

type wireCurrency struct {
	FallbackValue string `json:"fallback_value"`
	Code          string `json:"code"`
	Amount1000    int64  `json:"amount_1000"`
}

type wireDateTime struct {
	FallbackValue string `json:"fallback_value"`
}

type wireInteractive struct {
	Type   string      `json:"type"`
	Header *wireHeader `json:"header,omitempty"`
	Body   *wireBody   `json:"body,omitempty"`
	Footer *wireBody   `json:"footer,omitempty"`
	Action wireAction  `json:"action"`
}

type wireHeader struct {
	Type     string     `json:"type"`
	Text     string     `json:"text,omitempty"`
	Image    *wireMedia `json:"image,omitempty"`
	Video    *wireMedia `json:"video,omitempty"`
	Document *wireMedia `json:"document,omitempty"`
}

type wireBody struct {
	Text string `json:"text"`
}

type wireAction struct {
	Name              string          `json:"name,omitempty"`
	CatalogID         string          `json:"catalog_id,omitempty"`
	ProductRetailerID string          `json:"product_retailer_id,omitempty"`
	Button            string          `json:"button,omitempty"`
	Buttons           []wireButton    `json:"buttons,omitempty"`
	Sections          []wireSection   `json:"sections,omitempty"`
	Parameters        json.RawMessage `json:"parameters,omitempty"`
}

type wireButton struct {
	Type  string    `json:"type"`
	Reply wireReply `json:"reply"`
}

type wireReply struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

type wireSection struct {
	Title        string            `json:"title,omitempty"`
	Rows         []wireRow         `json:"rows,omitempty"`
	ProductItems []wireProductItem `json:"product_items,omitempty"`
}

type wireProductItem struct {
	ProductRetailerID string `json:"product_retailer_id"`
}

type wireRow struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

type wireFlowParams struct {
	FlowMessageVersion string          `json:"flow_message_version"`
	FlowID             string          `json:"flow_id,omitempty"`
	FlowName           string          `json:"flow_name,omitempty"`
	FlowCTA            string          `json:"flow_cta"`
	Mode               string          `json:"mode,omitempty"`
	FlowToken          string          `json:"flow_token,omitempty"`
	FlowAction         string          `json:"flow_action,omitempty"`
	FlowActionPayload  *wireFlowAction `json:"flow_action_payload,omitempty"`
}

type wireFlowAction struct {
	Screen string         `json:"screen"`
	Data   map[string]any `json:"data,omitempty"`
}

type wireCTAParams struct {
	DisplayText string `json:"display_text"`
	URL         string `json:"url"`
}

// encode builds the JSON body of a send.
func encode(m Message) ([]byte, error) {
	w := wireMessage{MessagingProduct: "whatsapp", RecipientType: "individual", Type: m.Type()}
	e := m.envelope()
	w.To, w.Recipient, w.CallbackData = e.To, e.Recipient, e.CallbackData
	if e.Group != "" {
		w.RecipientType, w.To = "group", e.Group
	}
	if e.ReplyTo != "" {
		w.Context = &wireContext{MessageID: e.ReplyTo}
	}
	m.fill(&w)
	return json.Marshal(&w)
}

func (r MediaRef) wire() *wireMedia { return &wireMedia{ID: r.ID, Link: r.Link} }

func (m Text) fill(w *wireMessage) { w.Text = &wireText{Body: m.Body, PreviewURL: m.PreviewURL} }

func (m Image) fill(w *wireMessage) {
	w.Image = m.MediaRef.wire()
	w.Image.Caption = m.Caption
}

func (m Audio) fill(w *wireMessage) {
	w.Audio = m.MediaRef.wire()
	w.Audio.Voice = m.Voice
}

func (m Video) fill(w *wireMessage) {
	w.Video = m.MediaRef.wire()
	w.Video.Caption = m.Caption
}

func (m Document) fill(w *wireMessage) {
	w.Document = m.MediaRef.wire()
	w.Document.Caption, w.Document.Filename = m.Caption, m.Filename
}

func (m Sticker) fill(w *wireMessage) { w.Sticker = m.MediaRef.wire() }

func (m Reaction) fill(w *wireMessage) {
	w.Reaction = &wireReaction{MessageID: m.MessageID, Emoji: m.Emoji}
}

func (m Location) fill(w *wireMessage) {
	w.Location = &wireLocation{Latitude: m.Latitude, Longitude: m.Longitude, Name: m.Name, Address: m.Address}
}

func (m Contacts) fill(w *wireMessage) { w.Contacts = m.Contacts }

func (p Param) wire() wireParam {
	wp := wireParam{ParameterName: p.Name}
	switch {
	case p.Currency != nil:
		wp.Type = "currency"
		wp.Currency = &wireCurrency{FallbackValue: p.Currency.FallbackValue, Code: p.Currency.Code, Amount1000: p.Currency.Amount1000}
	case p.DateTime != nil:
		wp.Type = "date_time"
		wp.DateTime = &wireDateTime{FallbackValue: p.DateTime.FallbackValue}
	case p.Image != nil:
		wp.Type, wp.Image = "image", p.Image.wire()
	case p.Video != nil:
		wp.Type, wp.Video = "video", p.Video.wire()
	case p.Document != nil:
		wp.Type, wp.Document = "document", p.Document.MediaRef.wire()
		wp.Document.Filename = p.Document.Filename
	case p.Location != nil:
		wp.Type, wp.Location = "location", &wireLocation{Latitude: p.Location.Latitude, Longitude: p.Location.Longitude, Name: p.Location.Name, Address: p.Location.Address}
	default:
		wp.Type, wp.Text = "text", p.Text
	}
	return wp
}

func (m TemplateMessage) fill(w *wireMessage) {
	t := &wireTemplate{Name: m.Name, Language: wireLanguage{Code: m.Language}}
	if len(m.Header) > 0 {
		c := wireComponent{Type: "header", Parameters: make([]wireParam, len(m.Header))}
		for i, p := range m.Header {
			c.Parameters[i] = p.wire()
		}
		t.Components = append(t.Components, c)
	}
	if len(m.Body) > 0 {
		c := wireComponent{Type: "body", Parameters: make([]wireParam, len(m.Body))}
		for i, p := range m.Body {
			c.Parameters[i] = p.wire()
		}
		t.Components = append(t.Components, c)
	}
	if !m.OfferExpires.IsZero() {
		t.Components = append(t.Components, wireComponent{Type: "limited_time_offer",
			Parameters: []wireParam{{Type: "limited_time_offer", Offer: &wireOffer{ExpirationTimeMS: m.OfferExpires.UnixMilli()}}}})
	}
	t.Components = append(t.Components, buttonComponents(m.Buttons)...)
	if len(m.Cards) > 0 {
		c := wireComponent{Type: "carousel"}
		for i, card := range m.Cards {
			wc := wireCard{CardIndex: i, Components: []wireComponent{{Type: "header", Parameters: []wireParam{card.Header.wire()}}}}
			if len(card.Body) > 0 {
				body := wireComponent{Type: "body"}
				for _, p := range card.Body {
					body.Parameters = append(body.Parameters, p.wire())
				}
				wc.Components = append(wc.Components, body)
			}
			wc.Components = append(wc.Components, buttonComponents(card.Buttons)...)
			c.Cards = append(c.Cards, wc)
		}
		t.Components = append(t.Components, c)
	}
	w.Template = t
}

func buttonComponents(bs []TemplateButton) []wireComponent {
	var out []wireComponent
	for _, b := range bs {
		c := wireComponent{Type: "button", SubType: b.SubType, Index: strconv.Itoa(b.Index)}
		switch b.SubType {
		case ButtonQuickReply:
			c.Parameters = []wireParam{{Type: "payload", Payload: b.Payload}}
		case ButtonCopyCode:
			c.Parameters = []wireParam{{Type: "coupon_code", CouponCode: b.CouponCode}}
		default:
			c.Parameters = []wireParam{{Type: "text", Text: b.Text}}
		}
		out = append(out, c)
	}
	return out
}

func (h *Header) wire() *wireHeader {
	if h == nil {
		return nil
	}
	switch {
	case h.Image != nil:
		return &wireHeader{Type: "image", Image: h.Image.wire()}
	case h.Video != nil:
		return &wireHeader{Type: "video", Video: h.Video.wire()}
	case h.Document != nil:
		return &wireHeader{Type: "document", Document: h.Document.wire()}
	case h.Text != "":
		return &wireHeader{Type: "text", Text: h.Text}
	}
	return nil
}

func body(s string) *wireBody {
	if s == "" {
		return nil
	}
	return &wireBody{Text: s}
}

func (m Buttons) fill(w *wireMessage) {
	in := &wireInteractive{Type: "button", Header: m.Header.wire(), Body: body(m.Body), Footer: body(m.Footer)}
	in.Action.Buttons = make([]wireButton, len(m.Buttons))
	for i, b := range m.Buttons {
		in.Action.Buttons[i] = wireButton{Type: "reply", Reply: wireReply(b)}
	}
	w.Interactive = in
}

func (m List) fill(w *wireMessage) {
	in := &wireInteractive{Type: "list", Body: body(m.Body), Footer: body(m.Footer)}
	if m.Header != "" {
		in.Header = &wireHeader{Type: "text", Text: m.Header}
	}
	in.Action.Button = m.Button
	in.Action.Sections = make([]wireSection, len(m.Sections))
	for i, s := range m.Sections {
		ws := wireSection{Title: s.Title, Rows: make([]wireRow, len(s.Rows))}
		for j, r := range s.Rows {
			ws.Rows[j] = wireRow(r)
		}
		in.Action.Sections[i] = ws
	}
	w.Interactive = in
}

func (m Flow) fill(w *wireMessage) {
	in := &wireInteractive{Type: "flow", Header: m.Header.wire(), Body: body(m.Body), Footer: body(m.Footer)}
	p := wireFlowParams{FlowMessageVersion: "3", FlowID: m.FlowID, FlowName: m.FlowName, FlowCTA: m.CTA, FlowToken: m.Token, FlowAction: m.Action}
	if m.Draft {
		p.Mode = "draft"
	}
	if m.Screen != "" || len(m.Data) > 0 {
		p.FlowActionPayload = &wireFlowAction{Screen: m.Screen, Data: m.Data}
	}
	in.Action.Name = "flow"
	in.Action.Parameters, _ = json.Marshal(p) // plain strings and a JSON-able map
	w.Interactive = in
}

func (m CTAURL) fill(w *wireMessage) {
	in := &wireInteractive{Type: "cta_url", Header: m.Header.wire(), Body: body(m.Body), Footer: body(m.Footer)}
	in.Action.Name = "cta_url"
	in.Action.Parameters, _ = json.Marshal(wireCTAParams{DisplayText: m.DisplayText, URL: m.URL})
	w.Interactive = in
}

func (m LocationRequest) fill(w *wireMessage) {
	w.Interactive = &wireInteractive{Type: "location_request_message", Body: body(m.Body), Action: wireAction{Name: "send_location"}}
}

// Compile-time checks that every type is a Message.
var (
	_ Message = Text{}
	_ Message = Image{}
	_ Message = Audio{}
	_ Message = Video{}
	_ Message = Document{}
	_ Message = Sticker{}
	_ Message = Reaction{}
	_ Message = Location{}
	_ Message = Contacts{}
	_ Message = TemplateMessage{}
	_ Message = Buttons{}
	_ Message = List{}
	_ Message = Flow{}
	_ Message = CTAURL{}
	_ Message = LocationRequest{}
	_ Message = Product{}
	_ Message = ProductList{}
	_ Message = Catalog{}
)
