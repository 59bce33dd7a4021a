package whatsapptest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/impactchat/impactchat/whatsapp/webhook/webhooktest"
)

// Inbound is a message a person sends to the line, for DeliverMessage. Set
// From and one kind of content (Text, ButtonReply, ListReply, Media,
// Location or Reaction).
type Inbound struct {
	PhoneNumberID string    // the line; default DefaultPhoneNumberID
	From          string    // the person's WhatsApp id (digits)
	UserID        string    // the person's business-scoped user id, if any
	Name          string    // profile name; default "Test User"
	ID            string    // wamid; generated when empty
	Time          time.Time // default: the server's now
	ReplyTo       string    // wamid of a message this one answers (context.id)
	Group         string    // the group it was written in (group_id), if any

	Text        string
	ButtonReply *Reply // a tapped reply button
	ListReply   *Reply // a chosen list row
	Media       *InboundMedia
	Location    *InboundLocation
	Reaction    *InboundReaction
}

// Reply is the id and title of a tapped button or list row.
type Reply struct {
	ID, Title, Description string
}

// InboundMedia is an image, audio, video, document or sticker a person
// sends; add the file first with AddMedia to make it downloadable.
type InboundMedia struct {
	Kind     string // "image", "audio", "video", "document" or "sticker"
	ID       string // media id from AddMedia
	MIMEType string
	Caption  string
	Filename string
	Voice    bool // a voice note (audio)
}

// InboundLocation is a shared location.
type InboundLocation struct {
	Latitude, Longitude float64
	Name, Address       string
}

// InboundReaction is an emoji on a message the line sent; an empty Emoji
// removes it.
type InboundReaction struct {
	MessageID, Emoji string
}

// Status is a delivery status update for DeliverStatus.
type Status struct {
	PhoneNumberID string    // default DefaultPhoneNumberID
	MessageID     string    // the wamid of the line's message
	RecipientID   string    // the person's WhatsApp id, or the group's id when Group
	Group         bool      // the message went to a group: recipient_type "group"
	Status        string    // "sent", "delivered", "read", "played" or "failed"
	Time          time.Time // default: the server's now
	CallbackData  string    // biz_opaque_callback_data
	// ErrorCode, with ErrorTitle and ErrorDetails, fills errors[] on failed.
	ErrorCode    int
	ErrorTitle   string
	ErrorDetails string
}

func (s *Server) metadata(phoneID string) obj {
	s.mu.Lock()
	display := DefaultDisplayNumber
	if p, ok := s.phones[phoneID]; ok && p.DisplayPhoneNumber != "" {
		display = p.DisplayPhoneNumber
	}
	s.mu.Unlock()
	return obj{{"display_phone_number", display}, {"phone_number_id", phoneID}}
}

func envelope(value obj) obj {
	return obj{
		{"object", "whatsapp_business_account"},
		{"entry", []any{obj{
			{"id", DefaultWABAID},
			{"changes", []any{obj{{"value", value}, {"field", "messages"}}}},
		}}},
	}
}

// MessagePayload builds the webhook body Meta would send for in, without
// delivering it, and returns it with the message's wamid.
func (s *Server) MessagePayload(in Inbound) ([]byte, string, error) {
	if in.From == "" {
		return nil, "", fmt.Errorf("whatsapptest: inbound message has no From")
	}
	if in.PhoneNumberID == "" {
		in.PhoneNumberID = DefaultPhoneNumberID
	}
	if in.Name == "" {
		in.Name = "Test User"
	}
	if in.ID == "" {
		in.ID = s.newID("wamid.")
	}
	if in.Time.IsZero() {
		in.Time = s.now()
	}
	meta := s.metadata(in.PhoneNumberID)
	contact := obj{{"profile", obj{{"name", in.Name}}}, {"wa_id", in.From}}
	var msg obj
	if in.ReplyTo != "" {
		msg = append(msg, kv{"context", obj{{"from", meta[0].v}, {"id", in.ReplyTo}}})
	}
	msg = append(msg, kv{"from", in.From})
	if in.Group != "" {
		msg = append(msg, kv{"group_id", in.Group})
	}
	if in.UserID != "" {
		contact = append(contact, kv{"user_id", in.UserID})
		msg = append(msg, kv{"from_user_id", in.UserID})
	}
	msg = append(msg, kv{"id", in.ID}, kv{"timestamp", strconv.FormatInt(in.Time.Unix(), 10)})
	switch {
	case in.ButtonReply != nil:
		msg = append(msg, kv{"type", "interactive"}, kv{"interactive", obj{{"type", "button_reply"},
			{"button_reply", obj{{"id", in.ButtonReply.ID}, {"title", in.ButtonReply.Title}}}}})
	case in.ListReply != nil:
		r := obj{{"id", in.ListReply.ID}, {"title", in.ListReply.Title}}
		if in.ListReply.Description != "" {
			r = append(r, kv{"description", in.ListReply.Description})
		}
		msg = append(msg, kv{"type", "interactive"}, kv{"interactive", obj{{"type", "list_reply"}, {"list_reply", r}}})
	case in.Media != nil:
		var m obj
		if in.Media.Caption != "" {
			m = append(m, kv{"caption", in.Media.Caption})
		}
		if in.Media.Filename != "" {
			m = append(m, kv{"filename", in.Media.Filename})
		}
		mt := in.Media.MIMEType
		if stored, data, ok := s.Media(in.Media.ID); ok {
			if mt == "" {
				mt = stored
			}
			m = append(m, kv{"mime_type", mt}, kv{"sha256", sha256B64(data)})
		} else {
			m = append(m, kv{"mime_type", mt})
		}
		m = append(m, kv{"id", in.Media.ID})
		if in.Media.Kind == "audio" {
			m = append(m, kv{"voice", in.Media.Voice})
		}
		msg = append(msg, kv{"type", in.Media.Kind}, kv{in.Media.Kind, m})
	case in.Location != nil:
		l := obj{{"latitude", in.Location.Latitude}, {"longitude", in.Location.Longitude}}
		if in.Location.Name != "" {
			l = append(l, kv{"name", in.Location.Name})
		}
		if in.Location.Address != "" {
			l = append(l, kv{"address", in.Location.Address})
		}
		msg = append(msg, kv{"location", l}, kv{"type", "location"})
	case in.Reaction != nil:
		msg = append(msg, kv{"type", "reaction"}, kv{"reaction", obj{{"message_id", in.Reaction.MessageID}, {"emoji", in.Reaction.Emoji}}})
	default:
		msg = append(msg, kv{"type", "text"}, kv{"text", obj{{"body", in.Text}}})
	}
	value := obj{
		{"messaging_product", "whatsapp"},
		{"metadata", meta},
		{"contacts", []any{contact}},
		{"messages", []any{msg}},
	}
	b, err := metaJSON(envelope(value))
	return b, in.ID, err
}

// DeliverMessage posts a signed webhook carrying in to webhookURL, as Meta
// would, and opens the 24-hour window for the sender. It returns the
// message's wamid, and an error if the receiver did not answer 200.
func (s *Server) DeliverMessage(ctx context.Context, webhookURL, appSecret string, in Inbound) (string, error) {
	body, id, err := s.MessagePayload(in)
	if err != nil {
		return "", err
	}
	phoneID := in.PhoneNumberID
	if phoneID == "" {
		phoneID = DefaultPhoneNumberID
	}
	t := in.Time
	if t.IsZero() {
		t = s.now()
	}
	s.OpenWindow(phoneID, in.From, t)
	if in.UserID != "" {
		s.OpenWindow(phoneID, in.UserID, t)
	}
	s.mu.Lock()
	s.inbound[id] = true
	s.mu.Unlock()
	return id, s.Deliver(ctx, webhookURL, appSecret, body)
}

// DeliverText delivers a text message from a person; see DeliverMessage.
func (s *Server) DeliverText(ctx context.Context, webhookURL, appSecret, from, text string) (string, error) {
	return s.DeliverMessage(ctx, webhookURL, appSecret, Inbound{From: from, Text: text})
}

// StatusPayload builds the webhook body Meta would send for st.
func (s *Server) StatusPayload(st Status) ([]byte, error) {
	if st.MessageID == "" || st.Status == "" {
		return nil, fmt.Errorf("whatsapptest: status needs a message id and a status")
	}
	if st.PhoneNumberID == "" {
		st.PhoneNumberID = DefaultPhoneNumberID
	}
	if st.Time.IsZero() {
		st.Time = s.now()
	}
	item := obj{
		{"id", st.MessageID},
		{"status", st.Status},
		{"timestamp", strconv.FormatInt(st.Time.Unix(), 10)},
		{"recipient_id", st.RecipientID},
	}
	if st.Group {
		item = append(item, kv{"recipient_type", "group"})
	}
	if st.CallbackData != "" {
		item = append(item, kv{"biz_opaque_callback_data", st.CallbackData})
	}
	if st.Status == "failed" {
		title := st.ErrorTitle
		if title == "" {
			title = errorTitles[st.ErrorCode]
		}
		details := st.ErrorDetails
		if details == "" {
			details = errorDetails[st.ErrorCode]
		}
		item = append(item, kv{"errors", []any{obj{
			{"code", st.ErrorCode}, {"title", title}, {"message", title},
			{"error_data", obj{{"details", details}}},
			{"href", "/documentation/business-messaging/whatsapp/support/error-codes"},
		}}})
	}
	value := obj{
		{"messaging_product", "whatsapp"},
		{"metadata", s.metadata(st.PhoneNumberID)},
		{"statuses", []any{item}},
	}
	return metaJSON(envelope(value))
}

// DeliverStatus posts a signed status webhook to webhookURL.
func (s *Server) DeliverStatus(ctx context.Context, webhookURL, appSecret string, st Status) error {
	body, err := s.StatusPayload(st)
	if err != nil {
		return err
	}
	return s.Deliver(ctx, webhookURL, appSecret, body)
}

// Deliver posts body to webhookURL signed with appSecret
// (X-Hub-Signature-256), as Meta does. Anything but a 200 is an error,
// which Meta would answer by retrying.
func (s *Server) Deliver(ctx context.Context, webhookURL, appSecret string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, webhookURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("whatsapptest: deliver: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "facebookexternalua")
	req.Header.Set(webhooktest.SignatureHeader, webhooktest.Sign(body, appSecret))
	resp, err := s.cfg.webhookHC.Do(req)
	if err != nil {
		return fmt.Errorf("whatsapptest: deliver: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("whatsapptest: deliver: webhook answered %d", resp.StatusCode)
	}
	return nil
}

func (s *Server) autoStatuses(phoneID, recipient, id, callback string, failed int, group bool) {
	states := s.cfg.statuses
	if failed != 0 {
		states = []string{"failed"}
	}
	for _, st := range states {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := s.DeliverStatus(ctx, s.cfg.statusURL, s.cfg.statusKey, Status{
			PhoneNumberID: phoneID, MessageID: id, RecipientID: recipient, Group: group, Status: st, CallbackData: callback, ErrorCode: failed,
		})
		cancel()
		if err != nil {
			return
		}
	}
}

// metaJSON encodes v as Meta does on the wire: non-ASCII characters
// escaped as \uXXXX and "/" as "\/". Receivers must verify signatures over
// these exact bytes.
func metaJSON(v any) ([]byte, error) {
	raw, err := appendJSON(nil, v)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Grow(len(raw) + len(raw)/8)
	for i := 0; i < len(raw); {
		r, size := utf8.DecodeRune(raw[i:])
		switch {
		case r == '/':
			b.WriteString(`\/`)
		case r < utf8.RuneSelf:
			b.WriteByte(byte(r))
		case r > 0xFFFF:
			r -= 0x10000
			fmt.Fprintf(&b, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += size
	}
	return b.Bytes(), nil
}

// kv and obj build JSON objects whose keys keep the order Meta uses.
type kv struct {
	k string
	v any
}

type obj []kv

func (o obj) MarshalJSON() ([]byte, error) { return appendJSON(nil, o) }

// appendJSON appends v as json.Marshal would write it, walking objects and
// lists itself: json.Marshal of a nested obj would check and copy each
// level's output again, which made building a webhook cost more than
// handling it.
func appendJSON(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case obj:
		b = append(b, '{')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSON(b, e.k); err != nil {
				return nil, err
			}
			b = append(b, ':')
			if b, err = appendJSON(b, e.v); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSON(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case []obj:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSON(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, raw...), nil
}
