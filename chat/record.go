package chat

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/impactchat/impactchat/storage"
)

// StatusHandler handles the delivery status of a message the line sent.
// Returning an error asks the Server to retry the status later, as for a
// Handler.
type StatusHandler interface {
	HandleStatus(ctx context.Context, s *Status) error
}

// StatusHandlerFunc adapts a function to the StatusHandler interface.
type StatusHandlerFunc func(ctx context.Context, s *Status) error

// HandleStatus calls f.
func (f StatusHandlerFunc) HandleStatus(ctx context.Context, s *Status) error { return f(ctx, s) }

// RecordStatus returns the StatusHandler the Server uses by default: it moves
// the message's delivery state in msgs forward with
// storage.Messages.UpdateStatus, which never lets a state regress (a late
// "sent" does not overwrite "read"). A status for a message msgs does not
// know (sent by another system, or erased since) is not an error.
//
// A line that also tracks broadcast progress wraps it:
//
//	chat.StatusHandlerFunc(func(ctx context.Context, s *chat.Status) error {
//		if err := record.HandleStatus(ctx, s); err != nil {
//			return err
//		}
//		return campaigns.HandleStatus(ctx, s) // a broadcast.Runner
//	})
func RecordStatus(msgs storage.Messages) StatusHandler {
	return StatusHandlerFunc(func(ctx context.Context, s *Status) error {
		code := 0
		if s.Error != nil {
			code = s.Error.Code
		}
		_, err := msgs.UpdateStatus(ctx, s.MessageID, storage.Delivery(s.State), s.Time, code)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("record status: %w", err)
		}
		return nil
	})
}

// RecordInbound returns middleware that keeps each inbound message in the
// conversation log (storage.Messages, direction in) before passing it on.
//
// The log holds what a person wrote, so it must only see messages of people
// who agreed to it: place RecordInbound after the consent gate in the chain,
// never before it, as in
//
//	chat.Chain(router, screen, gate, chat.RecordInbound(store.Messages()))
//
// A screen that stops the chain (an urgent message, held for staff) keeps
// such messages from a RecordInbound after it; consent's RecordGranted reads
// the person's consent itself, and so may stand first in the chain.
//
// A message recorded on an earlier attempt (the handler after it failed and
// the message is being retried) is not recorded twice. A failure to record is
// returned, so the message is retried rather than handled without its record.
func RecordInbound(msgs storage.Messages) Middleware {
	return func(next Handler) Handler {
		return HandlerFunc(func(ctx context.Context, r Replier, m *Message) error {
			at := m.Time
			if at.IsZero() {
				at = time.Now()
			}
			err := msgs.Record(ctx, storage.MessageRecord{
				ID:        m.ID,
				Contact:   storage.ContactRef{Channel: m.From.Channel, Identifier: m.From.Contact},
				Direction: storage.Inbound,
				Kind:      string(m.Kind),
				Body:      InboundText(m),
				At:        at,
			})
			if err != nil && !errors.Is(err, storage.ErrConflict) {
				return fmt.Errorf("record inbound: %w", err)
			}
			return next.Handle(ctx, r, m)
		})
	}
}

// maxRendered bounds the text kept for one message in the conversation log.
const maxRendered = 4096

// InboundText renders an inbound message as the short text the conversation
// log keeps: the text itself, a chosen option's title, or a bracketed
// description of media, places and other kinds ("[image] caption").
func InboundText(m *Message) string {
	var s string
	switch m.Kind {
	case KindText, KindChoice:
		s = m.Text
	case KindLocation:
		s = "[location]"
		if m.Location != nil {
			s = joinNonEmpty(" ", "[location "+formatCoord(m.Location.Latitude)+","+formatCoord(m.Location.Longitude)+"]",
				m.Location.Name, m.Location.Address)
		}
	case KindReaction:
		s = joinNonEmpty(" ", "[reaction]", m.Text)
	default:
		label := "[" + string(m.Kind) + "]"
		if m.Kind == "" {
			label = "[" + string(KindUnknown) + "]"
		}
		if m.Attachment != nil && m.Attachment.Filename != "" {
			label = "[" + string(m.Kind) + " " + m.Attachment.Filename + "]"
		}
		s = joinNonEmpty(" ", label, m.Text)
	}
	return clip(s)
}

// OutgoingText renders an outgoing message as the short text the
// conversation log keeps: the body of a text or a question with its options,
// and a bracketed description of media, templates and other kinds.
func OutgoingText(m Outgoing) string {
	var s string
	switch m := m.(type) {
	case Text:
		s = m.Body
	case *Text:
		s = m.Body
	case Choices:
		s = choicesText(m)
	case *Choices:
		s = choicesText(*m)
	case Media:
		s = mediaText(m)
	case *Media:
		s = mediaText(*m)
	case Template:
		s = templateText(m)
	case *Template:
		s = templateText(*m)
	case Location:
		s = joinNonEmpty(" ", "[location "+formatCoord(m.Latitude)+","+formatCoord(m.Longitude)+"]", m.Name, m.Address)
	case Reaction:
		s = joinNonEmpty(" ", "[reaction]", m.Emoji)
	case Native:
		s = "[native " + m.Channel + "]"
	default:
		if m != nil {
			s = "[" + m.Type() + "]"
		}
	}
	return clip(s)
}

func choicesText(c Choices) string {
	var b strings.Builder
	b.WriteString(c.Body)
	for i, o := range c.Options {
		b.WriteString("\n")
		b.WriteString(strconv.Itoa(i + 1))
		b.WriteString(". ")
		b.WriteString(o.Title)
	}
	return b.String()
}

func mediaText(m Media) string {
	label := "[" + string(m.Kind) + "]"
	if m.Filename != "" {
		label = "[" + string(m.Kind) + " " + m.Filename + "]"
	}
	return joinNonEmpty(" ", label, m.Caption)
}

func templateText(t Template) string {
	s := "[template " + t.Name + " " + t.Language + "]"
	vals := make([]string, 0, len(t.Body))
	for _, p := range t.Body {
		vals = append(vals, p.Value)
	}
	if len(vals) > 0 {
		s += " " + strings.Join(vals, " | ")
	}
	return s
}

func formatCoord(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func joinNonEmpty(sep string, parts ...string) string {
	out := parts[:0:0]
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

// clip cuts s to maxRendered runes, marking the cut with an ellipsis.
func clip(s string) string {
	if len(s) <= maxRendered {
		return s
	}
	n := 0
	for i := range s {
		if n == maxRendered-1 {
			return s[:i] + "…"
		}
		n++
	}
	return s
}
