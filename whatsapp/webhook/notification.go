package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
)

// ErrMalformed is returned by Parse for a body that is not a JSON object.
var ErrMalformed = errors.New("webhook: malformed notification")

// ObjectWhatsApp is the Object of every WhatsApp Business Account
// notification.
const ObjectWhatsApp = "whatsapp_business_account"

// Notification is one webhook delivery: a batch of entries, each a batch of
// changes. Meta may put up to a thousand updates in one delivery.
type Notification struct {
	Object  string  `json:"object,omitzero"` // "whatsapp_business_account"
	Entries []Entry `json:"entry,omitzero"`

	problem string
}

// Entry is the part of a notification about one WhatsApp Business Account.
type Entry struct {
	ID      FlexString `json:"id,omitzero"`   // the WhatsApp Business Account id ("0" in dashboard tests)
	Time    Timestamp  `json:"time,omitzero"` // set on management fields
	Changes []Change   `json:"changes,omitzero"`
}

// Change is one subscribed field that changed, with its value.
//
// Value holds the decoded value for the fields this package knows (see
// ChangeValue) and is nil for any other field; Raw always holds the value
// exactly as sent, so nothing is lost when Meta adds a field.
type Change struct {
	Field string          // "messages", "message_template_status_update", ...
	Value ChangeValue     // nil when the field has no type here
	Raw   json.RawMessage // the value as sent

	problem string
}

// wireChange is a change as sent. The "field" member may come before or
// after "value"; the value is decoded once the field is known.
type wireChange struct {
	Field FlexString `json:"field"`
	Value rawJSON    `json:"value"`
}

// UnmarshalJSON implements json.Unmarshaler, for code that decodes a
// Notification with encoding/json rather than Parse. Parse does the same
// work in fewer passes over the body.
func (c *Change) UnmarshalJSON(b []byte) error {
	if isNull(b) {
		return nil
	}
	var w wireChange
	problem := lenient(b, &w)
	c.decode(w)
	if problem != "" {
		c.problem = problem
	}
	return nil
}

// decode types the value of w by its field. The value is not copied.
func (c *Change) decode(w wireChange) {
	*c = Change{Field: string(w.Field)}
	if isNull(w.Value) {
		return
	}
	c.Raw = json.RawMessage(w.Value)
	if mk, ok := changeValues[c.Field]; ok {
		v := mk()
		if problem := lenient(w.Value, v); problem != "" {
			c.problem = "value." + problem
		}
		c.Value = v
	}
}

// MarshalJSON implements json.Marshaler: a change encodes as it was
// received, {"field": ..., "value": ...}.
func (c Change) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Field string          `json:"field"`
		Value json.RawMessage `json:"value,omitempty"`
	}{c.Field, c.Raw})
}

// ChangeValue is the decoded value of a Change. The set is closed; the
// concrete types are *MessagesValue, *TemplateStatusUpdate,
// *TemplateQualityUpdate, *TemplateCategoryUpdate, *AccountUpdate and
// *PhoneNumberQualityUpdate. Use a type switch.
type ChangeValue interface {
	changeValue()
}

// changeValues is the table from field name to the Go type its value decodes
// into. Fields not listed keep only their Raw value.
var changeValues = map[string]func() ChangeValue{
	FieldMessages:                 func() ChangeValue { return new(MessagesValue) },
	FieldMessageEchoes:            func() ChangeValue { return new(MessagesValue) },
	FieldUserPreferences:          func() ChangeValue { return new(MessagesValue) },
	FieldTemplateStatusUpdate:     func() ChangeValue { return new(TemplateStatusUpdate) },
	FieldTemplateQualityUpdate:    func() ChangeValue { return new(TemplateQualityUpdate) },
	FieldTemplateCategoryUpdate:   func() ChangeValue { return new(TemplateCategoryUpdate) },
	FieldAccountUpdate:            func() ChangeValue { return new(AccountUpdate) },
	FieldPhoneNumberQualityUpdate: func() ChangeValue { return new(PhoneNumberQualityUpdate) },
}

// Webhook fields with a typed value.
const (
	FieldMessages                 = "messages"
	FieldMessageEchoes            = "smb_message_echoes"
	FieldUserPreferences          = "user_preferences"
	FieldTemplateStatusUpdate     = "message_template_status_update"
	FieldTemplateQualityUpdate    = "message_template_quality_update"
	FieldTemplateCategoryUpdate   = "template_category_update"
	FieldAccountUpdate            = "account_update"
	FieldPhoneNumberQualityUpdate = "phone_number_quality_update"
)

func isNull(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) == 0 || bytes.Equal(b, []byte("null"))
}

// Parse decodes a webhook body. Verify the signature over the same bytes
// first (VerifySignature, or let NewHandler do both).
//
// Parse is lenient: unknown fields, message types and statuses are kept (in
// the Raw JSON of their change, message or status) and never an error, and
// numbers that arrive as strings or strings that arrive as numbers both
// decode. A member of the wrong JSON type does not stop the rest from being
// decoded; it is reported by Problems. Parse returns ErrMalformed only when
// body is not a JSON object.
//
// The result keeps references into its own copy of body, so body may be
// reused once Parse returns.
func Parse(body []byte) (*Notification, error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, ErrMalformed
	}
	return parseOwned(bytes.Clone(trimmed))
}

// parseOwned is Parse of data that starts with '{' and that the result may
// keep: the handler reads each delivery into a buffer of its own and hands
// it over, so that the body is copied once, not twice.
func parseOwned(data []byte) (*Notification, error) {
	if !json.Valid(data) {
		return nil, ErrMalformed
	}
	if n, ok := parseQuick(data); ok {
		return n, nil
	}
	var fast fastNotification
	err := json.Unmarshal(data, &fast)
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		if n, ok := fast.build(data); ok {
			return n, nil
		}
	case !errors.As(err, &te):
		return nil, ErrMalformed
	}
	return parseSlow(data), nil
}

// parseSlow decodes data level by level, so that a member of the wrong type
// spoils only the change, message or status that holds it.
func parseSlow(data []byte) *Notification {
	// One pass types the envelope and leaves each change's value as a
	// slice of data; each value is then decoded by its field.
	var w struct {
		Object string `json:"object"`
		Entry  []struct {
			ID      FlexString   `json:"id"`
			Time    Timestamp    `json:"time"`
			Changes []wireChange `json:"changes"`
		} `json:"entry"`
	}
	n := &Notification{problem: lenient(data, &w), Object: w.Object}
	if len(w.Entry) > 0 {
		n.Entries = make([]Entry, len(w.Entry))
	}
	for i, we := range w.Entry {
		e := &n.Entries[i]
		e.ID, e.Time = we.ID, we.Time
		if len(we.Changes) > 0 {
			e.Changes = make([]Change, len(we.Changes))
		}
		for j, wc := range we.Changes {
			e.Changes[j].decode(wc)
		}
	}
	return n
}
