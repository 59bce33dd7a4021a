package chat

import (
	"context"
	"time"
)

// SendResult is what a channel said when it accepted a message.
type SendResult struct {
	// MessageID is the channel's id for the sent message; delivery statuses
	// refer to it.
	MessageID string
	// Time is when the channel accepted the message.
	Time time.Time
}

// Sender sends one message to one person. Implementations: whatsapp.Channel
// for WhatsApp; decorators such as consent.Guard wrap another Sender.
//
// Send reads the Intent from ctx to know what the message is for. A Send
// that fails after part of the message went out (a long text sent as
// several messages) returns the result of the part sent with its error.
type Sender interface {
	Send(ctx context.Context, to Address, m Outgoing) (SendResult, error)
}

// SenderFunc adapts a function to the Sender interface.
type SenderFunc func(ctx context.Context, to Address, m Outgoing) (SendResult, error)

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, to Address, m Outgoing) (SendResult, error) {
	return f(ctx, to, m)
}

// Replier answers the person whose message is being handled. The runtime
// binds one to each message it hands to a Handler; replies go out through the
// line's Sender and are recorded so that their delivery statuses find them.
type Replier interface {
	// Reply sends m to the person. The Intent in ctx says what it is for.
	Reply(ctx context.Context, m Outgoing) (SendResult, error)
	// Address is the person and line replies go to.
	Address() Address
}

// Handler handles one inbound message. Returning an error asks the runtime
// to retry the message later; after a number of attempts it is set aside
// (dead-lettered) for an operator. A handler that has answered the person
// and only failed at something optional should log and return nil.
type Handler interface {
	Handle(ctx context.Context, r Replier, m *Message) error
}

// HandlerFunc adapts a function to the Handler interface.
type HandlerFunc func(ctx context.Context, r Replier, m *Message) error

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, r Replier, m *Message) error { return f(ctx, r, m) }

// Middleware wraps a Handler with behaviour that runs before, after or
// instead of it (a consent gate, an urgent-case screen, a router).
type Middleware func(next Handler) Handler

// Chain returns h wrapped in mw, the first middleware outermost: Chain(h, a,
// b) runs a, then b, then h. A nil handler at the end answers nothing.
func Chain(h Handler, mw ...Middleware) Handler {
	if h == nil {
		h = HandlerFunc(func(context.Context, Replier, *Message) error { return nil })
	}
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}

// ReplierFunc builds a Replier from an address and a send function. It is
// handy in tests and in code that answers outside the runtime.
func ReplierFunc(to Address, send func(ctx context.Context, m Outgoing) (SendResult, error)) Replier {
	return replierFunc{to: to, send: send}
}

type replierFunc struct {
	to   Address
	send func(ctx context.Context, m Outgoing) (SendResult, error)
}

func (r replierFunc) Reply(ctx context.Context, m Outgoing) (SendResult, error) {
	return r.send(ctx, m)
}
func (r replierFunc) Address() Address { return r.to }

// SenderReplier returns a Replier that sends through s to the address to.
func SenderReplier(s Sender, to Address) Replier {
	return ReplierFunc(to, func(ctx context.Context, m Outgoing) (SendResult, error) {
		return s.Send(ctx, to, m)
	})
}
