package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/impactchat/impactchat/chat"
)

// Window is the customer service window: free-form messages may be sent for
// this long after the person's last message; after it, only templates.
const Window = 24 * time.Hour

// WindowSource tells a Channel when a person last wrote on a line, the
// start of the 24-hour window. A zero time means never. An error makes the
// send fail: the channel never guesses that the window is open.
type WindowSource interface {
	LastInbound(ctx context.Context, a chat.Address) (time.Time, error)
}

// WindowFunc adapts a function to WindowSource.
type WindowFunc func(ctx context.Context, a chat.Address) (time.Time, error)

// LastInbound implements WindowSource.
func (f WindowFunc) LastInbound(ctx context.Context, a chat.Address) (time.Time, error) {
	return f(ctx, a)
}

// Channel is the chat.Sender for WhatsApp. It renders each chat.Outgoing as
// Cloud API messages, refuses free-form messages outside the 24-hour window
// before any HTTP call, and sends through a Client.
//
// Addresses: Line is the business phone number id; Contact is the person's
// phone number (digits, sent as +E.164) or business-scoped user id (which
// contains a '.', sent as "recipient").
type Channel struct {
	c          *Client
	window     WindowSource
	clock      Clock
	listButton string
	maxText    int
}

var _ chat.Sender = (*Channel)(nil)

// ChannelOption configures a Channel.
type ChannelOption func(*Channel) error

// WithListButton sets the label of the button that opens a list when a
// chat.Choices leaves Button empty (default "Options"; at most 20
// characters). Lines in other languages should set it, or set Button.
func WithListButton(label string) ChannelOption {
	return func(ch *Channel) error {
		if err := firstErr(required("list button", label), checkLen("list button", label, MaxListButton)); err != nil {
			return fmt.Errorf("whatsapp: channel: %w", err)
		}
		ch.listButton = label
		return nil
	}
}

// WithMaxTextLength sets the length (in characters) at which text is
// split into several messages: at most 4096, the default.
func WithMaxTextLength(n int) ChannelOption {
	return func(ch *Channel) error {
		if n < 16 || n > MaxTextBody {
			return fmt.Errorf("whatsapp: channel: max text length %d is outside 16..%d", n, MaxTextBody)
		}
		ch.maxText = n
		return nil
	}
}

// WithChannelClock sets the clock the window is measured with.
func WithChannelClock(clk Clock) ChannelOption {
	return func(ch *Channel) error {
		if clk == nil {
			return errors.New("whatsapp: channel: clock is nil")
		}
		ch.clock = clk
		return nil
	}
}

// NewChannel returns a Channel sending through c, with the window taken
// from window.
func NewChannel(c *Client, window WindowSource, opts ...ChannelOption) (*Channel, error) {
	if c == nil {
		return nil, errors.New("whatsapp: channel: client is nil")
	}
	if window == nil {
		return nil, errors.New("whatsapp: channel: window source is nil")
	}
	ch := &Channel{c: c, window: window, clock: c.clock, listButton: "Options", maxText: MaxTextBody}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("whatsapp: channel: nil option")
		}
		if err := o(ch); err != nil {
			return nil, err
		}
	}
	return ch, nil
}

// Send implements chat.Sender. A long text becomes several messages; the
// result names the first. If a later part fails, the error says how many
// parts were sent.
func (ch *Channel) Send(ctx context.Context, to chat.Address, m chat.Outgoing) (chat.SendResult, error) {
	msgs, err := ch.Render(to, m)
	if err != nil {
		return chat.SendResult{}, err
	}
	if !allTemplates(msgs) {
		if err := ch.checkWindow(ctx, to); err != nil {
			return chat.SendResult{}, err
		}
	}
	var first chat.SendResult
	for i, msg := range msgs {
		r, err := ch.c.Messages.Send(ctx, to.Line, msg)
		if err != nil {
			if i > 0 {
				// The person has part of it: sending it all again would
				// repeat those parts.
				return first, &PartialSendError{Sent: i, Parts: len(msgs), First: first, Cause: err}
			}
			if len(msgs) > 1 {
				return chat.SendResult{}, fmt.Errorf("whatsapp: channel: part 1 of %d (none sent): %w", len(msgs), err)
			}
			return chat.SendResult{}, err
		}
		if i == 0 {
			first = chat.SendResult{MessageID: r.MessageID, Time: r.Time}
		}
	}
	return first, nil
}

func allTemplates(msgs []Message) bool {
	for _, m := range msgs {
		if _, ok := m.(TemplateMessage); !ok {
			return false
		}
	}
	return true
}

func (ch *Channel) checkWindow(ctx context.Context, to chat.Address) error {
	last, err := ch.window.LastInbound(ctx, to)
	if err != nil {
		return fmt.Errorf("whatsapp: channel: look up window: %w", err)
	}
	if last.IsZero() {
		return fmt.Errorf("whatsapp: channel: the person has never written on this line: %w", ErrOutsideWindow)
	}
	if age := ch.clock.Now().Sub(last); age >= Window {
		return fmt.Errorf("whatsapp: channel: last message %s ago: %w", age.Truncate(time.Minute), ErrOutsideWindow)
	}
	return nil
}

// envelopeFor addresses a message to a chat contact.
func envelopeFor(contact string) Envelope {
	if IsBSUID(contact) {
		return Envelope{Recipient: contact}
	}
	digits := len(contact) > 0
	for i := 0; i < len(contact); i++ {
		if contact[i] < '0' || contact[i] > '9' {
			digits = false
			break
		}
	}
	if digits {
		return Envelope{To: "+" + contact}
	}
	return Envelope{To: contact}
}

// Render turns a chat.Outgoing into the Cloud API messages Send would send,
// validated against WhatsApp's limits. It makes no call; a simulator or a
// preview can use it.
func (ch *Channel) Render(to chat.Address, m chat.Outgoing) ([]Message, error) {
	if err := to.Validate(); err != nil {
		return nil, fmt.Errorf("whatsapp: channel: %w", err)
	}
	if to.Channel != chat.ChannelWhatsApp {
		return nil, fmt.Errorf("whatsapp: channel: %w", fieldErr("address.channel", "is %q, not %q", to.Channel, chat.ChannelWhatsApp))
	}
	if m == nil {
		return nil, fmt.Errorf("whatsapp: channel: %w", fieldErr("message", "is nil"))
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("whatsapp: channel: %w", err)
	}
	env := envelopeFor(to.Contact)
	var out []Message
	switch v := m.(type) {
	case chat.Text:
		for _, part := range SplitText(v.Body, ch.maxText) {
			out = append(out, Text{Envelope: env, Body: part, PreviewURL: v.PreviewURL})
		}
	case chat.Choices:
		msg, err := ch.renderChoices(env, v)
		if err != nil {
			return nil, fmt.Errorf("whatsapp: channel: %w", err)
		}
		out = append(out, msg)
	case chat.Media:
		out = append(out, renderMedia(env, v))
	case chat.Template:
		out = append(out, renderTemplate(env, v))
	case chat.Location:
		out = append(out, Location{Envelope: env, Latitude: v.Latitude, Longitude: v.Longitude, Name: v.Name, Address: v.Address})
	case chat.Reaction:
		out = append(out, Reaction{Envelope: env, MessageID: v.MessageID, Emoji: v.Emoji})
	case chat.Native:
		if v.Channel != chat.ChannelWhatsApp {
			return nil, fmt.Errorf("whatsapp: channel: %w", fieldErr("native.channel", "is %q, not %q", v.Channel, chat.ChannelWhatsApp))
		}
		wm, ok := v.Value.(Message)
		if !ok {
			return nil, fmt.Errorf("whatsapp: channel: %w", fieldErr("native.value", "is a %T, not a whatsapp.Message", v.Value))
		}
		e := wm.envelope()
		e.To, e.Recipient, e.Group = env.To, env.Recipient, env.Group
		out = append(out, wm.withEnvelope(e))
	default:
		return nil, fmt.Errorf("whatsapp: channel: %w", fieldErr("message", "type %T is not supported", m))
	}
	for _, msg := range out {
		if err := msg.Validate(); err != nil {
			return nil, fmt.Errorf("whatsapp: channel: %w", err)
		}
	}
	return out, nil
}

func (ch *Channel) renderChoices(env Envelope, c chat.Choices) (Message, error) {
	n := len(c.Options)
	if n > MaxListRows {
		return nil, fieldErr("choices.options", "has %d options; WhatsApp allows at most %d (%d as reply buttons, %d in a list)", n, MaxListRows, MaxButtons, MaxListRows)
	}
	buttons := n <= MaxButtons && utf8.RuneCountInString(c.Body) <= MaxInteractiveBody
	for _, o := range c.Options {
		if utf8.RuneCountInString(o.Title) > MaxButtonTitle || o.Description != "" {
			buttons = false
		}
	}
	if buttons {
		b := Buttons{Envelope: env, Body: c.Body, Footer: c.Footer, Buttons: make([]Button, n)}
		if c.Header != "" {
			b.Header = &Header{Text: c.Header}
		}
		for i, o := range c.Options {
			b.Buttons[i] = Button{ID: o.ID, Title: o.Title}
		}
		return b, nil
	}
	label := c.Button
	if label == "" {
		label = ch.listButton
	}
	rows := make([]Row, n)
	for i, o := range c.Options {
		f := fmt.Sprintf("choices.options[%d]", i)
		if err := firstErr(checkLen(f+".title", o.Title, MaxRowTitle), checkLen(f+".description", o.Description, MaxRowDescription),
			checkLen(f+".id", o.ID, MaxRowID)); err != nil {
			return nil, err
		}
		rows[i] = Row{ID: o.ID, Title: o.Title, Description: o.Description}
	}
	return List{Envelope: env, Header: c.Header, Body: c.Body, Footer: c.Footer, Button: label, Sections: []Section{{Rows: rows}}}, nil
}

func renderMedia(env Envelope, m chat.Media) Message {
	ref := MediaRef{ID: m.ID, Link: m.URL}
	switch m.Kind {
	case chat.MediaImage:
		return Image{Envelope: env, MediaRef: ref, Caption: m.Caption}
	case chat.MediaAudio:
		return Audio{Envelope: env, MediaRef: ref}
	case chat.MediaVideo:
		return Video{Envelope: env, MediaRef: ref, Caption: m.Caption}
	case chat.MediaSticker:
		return Sticker{Envelope: env, MediaRef: ref}
	}
	return Document{Envelope: env, MediaRef: ref, Caption: m.Caption, Filename: m.Filename}
}

func renderTemplate(env Envelope, t chat.Template) Message {
	tm := TemplateMessage{Envelope: env, Name: t.Name, Language: t.Language}
	if h := t.Header; h != nil {
		if h.Media != nil {
			ref := MediaRef{ID: h.Media.ID, Link: h.Media.URL}
			switch h.Media.Kind {
			case chat.MediaImage:
				tm.Header = []Param{{Image: &ref}}
			case chat.MediaVideo:
				tm.Header = []Param{{Video: &ref}}
			default:
				tm.Header = []Param{{Document: &DocumentRef{MediaRef: ref, Filename: h.Media.Filename}}}
			}
		}
		for _, p := range h.Params {
			tm.Header = append(tm.Header, Param{Name: p.Name, Text: p.Value})
		}
	}
	for _, p := range t.Body {
		tm.Body = append(tm.Body, Param{Name: p.Name, Text: p.Value})
	}
	for _, b := range t.Buttons {
		tb := TemplateButton{SubType: b.SubType, Index: b.Index}
		if b.SubType == ButtonQuickReply {
			tb.Payload = b.Payload
		} else {
			tb.Text = b.Payload
		}
		tm.Buttons = append(tm.Buttons, tb)
	}
	return tm
}

// PartialSendError is the error of a Channel send that went out in several
// messages when a part after the first failed: the parts before it reached
// Meta, so sending the whole again would give the person those twice. It
// matches ErrAmbiguous and does not unwrap to the failed part's error, so
// Retryable is false and ErrRateLimited does not match it; Cause holds that
// error, and First the first part's result, whose statuses can be tracked.
type PartialSendError struct {
	Sent, Parts int // parts sent, of Parts
	First       chat.SendResult
	Cause       error
}

func (e *PartialSendError) Error() string {
	return fmt.Sprintf("whatsapp: channel: part %d of %d failed (%d sent): %v", e.Sent+1, e.Parts, e.Sent, e.Cause)
}

// Is matches ErrAmbiguous: the message may be, and partly is, delivered.
func (e *PartialSendError) Is(target error) bool { return target == ErrAmbiguous }
