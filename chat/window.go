package chat

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/impactchat/impactchat/storage"
)

// ContactWindow tells a channel when a person last wrote, reading the time
// the Server records on every inbound message (storage.Contact's
// LastInboundAt). WhatsApp lets a line send free-form messages only within
// 24 hours of that time; whatsapp.Channel takes any value with a LastInbound
// method, such as this one:
//
//	window := chat.ContactWindow{Contacts: store.Contacts()}
//
// Several replicas sharing one store see the same times. A reply sent while
// the Server handles the person's message is answered from the handler's
// context (that message's time, or the person's later one that the Server
// found as it recorded it), without reading the store again. Other
// replies read the stored time, which a store may leave up to
// storage.TouchSlack behind the person's last message: the window then ends
// that much early, never late.
type ContactWindow struct {
	Contacts storage.Contacts
}

// LastInbound returns when the person at a last sent a message, or the zero
// time if they never did (the window is closed).
func (w ContactWindow) LastInbound(ctx context.Context, a Address) (time.Time, error) {
	if in, ok := ctx.Value(inboundKey{}).(inbound); ok && in.channel == a.Channel && in.contact == a.Contact {
		// A reply to the message being handled: the store holds its
		// time (or one less than storage.TouchSlack before it), or a
		// later one when an older message is handled late (a channel's
		// retry, a requeue); Touch returned the record as it left it,
		// so there is no need to read it again.
		if in.c.LastInboundAt.After(in.at) {
			return in.c.LastInboundAt, nil
		}
		return in.at, nil
	}
	if w.Contacts == nil {
		return time.Time{}, errors.New("chat: last inbound: ContactWindow.Contacts is nil")
	}
	c, err := w.Contacts.Get(ctx, storage.ContactRef{Channel: a.Channel, Identifier: a.Contact})
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return time.Time{}, nil
	case err != nil:
		return time.Time{}, fmt.Errorf("chat: last inbound: %w", err)
	}
	return c.LastInboundAt, nil
}

// inbound is what the Server puts in a handler's context: the person whose
// message is being handled and the time recorded as their last inbound.
type inbound struct {
	channel, contact string
	at               time.Time
	c                storage.Contact // as Touch returned it
}

// ContactFrom returns the person whose message is being handled as the
// Server recorded them (storage.Contacts.Touch) just before the handlers
// ran, when ctx is a handler's context and ref is that person; handlers that
// need the contact read it from there instead of the store. A handler that
// changes the contact must read it back from the store to see its change.
func ContactFrom(ctx context.Context, ref storage.ContactRef) (storage.Contact, bool) {
	in, ok := ctx.Value(inboundKey{}).(inbound)
	if !ok || in.channel != ref.Channel || in.contact != ref.Identifier || in.c.ID == "" {
		return storage.Contact{}, false
	}
	return in.c, true
}

type inboundKey struct{}
