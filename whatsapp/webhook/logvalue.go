package webhook

import (
	"log/slog"

	"github.com/impactchat/impactchat/internal/redact"
)

// The values of a notification hold phone numbers, names and texts. Those
// that do mask themselves when logged, as slog.LogValuer: ids, types and
// states stay, people do not.

// LogValue implements slog.LogValuer: counts of entries and changes, and the
// fields.
func (n *Notification) LogValue() slog.Value {
	if n == nil {
		return slog.StringValue("<nil>")
	}
	var fields []string
	changes := 0
	for c := range n.Changes() {
		changes++
		if len(fields) < 8 {
			fields = append(fields, c.Field)
		}
	}
	return slog.GroupValue(
		slog.String("object", n.Object),
		slog.Int("entries", len(n.Entries)),
		slog.Int("changes", changes),
		slog.Any("fields", fields),
	)
}

// LogValue implements slog.LogValuer without the person's number or the
// content.
func (m *Message) LogValue() slog.Value {
	if m == nil {
		return slog.StringValue("<nil>")
	}
	from := string(m.From)
	if from == "" {
		from = string(m.FromUserID)
	}
	return slog.GroupValue(
		slog.String("id", redact.MessageID(string(m.ID))),
		slog.String("type", m.Type),
		slog.String("from", redact.Identifier(from)),
	)
}

// LogValue implements slog.LogValuer without the recipient's number.
func (s *Status) LogValue() slog.Value {
	if s == nil {
		return slog.StringValue("<nil>")
	}
	attrs := []slog.Attr{
		slog.String("id", redact.MessageID(string(s.ID))),
		slog.String("status", s.Status),
		slog.String("recipient", redact.Identifier(string(s.RecipientID))),
	}
	if len(s.Errors) > 0 {
		attrs = append(attrs, slog.Int64("error_code", int64(s.Errors[0].Code)))
	}
	return slog.GroupValue(attrs...)
}

// LogValue implements slog.LogValuer with the identifiers masked and no
// name.
func (c Contact) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("wa_id", redact.Identifier(string(c.WaID))),
		slog.String("user_id", redact.Identifier(string(c.UserID))),
	)
}

// LogValue implements slog.LogValuer with the identifiers masked.
func (p UserPreference) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("wa_id", redact.Identifier(string(p.WaID))),
		slog.String("category", p.Category),
		slog.String("value", p.Value),
	)
}
