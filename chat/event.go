package chat

import (
	"errors"
	"log/slog"
	"time"
)

// Event is one thing a channel reported: exactly one of Message and Status is
// set.
type Event struct {
	Message *Message `json:",omitempty"`
	Status  *Status  `json:",omitempty"`
}

// Key is the stable deduplication key of the event: a channel delivers the
// same event again when it retries, and the key is the same each time. For a
// message it is the channel and message id; for a status the channel, the
// message id and the state, since one message has several statuses.
func (e Event) Key() string {
	switch {
	case e.Message != nil:
		return "m:" + e.Message.From.Channel + ":" + e.Message.ID
	case e.Status != nil:
		return "s:" + e.Status.To.Channel + ":" + e.Status.MessageID + ":" + string(e.Status.State)
	}
	return ""
}

// Address is the person the event concerns: the sender of a message or the
// recipient of a status.
func (e Event) Address() Address {
	switch {
	case e.Message != nil:
		return e.Message.From
	case e.Status != nil:
		return e.Status.To
	}
	return Address{}
}

// Time is when the channel says the event happened.
func (e Event) Time() time.Time {
	switch {
	case e.Message != nil:
		return e.Message.Time
	case e.Status != nil:
		return e.Status.Time
	}
	return time.Time{}
}

// Validate reports whether the event is well formed: exactly one of Message
// and Status, with an id and a complete address.
func (e Event) Validate() error {
	switch {
	case e.Message != nil && e.Status != nil:
		return &FieldError{Field: "event", Problem: "has both a message and a status"}
	case e.Message != nil:
		if e.Message.ID == "" {
			return &FieldError{Field: "event.message.id", Problem: "is empty"}
		}
		return prefix("event.message.from", e.Message.From.Validate())
	case e.Status != nil:
		if e.Status.MessageID == "" {
			return &FieldError{Field: "event.status.message_id", Problem: "is empty"}
		}
		if !e.Status.State.Known() {
			return &FieldError{Field: "event.status.state", Problem: "is not a known state: " + string(e.Status.State)}
		}
		return prefix("event.status.to", e.Status.To.Validate())
	}
	return &FieldError{Field: "event", Problem: "has neither a message nor a status"}
}

// LogValue implements slog.LogValuer without personal data.
func (e Event) LogValue() slog.Value {
	switch {
	case e.Message != nil:
		return slog.GroupValue(slog.Any("message", e.Message))
	case e.Status != nil:
		return slog.GroupValue(slog.Any("status", e.Status))
	}
	return slog.StringValue("<empty event>")
}

func prefix(p string, err error) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		return &FieldError{Field: p + fe.Field[len("address"):], Problem: fe.Problem}
	}
	return err
}
