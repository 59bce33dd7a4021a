package storage

import (
	"context"
	"time"
)

// Direction of a message.
type Direction string

// Directions.
const (
	Inbound  Direction = "in"
	Outbound Direction = "out"
)

// Delivery is the delivery state of an outbound message. The order is
// sent < delivered < read < played; failed replaces only sent or delivered.
type Delivery string

// Delivery states; the zero value means not yet accepted by the channel.
const (
	DeliveryNone      Delivery = ""
	DeliverySent      Delivery = "sent"
	DeliveryDelivered Delivery = "delivered"
	DeliveryRead      Delivery = "read"
	DeliveryPlayed    Delivery = "played"
	DeliveryFailed    Delivery = "failed"
)

func (d Delivery) rank() int {
	switch d {
	case DeliverySent:
		return 1
	case DeliveryDelivered:
		return 2
	case DeliveryRead:
		return 3
	case DeliveryPlayed:
		return 4
	case DeliveryFailed:
		return 5
	}
	return 0
}

// Supersedes reports whether a message in state prev may move to d: states
// never regress, and failed replaces only sent or delivered. Every backend
// applies this rule.
func (d Delivery) Supersedes(prev Delivery) bool {
	if d.rank() == 0 {
		return false
	}
	if prev.rank() == 0 {
		return true
	}
	if d == DeliveryFailed {
		return prev == DeliverySent || prev == DeliveryDelivered
	}
	if prev == DeliveryFailed {
		return false
	}
	return d.rank() > prev.rank()
}

// MessageRecord is one entry of the conversation log.
type MessageRecord struct {
	ID        string // the channel's message id (a wamid); unique
	Contact   ContactRef
	Direction Direction
	Kind      string // text, choices, template, image...
	Body      string // text shown or sent; sealed at rest
	Purpose   string // what an outbound message was for
	Staff     string // id of the staff member who sent it, if any
	Status    Delivery
	StatusAt  time.Time
	ErrorCode int // for failed
	At        time.Time
}

// Messages is the conversation log.
type Messages interface {
	// Record stores m. Recording an id that exists is ErrConflict.
	Record(ctx context.Context, m MessageRecord) error
	// Get finds a message by channel id. ErrNotFound if absent.
	Get(ctx context.Context, id string) (MessageRecord, error)
	// UpdateStatus moves the message to state d at time at if d supersedes
	// its current state, and reports whether it did. ErrNotFound if the
	// message is unknown; ErrInvalid if d is not a delivery state.
	UpdateStatus(ctx context.Context, id string, d Delivery, at time.Time, errorCode int) (bool, error)
	// History returns the contact's last limit messages, oldest first (by
	// At, then in the order recorded).
	History(ctx context.Context, ref ContactRef, limit int) ([]MessageRecord, error)
}
