package chat

import (
	"encoding/json"
	"log/slog"
	"time"

	"github.com/impactchat/impactchat/internal/redact"
)

// StatusState is how far an outbound message got.
type StatusState string

// Delivery states in the order a message moves through them. Failed is
// final. Use Supersedes to decide whether a state may replace another, since
// channels deliver statuses out of order.
const (
	StatusSent      StatusState = "sent"
	StatusDelivered StatusState = "delivered"
	StatusRead      StatusState = "read"
	StatusPlayed    StatusState = "played" // a voice message was played
	StatusFailed    StatusState = "failed"
)

// rank orders the states; 0 is unknown.
func (s StatusState) rank() int {
	switch s {
	case StatusSent:
		return 1
	case StatusDelivered:
		return 2
	case StatusRead:
		return 3
	case StatusPlayed:
		return 4
	case StatusFailed:
		return 5
	}
	return 0
}

// Known reports whether s is one of the states above.
func (s StatusState) Known() bool { return s.rank() > 0 }

// Supersedes reports whether a message currently in state prev may move to
// s. States never regress: a late "sent" never overwrites "read". A failure
// may replace sent or delivered, but not read or played, which prove the
// person received the message.
func (s StatusState) Supersedes(prev StatusState) bool {
	if !s.Known() {
		return false
	}
	if !prev.Known() {
		return true
	}
	if s == StatusFailed {
		return prev == StatusSent || prev == StatusDelivered
	}
	if prev == StatusFailed {
		return false
	}
	return s.rank() > prev.rank()
}

// Status reports the delivery state of a message the line sent.
type Status struct {
	MessageID string // the channel's id of the outbound message
	To        Address
	State     StatusState
	Time      time.Time
	Error     *StatusError // set when State is StatusFailed
	// Callback is the opaque value the sender attached to the message
	// (WhatsApp's biz_opaque_callback_data), echoed back by the channel.
	Callback string
	Raw      json.RawMessage
}

// LogValue implements slog.LogValuer without personal data.
func (s *Status) LogValue() slog.Value {
	if s == nil {
		return slog.StringValue("<nil>")
	}
	attrs := []slog.Attr{
		slog.String("message_id", redact.MessageID(s.MessageID)),
		slog.Any("to", s.To),
		slog.String("state", string(s.State)),
	}
	if s.Error != nil {
		attrs = append(attrs, slog.Int("error_code", s.Error.Code))
	}
	return slog.GroupValue(attrs...)
}

// StatusError is why a message failed, as the channel reported it.
type StatusError struct {
	Code    int
	Title   string
	Message string
	Details string
}

// Error describes the failure by its code and title.
func (e *StatusError) Error() string {
	if e.Title != "" {
		return "delivery failed: " + itoa(e.Code) + " " + e.Title
	}
	return "delivery failed: " + itoa(e.Code)
}

func itoa(n int) string {
	neg := n < 0
	if neg {
		n = -n
	}
	var b [21]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
