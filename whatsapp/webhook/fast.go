package webhook

import (
	"bytes"
	"encoding/json"
)

// The fast path of Parse decodes a whole notification in one encoding/json
// pass, into a value type that is the union of every typed change value,
// then finds the raw bytes of each change, message and status with a small
// scanner over the (already validated) body. It gives up, and Parse takes
// the slow path that decodes each level on its own, whenever the body holds
// a member of the wrong JSON type or anything the scanner is not sure to
// read as encoding/json does. Both paths give the same result; a fuzz test
// holds them to it.

type fastNotification struct {
	Object string `json:"object"`
	Entry  []struct {
		ID      FlexString `json:"id"`
		Time    Timestamp  `json:"time"`
		Changes []struct {
			Field FlexString `json:"field"`
			Value *fastValue `json:"value"`
		} `json:"changes"`
	} `json:"entry"`
}

// fastValue holds the members of every ChangeValue type. Members that two
// types share ("event", "message_template_id"...) have the same JSON type
// in each.
type fastValue struct {
	// MessagesValue
	MessagingProduct string           `json:"messaging_product"`
	Metadata         Metadata         `json:"metadata"`
	Contacts         []Contact        `json:"contacts"`
	Messages         []messageFields  `json:"messages"`
	Statuses         []statusFields   `json:"statuses"`
	Errors           []Error          `json:"errors"`
	MessageEchoes    []messageFields  `json:"message_echoes"`
	UserPreferences  []UserPreference `json:"user_preferences"`

	// Template, account and phone number updates
	Event                   string            `json:"event"`
	MessageTemplateID       FlexString        `json:"message_template_id"`
	MessageTemplateName     string            `json:"message_template_name"`
	MessageTemplateLanguage string            `json:"message_template_language"`
	MessageTemplateCategory string            `json:"message_template_category"`
	Reason                  string            `json:"reason"`
	RejectionInfo           *RejectionInfo    `json:"rejection_info"`
	DisableInfo             *DisableInfo      `json:"disable_info"`
	OtherInfo               *OtherInfo        `json:"other_info"`
	PreviousQualityScore    string            `json:"previous_quality_score"`
	NewQualityScore         string            `json:"new_quality_score"`
	PreviousCategory        string            `json:"previous_category"`
	NewCategory             string            `json:"new_category"`
	CorrectCategory         string            `json:"correct_category"`
	PhoneNumber             FlexString        `json:"phone_number"`
	BanInfo                 *BanInfo          `json:"ban_info"`
	ViolationInfo           *ViolationInfo    `json:"violation_info"`
	RestrictionInfo         []RestrictionInfo `json:"restriction_info"`
	DisplayPhoneNumber      FlexString        `json:"display_phone_number"`
	CurrentLimit            string            `json:"current_limit"`
	OldLimit                string            `json:"old_limit"`
}

// build makes a Notification from a decoded body and the body itself, or
// reports false when the raw parts cannot be matched up with certainty.
func (w *fastNotification) build(data []byte) (*Notification, bool) {
	entries, ok := elements(member(data, "entry"))
	if !ok || len(entries) != len(w.Entry) {
		return nil, false
	}
	n := &Notification{Object: w.Object}
	if len(w.Entry) > 0 {
		n.Entries = make([]Entry, len(w.Entry))
	}
	for i := range w.Entry {
		we, e := &w.Entry[i], &n.Entries[i]
		e.ID, e.Time = we.ID, we.Time
		changes, ok := elements(member(entries[i], "changes"))
		if !ok || len(changes) != len(we.Changes) {
			return nil, false
		}
		if len(we.Changes) > 0 {
			e.Changes = make([]Change, len(we.Changes))
		}
		for j := range we.Changes {
			wc, c := &we.Changes[j], &e.Changes[j]
			c.Field = string(wc.Field)
			raw, ok := member(changes[j], "value")
			if !ok {
				return nil, false
			}
			if wc.Value == nil || isNull(raw) {
				continue
			}
			c.Raw = json.RawMessage(raw)
			mk, typed := changeValues[c.Field]
			if !typed {
				continue
			}
			switch v := mk().(type) {
			case *MessagesValue:
				if !wc.Value.messages(v, raw) {
					return nil, false
				}
				c.Value = v
			case *TemplateStatusUpdate:
				u := wc.Value
				*v = TemplateStatusUpdate{
					Event: u.Event, MessageTemplateID: u.MessageTemplateID, MessageTemplateName: u.MessageTemplateName,
					MessageTemplateLanguage: u.MessageTemplateLanguage, MessageTemplateCategory: u.MessageTemplateCategory,
					Reason: u.Reason, RejectionInfo: u.RejectionInfo, DisableInfo: u.DisableInfo, OtherInfo: u.OtherInfo,
				}
				c.Value = v
			case *TemplateQualityUpdate:
				u := wc.Value
				*v = TemplateQualityUpdate{
					PreviousQualityScore: u.PreviousQualityScore, NewQualityScore: u.NewQualityScore,
					MessageTemplateID: u.MessageTemplateID, MessageTemplateName: u.MessageTemplateName,
					MessageTemplateLanguage: u.MessageTemplateLanguage,
				}
				c.Value = v
			case *TemplateCategoryUpdate:
				u := wc.Value
				*v = TemplateCategoryUpdate{
					MessageTemplateID: u.MessageTemplateID, MessageTemplateName: u.MessageTemplateName,
					MessageTemplateLanguage: u.MessageTemplateLanguage, PreviousCategory: u.PreviousCategory,
					NewCategory: u.NewCategory, CorrectCategory: u.CorrectCategory,
				}
				c.Value = v
			case *AccountUpdate:
				u := wc.Value
				*v = AccountUpdate{
					Event: u.Event, PhoneNumber: u.PhoneNumber, BanInfo: u.BanInfo,
					ViolationInfo: u.ViolationInfo, RestrictionInfo: u.RestrictionInfo,
				}
				c.Value = v
			case *PhoneNumberQualityUpdate:
				u := wc.Value
				*v = PhoneNumberQualityUpdate{
					DisplayPhoneNumber: u.DisplayPhoneNumber, Event: u.Event,
					CurrentLimit: u.CurrentLimit, OldLimit: u.OldLimit,
				}
				c.Value = v
			default:
				return nil, false // a type added to changeValues but not here
			}
		}
	}
	return n, true
}

// messages fills v from the union and the raw value.
func (u *fastValue) messages(v *MessagesValue, raw []byte) bool {
	var spans [3][]byte
	if !members(raw, valueArrays[:], spans[:]) {
		return false
	}
	*v = MessagesValue{
		MessagingProduct: u.MessagingProduct,
		Metadata:         u.Metadata,
		Contacts:         u.Contacts,
		Errors:           u.Errors,
		UserPreferences:  u.UserPreferences,
	}
	var ok bool
	if v.Messages, ok = withRaw(u.Messages, spans[0]); !ok {
		return false
	}
	if v.MessageEchoes, ok = withRaw(u.MessageEchoes, spans[1]); !ok {
		return false
	}
	statuses, ok := elements(spans[2], true)
	if !ok || len(statuses) != len(u.Statuses) {
		return false
	}
	if u.Statuses != nil {
		v.Statuses = make([]Status, len(u.Statuses))
		for k := range u.Statuses {
			v.Statuses[k] = Status(u.Statuses[k])
			if !isNull(statuses[k]) {
				v.Statuses[k].Raw = json.RawMessage(statuses[k])
			}
		}
	}
	return true
}

// valueArrays are the members of a messages value whose elements keep
// their raw JSON.
var valueArrays = [3]string{"messages", "message_echoes", "statuses"}

func withRaw(ms []messageFields, arr []byte) ([]Message, bool) {
	spans, ok := elements(arr, true)
	if !ok || len(spans) != len(ms) {
		return nil, false
	}
	if len(ms) == 0 {
		if ms != nil {
			return []Message{}, true // "[]", as encoding/json decodes it
		}
		return nil, true
	}
	out := make([]Message, len(ms))
	for k := range ms {
		out[k] = Message(ms[k])
		if !isNull(spans[k]) {
			out[k].Raw = json.RawMessage(spans[k])
		}
	}
	return out, true
}

// The scanner below reads JSON that encoding/json has already validated.

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just past the value that starts at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

// skipString returns the index just past the string that starts at b[i].
func skipString(b []byte, i int) int {
	i++
	for {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return len(b)
		}
		q := i + j
		// The quote ends the string unless an odd number of backslashes
		// escapes it.
		k := q
		for k > i && b[k-1] == '\\' {
			k--
		}
		if (q-k)%2 == 0 {
			return q + 1
		}
		i = q + 1
	}
}

// member returns the value of the member called name of the object obj,
// chosen as encoding/json chooses: the last key equal to name, ASCII case
// ignored. It returns nil when obj is not an object or has no such member,
// and ok false when a key holds escapes or non-ASCII bytes, which
// encoding/json might fold onto name.
func member(obj []byte, name string) ([]byte, bool) {
	var val [1][]byte
	ok := members(obj, []string{name}, val[:])
	return val[0], ok
}

// members is member for several names at once: vals[k] receives the value
// of names[k].
func members(obj []byte, names []string, vals [][]byte) bool {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return true
	}
	i++
	for {
		i = skipSpace(obj, i)
		if i >= len(obj) || obj[i] == '}' {
			return true
		}
		if obj[i] == ',' {
			i = skipSpace(obj, i+1)
		}
		ks := i
		i = skipString(obj, i)
		if i-ks < 2 {
			return false
		}
		key := obj[ks+1 : i-1]
		i = skipSpace(obj, i)
		if i >= len(obj) || obj[i] != ':' {
			return false
		}
		i = skipSpace(obj, i+1)
		vs := i
		i = skipValue(obj, i)
		if !plainASCII(key) {
			return false
		}
		for k, name := range names {
			if string(key) == name || asciiEqualFold(key, name) {
				vals[k] = obj[vs:i]
			}
		}
	}
}

// elements returns the elements of the array arr; nil when arr is absent
// or null. ok is false when arr came from an ambiguous member.
func elements(arr []byte, ok bool) ([][]byte, bool) {
	if !ok {
		return nil, false
	}
	i := skipSpace(arr, 0)
	if i >= len(arr) || arr[i] != '[' {
		return nil, true
	}
	var out [][]byte
	i++
	for {
		i = skipSpace(arr, i)
		if i >= len(arr) || arr[i] == ']' {
			return out, true
		}
		if arr[i] == ',' {
			i = skipSpace(arr, i+1)
		}
		vs := i
		i = skipValue(arr, i)
		if i == vs {
			return nil, false
		}
		out = append(out, arr[vs:i])
	}
}

func plainASCII(b []byte) bool {
	for _, c := range b {
		if c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
