package chat

import (
	"fmt"
	"strings"
)

// Outgoing is one message the line sends. The set is closed: Text, Choices,
// Media, Template, Location, Reaction and Native. A channel renders each in
// its own way (WhatsApp renders Choices as reply buttons or a list; a channel
// without either renders numbered text).
type Outgoing interface {
	// Validate checks what the vocabulary itself requires (no empty text, at
	// least one option, no repeated option ids). Channels check their own
	// limits on top.
	Validate() error
	// Type names the kind of message, e.g. "text" or "choices".
	Type() string
	outgoing()
}

// Text is a plain text message.
type Text struct {
	Body       string
	PreviewURL bool // ask the channel to render a preview of the first link
}

// Choices is a question with options. Channels render it as reply buttons
// when there are few short options, as a list otherwise, and as numbered text
// where neither exists. The person's answer comes back as a Message of
// KindChoice whose Choice is the chosen Option.ID.
type Choices struct {
	Body    string   // the question
	Header  string   // optional short heading
	Footer  string   // optional small print
	Button  string   // label of the button that opens a list; channels pick a default
	Options []Option // at least one; ids unique
}

// Option is one answer to a Choices.
type Option struct {
	ID          string // returned as Message.Choice when chosen
	Title       string
	Description string // optional; shown in lists
}

// MediaKind says what a Media message carries.
type MediaKind string

// Media kinds a line can send.
const (
	MediaImage    MediaKind = "image"
	MediaAudio    MediaKind = "audio"
	MediaVideo    MediaKind = "video"
	MediaDocument MediaKind = "document"
	MediaSticker  MediaKind = "sticker"
)

// Media is an image, audio, video, document or sticker, given by the
// channel's media id (uploaded before) or by a public URL.
type Media struct {
	Kind     MediaKind
	ID       string // a channel media id; or
	URL      string // a link the channel fetches
	Caption  string // not for audio or stickers
	Filename string // for documents
}

// Template is a pre-approved message, the only kind a channel such as
// WhatsApp lets a line send outside the 24-hour window.
type Template struct {
	Name     string
	Language string          // e.g. "en", "ar", "es_MX"
	Header   *TemplateHeader // optional
	Body     []Param         // positional ({{1}}) or named ({{name}}) parameters
	Buttons  []TemplateButton
}

// TemplateHeader fills a template's header: text parameters or one media.
type TemplateHeader struct {
	Params []Param
	Media  *Media
}

// Param is one template parameter. Name is set for templates with named
// parameters and empty for positional ones.
type Param struct {
	Name  string
	Value string
}

// TemplateButton fills one button of a template: the payload a quick reply
// returns, or the dynamic suffix of a URL button.
type TemplateButton struct {
	Index   int    // position of the button in the template, from 0
	SubType string // "quick_reply" or "url"
	Payload string // the quick-reply payload or the URL suffix
}

// Reaction puts an emoji on a message the person sent; an empty Emoji
// removes the line's reaction.
type Reaction struct {
	MessageID string
	Emoji     string
}

// Native carries a channel-specific message that this vocabulary has no word
// for. Channel names the channel that understands it ("whatsapp"); Value is
// whatever that channel's sender accepts (for WhatsApp, a whatsapp.Message).
type Native struct {
	Channel string
	Value   any
}

func (Text) outgoing()     {}
func (Choices) outgoing()  {}
func (Media) outgoing()    {}
func (Template) outgoing() {}
func (Location) outgoing() {}
func (Reaction) outgoing() {}
func (Native) outgoing()   {}

// Type implements Outgoing.
func (Text) Type() string { return "text" }

// Type implements Outgoing.
func (Choices) Type() string { return "choices" }

// Type implements Outgoing.
func (m Media) Type() string { return "media" }

// Type implements Outgoing.
func (Template) Type() string { return "template" }

// Type implements Outgoing.
func (Location) Type() string { return "location" }

// Type implements Outgoing.
func (Reaction) Type() string { return "reaction" }

// Type implements Outgoing.
func (Native) Type() string { return "native" }

// Validate implements Outgoing.
func (t Text) Validate() error {
	if strings.TrimSpace(t.Body) == "" {
		return &FieldError{Field: "text.body", Problem: "is empty"}
	}
	return nil
}

// Validate implements Outgoing.
func (c Choices) Validate() error {
	if strings.TrimSpace(c.Body) == "" {
		return &FieldError{Field: "choices.body", Problem: "is empty"}
	}
	if len(c.Options) == 0 {
		return &FieldError{Field: "choices.options", Problem: "is empty; give at least one option"}
	}
	seen := make(map[string]int, len(c.Options))
	for i, o := range c.Options {
		f := fmt.Sprintf("choices.options[%d]", i)
		if o.ID == "" {
			return &FieldError{Field: f + ".id", Problem: "is empty"}
		}
		if strings.TrimSpace(o.Title) == "" {
			return &FieldError{Field: f + ".title", Problem: "is empty"}
		}
		if j, dup := seen[o.ID]; dup {
			return &FieldError{Field: f + ".id", Problem: fmt.Sprintf("repeats option id %q of options[%d]", o.ID, j)}
		}
		seen[o.ID] = i
	}
	return nil
}

// Validate implements Outgoing.
func (m Media) Validate() error {
	switch m.Kind {
	case MediaImage, MediaVideo, MediaDocument:
	case MediaAudio, MediaSticker:
		if m.Caption != "" {
			return &FieldError{Field: "media.caption", Problem: fmt.Sprintf("is not allowed on %s", m.Kind)}
		}
	case "":
		return &FieldError{Field: "media.kind", Problem: "is empty"}
	default:
		return &FieldError{Field: "media.kind", Problem: fmt.Sprintf("%q is not one of image, audio, video, document, sticker", m.Kind)}
	}
	switch {
	case m.ID == "" && m.URL == "":
		return &FieldError{Field: "media", Problem: "has neither an id nor a url"}
	case m.ID != "" && m.URL != "":
		return &FieldError{Field: "media", Problem: "has both an id and a url; give one"}
	}
	if m.Filename != "" && m.Kind != MediaDocument {
		return &FieldError{Field: "media.filename", Problem: "is only for documents"}
	}
	return nil
}

// Validate implements Outgoing.
func (t Template) Validate() error {
	if t.Name == "" {
		return &FieldError{Field: "template.name", Problem: "is empty"}
	}
	if t.Language == "" {
		return &FieldError{Field: "template.language", Problem: "is empty"}
	}
	named := -1
	check := func(field string, ps []Param) error {
		for i, p := range ps {
			n := 0
			if p.Name != "" {
				n = 1
			}
			if named == -1 {
				named = n
			} else if named != n {
				return &FieldError{Field: fmt.Sprintf("%s[%d]", field, i), Problem: "mixes named and positional parameters"}
			}
		}
		return nil
	}
	if t.Header != nil {
		if t.Header.Media != nil && len(t.Header.Params) > 0 {
			return &FieldError{Field: "template.header", Problem: "has both media and text parameters"}
		}
		if t.Header.Media != nil {
			if err := t.Header.Media.Validate(); err != nil {
				var fe *FieldError
				if asField(err, &fe) {
					return &FieldError{Field: "template.header." + fe.Field, Problem: fe.Problem}
				}
				return err
			}
		}
		if err := check("template.header.params", t.Header.Params); err != nil {
			return err
		}
	}
	if err := check("template.body", t.Body); err != nil {
		return err
	}
	seen := map[int]bool{}
	for i, b := range t.Buttons {
		f := fmt.Sprintf("template.buttons[%d]", i)
		if b.Index < 0 {
			return &FieldError{Field: f + ".index", Problem: "is negative"}
		}
		if seen[b.Index] {
			return &FieldError{Field: f + ".index", Problem: fmt.Sprintf("repeats button index %d", b.Index)}
		}
		seen[b.Index] = true
		if b.SubType != "quick_reply" && b.SubType != "url" {
			return &FieldError{Field: f + ".sub_type", Problem: fmt.Sprintf("%q is not quick_reply or url", b.SubType)}
		}
	}
	return nil
}

// Validate implements Outgoing.
func (l Location) Validate() error {
	if l.Latitude < -90 || l.Latitude > 90 {
		return &FieldError{Field: "location.latitude", Problem: fmt.Sprintf("%v is outside -90..90", l.Latitude)}
	}
	if l.Longitude < -180 || l.Longitude > 180 {
		return &FieldError{Field: "location.longitude", Problem: fmt.Sprintf("%v is outside -180..180", l.Longitude)}
	}
	return nil
}

// Validate implements Outgoing.
func (r Reaction) Validate() error {
	if r.MessageID == "" {
		return &FieldError{Field: "reaction.message_id", Problem: "is empty"}
	}
	return nil
}

// Validate implements Outgoing.
func (n Native) Validate() error {
	if n.Channel == "" {
		return &FieldError{Field: "native.channel", Problem: "is empty"}
	}
	if n.Value == nil {
		return &FieldError{Field: "native.value", Problem: "is nil"}
	}
	return nil
}

func asField(err error, target **FieldError) bool {
	fe, ok := err.(*FieldError)
	if ok {
		*target = fe
	}
	return ok
}

// Compile-time checks that every member of the set is an Outgoing.
var (
	_ Outgoing = Text{}
	_ Outgoing = Choices{}
	_ Outgoing = Media{}
	_ Outgoing = Template{}
	_ Outgoing = Location{}
	_ Outgoing = Reaction{}
	_ Outgoing = Native{}
)
