package webhook

import (
	"encoding/json"
	"unicode/utf8"
)

// The quick path of Parse decodes the deliveries that make up nearly all
// traffic (inbound text, media, location, reply, reaction and flow reply
// messages, unsupported types, delivery statuses) with a hand-written
// decoder over the validated body, several times faster than encoding/json.
// It knows only the members listed below and gives up, leaving the body to the other paths, on anything else:
// an unknown member, a repeated one, a value of an unexpected JSON type, a
// change of another field. When it does not give up its result is exactly
// what encoding/json would give, which a fuzz test checks.

// qd is the quick decoder: a position in a validated JSON document.
type qd struct {
	b   []byte
	i   int
	bad bool // gave up
}

func (d *qd) fail() { d.bad = true }

func (d *qd) next() byte {
	d.i = skipSpace(d.b, d.i)
	if d.i >= len(d.b) {
		d.bad = true
		return 0
	}
	return d.b[d.i]
}

// once fails when the member with this bit was already seen in the object.
func (d *qd) once(seen *uint64, bit uint) {
	if *seen&(1<<bit) != 0 {
		d.bad = true
	}
	*seen |= 1 << bit
}

// null consumes a null and reports whether there was one.
func (d *qd) null() bool {
	if d.next() == 'n' {
		d.i += len("null")
		return true
	}
	return false
}

// value consumes any value and returns its bytes.
func (d *qd) value() []byte {
	d.next()
	start := d.i
	d.i = skipValue(d.b, d.i)
	return d.b[start:d.i]
}

// object calls fn with each key of an object; fn consumes the value. A null
// is an object without members; anything else fails.
func (d *qd) object(fn func(key []byte)) {
	switch d.next() {
	case 'n':
		d.i += len("null")
		return
	case '{':
	default:
		d.bad = true
		return
	}
	d.i++
	for !d.bad {
		switch d.next() {
		case '}':
			d.i++
			return
		case ',':
			d.i++
			d.next()
		}
		ks := d.i
		d.i = skipString(d.b, d.i)
		if d.i-ks < 2 {
			d.bad = true
			return
		}
		key := d.b[ks+1 : d.i-1]
		if d.next() != ':' {
			d.bad = true
			return
		}
		d.i++
		fn(key)
	}
}

// array calls fn for each element of an array, and reports whether there
// was an array (false for null). Anything else fails.
func (d *qd) array(fn func()) bool {
	switch d.next() {
	case 'n':
		d.i += len("null")
		return false
	case '[':
	default:
		d.bad = true
		return false
	}
	d.i++
	for !d.bad {
		switch d.next() {
		case ']':
			d.i++
			return true
		case ',':
			d.i++
		}
		fn()
	}
	return true
}

// str decodes a string member; null leaves it empty.
func (d *qd) str() string {
	switch d.next() {
	case 'n':
		d.i += len("null")
		return ""
	case '"':
	default:
		d.bad = true
		return ""
	}
	start := d.i
	d.i = skipString(d.b, d.i)
	raw := d.b[start:d.i]
	inner := raw[1 : len(raw)-1]
	plain := true
	for _, c := range inner {
		if c == '\\' || c >= utf8.RuneSelf {
			plain = false
			break
		}
	}
	if plain {
		return string(inner)
	}
	// Escapes (Meta escapes every non-ASCII character) and UTF-8 are
	// decoded by encoding/json itself, so that the result is its own.
	var s string
	if json.Unmarshal(raw, &s) != nil {
		d.bad = true
	}
	return s
}

// boolean decodes a boolean member; null leaves it false.
func (d *qd) boolean() bool {
	switch d.next() {
	case 't':
		d.i += len("true")
		return true
	case 'f':
		d.i += len("false")
	case 'n':
		d.i += len("null")
	default:
		d.bad = true
	}
	return false
}

// The Flex types decode whatever JSON value they are given, as
// encoding/json hands it to their UnmarshalJSON.

func (d *qd) flexString() (s FlexString) { _ = s.UnmarshalJSON(d.value()); return s }
func (d *qd) flexInt() (n FlexInt)       { _ = n.UnmarshalJSON(d.value()); return n }
func (d *qd) flexFloat() (f FlexFloat)   { _ = f.UnmarshalJSON(d.value()); return f }
func (d *qd) timestamp() (t Timestamp)   { _ = t.UnmarshalJSON(d.value()); return t }

// parseQuick decodes data, or reports false.
func parseQuick(data []byte) (*Notification, bool) {
	d := &qd{b: data}
	n := new(Notification)
	var seen uint64
	d.object(func(key []byte) {
		switch string(key) {
		case "object":
			d.once(&seen, 0)
			n.Object = d.str()
		case "entry":
			d.once(&seen, 1)
			d.array(func() { n.Entries = append(n.Entries, d.entry()) })
		default:
			d.fail()
		}
	})
	if d.bad {
		return nil, false
	}
	return n, true
}

func (d *qd) entry() (e Entry) {
	var seen uint64
	d.object(func(key []byte) {
		switch string(key) {
		case "id":
			d.once(&seen, 0)
			e.ID = d.flexString()
		case "time":
			d.once(&seen, 1)
			e.Time = d.timestamp()
		case "changes":
			d.once(&seen, 2)
			d.array(func() { e.Changes = append(e.Changes, d.change()) })
		default:
			d.fail()
		}
	})
	return e
}

func (d *qd) change() (c Change) {
	var seen uint64
	var v *MessagesValue
	d.object(func(key []byte) {
		switch string(key) {
		case "field":
			d.once(&seen, 0)
			c.Field = string(d.flexString())
		case "value":
			d.once(&seen, 1)
			if d.null() {
				return
			}
			start := skipSpace(d.b, d.i)
			v = d.messagesValue()
			c.Raw = json.RawMessage(d.b[start:d.i])
		default:
			d.fail()
		}
	})
	if v != nil {
		switch c.Field {
		case FieldMessages, FieldMessageEchoes, FieldUserPreferences:
			c.Value = v
		default:
			d.fail() // another field's value: not for this path
		}
	}
	return c
}

func (d *qd) messagesValue() *MessagesValue {
	v := new(MessagesValue)
	var seen uint64
	d.object(func(key []byte) {
		switch string(key) {
		case "messaging_product":
			d.once(&seen, 0)
			v.MessagingProduct = d.str()
		case "metadata":
			d.once(&seen, 1)
			d.object(func(key []byte) {
				switch string(key) {
				case "display_phone_number":
					d.once(&seen, 10)
					v.Metadata.DisplayPhoneNumber = d.flexString()
				case "phone_number_id":
					d.once(&seen, 11)
					v.Metadata.PhoneNumberID = d.flexString()
				default:
					d.fail()
				}
			})
		case "contacts":
			d.once(&seen, 2)
			v.Contacts = []Contact{}
			if !d.array(func() { v.Contacts = append(v.Contacts, d.contact()) }) {
				v.Contacts = nil
			}
		case "messages":
			d.once(&seen, 3)
			v.Messages = []Message{}
			if !d.array(func() { v.Messages = append(v.Messages, d.message()) }) {
				v.Messages = nil
			}
		case "statuses":
			d.once(&seen, 4)
			v.Statuses = []Status{}
			if !d.array(func() { v.Statuses = append(v.Statuses, d.status()) }) {
				v.Statuses = nil
			}
		case "errors":
			d.once(&seen, 5)
			v.Errors = d.errors()
		default:
			d.fail()
		}
	})
	return v
}

func (d *qd) contact() (c Contact) {
	var seen uint64
	d.object(func(key []byte) {
		switch string(key) {
		case "profile":
			d.once(&seen, 0)
			d.object(func(key []byte) {
				switch string(key) {
				case "name":
					d.once(&seen, 10)
					c.Profile.Name = d.str()
				case "username":
					d.once(&seen, 11)
					c.Profile.Username = d.str()
				default:
					d.fail()
				}
			})
		case "wa_id":
			d.once(&seen, 1)
			c.WaID = d.flexString()
		case "user_id":
			d.once(&seen, 2)
			c.UserID = d.flexString()
		case "parent_user_id":
			d.once(&seen, 3)
			c.ParentUserID = d.flexString()
		default:
			d.fail()
		}
	})
	return c
}

func (d *qd) message() (m Message) {
	if d.null() {
		return m
	}
	start := skipSpace(d.b, d.i)
	var seen uint64
	d.object(func(key []byte) {
		switch string(key) {
		case "id":
			d.once(&seen, 0)
			m.ID = d.flexString()
		case "from":
			d.once(&seen, 1)
			m.From = d.flexString()
		case "timestamp":
			d.once(&seen, 2)
			m.Timestamp = d.timestamp()
		case "type":
			d.once(&seen, 3)
			m.Type = d.str()
		case "from_user_id":
			d.once(&seen, 4)
			m.FromUserID = d.flexString()
		case "group_id":
			d.once(&seen, 5)
			m.GroupID = d.flexString()
		case "context":
			d.once(&seen, 6)
			m.Context = d.context()
		case "text":
			d.once(&seen, 7)
			if !d.null() {
				m.Text = new(Text)
				d.object(func(key []byte) {
					switch string(key) {
					case "body":
						d.once(&seen, 30)
						m.Text.Body = d.str()
					default:
						d.fail()
					}
				})
			}
		case "image":
			d.once(&seen, 8)
			m.Image = d.media()
		case "audio":
			d.once(&seen, 9)
			m.Audio = d.media()
		case "video":
			d.once(&seen, 10)
			m.Video = d.media()
		case "document":
			d.once(&seen, 11)
			m.Document = d.media()
		case "sticker":
			d.once(&seen, 12)
			m.Sticker = d.media()
		case "location":
			d.once(&seen, 13)
			m.Location = d.location()
		case "interactive":
			d.once(&seen, 14)
			m.Interactive = d.interactive()
		case "button":
			d.once(&seen, 15)
			if !d.null() {
				m.Button = new(Button)
				d.object(func(key []byte) {
					switch string(key) {
					case "payload":
						d.once(&seen, 31)
						m.Button.Payload = d.str()
					case "text":
						d.once(&seen, 32)
						m.Button.Text = d.str()
					default:
						d.fail()
					}
				})
			}
		case "reaction":
			d.once(&seen, 16)
			if !d.null() {
				m.Reaction = new(Reaction)
				d.object(func(key []byte) {
					switch string(key) {
					case "message_id":
						d.once(&seen, 33)
						m.Reaction.MessageID = d.flexString()
					case "emoji":
						d.once(&seen, 34)
						m.Reaction.Emoji = d.str()
					default:
						d.fail()
					}
				})
			}
		case "errors":
			d.once(&seen, 17)
			m.Errors = d.errors()
		case "unsupported":
			d.once(&seen, 18)
			if !d.null() {
				m.Unsupported = new(Unsupported)
				d.object(func(key []byte) {
					switch string(key) {
					case "type":
						d.once(&seen, 35)
						m.Unsupported.Type = d.str()
					default:
						d.fail()
					}
				})
			}
		default:
			d.fail()
		}
	})
	m.Raw = json.RawMessage(d.b[start:d.i])
	return m
}

func (d *qd) context() *Context {
	if d.null() {
		return nil
	}
	c := new(Context)
	var seen uint64
	d.object(func(key []byte) {
		switch string(key) {
		case "from":
			d.once(&seen, 0)
			c.From = d.flexString()
		case "id":
			d.once(&seen, 1)
			c.ID = d.flexString()
		case "forwarded":
			d.once(&seen, 2)
			c.Forwarded = d.boolean()
		case "frequently_forwarded":
			d.once(&seen, 3)
			c.FrequentlyForwarded = d.boolean()
		default:
			d.fail()
		}
	})
	return c
}

func (d *qd) media() *Media {
	if d.null() {
		return nil
	}
	md := new(Media)
	var seen uint64
	d.object(func(key []byte) {
		switch string(key) {
		case "id":
			d.once(&seen, 0)
			md.ID = d.flexString()
		case "mime_type":
			d.once(&seen, 1)
			md.MIMEType = d.str()
		case "sha256":
			d.once(&seen, 2)
			md.SHA256 = d.str()
		case "caption":
			d.once(&seen, 3)
			md.Caption = d.str()
		case "filename":
			d.once(&seen, 4)
			md.Filename = d.str()
		case "url":
			d.once(&seen, 5)
			md.URL = d.str()
		case "voice":
			d.once(&seen, 6)
			md.Voice = d.boolean()
		case "animated":
			d.once(&seen, 7)
			md.Animated = d.boolean()
		default:
			d.fail()
		}
	})
	return md
}

func (d *qd) location() *Location {
	if d.null() {
		return nil
	}
	l := new(Location)
	var seen uint64
	d.object(func(key []byte) {
		switch string(key) {
		case "latitude":
			d.once(&seen, 0)
			l.Latitude = d.flexFloat()
		case "longitude":
			d.once(&seen, 1)
			l.Longitude = d.flexFloat()
		case "name":
			d.once(&seen, 2)
			l.Name = d.str()
		case "address":
			d.once(&seen, 3)
			l.Address = d.str()
		case "url":
			d.once(&seen, 4)
			l.URL = d.str()
		default:
			d.fail()
		}
	})
	return l
}

func (d *qd) interactive() *Interactive {
	if d.null() {
		return nil
	}
	it := new(Interactive)
	var seen uint64
	d.object(func(key []byte) {
		switch string(key) {
		case "type":
			d.once(&seen, 0)
			it.Type = d.str()
		case "button_reply":
			d.once(&seen, 1)
			it.ButtonReply = d.reply()
		case "list_reply":
			d.once(&seen, 2)
			it.ListReply = d.reply()
		case "nfm_reply":
			d.once(&seen, 3)
			if d.null() {
				return
			}
			it.NFMReply = new(FlowReply)
			d.object(func(key []byte) {
				switch string(key) {
				case "name":
					d.once(&seen, 10)
					it.NFMReply.Name = d.str()
				case "body":
					d.once(&seen, 11)
					it.NFMReply.Body = d.str()
				case "response_json":
					d.once(&seen, 12)
					it.NFMReply.ResponseJSON = d.str()
				default:
					d.fail()
				}
			})
		default:
			d.fail()
		}
	})
	return it
}

func (d *qd) reply() *Reply {
	if d.null() {
		return nil
	}
	r := new(Reply)
	var seen uint64
	d.object(func(key []byte) {
		switch string(key) {
		case "id":
			d.once(&seen, 0)
			r.ID = d.str()
		case "title":
			d.once(&seen, 1)
			r.Title = d.str()
		case "description":
			d.once(&seen, 2)
			r.Description = d.str()
		default:
			d.fail()
		}
	})
	return r
}

func (d *qd) errors() []Error {
	errs := []Error{}
	if !d.array(func() {
		var e Error
		var seen uint64
		d.object(func(key []byte) {
			switch string(key) {
			case "code":
				d.once(&seen, 0)
				e.Code = d.flexInt()
			case "title":
				d.once(&seen, 1)
				e.Title = d.str()
			case "message":
				d.once(&seen, 2)
				e.Message = d.str()
			case "details":
				d.once(&seen, 3)
				e.Details = d.str()
			case "href":
				d.once(&seen, 4)
				e.Href = d.str()
			case "error_data":
				d.once(&seen, 5)
				if !d.null() {
					e.ErrorData = new(ErrorData)
					d.object(func(key []byte) {
						switch string(key) {
						case "details":
							d.once(&seen, 10)
							e.ErrorData.Details = d.str()
						default:
							d.fail()
						}
					})
				}
			default:
				d.fail()
			}
		})
		errs = append(errs, e)
	}) {
		return nil
	}
	return errs
}

func (d *qd) status() (s Status) {
	if d.null() {
		return s
	}
	start := skipSpace(d.b, d.i)
	var seen uint64
	d.object(func(key []byte) {
		switch string(key) {
		case "id":
			d.once(&seen, 0)
			s.ID = d.flexString()
		case "status":
			d.once(&seen, 1)
			s.Status = d.str()
		case "timestamp":
			d.once(&seen, 2)
			s.Timestamp = d.timestamp()
		case "recipient_id":
			d.once(&seen, 3)
			s.RecipientID = d.flexString()
		case "recipient_user_id":
			d.once(&seen, 4)
			s.RecipientUserID = d.flexString()
		case "biz_opaque_callback_data":
			d.once(&seen, 5)
			s.BizOpaqueCallbackData = d.str()
		case "type":
			d.once(&seen, 6)
			s.Type = d.str()
		case "recipient_type":
			d.once(&seen, 10)
			s.RecipientType = d.str()
		case "recipient_participant_id":
			d.once(&seen, 11)
			s.RecipientParticipantID = d.flexString()
		case "recipient_participant_user_id":
			d.once(&seen, 12)
			s.RecipientParticipantUserID = d.flexString()
		case "recipient_participant_parent_user_id":
			d.once(&seen, 13)
			s.RecipientParticipantParentUserID = d.flexString()
		case "recipient_parent_user_id":
			d.once(&seen, 14)
			s.RecipientParentUserID = d.flexString()
		case "recipient_identity_key_hash":
			d.once(&seen, 15)
			s.RecipientIdentityKeyHash = d.str()
		case "errors":
			d.once(&seen, 7)
			s.Errors = d.errors()
		case "conversation":
			d.once(&seen, 8)
			if d.null() {
				return
			}
			s.Conversation = new(Conversation)
			d.object(func(key []byte) {
				switch string(key) {
				case "id":
					d.once(&seen, 20)
					s.Conversation.ID = d.flexString()
				case "expiration_timestamp":
					d.once(&seen, 21)
					s.Conversation.ExpirationTimestamp = d.timestamp()
				case "origin":
					d.once(&seen, 22)
					d.object(func(key []byte) {
						switch string(key) {
						case "type":
							d.once(&seen, 23)
							s.Conversation.Origin.Type = d.str()
						default:
							d.fail()
						}
					})
				default:
					d.fail()
				}
			})
		case "pricing":
			d.once(&seen, 9)
			if d.null() {
				return
			}
			s.Pricing = new(Pricing)
			d.object(func(key []byte) {
				switch string(key) {
				case "billable":
					d.once(&seen, 30)
					if !d.null() {
						b := d.boolean()
						s.Pricing.Billable = &b
					}
				case "pricing_model":
					d.once(&seen, 31)
					s.Pricing.PricingModel = d.str()
				case "type":
					d.once(&seen, 32)
					s.Pricing.Type = d.str()
				case "category":
					d.once(&seen, 33)
					s.Pricing.Category = d.str()
				default:
					d.fail()
				}
			})
		default:
			d.fail()
		}
	})
	s.Raw = json.RawMessage(d.b[start:d.i])
	return s
}
