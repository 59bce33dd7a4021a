package broadcast

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
)

// Limits on a campaign definition.
const (
	MaxNameLength = 200 // characters in Spec.Name
	MaxParams     = 20  // body parameters per recipient
)

// Spec defines a campaign: what is sent, to whom, and for which purpose.
//
// A campaign sends either an approved Template, to anyone in the segment, or
// free Text, only to the people inside their 24-hour window (the others are
// skipped with reason "outside_window"). Exactly one of the two is set.
type Spec struct {
	// Name is a label for people running the campaign; no personal data.
	Name string `json:"name"`
	// Purpose is the consent purpose the campaign serves (an emergency alert
	// is usually chat.PurposeFollowUp). Only people who granted it are sent
	// to, and every send carries it as its chat.Intent.
	Purpose chat.Purpose `json:"purpose"`
	// Channel and Line are where the messages go out: the channel name
	// (default chat.ChannelWhatsApp) and the business line (for WhatsApp,
	// the phone number id).
	Channel string `json:"channel,omitempty"`
	Line    string `json:"line"`

	Template *chat.Template `json:"template,omitempty"`
	Text     string         `json:"text,omitempty"`

	// ParamFields personalises a template: the n-th name is the contact field
	// whose value fills the n-th body parameter, replacing the template's own
	// value for that recipient. A recipient missing a field gets the
	// template's value, or is left out of the campaign when the template has
	// none.
	ParamFields []string `json:"param_fields,omitempty"`

	Segment Segment `json:"segment"`
}

// Segment chooses the people a campaign considers. Consent for the
// campaign's purpose is always required on top of it.
type Segment struct {
	// Languages keeps contacts whose language is one of these (any when
	// empty). A tag matches its regional variants: "ar" matches "ar-SY".
	Languages []string `json:"languages,omitempty"`
	// Fields keeps contacts whose fields hold all these values.
	Fields map[string]string `json:"fields,omitempty"`
	// List, when not empty, replaces "every contact" with these people,
	// each with optional parameters of their own. It is personal data: it is
	// written only into the recipients (sealed by backends that seal), never
	// into the stored definition.
	List []Target `json:"-"`
}

// Target is one person named in a list segment.
type Target struct {
	Contact storage.ContactRef
	// Params, when set, fill this person's template body parameters.
	Params []chat.Param
}

// Validate reports the first problem with the definition, naming the field.
func (s *Spec) Validate() error {
	bad := func(field, problem string) error {
		return &chat.FieldError{Field: field, Problem: problem}
	}
	if n := len([]rune(s.Name)); n > MaxNameLength {
		return bad("name", fmt.Sprintf("is %d characters; at most %d are allowed", n, MaxNameLength))
	}
	if s.Purpose == "" {
		return bad("purpose", "is empty; name the consent purpose the campaign serves")
	}
	if s.Line == "" {
		return bad("line", "is empty")
	}
	switch {
	case s.Template == nil && s.Text == "":
		return bad("template", "is empty and so is text; set one of them")
	case s.Template != nil && s.Text != "":
		return bad("text", "is set together with template; set only one")
	case s.Template != nil:
		if err := s.Template.Validate(); err != nil {
			return fmt.Errorf("template: %w", err)
		}
		if len(s.Template.Body) > MaxParams {
			return bad("template.body", fmt.Sprintf("has %d parameters; at most %d are allowed", len(s.Template.Body), MaxParams))
		}
	default:
		if err := (chat.Text{Body: s.Text}).Validate(); err != nil {
			return fmt.Errorf("text: %w", err)
		}
		if len(s.ParamFields) > 0 {
			return bad("param_fields", "is set for a text campaign; only templates take parameters")
		}
	}
	if len(s.ParamFields) > MaxParams {
		return bad("param_fields", fmt.Sprintf("has %d fields; at most %d are allowed", len(s.ParamFields), MaxParams))
	}
	for i, f := range s.ParamFields {
		if strings.TrimSpace(f) == "" {
			return bad(fmt.Sprintf("param_fields[%d]", i), "is empty")
		}
	}
	for i, t := range s.Segment.List {
		if err := t.Contact.Validate(); err != nil {
			return fmt.Errorf("segment.list[%d]: %w", i, err)
		}
		if t.Contact.Channel != s.channel() {
			// Consent is read for the ref as listed; the message would go
			// out on the campaign's channel, to an identity that may
			// never have agreed.
			return bad(fmt.Sprintf("segment.list[%d].contact.channel", i), fmt.Sprintf("is %q; the campaign's channel is %q", t.Contact.Channel, s.channel()))
		}
		if len(t.Params) > MaxParams {
			return bad(fmt.Sprintf("segment.list[%d].params", i), fmt.Sprintf("has %d parameters; at most %d are allowed", len(t.Params), MaxParams))
		}
	}
	return nil
}

func (s *Spec) channel() string {
	if s.Channel == "" {
		return chat.ChannelWhatsApp
	}
	return s.Channel
}

// stored is what a campaign keeps in storage.Broadcast.Spec: the definition
// and what the runner needs to remember about it.
type stored struct {
	Spec Spec `json:"spec"`
	// Halt says why the runner paused the campaign by itself (an error that
	// every send would meet, such as an expired token), for the operator.
	Halt string `json:"halt,omitempty"`
	// List says the segment was a list, which is not stored: an interrupted
	// snapshot cannot be made again.
	List bool `json:"list,omitempty"`
}

func encodeStored(st stored) ([]byte, error) {
	b, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("encode campaign: %w", err)
	}
	return b, nil
}

func decodeStored(b []byte) (stored, error) {
	var st stored
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("decode campaign: %w", err)
	}
	return st, nil
}

// matches reports whether c is in the segment's language and field filters.
func (g *Segment) matches(c storage.Contact) bool {
	if len(g.Languages) > 0 && !slices.ContainsFunc(g.Languages, func(l string) bool { return languageMatches(l, c.Language) }) {
		return false
	}
	for _, k := range slices.Sorted(maps.Keys(g.Fields)) {
		if v, ok := c.Fields[k]; !ok || v != g.Fields[k] {
			return false
		}
	}
	return true
}

func (g *Segment) filters() bool { return len(g.Languages) > 0 || len(g.Fields) > 0 }

// languageMatches reports whether the contact's tag have is want or one of
// its regional variants, ignoring case and the separator.
func languageMatches(want, have string) bool {
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), "_", "-")) }
	w, h := norm(want), norm(have)
	return w != "" && (h == w || strings.HasPrefix(h, w+"-"))
}
