package whatsapp

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Content limits of the Cloud API, in characters (runes), as documented by
// Meta. Validate enforces them before any HTTP call.
const (
	MaxTextBody          = 4096
	MaxCaption           = 1024
	MaxButtons           = 3
	MaxButtonTitle       = 20
	MaxButtonID          = 256
	MaxInteractiveBody   = 1024 // reply buttons, flow, cta_url, location request
	MaxListBody          = 4096
	MaxHeaderText        = 60
	MaxFooter            = 60
	MaxListButton        = 20
	MaxListSections      = 10
	MaxListRows          = 10 // in all sections together
	MaxSectionTitle      = 24
	MaxRowTitle          = 24
	MaxRowID             = 200
	MaxRowDescription    = 72
	MaxFlowCTA           = 20
	MaxCTADisplayText    = 20
	MaxContacts          = 5
	MaxTemplateName      = 512
	MaxCallbackData      = 512
	MaxTemplateButtonIdx = 9
	MaxCarouselCards     = 10
)

var templateNameRE = regexp.MustCompile(`^[a-z0-9_]+$`)

// checkLen reports a field longer than max characters; the value itself is
// never quoted, since it may be personal.
func checkLen(field, s string, max int) error {
	if n := utf8.RuneCountInString(s); n > max {
		return fieldErr(field, "is %d characters; WhatsApp allows %d", n, max)
	}
	return nil
}

func required(field, s string) error {
	if strings.TrimSpace(s) == "" {
		return fieldErr(field, "is empty")
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (e Envelope) validate() error {
	set := 0
	for _, v := range []string{e.To, e.Recipient, e.Group} {
		if v != "" {
			set++
		}
	}
	switch {
	case set == 0:
		return fieldErr("to", "is empty; set To (a phone number), Recipient (a business-scoped user id) or Group (a group id)")
	case set > 1 && e.Group != "":
		return fieldErr("to", "and group are both set; set one")
	case set > 1:
		return fieldErr("to", "and recipient are both set; set one")
	}
	if e.To != "" && IsBSUID(e.To) {
		return fieldErr("to", "looks like a business-scoped user id; put it in Recipient")
	}
	return checkLen("biz_opaque_callback_data", e.CallbackData, MaxCallbackData)
}

func (r MediaRef) validate(field string) error {
	switch {
	case r.ID == "" && r.Link == "":
		return fieldErr(field, "has neither an id nor a link")
	case r.ID != "" && r.Link != "":
		return fieldErr(field, "has both an id and a link; set one")
	}
	if r.Link != "" && !strings.HasPrefix(r.Link, "https://") && !strings.HasPrefix(r.Link, "http://") {
		return fieldErr(field+".link", "is not an http(s) URL")
	}
	return nil
}

// Validate implements Message.
func (m Text) Validate() error {
	return firstErr(m.Envelope.validate(), required("text.body", m.Body), checkLen("text.body", m.Body, MaxTextBody))
}

// Validate implements Message.
func (m Image) Validate() error {
	return firstErr(m.Envelope.validate(), m.MediaRef.validate("image"), checkLen("image.caption", m.Caption, MaxCaption))
}

// Validate implements Message.
func (m Audio) Validate() error {
	return firstErr(m.Envelope.validate(), m.MediaRef.validate("audio"))
}

// Validate implements Message.
func (m Video) Validate() error {
	return firstErr(m.Envelope.validate(), m.MediaRef.validate("video"), checkLen("video.caption", m.Caption, MaxCaption))
}

// Validate implements Message.
func (m Document) Validate() error {
	return firstErr(m.Envelope.validate(), m.MediaRef.validate("document"), checkLen("document.caption", m.Caption, MaxCaption))
}

// Validate implements Message.
func (m Sticker) Validate() error {
	return firstErr(m.Envelope.validate(), m.MediaRef.validate("sticker"))
}

// Validate implements Message.
func (m Reaction) Validate() error {
	return firstErr(m.Envelope.validate(), required("reaction.message_id", m.MessageID))
}

// Validate implements Message.
func (m Location) Validate() error {
	if err := m.Envelope.validate(); err != nil {
		return err
	}
	if m.Latitude < -90 || m.Latitude > 90 {
		return fieldErr("location.latitude", "%v is outside -90..90", m.Latitude)
	}
	if m.Longitude < -180 || m.Longitude > 180 {
		return fieldErr("location.longitude", "%v is outside -180..180", m.Longitude)
	}
	return nil
}

// Validate implements Message.
func (m Contacts) Validate() error {
	if err := m.Envelope.validate(); err != nil {
		return err
	}
	if len(m.Contacts) == 0 {
		return fieldErr("contacts", "is empty")
	}
	if len(m.Contacts) > MaxContacts {
		return fieldErr("contacts", "has %d contacts; WhatsApp allows %d", len(m.Contacts), MaxContacts)
	}
	for i, c := range m.Contacts {
		if err := required(fmt.Sprintf("contacts[%d].name.formatted_name", i), c.Name.FormattedName); err != nil {
			return err
		}
	}
	return nil
}

// ValidateTemplateName checks a template name: at most 512 characters,
// lowercase letters, digits and underscores only.
func ValidateTemplateName(name string) error {
	if name == "" {
		return fieldErr("template.name", "is empty")
	}
	if err := checkLen("template.name", name, MaxTemplateName); err != nil {
		return err
	}
	if !templateNameRE.MatchString(name) {
		return fieldErr("template.name", "%q may contain only lowercase letters, digits and underscores", name)
	}
	return nil
}

func (p Param) validate(field string, named bool) error {
	n := 0
	for _, set := range []bool{p.Currency != nil, p.DateTime != nil, p.Image != nil, p.Video != nil, p.Document != nil, p.Location != nil} {
		if set {
			n++
		}
	}
	if n > 1 || (n == 1 && p.Text != "") {
		return fieldErr(field, "sets more than one value; set one of text, currency, date_time, image, video, document, location")
	}
	if n == 0 && p.Text == "" {
		return fieldErr(field, "has no value")
	}
	if named && p.Name == "" {
		return fieldErr(field+".parameter_name", "is empty while other parameters are named")
	}
	if !named && p.Name != "" {
		return fieldErr(field+".parameter_name", "is set while other parameters are positional")
	}
	if p.Name != "" && !templateNameRE.MatchString(p.Name) {
		return fieldErr(field+".parameter_name", "%q may contain only lowercase letters, digits and underscores", p.Name)
	}
	switch {
	case p.Currency != nil:
		if p.Currency.FallbackValue == "" || len(p.Currency.Code) != 3 {
			return fieldErr(field+".currency", "needs a fallback_value and a 3-letter ISO 4217 code")
		}
	case p.DateTime != nil:
		return required(field+".date_time.fallback_value", p.DateTime.FallbackValue)
	case p.Image != nil:
		return p.Image.validate(field + ".image")
	case p.Video != nil:
		return p.Video.validate(field + ".video")
	case p.Document != nil:
		return p.Document.MediaRef.validate(field + ".document")
	case p.Location != nil:
		if p.Location.Latitude < -90 || p.Location.Latitude > 90 || p.Location.Longitude < -180 || p.Location.Longitude > 180 {
			return fieldErr(field+".location", "is not a latitude in -90..90 and a longitude in -180..180")
		}
	}
	return nil
}

// Validate implements Message.
func (m TemplateMessage) Validate() error {
	if err := m.Envelope.validate(); err != nil {
		return err
	}
	if err := ValidateTemplateName(m.Name); err != nil {
		return err
	}
	if err := required("template.language.code", m.Language); err != nil {
		return err
	}
	named := false
	switch {
	case len(m.Body) > 0:
		named = m.Body[0].Name != ""
	case len(m.Header) > 0:
		named = m.Header[0].Name != ""
	}
	media := 0
	for i, p := range m.Header {
		if err := p.validate(fmt.Sprintf("template.header.parameters[%d]", i), named && p.Text != ""); err != nil {
			return err
		}
		if p.Text == "" {
			media++
		}
	}
	if media > 0 && len(m.Header) > 1 {
		return fieldErr("template.header.parameters", "has %d parameters with a media one; a media header takes exactly one", len(m.Header))
	}
	for i, p := range m.Body {
		f := fmt.Sprintf("template.body.parameters[%d]", i)
		if err := p.validate(f, named); err != nil {
			return err
		}
		if p.Image != nil || p.Video != nil || p.Document != nil || p.Location != nil {
			return fieldErr(f, "is media or a location; body parameters are text, currency or date_time")
		}
	}
	if err := validateButtons("template.buttons", m.Buttons); err != nil {
		return err
	}
	if len(m.Cards) > MaxCarouselCards {
		return fieldErr("template.carousel.cards", "has %d cards; WhatsApp allows %d", len(m.Cards), MaxCarouselCards)
	}
	for i, c := range m.Cards {
		f := fmt.Sprintf("template.carousel.cards[%d]", i)
		if c.Header.Image == nil && c.Header.Video == nil {
			return fieldErr(f+".header", "is not an image or a video; a carousel card's header is one of them")
		}
		if err := c.Header.validate(f+".header", false); err != nil {
			return err
		}
		for j, p := range c.Body {
			if err := p.validate(fmt.Sprintf("%s.body.parameters[%d]", f, j), p.Name != ""); err != nil {
				return err
			}
		}
		if err := validateButtons(f+".buttons", c.Buttons); err != nil {
			return err
		}
	}
	return nil
}

// validateButtons checks the dynamic buttons of a template or card.
func validateButtons(field string, bs []TemplateButton) error {
	seen := map[int]bool{}
	for i, b := range bs {
		f := fmt.Sprintf("%s[%d]", field, i)
		if b.Index < 0 || b.Index > MaxTemplateButtonIdx {
			return fieldErr(f+".index", "%d is outside 0..%d", b.Index, MaxTemplateButtonIdx)
		}
		if seen[b.Index] {
			return fieldErr(f+".index", "repeats index %d", b.Index)
		}
		seen[b.Index] = true
		switch b.SubType {
		case ButtonQuickReply:
			if err := required(f+".payload", b.Payload); err != nil {
				return err
			}
		case ButtonURL:
			if err := required(f+".text", b.Text); err != nil {
				return err
			}
		case ButtonCopyCode:
			if err := firstErr(required(f+".coupon_code", b.CouponCode), checkLen(f+".coupon_code", b.CouponCode, 15)); err != nil {
				return err
			}
		default:
			return fieldErr(f+".sub_type", "%q is not quick_reply, url or copy_code", b.SubType)
		}
	}
	return nil
}

func (h *Header) validate(field string) error {
	if h == nil {
		return nil
	}
	n := 0
	for _, set := range []bool{h.Text != "", h.Image != nil, h.Video != nil, h.Document != nil} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		return fieldErr(field, "is empty; set text or one media")
	case n > 1:
		return fieldErr(field, "sets more than one of text, image, video, document")
	case h.Image != nil:
		return h.Image.validate(field + ".image")
	case h.Video != nil:
		return h.Video.validate(field + ".video")
	case h.Document != nil:
		return h.Document.validate(field + ".document")
	}
	return checkLen(field+".text", h.Text, MaxHeaderText)
}

// Validate implements Message.
func (m Buttons) Validate() error {
	if err := firstErr(m.Envelope.validate(), m.Header.validate("interactive.header"),
		required("interactive.body.text", m.Body), checkLen("interactive.body.text", m.Body, MaxInteractiveBody),
		checkLen("interactive.footer.text", m.Footer, MaxFooter)); err != nil {
		return err
	}
	if len(m.Buttons) == 0 {
		return fieldErr("interactive.action.buttons", "is empty")
	}
	if len(m.Buttons) > MaxButtons {
		return fieldErr("interactive.action.buttons", "has %d buttons; WhatsApp allows %d", len(m.Buttons), MaxButtons)
	}
	ids, titles := map[string]bool{}, map[string]bool{}
	for i, b := range m.Buttons {
		f := fmt.Sprintf("interactive.action.buttons[%d].reply", i)
		if err := firstErr(required(f+".id", b.ID), checkLen(f+".id", b.ID, MaxButtonID),
			required(f+".title", b.Title), checkLen(f+".title", b.Title, MaxButtonTitle)); err != nil {
			return err
		}
		if strings.TrimSpace(b.ID) != b.ID {
			return fieldErr(f+".id", "has leading or trailing spaces")
		}
		if ids[b.ID] {
			return fieldErr(f+".id", "repeats another button's id")
		}
		if titles[b.Title] {
			return fieldErr(f+".title", "repeats another button's title")
		}
		ids[b.ID], titles[b.Title] = true, true
	}
	return nil
}

// Validate implements Message.
func (m List) Validate() error {
	if err := firstErr(m.Envelope.validate(),
		checkLen("interactive.header.text", m.Header, MaxHeaderText),
		required("interactive.body.text", m.Body), checkLen("interactive.body.text", m.Body, MaxListBody),
		checkLen("interactive.footer.text", m.Footer, MaxFooter),
		required("interactive.action.button", m.Button), checkLen("interactive.action.button", m.Button, MaxListButton)); err != nil {
		return err
	}
	if len(m.Sections) == 0 {
		return fieldErr("interactive.action.sections", "is empty")
	}
	if len(m.Sections) > MaxListSections {
		return fieldErr("interactive.action.sections", "has %d sections; WhatsApp allows %d", len(m.Sections), MaxListSections)
	}
	rows := 0
	ids := map[string]bool{}
	for i, s := range m.Sections {
		f := fmt.Sprintf("interactive.action.sections[%d]", i)
		if len(m.Sections) > 1 {
			if err := required(f+".title", s.Title); err != nil {
				return fieldErr(f+".title", "is empty; it is required when there is more than one section")
			}
		}
		if err := checkLen(f+".title", s.Title, MaxSectionTitle); err != nil {
			return err
		}
		if len(s.Rows) == 0 {
			return fieldErr(f+".rows", "is empty")
		}
		for j, r := range s.Rows {
			rf := fmt.Sprintf("%s.rows[%d]", f, j)
			if err := firstErr(required(rf+".id", r.ID), checkLen(rf+".id", r.ID, MaxRowID),
				required(rf+".title", r.Title), checkLen(rf+".title", r.Title, MaxRowTitle),
				checkLen(rf+".description", r.Description, MaxRowDescription)); err != nil {
				return err
			}
			if ids[r.ID] {
				return fieldErr(rf+".id", "repeats another row's id")
			}
			ids[r.ID] = true
		}
		rows += len(s.Rows)
	}
	if rows > MaxListRows {
		return fieldErr("interactive.action.sections", "have %d rows in all; WhatsApp allows %d", rows, MaxListRows)
	}
	return nil
}

// Validate implements Message.
func (m Flow) Validate() error {
	if err := firstErr(m.Envelope.validate(), m.Header.validate("interactive.header"),
		required("interactive.body.text", m.Body), checkLen("interactive.body.text", m.Body, MaxInteractiveBody),
		checkLen("interactive.footer.text", m.Footer, MaxFooter),
		required("interactive.action.parameters.flow_cta", m.CTA),
		checkLen("interactive.action.parameters.flow_cta", m.CTA, MaxFlowCTA)); err != nil {
		return err
	}
	if (m.FlowID == "") == (m.FlowName == "") {
		return fieldErr("interactive.action.parameters.flow_id", "and flow_name: set exactly one")
	}
	switch m.Action {
	case "", "navigate":
	case "data_exchange":
		if m.Screen != "" || len(m.Data) > 0 {
			return fieldErr("interactive.action.parameters.flow_action_payload", "is only for the navigate action")
		}
	default:
		return fieldErr("interactive.action.parameters.flow_action", "%q is not navigate or data_exchange", m.Action)
	}
	if len(m.Data) > 0 {
		if m.Screen == "" {
			return fieldErr("interactive.action.parameters.flow_action_payload.screen", "is empty while data is given")
		}
		if _, err := json.Marshal(m.Data); err != nil {
			return fieldErr("interactive.action.parameters.flow_action_payload.data", "cannot be encoded as JSON")
		}
	}
	return nil
}

// Validate implements Message.
func (m CTAURL) Validate() error {
	if err := firstErr(m.Envelope.validate(), m.Header.validate("interactive.header"),
		required("interactive.body.text", m.Body), checkLen("interactive.body.text", m.Body, MaxInteractiveBody),
		checkLen("interactive.footer.text", m.Footer, MaxFooter),
		required("interactive.action.parameters.display_text", m.DisplayText),
		checkLen("interactive.action.parameters.display_text", m.DisplayText, MaxCTADisplayText)); err != nil {
		return err
	}
	if !strings.HasPrefix(m.URL, "https://") && !strings.HasPrefix(m.URL, "http://") {
		return fieldErr("interactive.action.parameters.url", "is not an http(s) URL")
	}
	return nil
}

// Validate implements Message.
func (m LocationRequest) Validate() error {
	return firstErr(m.Envelope.validate(), required("interactive.body.text", m.Body),
		checkLen("interactive.body.text", m.Body, MaxInteractiveBody))
}
