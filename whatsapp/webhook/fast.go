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
	entries, ok := walk(data)
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
		changes := entries[i].changes
		if len(changes) != len(we.Changes) {
			return nil, false
		}
		if len(we.Changes) > 0 {
			e.Changes = make([]Change, len(we.Changes))
		}
		for j := range we.Changes {
			wc, c := &we.Changes[j], &e.Changes[j]
			c.Field = string(wc.Field)
			raw := changes[j].value
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
				if !wc.Value.messages(v, &changes[j]) {
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

// messages fills v from the union and the raw parts of the change.
func (u *fastValue) messages(v *MessagesValue, raw *rawChange) bool {
	*v = MessagesValue{
		MessagingProduct: u.MessagingProduct,
		Metadata:         u.Metadata,
		Contacts:         u.Contacts,
		Errors:           u.Errors,
		UserPreferences:  u.UserPreferences,
	}
	var ok bool
	if v.Messages, ok = withRaw(u.Messages, raw.arrays[0]); !ok {
		return false
	}
	if v.MessageEchoes, ok = withRaw(u.MessageEchoes, raw.arrays[1]); !ok {
		return false
	}
	statuses := raw.arrays[2]
	if len(statuses) != len(u.Statuses) {
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

func withRaw(ms []messageFields, spans [][]byte) ([]Message, bool) {
	if len(spans) != len(ms) {
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

// rawEntry and rawChange are the raw parts of a notification: the value of
// each change and the elements of the arrays of that value whose elements
// keep their raw JSON (valueArrays).
type rawEntry struct {
	changes []rawChange
}

type rawChange struct {
	value  []byte
	arrays [len(valueArrays)][][]byte
}

// walk finds the raw parts of the notification b in one walk over it. Keys
// are matched as encoding/json matches them: the last key equal to the
// name, ASCII case ignored. ok is false when a key holds escapes or
// non-ASCII bytes, which encoding/json might fold onto a name.
func walk(b []byte) (entries []rawEntry, ok bool) {
	_, ok = eachMember(b, skipSpace(b, 0), func(key []byte, i int) (int, bool) {
		if !matchKey(key, "entry") {
			return skipValue(b, i), true
		}
		entries = nil
		return eachElement(b, i, func(i int) (int, bool) {
			var e rawEntry
			end, ok := eachMember(b, i, func(key []byte, i int) (int, bool) {
				if !matchKey(key, "changes") {
					return skipValue(b, i), true
				}
				e.changes = nil
				return eachElement(b, i, func(i int) (int, bool) {
					var c rawChange
					end, ok := eachMember(b, i, func(key []byte, i int) (int, bool) {
						if !matchKey(key, "value") {
							return skipValue(b, i), true
						}
						c = rawChange{}
						end, ok := eachMember(b, i, func(key []byte, i int) (int, bool) {
							for k, name := range valueArrays {
								if matchKey(key, name) {
									c.arrays[k] = nil
									return eachElement(b, i, func(i int) (int, bool) {
										end := skipValue(b, i)
										c.arrays[k] = append(c.arrays[k], b[i:end])
										return end, end > i
									})
								}
							}
							return skipValue(b, i), true
						})
						c.value = b[i:end]
						return end, ok
					})
					e.changes = append(e.changes, c)
					return end, ok
				})
			})
			entries = append(entries, e)
			return end, ok
		})
	})
	return entries, ok
}

// eachMember calls fn with each key of the object at b[i] and the index of
// its value; fn returns the index just past the value. For anything but an
// object it skips the value and calls nothing. It returns the index just
// past the object.
func eachMember(b []byte, i int, fn func(key []byte, i int) (int, bool)) (int, bool) {
	if i >= len(b) || b[i] != '{' {
		return skipValue(b, i), true
	}
	i++
	for {
		i = skipSpace(b, i)
		if i >= len(b) {
			return i, false
		}
		switch b[i] {
		case '}':
			return i + 1, true
		case ',':
			i = skipSpace(b, i+1)
		}
		ks := i
		i = skipString(b, i)
		if i-ks < 2 || i > len(b) {
			return i, false
		}
		key := b[ks+1 : i-1]
		if !plainASCII(key) {
			return i, false
		}
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != ':' {
			return i, false
		}
		var ok bool
		if i, ok = fn(key, skipSpace(b, i+1)); !ok {
			return i, false
		}
	}
}

// eachElement calls fn with the index of each element of the array at b[i];
// fn returns the index just past the element. For anything but an array it
// skips the value and calls nothing.
func eachElement(b []byte, i int, fn func(i int) (int, bool)) (int, bool) {
	if i >= len(b) || b[i] != '[' {
		return skipValue(b, i), true
	}
	i++
	for {
		i = skipSpace(b, i)
		if i >= len(b) {
			return i, false
		}
		switch b[i] {
		case ']':
			return i + 1, true
		case ',':
			i = skipSpace(b, i+1)
		}
		var ok bool
		if i, ok = fn(i); !ok {
			return i, false
		}
	}
}

func matchKey(key []byte, name string) bool {
	return string(key) == name || asciiEqualFold(key, name)
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
