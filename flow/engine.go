package flow

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/internal/textnorm"
)

// Env is what the engine may know about the world for one step. The host
// fills it; the engine reads nothing else, so a step is deterministic.
type Env struct {
	Now      time.Time         // the injected clock's time, for hours
	Language string            // the contact's language, "" when unknown
	Fields   map[string]string // the contact's fields ("name" included); read only
	// Entry is the playbook a person without a session starts; empty means
	// the library's entry.
	Entry string
}

// Input is one thing the person sent. The zero Input starts (or restarts)
// a conversation without an answer.
type Input struct {
	ID     string    // the message id; a repeat of the last one is a redelivery
	Kind   chat.Kind // text, choice, or a media kind
	Text   string    // typed text, or the title of the chosen option
	Choice string    // the option id for KindChoice
}

// InputFrom converts an inbound chat message.
func InputFrom(m *chat.Message) Input {
	return Input{ID: m.ID, Kind: m.Kind, Text: m.Text, Choice: m.Choice}
}

// Result is what one step produced: the session to store and what the host
// should do, in order.
type Result struct {
	Session Session
	Events  []Event
}

// Event is something the host must do: send a message, save a field, hand
// off to a person. The set is closed.
type Event interface{ event() }

// MessageEvent asks the host to send a message (a chat.Text or a
// chat.Choices). Purpose is the consent purpose of the playbook that says it.
type MessageEvent struct {
	Node    string
	Purpose chat.Purpose
	Message chat.Outgoing
}

// MediaEvent asks the host to send a media file of the playbook. URL is set
// when the file is an https URL or the playbook has a media_base; Path is
// the file as written, relative to File, the playbook file naming it.
type MediaEvent struct {
	Node    string
	Purpose chat.Purpose
	Kind    chat.MediaKind
	Path    string
	File    string
	URL     string
}

// FieldEvent asks the host to save a contact field. Field "language" sets
// the contact's language.
type FieldEvent struct {
	Field string
	Value string
}

// HandoffEvent asks the host to put the person in the human queue.
type HandoffEvent struct {
	Node     string
	Priority int    // 0 routine, 1 elevated, 2 urgent, 3 critical
	Reason   string // a label; never personal data
}

// StartEvent reports that another playbook started.
type StartEvent struct {
	Playbook string
	Version  int
}

// EndEvent reports that the conversation ended.
type EndEvent struct{}

func (MessageEvent) event() {}
func (MediaEvent) event()   {}
func (FieldEvent) event()   {}
func (HandoffEvent) event() {}
func (StartEvent) event()   {}
func (EndEvent) event()     {}

// Limits bound the work of one step. Zero fields take the defaults.
type Limits struct {
	// Steps is the most nodes one input may pass through (default 64).
	// Playbooks are validated against the default; NewRunner refuses a
	// smaller limit that a run of the library's playbooks exceeds.
	Steps int
}

// Engine runs playbooks of one Library. It holds no per-person state: Step
// is a pure function of the session, the environment and the input.
type Engine struct {
	lib    *Library
	limits Limits
}

// NewEngine returns an engine over lib.
func NewEngine(lib *Library, limits Limits) *Engine {
	if limits.Steps <= 0 {
		limits.Steps = defaultMaxStepNodes
	}
	return &Engine{lib: lib, limits: limits}
}

// Library returns the engine's library.
func (e *Engine) Library() *Library { return e.lib }

const (
	maxFieldRunes = 500
	maxInputBytes = 4 * MaxTextBody // longer input is clipped before matching
)

// Step takes the person's session, the environment and their input, and
// returns the next session and the events for the host. It does no I/O.
// The session given is not modified.
func (e *Engine) Step(s Session, env Env, in Input) (Result, error) {
	if len(in.Text) > maxInputBytes {
		in.Text = clipBytes(in.Text, maxInputBytes)
	}
	r := &run{e: e, env: env, s: s}
	r.s.Back = append([]string(nil), s.Back...)
	err := r.step(in)
	if err != nil {
		return Result{Session: s}, err
	}
	return Result{Session: r.s, Events: r.events}, nil
}

type run struct {
	e      *Engine
	env    Env
	s      Session
	pb     *Playbook
	lang   string
	events []Event
	saved  map[string]string // fields saved during this step
	steps  int
}

func (r *run) entry() string {
	if r.env.Entry != "" && r.e.lib.Get(r.env.Entry) != nil {
		return r.env.Entry
	}
	return r.e.lib.Entry()
}

func (r *run) step(in Input) error {
	if r.s.Ended && in.ID != "" && clipBytes(in.ID, maxIDBytes) == r.s.LastID {
		return nil // a redelivery of the message that ended the conversation
	}
	if r.s.IsZero() || r.s.Ended {
		r.s = Session{LastID: clipBytes(in.ID, maxIDBytes)}
		return r.startPlaybook(r.entry(), "")
	}
	pb := r.e.lib.Version(r.s.Playbook, r.s.Version)
	if pb == nil {
		// The version this session started on is gone: move to the latest
		// version, at the node with the same id when there is one.
		pb = r.e.lib.Get(r.s.Playbook)
		if pb == nil {
			r.s = Session{LastID: clipBytes(in.ID, maxIDBytes)}
			return r.startPlaybook(r.entry(), "")
		}
		r.s.Version = pb.Version
		back := r.s.Back[:0]
		for _, id := range r.s.Back {
			if n := pb.Node(id); n != nil && n.Kind == KindAsk {
				back = append(back, id)
			}
		}
		r.s.Back = back
	}
	r.setPlaybook(pb)
	if in.ID != "" && clipBytes(in.ID, maxIDBytes) == r.s.LastID {
		// A redelivery of the message already handled: ask again rather
		// than take the same answer twice.
		if n := pb.Node(r.s.Node); n != nil && n.Kind == KindAsk {
			r.ask(n, "")
			return nil
		}
		return r.goTo(pb.Start)
	}
	r.s.LastID = clipBytes(in.ID, maxIDBytes)
	n := pb.Node(r.s.Node)
	if n == nil || n.Kind != KindAsk {
		return r.goTo(pb.Start)
	}

	if in.Kind == chat.KindText || in.Kind == "" {
		key := keyOf(in.Text)
		switch {
		case r.isWord(key, pb.MenuWords, builtinMenuKeys):
			return r.menu()
		case r.isWord(key, pb.BackWords, builtinBackKeys):
			return r.back(n)
		}
	}
	// A tap on an option of an earlier question answers that question.
	if in.Kind == chat.KindChoice {
		if nodeID, _, ok := strings.Cut(in.Choice, ":"); ok && nodeID != n.ID {
			if other := pb.Node(nodeID); other != nil && other.Kind == KindAsk {
				n = other
				r.s.Node = n.ID
			}
		}
	}
	if len(n.Choices) > 0 {
		c := matchChoice(n, in, r.lang, true)
		if c == nil {
			// A topic of the main menu, named from any question, is taken
			// as a choice on the menu: people ask for what they want.
			if m := pb.Node(pb.menuNode()); m != nil && m != n && m.Kind == KindAsk && in.Kind != chat.KindChoice {
				if c = matchChoice(m, in, r.lang, false); c != nil {
					r.push(n.ID)
					n = m
				}
			}
		}
		if c == nil {
			r.s.Retries++
			r.ask(n, r.retryText(n, "retry"))
			return nil
		}
		r.s.Answer = c.ID
		if n.Save != "" {
			r.save(n.Save, c.ID)
		}
		r.push(n.ID)
		next := c.Next
		if next == "" {
			next = n.Next
		}
		return r.goTo(next)
	}
	text := strings.TrimSpace(in.Text)
	if in.Kind != chat.KindText && in.Kind != chat.KindChoice && in.Kind != "" || text == "" {
		r.s.Retries++
		r.ask(n, r.retryText(n, "retry_text"))
		return nil
	}
	r.s.Answer = clipBytes(text, maxAnswerBytes)
	if n.Save != "" {
		r.save(n.Save, text)
	}
	r.push(n.ID)
	return r.goTo(n.Next)
}

func (r *run) setPlaybook(pb *Playbook) {
	r.pb = pb
	r.s.Playbook, r.s.Version = pb.ID, pb.Version
	r.lang = r.pickLang(pb)
	r.s.Lang = r.lang
}

// pickLang chooses the conversation's language: a language saved in this
// step, the contact's, the session's, then the playbook's default. A
// regional tag ("es-EC") falls back to its language ("es").
func (r *run) pickLang(pb *Playbook) string {
	for _, l := range []string{r.saved["language"], r.env.Language, r.s.Lang} {
		if l == "" {
			continue
		}
		if pb.HasLanguage(l) {
			return l
		}
		if base, _, ok := strings.Cut(strings.ReplaceAll(l, "_", "-"), "-"); ok && pb.HasLanguage(base) {
			return base
		}
	}
	return pb.DefaultLanguage()
}

func (r *run) startPlaybook(id, node string) error {
	pb := r.e.lib.Get(id)
	if pb == nil {
		return fmt.Errorf("%w: %q", ErrUnknownPlaybook, id)
	}
	r.s.Back = nil
	r.s.Retries = 0
	r.setPlaybook(pb)
	r.events = append(r.events, StartEvent{Playbook: pb.ID, Version: pb.Version})
	if node == "" {
		node = pb.Start
	}
	return r.goTo(node)
}

func (r *run) menu() error {
	pb := r.pb
	r.s.Back = nil
	if pb.Menu == "" && pb.ID != r.entry() {
		return r.startPlaybook(r.entry(), r.e.lib.Get(r.entry()).menuNode())
	}
	return r.goTo(pb.menuNode())
}

func (r *run) back(current *Node) error {
	if len(r.s.Back) == 0 {
		r.ask(current, "")
		return nil
	}
	id := r.s.Back[len(r.s.Back)-1]
	r.s.Back = r.s.Back[:len(r.s.Back)-1]
	n := r.pb.Node(id)
	if n == nil || n.Kind != KindAsk {
		return r.goTo(r.pb.menuNode())
	}
	r.s.Retries = 0
	r.ask(n, "")
	return nil
}

func (r *run) push(id string) {
	if len(r.s.Back) > 0 && r.s.Back[len(r.s.Back)-1] == id {
		return
	}
	r.s.Back = append(r.s.Back, id)
	if len(r.s.Back) > maxBackStack {
		r.s.Back = r.s.Back[len(r.s.Back)-maxBackStack:]
	}
}

func (r *run) save(field, value string) {
	value = clipRunes(value, maxFieldRunes)
	if r.saved == nil {
		r.saved = map[string]string{}
	}
	r.saved[field] = value
	r.events = append(r.events, FieldEvent{Field: field, Value: value})
	if field == "language" {
		r.lang = r.pickLang(r.pb)
		r.s.Lang = r.lang
	}
}

func (r *run) field(name string) string {
	if name == "answer" {
		return r.s.Answer
	}
	if v, ok := r.saved[name]; ok {
		return v
	}
	if name == "language" {
		// The language the conversation is in: the contact's, or one
		// the person chose; contacts keep it apart from their fields.
		return r.lang
	}
	return r.env.Fields[name]
}

// goTo runs nodes from id until a question waits or the conversation ends.
func (r *run) goTo(id string) error {
	for {
		if id == "" {
			r.end()
			return nil
		}
		r.steps++
		if r.steps > r.e.limits.Steps {
			return fmt.Errorf("%w: %d nodes in %q", ErrTooManySteps, r.e.limits.Steps, r.pb.ID)
		}
		n := r.pb.Node(id)
		if n == nil {
			r.end()
			return nil
		}
		switch n.Kind {
		case KindSay:
			r.media(n)
			r.say(n, n.Text)
			id = n.Next
		case KindAsk:
			r.s.Retries = 0
			r.ask(n, "")
			return nil
		case KindSave:
			v := r.s.Answer
			if n.Value != "" {
				v = render(n.Value, r.field)
			}
			r.save(n.Save, v)
			id = n.Next
		case KindBranch:
			id = r.branch(n)
		case KindHandoff:
			r.events = append(r.events, HandoffEvent{Node: n.ID, Priority: n.Priority, Reason: n.Reason})
			id = n.Next
		case KindStart:
			return r.startPlaybook(n.Playbook, "")
		case KindEnd:
			r.media(n)
			r.say(n, n.Text)
			r.end()
			return nil
		default:
			r.end()
			return nil
		}
	}
}

func (r *run) end() {
	r.s.Ended = true
	r.s.Node = ""
	r.s.Back = nil
	r.s.Retries = 0
	r.events = append(r.events, EndEvent{})
}

func (r *run) purpose() chat.Purpose {
	if len(r.pb.Purposes) > 0 {
		return chat.Purpose(r.pb.Purposes[0])
	}
	return chat.PurposeCore
}

func (r *run) text(t Text) string {
	s := render(t.Get(r.lang, r.pb.DefaultLanguage()), r.field)
	return clipBytes(s, 4*MaxTextBody)
}

func (r *run) say(n *Node, t Text) {
	if t.IsZero() {
		return
	}
	body := r.text(t)
	if strings.TrimSpace(body) == "" {
		return
	}
	r.events = append(r.events, MessageEvent{Node: n.ID, Purpose: r.purpose(), Message: chat.Text{Body: body}})
}

func (r *run) media(n *Node) {
	emit := func(set MediaSet) {
		for _, m := range set.Items {
			ev := MediaEvent{Node: n.ID, Purpose: r.purpose(), Kind: chat.MediaKind(m.Kind), Path: m.Path, File: m.Pos.File}
			switch {
			case strings.HasPrefix(m.Path, "https://"):
				ev.URL = m.Path
			case r.pb.MediaBase != "":
				ev.URL = strings.TrimSuffix(r.pb.MediaBase, "/") + "/" + strings.TrimPrefix(m.Path, "/")
			}
			r.events = append(r.events, ev)
		}
	}
	for _, set := range n.Media {
		if set.Lang == "" || set.Lang == r.lang {
			emit(set)
		}
	}
}

// ask emits the question of n, prefixed by a re-prompt when given.
func (r *run) ask(n *Node, retry string) {
	r.s.Node = n.ID
	if retry == "" {
		r.media(n)
	}
	body := r.text(n.Text)
	if retry != "" {
		body = retry + "\n\n" + body
	}
	if len(n.Choices) == 0 {
		r.events = append(r.events, MessageEvent{Node: n.ID, Purpose: r.purpose(), Message: chat.Text{Body: body}})
		return
	}
	c := chat.Choices{
		Body:    clipRunes(body, MaxInteractiveBody),
		Button:  clipRunes(r.text(n.Button), MaxListButton),
		Options: make([]chat.Option, len(n.Choices)),
	}
	for i, ch := range n.Choices {
		c.Options[i] = chat.Option{
			ID:          ch.optionID(n),
			Title:       ch.Title.Get(r.lang, r.pb.DefaultLanguage()),
			Description: clipRunes(r.text(ch.Description), MaxListDescription),
		}
	}
	r.events = append(r.events, MessageEvent{Node: n.ID, Purpose: r.purpose(), Message: c})
}

func (r *run) retryText(n *Node, kind string) string {
	if !n.Retry.IsZero() {
		return r.text(n.Retry)
	}
	if t, ok := r.pb.Messages[kind]; ok && t.Has(r.lang) {
		return r.text(t)
	}
	msg := builtin(kind, r.lang)
	if r.s.Retries >= 2 {
		msg += " " + builtin("hint", r.lang)
	}
	return msg
}

func (r *run) branch(n *Node) string {
	answer := keyOf(r.s.Answer)
	for _, c := range n.Cases {
		switch {
		case len(c.Answer) > 0:
			for _, a := range c.Answer {
				if a == answer {
					return c.Next
				}
			}
		case len(c.Keyword) > 0:
			if containsWord(answer, c.Keyword, r.lang) {
				return c.Next
			}
		case c.Field != "":
			v := keyOf(r.field(c.Field))
			switch {
			case c.Empty:
				if v == "" {
					return c.Next
				}
			case len(c.Equals) > 0:
				for _, e := range c.Equals {
					if e == v {
						return c.Next
					}
				}
			case v != "":
				return c.Next
			}
		case c.Hours != "":
			loc := r.pb.loc
			if loc == nil {
				loc = time.UTC
			}
			if c.hours.contains(r.env.Now.In(loc)) {
				return c.Next
			}
		default:
			return c.Next
		}
	}
	return ""
}

// keyOf normalises typed text for matching: textnorm's key, without
// surrounding punctuation, with Arabic-Indic digits as ASCII digits.
func keyOf(s string) string {
	k := textnorm.Key(s)
	k = strings.TrimFunc(k, func(r rune) bool {
		return strings.ContainsRune(".,;:!?¿¡()[]\"'*-·。،؟", r)
	})
	if strings.IndexFunc(k, isEasternDigit) >= 0 {
		k = strings.Map(func(r rune) rune {
			switch {
			case r >= '٠' && r <= '٩':
				return '0' + (r - '٠')
			case r >= '۰' && r <= '۹':
				return '0' + (r - '۰')
			}
			return r
		}, k)
	}
	return k
}

func isEasternDigit(r rune) bool { return r >= '٠' && r <= '٩' || r >= '۰' && r <= '۹' }

func (r *run) isWord(key string, own Words, builtins []string) bool {
	if key == "" {
		return false
	}
	for _, w := range own {
		if w.Lang == "" || w.Lang == r.lang {
			for _, x := range w.Words {
				if x == key {
					return true
				}
			}
		}
	}
	for _, x := range builtins {
		if x == key {
			return true
		}
	}
	return false
}

// matchChoice finds the option the person chose: by the option id of a
// tap, by its number (when numbers is set), its title (in any language) or
// one of its keywords.
func matchChoice(n *Node, in Input, lang string, numbers bool) *Choice {
	if in.Kind == chat.KindChoice && in.Choice != "" {
		id := in.Choice
		if nodeID, choiceID, ok := strings.Cut(id, ":"); ok && nodeID == n.ID {
			id = choiceID
		}
		for _, c := range n.Choices {
			if c.ID == id {
				return c
			}
		}
	}
	key := keyOf(in.Text)
	if key == "" {
		return nil
	}
	if i, err := strconv.Atoi(key); err == nil {
		if numbers && i >= 1 && i <= len(n.Choices) {
			return n.Choices[i-1]
		}
		return nil
	}
	for _, c := range n.Choices {
		if keyOf(c.ID) == key {
			return c
		}
		for _, t := range c.Title {
			if keyOf(t.S) == key {
				return c
			}
		}
	}
	for _, c := range n.Choices {
		if containsWord(key, c.Keywords, lang) {
			return c
		}
	}
	return nil
}

// containsWord reports whether key holds one of the words (in lang or for
// every language) as whole words.
func containsWord(key string, words Words, lang string) bool {
	if key == "" {
		return false
	}
	padded := " " + strings.Join(strings.FieldsFunc(key, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r)
	}), " ") + " "
	for _, w := range words {
		if w.Lang != "" && w.Lang != lang {
			continue
		}
		for _, x := range w.Words {
			if strings.Contains(padded, " "+x+" ") {
				return true
			}
		}
	}
	return false
}
