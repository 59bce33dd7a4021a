package webhook

import (
	"encoding/json"
	"iter"
	"strconv"
	"strings"

	"github.com/impactchat/impactchat/chat"
)

// Problem is something in a notification that was kept but could not be
// read fully, or could not become a chat.Event. It names where it is and
// why, never the content.
type Problem struct {
	Path   string // e.g. "entry[0].changes[1].value.statuses[2]"
	Reason string // e.g. `state "deleted" is not a delivery state`
}

// String gives the problem's path and reason, never content.
func (p Problem) String() string { return p.Path + ": " + p.Reason }

// Changes yields every change of every entry, in order.
func (n *Notification) Changes() iter.Seq[*Change] {
	return func(yield func(*Change) bool) {
		for i := range n.Entries {
			for j := range n.Entries[i].Changes {
				if !yield(&n.Entries[i].Changes[j]) {
					return
				}
			}
		}
	}
}

// Events converts the inbound messages and delivery statuses of every entry
// and change to chat events, in the order they appear.
//
// A message becomes a chat.Message from chat.Address{Channel: "whatsapp",
// Line: the phone number id, Contact: the phone number, or the
// business-scoped user id when no phone number is given}, with the profile
// name of its contact, its time, the id it replies to (context.id) and its
// forwarded flags. Its Kind and fields follow the message type:
//
//	text                        KindText, Text = body
//	image, audio, video,        the kind of the same name, Attachment, Text = caption
//	document, sticker           (audio.voice and sticker.animated in Attachment)
//	location                    KindLocation, Location
//	contacts                    KindContacts (the cards are in Raw)
//	interactive button_reply,   KindChoice, Choice = the id, Text = the title
//	list_reply
//	button (template reply)     KindChoice, Choice = payload, Text = text
//	reaction                    KindReaction, Text = emoji ("" when removed), ReplyTo = the message reacted to
//	order                       KindOrder, Text = the order's text
//	system                      KindSystem, Text = body (the typed System has the new number)
//	interactive nfm_reply       KindFlowReply, Data = response_json (when it is a JSON object), Text = body
//	anything else               KindUnknown: edits, revokes, unsupported and
//	                            future types
//
// A message posted in a group carries the group's id in Group.
//
// Every message keeps its JSON in Raw, and a message with a member of the
// wrong type is KindUnknown. A status becomes a chat.Status with the first
// of its errors and biz_opaque_callback_data as Callback.
//
// An event whose key was already produced by the same notification is left
// out (Meta sometimes repeats a message within a batch). Messages and
// statuses that cannot form a valid event (no id, no sender, a state such as
// the legacy "deleted") are left out and reported by Problems. Everything
// else in the notification (template and account updates, user
// preferences, echoes, value-level errors) is reachable through Changes.
func (n *Notification) Events() []chat.Event {
	evs, _ := n.convert(false)
	return evs
}

// Problems reports what Parse kept without reading it fully (a member of
// the wrong JSON type) and what Events left out, with where and why.
func (n *Notification) Problems() []Problem {
	_, ps := n.convert(true)
	return ps
}

// where locates an item of a notification; its String is built only when
// a problem is reported.
type where struct {
	entry, change int    // -1 for the notification itself
	array         string // "" for the change itself
	item          int
}

func (w where) String() string {
	if w.entry < 0 {
		return "notification"
	}
	s := "entry[" + strconv.Itoa(w.entry) + "].changes[" + strconv.Itoa(w.change) + "]"
	if w.array != "" {
		s += ".value." + w.array + "[" + strconv.Itoa(w.item) + "]"
	}
	return s
}

func (n *Notification) convert(wantProblems bool) ([]chat.Event, []Problem) {
	var (
		evs  []chat.Event
		ps   []Problem
		seen map[string]struct{}
	)
	report := func(at where, reason string) {
		if wantProblems && reason != "" {
			ps = append(ps, Problem{Path: at.String(), Reason: reason})
		}
	}
	add := func(at where, e chat.Event) {
		if err := e.Validate(); err != nil {
			report(at, err.Error())
			return
		}
		// Small batches, the usual case, are searched without building
		// keys; large ones through a set of keys.
		if len(evs) < 16 {
			for _, p := range evs {
				if sameKey(p, e) {
					return
				}
			}
		} else {
			if seen == nil {
				seen = make(map[string]struct{}, 2*len(evs))
				for _, p := range evs {
					seen[p.Key()] = struct{}{}
				}
			}
			k := e.Key()
			if _, dup := seen[k]; dup {
				return
			}
			seen[k] = struct{}{}
		}
		evs = append(evs, e)
	}
	report(where{entry: -1}, n.problem)
	for i := range n.Entries {
		e := &n.Entries[i]
		for j := range e.Changes {
			c := &e.Changes[j]
			at := where{entry: i, change: j}
			report(at, c.problem)
			v, ok := c.Value.(*MessagesValue)
			if !ok {
				continue
			}
			line := string(v.Metadata.PhoneNumberID)
			for k := range v.Messages {
				m := &v.Messages[k]
				at := where{i, j, "messages", k}
				report(at, m.problem)
				add(at, chat.Event{Message: chatMessage(line, v.Contacts, m)})
			}
			for k := range v.Statuses {
				s := &v.Statuses[k]
				at := where{i, j, "statuses", k}
				report(at, s.problem)
				st := chatStatus(line, s)
				if !st.State.Known() {
					report(at, "state "+safeWord(s.Status)+" is not a delivery state")
					continue
				}
				add(at, chat.Event{Status: st})
			}
			for k := range v.MessageEchoes {
				report(where{i, j, "message_echoes", k}, v.MessageEchoes[k].problem)
			}
		}
	}
	return evs, ps
}

// sameKey reports whether a.Key() == b.Key() without building the keys.
func sameKey(a, b chat.Event) bool {
	switch {
	case a.Message != nil && b.Message != nil:
		return a.Message.ID == b.Message.ID && a.Message.From.Channel == b.Message.From.Channel
	case a.Status != nil && b.Status != nil:
		return a.Status.MessageID == b.Status.MessageID && a.Status.State == b.Status.State &&
			a.Status.To.Channel == b.Status.To.Channel
	}
	return false
}

// chatMessage converts one inbound message.
func chatMessage(line string, contacts []Contact, m *Message) *chat.Message {
	out := &chat.Message{
		ID: string(m.ID),
		From: chat.Address{
			Channel: chat.ChannelWhatsApp,
			Line:    line,
			Contact: sender(m),
		},
		Time:  m.Timestamp.Time(),
		Kind:  chat.KindUnknown,
		Group: string(m.GroupID),
		Raw:   m.Raw,
	}
	if c := contactFor(contacts, m); c != nil {
		out.ProfileName = c.Profile.Name
		if out.From.Contact == "" {
			out.From.Contact = contactID(c)
		}
	}
	if m.Context != nil {
		out.ReplyTo = string(m.Context.ID)
		out.Forwarded = m.Context.Forwarded
		out.FrequentlyForwarded = m.Context.FrequentlyForwarded
	}
	switch m.Type {
	case TypeText:
		if m.Text != nil {
			out.Kind, out.Text = chat.KindText, m.Text.Body
		}
	case TypeImage, TypeAudio, TypeVideo, TypeDocument, TypeSticker:
		if md := m.Media(); md != nil {
			out.Kind = chat.Kind(m.Type)
			out.Text = md.Caption
			out.Attachment = &chat.Attachment{
				ID:       string(md.ID),
				URL:      md.URL,
				MIMEType: md.MIMEType,
				SHA256:   md.SHA256,
				Filename: md.Filename,
				Voice:    md.Voice,
				Animated: md.Animated,
			}
		}
	case TypeLocation:
		if l := m.Location; l != nil {
			out.Kind = chat.KindLocation
			out.Location = &chat.Location{
				Latitude:  float64(l.Latitude),
				Longitude: float64(l.Longitude),
				Name:      l.Name,
				Address:   l.Address,
				URL:       l.URL,
			}
		}
	case TypeContacts:
		out.Kind = chat.KindContacts
	case TypeInteractive:
		if it := m.Interactive; it != nil {
			var r *Reply
			switch it.Type {
			case "button_reply":
				r = it.ButtonReply
			case "list_reply":
				r = it.ListReply
			}
			if r != nil {
				out.Kind, out.Choice, out.Text = chat.KindChoice, r.ID, r.Title
			} else if f := it.NFMReply; it.Type == "nfm_reply" && f != nil && json.Valid([]byte(f.ResponseJSON)) &&
				strings.HasPrefix(strings.TrimSpace(f.ResponseJSON), "{") {
				out.Kind, out.Data, out.Text = chat.KindFlowReply, json.RawMessage(f.ResponseJSON), f.Body
			}
		}
	case TypeButton:
		if m.Button != nil {
			out.Kind, out.Choice, out.Text = chat.KindChoice, m.Button.Payload, m.Button.Text
		}
	case TypeReaction:
		if m.Reaction != nil {
			out.Kind, out.Text = chat.KindReaction, m.Reaction.Emoji
			out.ReplyTo = string(m.Reaction.MessageID)
		}
	case TypeOrder:
		out.Kind = chat.KindOrder
		if m.Order != nil {
			out.Text = m.Order.Text
		}
	case TypeSystem:
		out.Kind = chat.KindSystem
		if m.System != nil {
			out.Text = m.System.Body
		}
	}
	if m.problem != "" {
		// Part of the message could not be read: offer it as what it is,
		// an unknown message with its Raw JSON, not as a truncated one.
		out.Kind, out.Text, out.Choice, out.Attachment, out.Location = chat.KindUnknown, "", "", nil, nil
	}
	return out
}

// sender is the person's identifier: the phone number, or the
// business-scoped user id when no number is given.
func sender(m *Message) string {
	if m.From != "" {
		return string(m.From)
	}
	return string(m.FromUserID)
}

// contactFor finds the contact entry of the message's sender: by phone
// number or business-scoped user id, else the only contact present.
func contactFor(contacts []Contact, m *Message) *Contact {
	for i := range contacts {
		c := &contacts[i]
		if (m.From != "" && c.WaID == m.From) || (m.FromUserID != "" && c.UserID == m.FromUserID) {
			return c
		}
	}
	if len(contacts) == 1 {
		return &contacts[0]
	}
	return nil
}

func contactID(c *Contact) string {
	if c.WaID != "" {
		return string(c.WaID)
	}
	return string(c.UserID)
}

// chatStatus converts one delivery status.
func chatStatus(line string, s *Status) *chat.Status {
	to := string(s.RecipientID)
	if to == "" {
		to = string(s.RecipientUserID)
	}
	out := &chat.Status{
		MessageID: string(s.ID),
		To:        chat.Address{Channel: chat.ChannelWhatsApp, Line: line, Contact: to},
		State:     chat.StatusState(s.Status),
		Time:      s.Timestamp.Time(),
		Callback:  s.BizOpaqueCallbackData,
		Raw:       s.Raw,
	}
	if len(s.Errors) > 0 {
		e := &s.Errors[0]
		out.Error = &chat.StatusError{
			Code:    int(e.Code),
			Title:   e.Title,
			Message: e.Message,
			Details: e.Detail(),
		}
	}
	return out
}

// safeWord quotes s when it is a short lowercase word (a state or a type
// name), so that a reason never carries content from the payload.
func safeWord(s string) string {
	if s == "" || len(s) > 32 {
		return "(omitted)"
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && r != '_' {
			return "(omitted)"
		}
	}
	return strconv.Quote(s)
}
