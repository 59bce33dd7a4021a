package triage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/internal/redact"
	"github.com/impactchat/impactchat/internal/textnorm"
	"github.com/impactchat/impactchat/storage"
)

// ScreenConfig configures a Screen.
type ScreenConfig struct {
	Lexicon LexiconSource // required: a *Lexicon or a reloadable *Lexicons
	Queue   *Queue        // required: where urgent and human-bound conversations go
	Replies Replies       // required: Safety, Queued and OutOfHours in Replies.Default

	// OnCall is the Notifier target paged for critical cases and for
	// urgent ones while the line is closed. Default "oncall".
	OnCall string
	// Buttons maps option ids (reply buttons, list rows, quick replies)
	// to categories: a "talk to a person" button is HumanRequest.
	Buttons map[string]Category
	// SafetyRepeat is how long an urgent conversation waits unclaimed
	// before a further message from the person gets the safety
	// acknowledgement again. Default one hour.
	SafetyRepeat time.Duration
	// Language returns the person's language when no lexicon signal says
	// it (for instance from storage.Contact.Language). Optional.
	Language func(ctx context.Context, m *chat.Message) string
	Logger   *slog.Logger // ids, paths and priorities only; default discards
	Observe  Observer     // optional
	// Protected are names of the organisation and its services ("UNHCR",
	// "ACNUR"). A message that spells one with look-alike letters (a Greek
	// Ν in UΝHCR), as forged messages do, is an impersonation report for
	// staff.
	Protected []string
	// Control reports whether a message is a request another handler must
	// always receive, such as consent's keywords and buttons for
	// withdrawal, erasure and export (consent.Service.AsksForRights):
	// while a conversation is urgent, such a message still goes on, as the
	// lexicon's control words do. Optional.
	Control func(m *chat.Message) bool
}

// Screen is the first handler every inbound message meets, before
// consent: it finds urgent messages and requests for a person however the
// conversation stands, so that urgent always reaches a person.
//
//   - Urgent or critical signals open (or raise) the conversation's ticket,
//     page on-call when the line is closed or the case critical, send the
//     safety acknowledgement (chat.ExemptSafety) and stop there: the bot
//     is suspended for the conversation until staff resolve it. Urgent
//     beats opt-out: "stop, he is hitting me" is urgent.
//   - While a conversation is urgent, further messages join it silently
//     (or with the safety message again after SafetyRepeat); control words
//     still go on to consent.
//   - Requests for a person, fraud reports and media the bot cannot read
//     (voice notes, images, documents) open a ticket at Elevated or higher
//     and go on, carrying the Decision, so that consent may still send its
//     notice and the Router acknowledges.
//   - Everything else goes on with a routine Decision.
type Screen struct {
	desk
	lex       LexiconSource
	buttons   map[string]Category
	protected [][]byte // textnorm keys, ASCII
	control   func(m *chat.Message) bool
}

// NewScreen checks cfg and returns a Screen.
func NewScreen(cfg ScreenConfig) (*Screen, error) {
	switch {
	case cfg.Lexicon == nil || cfg.Lexicon.Lexicon() == nil:
		return nil, errors.New("triage: new screen: lexicon is nil")
	case cfg.Queue == nil:
		return nil, errors.New("triage: new screen: queue is nil")
	case cfg.SafetyRepeat < 0:
		return nil, fmt.Errorf("triage: new screen: safety repeat %v is negative", cfg.SafetyRepeat)
	}
	if err := cfg.Replies.validate(); err != nil {
		return nil, fmt.Errorf("triage: new screen: %w", err)
	}
	for id, c := range cfg.Buttons {
		if _, ok := categories[c]; !ok {
			return nil, fmt.Errorf("triage: new screen: button %q has unknown category %q", id, c)
		}
	}
	s := &Screen{
		desk: desk{queue: cfg.Queue, replies: cfg.Replies, onCall: cfg.OnCall, repeat: cfg.SafetyRepeat,
			language: cfg.Language, logger: cfg.Logger, observe: cfg.Observe},
		lex:     cfg.Lexicon,
		buttons: cfg.Buttons,
		control: cfg.Control,
	}
	for i, name := range cfg.Protected {
		k := textnorm.Key(name)
		if k == "" || !isASCIIKey(k) {
			return nil, fmt.Errorf("triage: new screen: protected[%d] must be a name in Latin letters", i)
		}
		s.protected = append(s.protected, []byte(k))
	}
	if s.onCall == "" {
		s.onCall = "oncall"
	}
	if s.repeat == 0 {
		s.repeat = time.Hour
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// unreadable reports kinds the bot cannot read: they fail up to a person.
func unreadable(k chat.Kind) bool {
	switch k {
	case chat.KindAudio, chat.KindImage, chat.KindVideo, chat.KindDocument, chat.KindLocation, chat.KindContacts, chat.KindUnknown:
		return true
	}
	return false
}

// Detect screens one message without any I/O: lexicon signals in its text
// (or caption, or chosen option's title, or what was typed into a form's
// fields), button categories, and the kind of message. It allocates only
// when something matches, or to read a form's answers.
func (s *Screen) Detect(m *chat.Message) Decision {
	var d Decision
	lex := s.lex.Lexicon()
	if lex == nil {
		return Decision{Priority: Elevated, Category: DetectorFailure, HumanRequired: true}
	}
	var buf [8]*Rule
	rules := lex.Match(m.Text, buf[:0])
	if m.Kind == chat.KindFlowReply && len(m.Data) > 0 {
		rules = matchFormAnswers(lex, m.Data, rules)
	}
	var top *Rule
	for _, r := range rules {
		if r.Category.Control() {
			d.Control = true
		}
		if top == nil || r.Priority > top.Priority {
			top = r
		}
	}
	if len(rules) > 0 {
		d.Rules = make([]string, len(rules))
		for i, r := range rules {
			d.Rules[i] = r.ID
		}
		d.Priority, d.Category, d.Language, d.Queue = top.Priority, top.Category, top.Language, top.Queue
	}
	if c, ok := s.buttons[m.Choice]; ok && m.Kind == chat.KindChoice {
		d.Rules = append(d.Rules, "button/"+string(c))
		if p := categories[c].priority; p > d.Priority || d.Category == "" {
			d.Priority, d.Category, d.Queue = max(p, d.Priority), c, categories[c].queue
		}
		d.Control = d.Control || c.Control()
	}
	if len(s.protected) > 0 && d.Priority < Elevated && s.imitates(m.Text) {
		d.Priority, d.Category, d.Queue = Elevated, Impersonation, QueueFraud
		d.Rules = append(d.Rules, "protected/imitation")
	}
	if unreadable(m.Kind) && d.Priority < Elevated {
		d.Priority, d.Category, d.Queue = Elevated, UnreadableMedia, QueueGeneral
		d.Rules = append(d.Rules, "kind/"+string(m.Kind))
	}
	d.HumanRequired = d.Priority >= Elevated
	return d
}

// maxFormAnswers bounds the answers of one form that are screened.
const maxFormAnswers = 256

// matchFormAnswers screens the text a person typed into a WhatsApp Flow
// form: each string value of its answers on its own, so that a phrase
// never spans two fields. Control words (STOP, MY DATA) count only in
// the message itself, never in a form field, so they are left out here.
func matchFormAnswers(lex *Lexicon, data []byte, dst []*Rule) []*Rule {
	dec := json.NewDecoder(bytes.NewReader(data))
	var (
		found     [8]*Rule
		objects   []bool // the open containers: true for an object
		expectKey bool
		skip      bool // the value of flow_token, the line's own token
	)
	for n := 0; n < maxFormAnswers; {
		tok, err := dec.Token()
		if err != nil {
			return dst
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				objects = append(objects, d == '{')
				expectKey, skip = d == '{', false
			} else {
				objects = objects[:len(objects)-1]
				expectKey = len(objects) > 0 && objects[len(objects)-1]
			}
			continue
		}
		if expectKey {
			expectKey, skip = false, tok == "flow_token"
			continue
		}
		expectKey = len(objects) > 0 && objects[len(objects)-1]
		if v, ok := tok.(string); ok && !skip {
			n++
			for _, r := range lex.Match(v, found[:0]) {
				if !r.Category.Control() && !slices.Contains(dst, r) {
					dst = append(dst, r)
				}
			}
		}
		skip = false
	}
	return dst
}

// Middleware is the screen as a chat.Middleware: chat.Chain(h,
// screen.Middleware, gate.Middleware, router.Middleware).
func (s *Screen) Middleware(next chat.Handler) chat.Handler {
	if next == nil {
		next = chat.HandlerFunc(func(context.Context, chat.Replier, *chat.Message) error { return nil })
	}
	return chat.HandlerFunc(func(ctx context.Context, r chat.Replier, m *chat.Message) error {
		return s.handle(ctx, r, m, next)
	})
}

// detect is Detect failing up: should detection ever panic, the message
// goes to a person at Elevated instead of being lost.
func (s *Screen) detect(ctx context.Context, m *chat.Message) (d Decision) {
	defer func() {
		if p := recover(); p != nil {
			s.logger.LogAttrs(ctx, slog.LevelError, "detection failed; sending to a person", slog.String("message", redact.MessageID(m.ID)))
			d = Decision{Priority: Elevated, Category: DetectorFailure, Queue: QueueGeneral, HumanRequired: true, Rules: []string{"screen/failed"}}
		}
	}()
	return s.Detect(m)
}

func (s *Screen) handle(ctx context.Context, r chat.Replier, m *chat.Message, next chat.Handler) error {
	d := s.detect(ctx, m)
	if d.Priority >= Urgent {
		return s.urgent(ctx, r, m, d)
	}
	active, err := s.queue.tickets.Active(ctx, refOf(m))
	switch {
	case errors.Is(err, storage.ErrNotFound):
		ctx = withNoTicket(ctx, refOf(m))
	case err != nil:
		// The message stays in the inbox and comes back: better late than
		// screened without knowing the conversation is urgent.
		return fmt.Errorf("triage: screen message %s: %w", redact.MessageID(m.ID), err)
	case Priority(active.Priority) >= Urgent:
		d.Priority, d.SuspendBot, d.HumanRequired, d.Ticket = Priority(active.Priority), true, true, active.ID
		if d.Control || (s.control != nil && s.control(m)) {
			// STOP or DELETE still reach consent; consent's confirmation is
			// exempt and the router keeps the bot quiet.
			d.Path = PathNext
			return next.Handle(WithDecision(ctx, d), r, m)
		}
		if d.Category == "" {
			d.Category = Category(active.Category)
		}
		return s.safetyOrSilent(ctx, r, m, d, s.queue.item(ctx, active), false)
	}
	if d.HumanRequired {
		it, _, err := s.queue.Enqueue(ctx, Request{Contact: refOf(m), Priority: d.Priority, Category: d.Category, Queue: d.Queue})
		if err != nil {
			return fmt.Errorf("triage: screen message %s: %w", redact.MessageID(m.ID), err)
		}
		d.Ticket = it.Ticket.ID
	}
	d.Path = PathNext
	return next.Handle(WithDecision(ctx, d), r, m)
}

// imitates reports whether text spells a protected name with look-alike
// letters.
func (s *Screen) imitates(text string) bool {
	var kb, sb [512]byte
	key := textnorm.Append(kb[:0], text)
	sk, ok := textnorm.AppendSkeleton(sb[:0], key)
	if !ok {
		return false
	}
	for _, name := range s.protected {
		if containsWord(sk, name) && !containsWord(key, name) {
			return true
		}
	}
	return false
}

// containsWord reports whether word occurs in key on token boundaries.
func containsWord(key, word []byte) bool {
	for i := 0; i+len(word) <= len(key); {
		j := bytes.Index(key[i:], word)
		if j < 0 {
			return false
		}
		j += i
		if (j == 0 || key[j-1] == ' ') && (j+len(word) == len(key) || key[j+len(word)] == ' ') {
			return true
		}
		i = j + 1
	}
	return false
}

func isASCIIKey(k string) bool {
	for i := 0; i < len(k); i++ {
		if k[i] >= 0x80 {
			return false
		}
	}
	return true
}
