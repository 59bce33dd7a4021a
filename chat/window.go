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
// Several replicas sharing one store see the same times.
type ContactWindow struct {
	Contacts storage.Contacts
}

// LastInbound returns when the person at a last sent a message, or the zero
// time if they never did (the window is closed).
func (w ContactWindow) LastInbound(ctx context.Context, a Address) (time.Time, error) {
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
