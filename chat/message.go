package chat

import (
	"encoding/json"
	"log/slog"
	"time"

	"github.com/impactchat/impactchat/internal/redact"
)

// Kind says what an inbound message carries.
type Kind string

// The kinds of inbound message. A channel maps its own types onto these and
// keeps anything it cannot map as KindUnknown, with the original in Raw.
const (
	KindText   Kind = "text"
	KindChoice Kind = "choice" // a reply button or list row was chosen; see Message.Choice
	// KindFlowReply is a completed form (a WhatsApp Flow): the answers are
	// the JSON object in Message.Data.
	KindFlowReply Kind = "flow_reply"
	KindImage     Kind = "image"
	KindAudio     Kind = "audio" // includes voice notes; see Attachment.Voice
	KindVideo     Kind = "video"
	KindDocument  Kind = "document"
	KindSticker   Kind = "sticker"
	KindLocation  Kind = "location"
	KindContacts  Kind = "contacts"
	KindReaction  Kind = "reaction"
	KindOrder     Kind = "order"
	KindSystem    Kind = "system" // e.g. the person changed their number
	KindUnknown   Kind = "unknown"
)

// HasMedia reports whether messages of this kind carry an Attachment.
func (k Kind) HasMedia() bool {
	switch k {
	case KindImage, KindAudio, KindVideo, KindDocument, KindSticker:
		return true
	}
	return false
}

// Message is one inbound message from a person.
type Message struct {
	ID   string    // the channel's message id (a wamid for WhatsApp)
	From Address   // who wrote, on which line
	Time time.Time // when the channel says it was sent
	Kind Kind

	// Text is the body of a text message, the caption of media, the title of
	// a chosen option, or the emoji of a reaction.
	Text string
	// Choice is the id of the option the person chose (a reply button id, a
	// list row id or a template quick-reply payload) when Kind is KindChoice.
	Choice string

	Attachment *Attachment // set when Kind.HasMedia()
	Location   *Location   // set when Kind is KindLocation

	// Data is structured content: for KindFlowReply, the form's answers as
	// a JSON object. It is personal data.
	Data json.RawMessage
	// Group is the channel's id of the group the message was posted in;
	// empty for a message sent to the line directly. Answering a group
	// message one to one is rarely right: lines route them to moderators.
	Group string

	ReplyTo             string // id of the message this one answers, if any
	Forwarded           bool
	FrequentlyForwarded bool
	ProfileName         string // the name the person set in the app; personal data

	// Raw is the channel's own JSON for this message, kept so that nothing a
	// channel sends is lost even when this vocabulary has no word for it.
	Raw json.RawMessage
}

// LogValue implements slog.LogValuer. It logs a fingerprint of the id (a
// WhatsApp id spells the sender's number), the masked sender and the kind,
// never text, names or numbers.
func (m *Message) LogValue() slog.Value {
	if m == nil {
		return slog.StringValue("<nil>")
	}
	return slog.GroupValue(
		slog.String("id", redact.MessageID(m.ID)),
		slog.Any("from", m.From),
		slog.String("kind", string(m.Kind)),
	)
}

// Attachment is a media file attached to an inbound message.
type Attachment struct {
	ID       string // the channel's media id, to download it
	URL      string // a direct URL, when the channel gives one
	MIMEType string
	SHA256   string
	Filename string // for documents
	Voice    bool   // an audio recorded in the app (a voice note)
	Animated bool   // for stickers
}

// Location is a place, inbound or outbound.
type Location struct {
	Latitude  float64
	Longitude float64
	Name      string
	Address   string
	URL       string
}
