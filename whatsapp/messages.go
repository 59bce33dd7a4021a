package whatsapp

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/impactchat/impactchat/internal/redact"
)

// MessagesService sends messages and read receipts.
type MessagesService struct{ c *Client }

// SendResult is Meta's answer to a send. Success means accepted, not
// delivered: delivery comes later as a status webhook.
type SendResult struct {
	MessageID string // the wamid
	// MessageStatus is "accepted" (or another value) for templates under
	// Meta's template pacing; usually empty.
	MessageStatus string
	Input         string    // the recipient as sent
	WAID          string    // the person's WhatsApp id, when Meta returns it
	UserID        string    // the person's business-scoped user id, when returned
	GroupID       string    // the group, for a message sent to a group
	Time          time.Time // when the client received the answer
}

// LogValue implements slog.LogValuer without the recipient.
func (r *SendResult) LogValue() slog.Value {
	// A message id is base64 that can hold the recipient's number: log its
	// fingerprint only.
	return slog.GroupValue(slog.String("message_id", redact.MessageID(r.MessageID)), slog.String("wa_id", redact.Identifier(r.WAID)))
}

type sendResponse struct {
	Contacts []struct {
		Input  string `json:"input"`
		WAID   string `json:"wa_id"`
		UserID string `json:"user_id"`
	} `json:"contacts"`
	Messages []struct {
		ID            string `json:"id"`
		MessageStatus string `json:"message_status"`
		GroupID       string `json:"group_id"`
	} `json:"messages"`
}

// Send validates m against WhatsApp's limits and sends it from the business
// number phoneNumberID. Validation errors (matching ErrInvalid) come back
// before any HTTP call. Sends are paced per number and per recipient unless
// the client was built WithoutPacing, and retried per the RetryPolicy.
func (s *MessagesService) Send(ctx context.Context, phoneNumberID string, m Message) (*SendResult, error) {
	if m == nil {
		return nil, fieldErr("message", "is nil")
	}
	if err := pathID("phone_number_id", phoneNumberID); err != nil {
		return nil, fmt.Errorf("whatsapp: send: %w", err)
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("whatsapp: send %s: %w", m.Type(), err)
	}
	if t, ok := m.(TemplateMessage); ok && s.c.tmpl != nil {
		if err := s.c.tmpl.Check(t.Name, t.Language); err != nil {
			return nil, err
		}
	}
	body, err := encode(m)
	if err != nil {
		return nil, fmt.Errorf("whatsapp: send %s: encode: %w", m.Type(), err)
	}
	c := s.c
	req, err := c.NewRequest(ctx, http.MethodPost, url.PathEscape(phoneNumberID)+"/messages", body)
	if err != nil {
		return nil, err
	}
	var pace pacing
	if c.pace != nil {
		e := m.envelope()
		to := e.Recipient
		if e.Group != "" {
			to = e.Group
		} else if to == "" {
			to = digits(e.To) // "+1 650-555-1234" and "16505551234" are one person
		}
		pace = func(ctx context.Context) error { return c.pace.wait(ctx, c.clock, phoneNumberID, to) }
	}
	var out sendResponse
	if _, err := c.do(req, &out, pace); err != nil {
		return nil, fmt.Errorf("whatsapp: send %s: %w", m.Type(), err)
	}
	if len(out.Messages) == 0 || out.Messages[0].ID == "" {
		return nil, fmt.Errorf("whatsapp: send %s: response has no message id", m.Type())
	}
	r := &SendResult{MessageID: out.Messages[0].ID, MessageStatus: out.Messages[0].MessageStatus, GroupID: out.Messages[0].GroupID, Time: c.clock.Now()}
	if len(out.Contacts) > 0 {
		r.Input, r.WAID, r.UserID = out.Contacts[0].Input, out.Contacts[0].WAID, out.Contacts[0].UserID
	}
	return r, nil
}

// ReadReceipt marks an incoming message (and all before it) as read.
type ReadReceipt struct {
	MessageID string // the wamid of a message the person sent
	// Typing also shows a typing indicator until the next reply, or 25 s.
	Typing bool
}

type wireRead struct {
	MessagingProduct string      `json:"messaging_product"`
	Status           string      `json:"status"`
	MessageID        string      `json:"message_id"`
	TypingIndicator  *wireTyping `json:"typing_indicator,omitempty"`
}

type wireTyping struct {
	Type string `json:"type"`
}

type successResponse struct {
	Success bool `json:"success"`
}

// MarkRead sends a read receipt, with a typing indicator when r.Typing.
func (s *MessagesService) MarkRead(ctx context.Context, phoneNumberID string, r ReadReceipt) error {
	if err := pathID("phone_number_id", phoneNumberID); err != nil {
		return fmt.Errorf("whatsapp: mark read: %w", err)
	}
	if err := required("message_id", r.MessageID); err != nil {
		return fmt.Errorf("whatsapp: mark read: %w", err)
	}
	w := wireRead{MessagingProduct: "whatsapp", Status: "read", MessageID: r.MessageID}
	if r.Typing {
		w.TypingIndicator = &wireTyping{Type: "text"}
	}
	req, err := s.c.NewRequest(ctx, http.MethodPost, url.PathEscape(phoneNumberID)+"/messages", w)
	if err != nil {
		return err
	}
	var out successResponse
	if _, err := s.c.do(req, &out, nil); err != nil {
		return fmt.Errorf("whatsapp: mark read: %w", err)
	}
	if !out.Success {
		return fmt.Errorf("whatsapp: mark read: response says success is false")
	}
	return nil
}

// digits keeps the digits of a phone number.
func digits(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			b := make([]byte, 0, len(s))
			for j := 0; j < len(s); j++ {
				if s[j] >= '0' && s[j] <= '9' {
					b = append(b, s[j])
				}
			}
			return string(b)
		}
	}
	return s
}
