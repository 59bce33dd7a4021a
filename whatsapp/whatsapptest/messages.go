package whatsapptest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/impactchat/impactchat/whatsapp"
)

type inMedia struct {
	ID       string `json:"id"`
	Link     string `json:"link"`
	Caption  string `json:"caption"`
	Filename string `json:"filename"`
}

type inText struct {
	Text string `json:"text"`
}

type inMessage struct {
	MessagingProduct string          `json:"messaging_product"`
	RecipientType    string          `json:"recipient_type"`
	To               json.RawMessage `json:"to"`
	Recipient        string          `json:"recipient"`
	Type             string          `json:"type"`
	Status           string          `json:"status"`
	MessageID        string          `json:"message_id"`
	Context          *struct {
		MessageID string `json:"message_id"`
	} `json:"context"`
	CallbackData string `json:"biz_opaque_callback_data"`
	Text         *struct {
		Body string `json:"body"`
	} `json:"text"`
	Image    *inMedia `json:"image"`
	Audio    *inMedia `json:"audio"`
	Video    *inMedia `json:"video"`
	Document *inMedia `json:"document"`
	Sticker  *inMedia `json:"sticker"`
	Reaction *struct {
		MessageID string  `json:"message_id"`
		Emoji     *string `json:"emoji"`
	} `json:"reaction"`
	Location *struct {
		Latitude  any `json:"latitude"`
		Longitude any `json:"longitude"`
	} `json:"location"`
	Contacts []json.RawMessage `json:"contacts"`
	Template *struct {
		Name     string `json:"name"`
		Language struct {
			Code string `json:"code"`
		} `json:"language"`
		Components []struct {
			Type       string `json:"type"`
			SubType    string `json:"sub_type"`
			Parameters []struct {
				Type string `json:"type"`
				Text string `json:"text"`
			} `json:"parameters"`
		} `json:"components"`
	} `json:"template"`
	Interactive *struct {
		Type   string `json:"type"`
		Header *struct {
			Type     string   `json:"type"`
			Text     string   `json:"text"`
			Image    *inMedia `json:"image"`
			Video    *inMedia `json:"video"`
			Document *inMedia `json:"document"`
		} `json:"header"`
		Body   *inText `json:"body"`
		Footer *inText `json:"footer"`
		Action struct {
			Name              string `json:"name"`
			CatalogID         string `json:"catalog_id"`
			ProductRetailerID string `json:"product_retailer_id"`
			Button            string `json:"button"`
			Buttons           []struct {
				Type  string `json:"type"`
				Reply struct {
					ID    string `json:"id"`
					Title string `json:"title"`
				} `json:"reply"`
			} `json:"buttons"`
			Sections []struct {
				Title string `json:"title"`
				Rows  []struct {
					ID          string `json:"id"`
					Title       string `json:"title"`
					Description string `json:"description"`
				} `json:"rows"`
				ProductItems []struct {
					ProductRetailerID string `json:"product_retailer_id"`
				} `json:"product_items"`
			} `json:"sections"`
			Parameters json.RawMessage `json:"parameters"`
		} `json:"action"`
	} `json:"interactive"`
}

func invalid(format string, args ...any) *Fault {
	return &Fault{Code: 100, Details: fmt.Sprintf(format, args...)}
}

func tooLong(field, s string, max int) *Fault {
	if n := utf8.RuneCountInString(s); n > max {
		return invalid("Param %s must be at most %d characters long (got %d).", field, max, n)
	}
	return nil
}

func first(fs ...*Fault) *Fault {
	for _, f := range fs {
		if f != nil {
			return f
		}
	}
	return nil
}

func missing(field string) *Fault {
	return &Fault{Code: 131008, Details: "The parameter " + field + " is required."}
}

func (m *inMessage) recipient() (string, *Fault) {
	to := ""
	if len(m.To) > 0 && string(m.To) != "null" {
		var s string
		if json.Unmarshal(m.To, &s) == nil {
			to = s
		} else {
			to = strings.Trim(string(m.To), `"`) // Meta accepts a JSON number too
		}
	}
	switch {
	case to == "" && m.Recipient == "":
		return "", missing("to")
	case to != "" && m.Recipient != "":
		return "", invalid("Only one of to and recipient may be set.")
	case m.Recipient != "":
		return m.Recipient, nil
	}
	return to, nil
}

func media(field string, md *inMedia, caption bool) *Fault {
	if md == nil {
		return missing(field)
	}
	if (md.ID == "") == (md.Link == "") {
		return invalid("Param %s must have exactly one of id and link.", field)
	}
	if caption {
		return tooLong(field+"['caption']", md.Caption, whatsapp.MaxCaption)
	}
	return nil
}

// check enforces WhatsApp's content limits as Meta does, with error 100 or
// 131008 and a details text.
func (m *inMessage) check() *Fault {
	switch m.Type {
	case "text":
		if m.Text == nil || m.Text.Body == "" {
			return missing("text['body']")
		}
		return tooLong("text['body']", m.Text.Body, whatsapp.MaxTextBody)
	case "image":
		return media("image", m.Image, true)
	case "video":
		return media("video", m.Video, true)
	case "document":
		return media("document", m.Document, true)
	case "audio":
		return media("audio", m.Audio, false)
	case "sticker":
		return media("sticker", m.Sticker, false)
	case "reaction":
		if m.Reaction == nil || m.Reaction.MessageID == "" {
			return missing("reaction['message_id']")
		}
		if m.Reaction.Emoji == nil {
			return missing("reaction['emoji']")
		}
	case "location":
		if m.Location == nil || m.Location.Latitude == nil || m.Location.Longitude == nil {
			return missing("location['latitude'] and location['longitude']")
		}
	case "contacts":
		if len(m.Contacts) == 0 {
			return missing("contacts")
		}
		if len(m.Contacts) > whatsapp.MaxContacts {
			return invalid("Param contacts must have at most %d items.", whatsapp.MaxContacts)
		}
	case "template":
		if m.Template == nil || m.Template.Name == "" {
			return missing("template['name']")
		}
		if m.Template.Language.Code == "" {
			return missing("template['language']['code']")
		}
	case "interactive":
		return m.checkInteractive()
	case "":
		return missing("type")
	default:
		return &Fault{Code: 131051, Details: "Message type " + m.Type + " is not supported."}
	}
	return nil
}

func (m *inMessage) checkInteractive() *Fault {
	in := m.Interactive
	if in == nil {
		return missing("interactive")
	}
	body := ""
	if in.Body != nil {
		body = in.Body.Text
	}
	footer := ""
	if in.Footer != nil {
		footer = in.Footer.Text
	}
	if f := tooLong("interactive['footer']['text']", footer, whatsapp.MaxFooter); f != nil {
		return f
	}
	if in.Header != nil && in.Header.Type == "text" {
		if f := tooLong("interactive['header']['text']", in.Header.Text, whatsapp.MaxHeaderText); f != nil {
			return f
		}
	}
	if body == "" && in.Type != "product" {
		return missing("interactive['body']['text']")
	}
	a := in.Action
	switch in.Type {
	case "button":
		if f := tooLong("interactive['body']['text']", body, whatsapp.MaxInteractiveBody); f != nil {
			return f
		}
		if len(a.Buttons) == 0 || len(a.Buttons) > whatsapp.MaxButtons {
			return invalid("Param interactive['action']['buttons'] must have between 1 and %d items.", whatsapp.MaxButtons)
		}
		titles := map[string]bool{}
		for i, b := range a.Buttons {
			f := fmt.Sprintf("interactive['action']['buttons'][%d]['reply']", i)
			if b.Reply.ID == "" || b.Reply.Title == "" {
				return missing(f + "['id'] and ['title']")
			}
			if x := first(tooLong(f+"['title']", b.Reply.Title, whatsapp.MaxButtonTitle), tooLong(f+"['id']", b.Reply.ID, whatsapp.MaxButtonID)); x != nil {
				return x
			}
			if titles[b.Reply.Title] {
				return invalid("Button titles must be unique.")
			}
			titles[b.Reply.Title] = true
		}
	case "list":
		if x := first(tooLong("interactive['body']['text']", body, whatsapp.MaxListBody),
			tooLong("interactive['action']['button']", a.Button, whatsapp.MaxListButton)); x != nil {
			return x
		}
		if a.Button == "" {
			return missing("interactive['action']['button']")
		}
		if len(a.Sections) == 0 || len(a.Sections) > whatsapp.MaxListSections {
			return invalid("Param interactive['action']['sections'] must have between 1 and %d items.", whatsapp.MaxListSections)
		}
		rows := 0
		for i, s := range a.Sections {
			if x := tooLong(fmt.Sprintf("interactive['action']['sections'][%d]['title']", i), s.Title, whatsapp.MaxSectionTitle); x != nil {
				return x
			}
			for j, r := range s.Rows {
				f := fmt.Sprintf("interactive['action']['sections'][%d]['rows'][%d]", i, j)
				if x := first(tooLong(f+"['title']", r.Title, whatsapp.MaxRowTitle), tooLong(f+"['id']", r.ID, whatsapp.MaxRowID),
					tooLong(f+"['description']", r.Description, whatsapp.MaxRowDescription)); x != nil {
					return x
				}
			}
			rows += len(s.Rows)
		}
		if rows > whatsapp.MaxListRows {
			return invalid("Total row count exceed max allowed count: %d.", whatsapp.MaxListRows)
		}
	case "flow", "cta_url", "location_request_message":
		if f := tooLong("interactive['body']['text']", body, whatsapp.MaxInteractiveBody); f != nil {
			return f
		}
		if in.Type != "location_request_message" && len(a.Parameters) == 0 {
			return missing("interactive['action']['parameters']")
		}
	case "product", "product_list":
		if x := tooLong("interactive['body']['text']", body, whatsapp.MaxInteractiveBody); x != nil {
			return x
		}
		if a.CatalogID == "" {
			return missing("interactive['action']['catalog_id']")
		}
		if in.Type == "product" {
			if a.ProductRetailerID == "" {
				return missing("interactive['action']['product_retailer_id']")
			}
			return nil
		}
		if in.Header == nil || in.Header.Type != "text" || in.Header.Text == "" {
			return missing("interactive['header']['text']")
		}
		if len(a.Sections) == 0 || len(a.Sections) > whatsapp.MaxProductSections {
			return invalid("Param interactive['action']['sections'] must have between 1 and %d items.", whatsapp.MaxProductSections)
		}
		items := 0
		for i, s := range a.Sections {
			if s.Title == "" || len(s.ProductItems) == 0 {
				return missing(fmt.Sprintf("interactive['action']['sections'][%d]['title'] and ['product_items']", i))
			}
			items += len(s.ProductItems)
		}
		if items > whatsapp.MaxProductItems {
			return invalid("Total product count exceeds max allowed count: %d.", whatsapp.MaxProductItems)
		}
	case "catalog_message":
		if x := tooLong("interactive['body']['text']", body, whatsapp.MaxInteractiveBody); x != nil {
			return x
		}
		if a.Name != "catalog_message" {
			return invalid("Param interactive['action']['name'] must be catalog_message.")
		}
	default:
		return invalid("Interactive type %q is not supported.", in.Type)
	}
	return nil
}

var placeholderRE = regexp.MustCompile(`\{\{\s*([a-z0-9_]+)\s*\}\}`)

// checkTemplate looks the template up when templates are registered.
func (s *Server) checkTemplate(m *inMessage) *Fault {
	if len(s.templates) == 0 {
		return nil
	}
	var found *whatsapp.Template
	for i := range s.templates {
		t := &s.templates[i].Template
		if t.Name == m.Template.Name && t.Language == m.Template.Language.Code {
			found = t
			break
		}
	}
	if found == nil {
		return &Fault{Code: 132001, Details: fmt.Sprintf("template name (%s) does not exist in %s", m.Template.Name, m.Template.Language.Code)}
	}
	switch found.Status {
	case whatsapp.TemplateApproved:
	case whatsapp.TemplatePaused:
		return &Fault{Code: 132015}
	case whatsapp.TemplateDisabled:
		return &Fault{Code: 132016}
	default:
		return &Fault{Code: 132001, Details: "template is not approved"}
	}
	want := 0
	for _, c := range found.Components {
		if strings.EqualFold(c.Type, "BODY") {
			seen := map[string]bool{}
			for _, p := range placeholderRE.FindAllStringSubmatch(c.Text, -1) {
				seen[p[1]] = true
			}
			want = len(seen)
		}
	}
	got := 0
	for _, c := range m.Template.Components {
		if c.Type == "body" {
			got = len(c.Parameters)
		}
	}
	if got != want {
		return &Fault{Code: 132000, Details: fmt.Sprintf("body: number of localizable_params (%d) does not match the expected number of params (%d)", got, want)}
	}
	return nil
}

func (s *Server) handleMessages(w http.ResponseWriter, r *http.Request) {
	phoneID := r.PathValue("id")
	var m inMessage
	body, _ := readBody(r)
	if err := json.Unmarshal(body, &m); err != nil {
		writeError(w, Fault{Code: 100, Details: "The request body is not valid JSON."})
		return
	}
	if m.MessagingProduct != "whatsapp" {
		writeError(w, *invalid("Param messaging_product must be whatsapp."))
		return
	}
	if !s.knownPhone(phoneID) {
		writeError(w, Fault{Code: 100, Subcode: 33, Message: fmt.Sprintf("Unsupported post request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation.", phoneID)})
		return
	}
	if m.Status != "" {
		s.markRead(w, &m)
		return
	}
	to, f := m.recipient()
	if f == nil {
		f = m.check()
	}
	if f != nil {
		writeError(w, *f)
		return
	}
	group := m.RecipientType == "group"
	switch {
	case m.RecipientType != "" && m.RecipientType != "individual" && !group:
		f = invalid("Param recipient_type must be individual or group.")
	case group && m.Recipient != "":
		f = invalid("A group message is addressed with to, the group id.")
	case group && m.Type == "interactive":
		f = &Fault{Code: 131009, Details: "Message type " + m.Type + " is not supported for groups."}
	}
	if f != nil {
		writeError(w, *f)
		return
	}
	now := s.now()
	contact := normContact(to)
	if group {
		contact = to
	}
	s.mu.Lock()
	if group {
		if g := s.groups[to]; g == nil || g.phone != phoneID {
			f = &Fault{Code: 131009, Details: "The group does not exist or does not belong to this phone number."}
		}
	}
	if f == nil && m.Type == "template" {
		f = s.checkTemplate(&m)
	}
	if f == nil && s.cfg.throughput > 0 && !take(s.throughput, phoneID, now, time.Second/time.Duration(s.cfg.throughput), s.cfg.throughput) {
		f = &Fault{Code: 130429}
	}
	if f == nil && !group && s.cfg.pairEvery > 0 && !take(s.pairs, phoneID+"\x00"+contact, now, s.cfg.pairEvery, s.cfg.pairBurst) {
		f = &Fault{Code: 131056}
	}
	if f == nil && !group && s.cfg.window && m.Type != "template" {
		last, ok := s.windows[phoneID+"\x00"+contact]
		if !ok || now.Sub(last) >= whatsapp.Window {
			f = &Fault{Code: 131047, Async: s.cfg.asyncWindow}
		}
	}
	if af, ok := r.Context().Value(asyncFaultKey{}).(*Fault); ok && f == nil {
		f = af
	}
	failed := 0
	if f != nil && f.Async {
		failed, f = f.Code, nil
	}
	if f != nil {
		s.mu.Unlock()
		writeError(w, *f)
		return
	}
	id := s.newID("wamid.")
	s.outbound[id] = true
	sent := decodeSent(phoneID, to, id, &m, body, now)
	sent.FailedCode = failed
	sent.Group = group
	s.sent = keep(s.sent, sent, s.cfg.history)
	s.accepted++
	close(s.notify)
	s.notify = make(chan struct{})
	s.mu.Unlock()
	for _, cb := range s.cfg.onSend {
		cb(sent)
	}
	if s.cfg.statusURL != "" {
		s.bg.Add(1)
		go func() {
			defer s.bg.Done()
			s.autoStatuses(phoneID, contact, id, m.CallbackData, failed, group)
		}()
	}
	// The answer is built by hand: it is the fake's hottest path.
	b := make([]byte, 0, 160)
	b = append(b, `{"messaging_product":"whatsapp","contacts":[{"input":`...)
	b = appendString(b, to)
	switch {
	case group:
	case m.Recipient != "":
		b = append(b, `,"user_id":`...)
		b = appendString(b, m.Recipient)
	default:
		b = append(b, `,"wa_id":`...)
		b = appendString(b, contact)
	}
	b = append(b, `}],"messages":[{"id":`...)
	b = appendString(b, id)
	if group {
		b = append(b, `,"group_id":`...)
		b = appendString(b, to)
	}
	if m.Type == "template" && s.cfg.templatePacing {
		b = append(b, `,"message_status":"accepted"`...)
	}
	b = append(b, "}]}"...)
	h := w.Header()
	h["Content-Type"] = []string{"application/json; charset=UTF-8"}
	h["Facebook-Api-Version"] = []string{"v25.0"}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}

func (s *Server) markRead(w http.ResponseWriter, m *inMessage) {
	if m.Status != "read" {
		writeError(w, *invalid("Param status must be read."))
		return
	}
	if m.MessageID == "" {
		writeError(w, *missing("message_id"))
		return
	}
	s.mu.Lock()
	outgoing := s.outbound[m.MessageID]
	s.mu.Unlock()
	if outgoing {
		writeError(w, Fault{Code: 100, Details: "Message supplied to mark message as read API with message ID: " + m.MessageID + " is outgoing. Please use an incoming message ID."})
		return
	}
	if !strings.HasPrefix(m.MessageID, "wamid.") {
		writeError(w, Fault{Code: 100, Details: "Please check the message ID you have provided."})
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

func decodeSent(phoneID, to, id string, m *inMessage, body []byte, now time.Time) Sent {
	s := Sent{PhoneNumberID: phoneID, To: to, MessageID: id, Type: m.Type, CallbackData: m.CallbackData,
		Body: append(json.RawMessage(nil), body...), Time: now}
	if m.Context != nil {
		s.ReplyTo = m.Context.MessageID
	}
	setMedia := func(md *inMedia) {
		if md != nil {
			s.MediaID, s.MediaLink, s.Text = md.ID, md.Link, md.Caption
		}
	}
	switch m.Type {
	case "text":
		s.Text = m.Text.Body
	case "image":
		setMedia(m.Image)
	case "video":
		setMedia(m.Video)
	case "document":
		setMedia(m.Document)
	case "audio":
		setMedia(m.Audio)
	case "sticker":
		setMedia(m.Sticker)
	case "reaction":
		s.Text = *m.Reaction.Emoji
		s.ReplyTo = m.Reaction.MessageID
	case "template":
		s.Template, s.Language = m.Template.Name, m.Template.Language.Code
		for _, c := range m.Template.Components {
			if c.Type == "body" {
				for _, p := range c.Parameters {
					s.Params = append(s.Params, p.Text)
				}
			}
		}
	case "interactive":
		in := m.Interactive
		s.Interactive = in.Type
		if in.Body != nil {
			s.Text = in.Body.Text
		}
		if in.Footer != nil {
			s.Footer = in.Footer.Text
		}
		if in.Header != nil {
			s.Header = in.Header.Text
		}
		s.Button = in.Action.Button
		for _, b := range in.Action.Buttons {
			s.Options = append(s.Options, Choice{ID: b.Reply.ID, Title: b.Reply.Title})
		}
		for _, sec := range in.Action.Sections {
			for _, r := range sec.Rows {
				s.Options = append(s.Options, Choice{ID: r.ID, Title: r.Title, Description: r.Description})
			}
		}
		if in.Type == "cta_url" || in.Type == "flow" {
			var p struct {
				DisplayText string `json:"display_text"`
				FlowCTA     string `json:"flow_cta"`
			}
			_ = json.Unmarshal(in.Action.Parameters, &p)
			s.Button = p.DisplayText + p.FlowCTA
		}
	}
	return s
}

func (s *Server) knownPhone(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.phones[id]
	return ok
}

// String renders the message as a person would roughly see it, for
// terminal simulators and test failure messages: the header, text and
// footer, numbered options, and the kind of any media or template.
func (s Sent) String() string {
	var b strings.Builder
	line := func(v string) {
		if v != "" {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(v)
		}
	}
	switch s.Type {
	case "template":
		line(fmt.Sprintf("[template %s/%s] %s", s.Template, s.Language, strings.Join(s.Params, " | ")))
	case "image", "video", "audio", "document", "sticker":
		ref := s.MediaID
		if ref == "" {
			ref = s.MediaLink
		}
		line(fmt.Sprintf("[%s %s] %s", s.Type, ref, s.Text))
	case "reaction":
		line(fmt.Sprintf("[reaction %s to %s]", s.Text, s.ReplyTo))
	case "location", "contacts":
		line("[" + s.Type + "]")
	default:
		line(s.Header)
		line(s.Text)
		line(s.Footer)
		for i, o := range s.Options {
			opt := fmt.Sprintf("  %d. %s", i+1, o.Title)
			if o.Description != "" {
				opt += " (" + o.Description + ")"
			}
			line(opt)
		}
		if s.Button != "" {
			line("[" + s.Button + "]")
		}
	}
	return b.String()
}
