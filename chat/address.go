package chat

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/impactchat/impactchat/internal/redact"
)

// ChannelWhatsApp is the channel name used by the whatsapp packages.
const ChannelWhatsApp = "whatsapp"

// Address names one person on one line of one channel.
//
// Contact is a phone number (digits, E.164 without the plus or with it) or a
// business-scoped user id such as "US.13491208655302741918". It is personal
// data: Address masks it in logs and in its String form.
type Address struct {
	Channel string // "whatsapp"
	Line    string // the business line, e.g. a WhatsApp phone number id
	Contact string // the person: phone number or business-scoped user id
}

// IsZero reports whether a is the zero Address.
func (a Address) IsZero() bool { return a == Address{} }

// Validate reports an error naming the first empty field.
func (a Address) Validate() error {
	switch {
	case a.Channel == "":
		return &FieldError{Field: "address.channel", Problem: "is empty"}
	case strings.Contains(a.Channel, ":"):
		return &FieldError{Field: "address.channel", Problem: "contains a colon; give a channel name such as \"whatsapp\""}
	case a.Line == "":
		return &FieldError{Field: "address.line", Problem: "is empty"}
	case a.Contact == "":
		return &FieldError{Field: "address.contact", Problem: "is empty"}
	}
	return nil
}

// String returns the address with the contact masked, so that an Address
// printed by accident never reveals a phone number.
func (a Address) String() string {
	return fmt.Sprintf("%s/%s/%s", a.Channel, a.Line, redact.Identifier(a.Contact))
}

// LogValue implements slog.LogValuer: the contact is masked.
func (a Address) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("channel", a.Channel),
		slog.String("line", a.Line),
		slog.String("contact", redact.Identifier(a.Contact)),
	)
}
