package webhook

import (
	"encoding/json"
	"errors"
)

// MessagesValue is the value of the "messages" field (inbound messages,
// delivery statuses and errors), and also of "smb_message_echoes" (messages
// the business sent from the WhatsApp Business app) and "user_preferences"
// (a person stopping or resuming marketing messages), which share its shape.
type MessagesValue struct {
	MessagingProduct string           `json:"messaging_product,omitzero"` // "whatsapp"
	Metadata         Metadata         `json:"metadata,omitzero"`
	Contacts         []Contact        `json:"contacts,omitzero"`
	Messages         []Message        `json:"messages,omitzero"`
	Statuses         []Status         `json:"statuses,omitzero"`
	Errors           []Error          `json:"errors,omitzero"`         // problems not tied to one message
	MessageEchoes    []Message        `json:"message_echoes,omitzero"` // smb_message_echoes
	UserPreferences  []UserPreference `json:"user_preferences,omitzero"`
}

func (*MessagesValue) changeValue() {}

// Metadata names the business line a value is about.
type Metadata struct {
	DisplayPhoneNumber FlexString `json:"display_phone_number,omitzero"`
	PhoneNumberID      FlexString `json:"phone_number_id,omitzero"` // the line
}

// Contact is the person a message came from (or a status is about), as
// WhatsApp knows them.
type Contact struct {
	Profile      Profile    `json:"profile,omitzero"`
	WaID         FlexString `json:"wa_id,omitzero"`          // phone number, when shared
	UserID       FlexString `json:"user_id,omitzero"`        // business-scoped user id (BSUID)
	ParentUserID FlexString `json:"parent_user_id,omitzero"` // BSUID across a business portfolio
}

// Profile is what the person set in the app. Personal data.
type Profile struct {
	Name     string `json:"name,omitzero"`
	Username string `json:"username,omitzero"`
}

// Message is one inbound message (or, under "smb_message_echoes", one
// message the business sent from the app). Type says which of the pointer
// members is set; a type without a member here ("revoke" has one, a future
// type may not) is still returned, with its content in Raw.
type Message struct {
	ID               FlexString `json:"id,omitzero"`
	From             FlexString `json:"from,omitzero"`         // the person's phone number (absent for some BSUID-only users)
	FromUserID       FlexString `json:"from_user_id,omitzero"` // BSUID
	FromParentUserID FlexString `json:"from_parent_user_id,omitzero"`
	GroupID          FlexString `json:"group_id,omitzero"` // set for group messages
	Timestamp        Timestamp  `json:"timestamp,omitzero"`
	Type             string     `json:"type,omitzero"`

	Context  *Context  `json:"context,omitzero"`
	Referral *Referral `json:"referral,omitzero"` // the ad or post the person came from
	Identity *Identity `json:"identity,omitzero"`
	Errors   []Error   `json:"errors,omitzero"` // for "unsupported" and "unknown" types

	Text        *Text           `json:"text,omitzero"`
	Image       *Media          `json:"image,omitzero"`
	Audio       *Media          `json:"audio,omitzero"`
	Video       *Media          `json:"video,omitzero"`
	Document    *Media          `json:"document,omitzero"`
	Sticker     *Media          `json:"sticker,omitzero"`
	Location    *Location       `json:"location,omitzero"`
	Contacts    []SharedContact `json:"contacts,omitzero"`
	Interactive *Interactive    `json:"interactive,omitzero"`
	Button      *Button         `json:"button,omitzero"` // a template quick-reply button
	Reaction    *Reaction       `json:"reaction,omitzero"`
	Order       *Order          `json:"order,omitzero"`
	System      *System         `json:"system,omitzero"`
	Edit        *Edit           `json:"edit,omitzero"`
	Revoke      *Revoke         `json:"revoke,omitzero"`
	Unsupported *Unsupported    `json:"unsupported,omitzero"`

	// Echoes only: the person the business wrote to.
	To             FlexString `json:"to,omitzero"`
	ToUserID       FlexString `json:"to_user_id,omitzero"`
	ToParentUserID FlexString `json:"to_parent_user_id,omitzero"`

	// Raw is the message exactly as sent.
	Raw json.RawMessage `json:"-"`

	problem string
}

// UnmarshalJSON implements json.Unmarshaler leniently: see Problems.
func (m *Message) UnmarshalJSON(b []byte) error {
	if isNull(b) {
		return nil
	}
	var p messageFields
	problem := lenient(b, &p)
	*m = Message(p)
	m.Raw = json.RawMessage(b)
	m.problem = problem
	return nil
}

// messageFields is Message without its UnmarshalJSON method, for decoding
// its members with encoding/json.
type messageFields Message

// Message types Meta sends.
const (
	TypeText        = "text"
	TypeImage       = "image"
	TypeAudio       = "audio"
	TypeVideo       = "video"
	TypeDocument    = "document"
	TypeSticker     = "sticker"
	TypeLocation    = "location"
	TypeContacts    = "contacts"
	TypeInteractive = "interactive"
	TypeButton      = "button"
	TypeReaction    = "reaction"
	TypeOrder       = "order"
	TypeSystem      = "system"
	TypeEdit        = "edit"
	TypeRevoke      = "revoke"
	TypeUnsupported = "unsupported"
	TypeUnknown     = "unknown" // older name of "unsupported"
)

// Media returns the media member that matches the message type, or nil.
func (m *Message) Media() *Media {
	switch m.Type {
	case TypeImage:
		return m.Image
	case TypeAudio:
		return m.Audio
	case TypeVideo:
		return m.Video
	case TypeDocument:
		return m.Document
	case TypeSticker:
		return m.Sticker
	}
	return nil
}

// Context is what a message refers to: the message it replies to, and
// whether it was forwarded.
type Context struct {
	From                FlexString       `json:"from,omitzero"` // sender of the message replied to
	ID                  FlexString       `json:"id,omitzero"`   // the message replied to
	Forwarded           bool             `json:"forwarded,omitzero"`
	FrequentlyForwarded bool             `json:"frequently_forwarded,omitzero"` // forwarded more than five times
	ReferredProduct     *ReferredProduct `json:"referred_product,omitzero"`
}

// ReferredProduct is the catalogue product a message asks about.
type ReferredProduct struct {
	CatalogID         FlexString `json:"catalog_id,omitzero"`
	ProductRetailerID FlexString `json:"product_retailer_id,omitzero"`
}

// Referral describes the ad or post that led the person to write
// (click-to-WhatsApp).
type Referral struct {
	SourceURL    string `json:"source_url,omitzero"`
	SourceID     string `json:"source_id,omitzero"`
	SourceType   string `json:"source_type,omitzero"` // "ad" or "post"
	Headline     string `json:"headline,omitzero"`
	Body         string `json:"body,omitzero"`
	MediaType    string `json:"media_type,omitzero"`
	ImageURL     string `json:"image_url,omitzero"`
	VideoURL     string `json:"video_url,omitzero"`
	ThumbnailURL string `json:"thumbnail_url,omitzero"`
	CTWAClickID  string `json:"ctwa_clid,omitzero"`
}

// Identity is set when the person's security code changed
// (identity-change checks enabled).
type Identity struct {
	Acknowledged     bool      `json:"acknowledged,omitzero"`
	CreatedTimestamp Timestamp `json:"created_timestamp,omitzero"`
	Hash             string    `json:"hash,omitzero"`
}

// Text is the body of a text message.
type Text struct {
	Body string `json:"body,omitzero"`
}

// Media is an inbound image, audio, video, document or sticker. Download it
// with the media id through the Cloud API.
type Media struct {
	ID       FlexString `json:"id,omitzero"`
	MIMEType string     `json:"mime_type,omitzero"`
	SHA256   string     `json:"sha256"`
	Caption  string     `json:"caption,omitzero"`
	Filename string     `json:"filename,omitzero"` // documents
	URL      string     `json:"url,omitzero"`      // sent by newer API versions
	Voice    bool       `json:"voice,omitzero"`    // audio recorded in the app
	Animated bool       `json:"animated,omitzero"` // stickers
}

// Location is a place the person shared.
type Location struct {
	Latitude  FlexFloat `json:"latitude,omitzero"`
	Longitude FlexFloat `json:"longitude,omitzero"`
	Name      string    `json:"name,omitzero"`
	Address   string    `json:"address,omitzero"`
	URL       string    `json:"url,omitzero"`
}

// SharedContact is a contact card the person shared.
type SharedContact struct {
	Name      ContactName      `json:"name,omitzero"`
	Phones    []ContactPhone   `json:"phones,omitzero"`
	Emails    []ContactEmail   `json:"emails,omitzero"`
	Addresses []ContactAddress `json:"addresses,omitzero"`
	Org       *ContactOrg      `json:"org,omitzero"`
	URLs      []ContactURL     `json:"urls,omitzero"`
	Birthday  string           `json:"birthday,omitzero"`
}

// ContactName is the name on a shared contact card.
type ContactName struct {
	FormattedName string `json:"formatted_name,omitzero"`
	FirstName     string `json:"first_name,omitzero"`
	LastName      string `json:"last_name,omitzero"`
	MiddleName    string `json:"middle_name,omitzero"`
	Suffix        string `json:"suffix,omitzero"`
	Prefix        string `json:"prefix,omitzero"`
}

// ContactPhone is a phone number on a shared contact card.
type ContactPhone struct {
	Phone string     `json:"phone,omitzero"`
	WaID  FlexString `json:"wa_id,omitzero"`
	Type  string     `json:"type,omitzero"`
}

// ContactEmail is an e-mail address on a shared contact card.
type ContactEmail struct {
	Email string `json:"email,omitzero"`
	Type  string `json:"type,omitzero"`
}

// ContactAddress is a postal address on a shared contact card.
type ContactAddress struct {
	Street      string `json:"street,omitzero"`
	City        string `json:"city,omitzero"`
	State       string `json:"state,omitzero"`
	Zip         string `json:"zip,omitzero"`
	Country     string `json:"country,omitzero"`
	CountryCode string `json:"country_code,omitzero"`
	Type        string `json:"type,omitzero"`
}

// ContactOrg is the organisation on a shared contact card.
type ContactOrg struct {
	Company    string `json:"company,omitzero"`
	Department string `json:"department,omitzero"`
	Title      string `json:"title,omitzero"`
}

// ContactURL is a web address on a shared contact card.
type ContactURL struct {
	URL  string `json:"url,omitzero"`
	Type string `json:"type,omitzero"`
}

// Interactive is the person's answer to an interactive message: a reply
// button, a list row, or a completed flow (nfm_reply). Other answers (such
// as call_permission_reply) keep Type and are in the message's Raw.
type Interactive struct {
	Type        string     `json:"type,omitzero"` // "button_reply", "list_reply", "nfm_reply"...
	ButtonReply *Reply     `json:"button_reply,omitzero"`
	ListReply   *Reply     `json:"list_reply,omitzero"`
	NFMReply    *FlowReply `json:"nfm_reply,omitzero"`
}

// Reply is a chosen reply button or list row.
type Reply struct {
	ID          string `json:"id,omitzero"`
	Title       string `json:"title,omitzero"`
	Description string `json:"description,omitzero"` // list rows
}

// FlowReply is the answer to a WhatsApp Flow: the form's fields as a JSON
// object, sent by Meta as a string.
type FlowReply struct {
	Name         string `json:"name,omitzero"` // "flow"
	Body         string `json:"body,omitzero"` // "Sent"
	ResponseJSON string `json:"response_json,omitzero"`
}

// Decode decodes the flow's response JSON into v.
func (f *FlowReply) Decode(v any) error {
	if err := json.Unmarshal([]byte(f.ResponseJSON), v); err != nil {
		return errors.New("webhook: flow response_json: " + describe(err))
	}
	return nil
}

// FlowToken returns the flow_token of the response, or "" when there is
// none or the response is not a JSON object.
func (f *FlowReply) FlowToken() string {
	var r struct {
		Token FlexString `json:"flow_token,omitzero"`
	}
	if json.Unmarshal([]byte(f.ResponseJSON), &r) != nil {
		return ""
	}
	return string(r.Token)
}

// Button is a tapped quick-reply button of a template message.
type Button struct {
	Payload string `json:"payload,omitzero"`
	Text    string `json:"text,omitzero"`
}

// Reaction is an emoji reaction to a message. An empty Emoji means the
// person removed their reaction.
type Reaction struct {
	MessageID FlexString `json:"message_id,omitzero"`
	Emoji     string     `json:"emoji,omitzero"`
}

// Removed reports whether the reaction was taken back.
func (r *Reaction) Removed() bool { return r.Emoji == "" }

// Order is an order placed from a catalogue.
type Order struct {
	CatalogID    FlexString    `json:"catalog_id,omitzero"`
	Text         string        `json:"text,omitzero"`
	ProductItems []ProductItem `json:"product_items,omitzero"`
}

// ProductItem is one line of an order.
type ProductItem struct {
	ProductRetailerID FlexString `json:"product_retailer_id,omitzero"`
	Quantity          FlexString `json:"quantity,omitzero"`
	ItemPrice         FlexString `json:"item_price,omitzero"`
	Currency          string     `json:"currency,omitzero"`
}

// System is a system message, e.g. the person changed their number
// ("user_changed_number", with the new number in WaID) or their identity
// ("customer_identity_changed").
type System struct {
	Type     string     `json:"type,omitzero"`
	Body     string     `json:"body,omitzero"`
	WaID     FlexString `json:"wa_id,omitzero"`    // the new number
	UserID   FlexString `json:"user_id,omitzero"`  // the new BSUID, when sent
	Customer FlexString `json:"customer,omitzero"` // the old number (older payloads)
	Identity string     `json:"identity,omitzero"`
}

// Edit is an edited message: the id of the original and its new content.
type Edit struct {
	OriginalMessageID FlexString `json:"original_message_id,omitzero"`
	Message           *Message   `json:"message,omitzero"`
}

// Revoke is a message the person deleted for everyone.
type Revoke struct {
	OriginalMessageID FlexString `json:"original_message_id,omitzero"`
}

// Unsupported names the kind of message the Cloud API could not deliver to
// the webhook (e.g. "edit", "poll_update").
type Unsupported struct {
	Type string `json:"type,omitzero"`
}

// Error is an error Meta reports: in value.errors, on an unsupported
// message, or on a failed status.
type Error struct {
	Code      FlexInt    `json:"code,omitzero"`
	Title     string     `json:"title,omitzero"`
	Message   string     `json:"message,omitzero"`
	ErrorData *ErrorData `json:"error_data,omitzero"`
	Details   string     `json:"details,omitzero"` // older payloads put details here
	Href      string     `json:"href,omitzero"`
}

// ErrorData holds the details of an Error.
type ErrorData struct {
	Details string `json:"details,omitzero"`
}

// Detail returns the error's details wherever the payload put them.
func (e *Error) Detail() string {
	if e.ErrorData != nil && e.ErrorData.Details != "" {
		return e.ErrorData.Details
	}
	return e.Details
}

// Status is the delivery status of a message the line sent.
type Status struct {
	ID                               FlexString    `json:"id,omitzero"` // the message's id
	Status                           string        `json:"status,omitzero"`
	Timestamp                        Timestamp     `json:"timestamp,omitzero"`
	RecipientID                      FlexString    `json:"recipient_id,omitzero"` // phone number, or group id
	RecipientUserID                  FlexString    `json:"recipient_user_id,omitzero"`
	RecipientParentUserID            FlexString    `json:"recipient_parent_user_id,omitzero"`
	RecipientType                    string        `json:"recipient_type,omitzero"` // "group" for group messages
	RecipientParticipantID           FlexString    `json:"recipient_participant_id,omitzero"`
	RecipientParticipantUserID       FlexString    `json:"recipient_participant_user_id,omitzero"`
	RecipientParticipantParentUserID FlexString    `json:"recipient_participant_parent_user_id,omitzero"`
	RecipientIdentityKeyHash         string        `json:"recipient_identity_key_hash,omitzero"`
	BizOpaqueCallbackData            string        `json:"biz_opaque_callback_data,omitzero"`
	Type                             string        `json:"type,omitzero"`
	Conversation                     *Conversation `json:"conversation,omitzero"`
	Pricing                          *Pricing      `json:"pricing,omitzero"`
	Errors                           []Error       `json:"errors,omitzero"`

	// Raw is the status exactly as sent.
	Raw json.RawMessage `json:"-"`

	problem string
}

// UnmarshalJSON implements json.Unmarshaler leniently: see Problems.
func (s *Status) UnmarshalJSON(b []byte) error {
	if isNull(b) {
		return nil
	}
	var p statusFields
	problem := lenient(b, &p)
	*s = Status(p)
	s.Raw = json.RawMessage(b)
	s.problem = problem
	return nil
}

// statusFields is Status without its UnmarshalJSON method.
type statusFields Status

// Conversation is the conversation a status was billed in. Omitted from
// v24.0 except for free entry-point conversations.
type Conversation struct {
	ID                  FlexString `json:"id,omitzero"`
	ExpirationTimestamp Timestamp  `json:"expiration_timestamp,omitzero"` // on "sent" only
	Origin              struct {
		Type string `json:"type,omitzero"`
	} `json:"origin,omitzero"`
}

// Pricing is how a message was priced.
type Pricing struct {
	Billable     *bool  `json:"billable,omitzero"`
	PricingModel string `json:"pricing_model,omitzero"` // "CBP" or "PMP"
	Type         string `json:"type,omitzero"`          // "regular", "free_customer_service", "free_entry_point"
	Category     string `json:"category,omitzero"`
}

// UserPreference is a person's choice about marketing messages.
type UserPreference struct {
	WaID      FlexString `json:"wa_id,omitzero"`
	UserID    FlexString `json:"user_id,omitzero"`
	Detail    string     `json:"detail,omitzero"`
	Category  string     `json:"category,omitzero"` // "marketing_messages"
	Value     string     `json:"value,omitzero"`    // "stop" or "resume"
	Timestamp Timestamp  `json:"timestamp,omitzero"`
}
