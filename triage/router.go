package triage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/internal/redact"
	"github.com/impactchat/impactchat/internal/textnorm"
	"github.com/impactchat/impactchat/storage"
)

// Input is what a routing condition looks at.
type Input struct {
	Message *chat.Message
	Key     string // textnorm key of the message text
	// Contact loads the person's record (for contact-field conditions);
	// ErrNotFound when the router has no contacts store or the contact is
	// unknown.
	Contact func() (storage.Contact, error)
}

// Condition decides whether a route applies. Conditions must be
// deterministic: the same message and contact give the same answer.
type Condition func(ctx context.Context, in *Input) (bool, error)

// Command matches when the whole message is one of words (after
// normalisation): "menu", "0".
func Command(words ...string) Condition {
	set := map[string]bool{}
	for _, w := range words {
		set[textnorm.Key(w)] = true
	}
	return func(_ context.Context, in *Input) (bool, error) { return set[in.Key], nil }
}

// Keyword matches when any of phrases occurs in the message on word
// boundaries (after normalisation), all phrases matched in one pass.
func Keyword(phrases ...string) Condition {
	var rules []Rule
	for _, p := range phrases {
		if k := textnorm.Key(p); k != "" {
			rules = append(rules, Rule{Key: k, Mode: Phrase})
		}
	}
	l := build(rules)
	return func(_ context.Context, in *Input) (bool, error) {
		var buf [1]*Rule
		return len(l.MatchKey(in.Key, buf[:0])) > 0, nil
	}
}

// Choice matches when the person chose one of the option ids.
func Choice(ids ...string) Condition {
	return func(_ context.Context, in *Input) (bool, error) {
		return in.Message.Kind == chat.KindChoice && slices.Contains(ids, in.Message.Choice), nil
	}
}

// KindIs matches messages of the given kinds.
func KindIs(kinds ...chat.Kind) Condition {
	return func(_ context.Context, in *Input) (bool, error) { return slices.Contains(kinds, in.Message.Kind), nil }
}

// Field matches when the contact's saved field name equals value.
func Field(name, value string) Condition {
	return func(_ context.Context, in *Input) (bool, error) {
		c, err := in.Contact()
		if errors.Is(err, storage.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		return c.Fields[name] == value, nil
	}
}

// Regexp matches the message text against re (on the raw text; anchor it
// yourself).
func Regexp(re *regexp.Regexp) Condition {
	return func(_ context.Context, in *Input) (bool, error) { return re.MatchString(in.Message.Text), nil }
}

// Always matches every message: the fallback route, last in the list.
func Always() Condition {
	return func(context.Context, *Input) (bool, error) { return true, nil }
}

// Action is where a route sends a message: an answer, a handler (such as
// a flow runner), or the human queue.
type Action struct {
	answer   map[string]string
	handler  chat.Handler
	human    bool
	queue    string
	priority Priority
}

// Answer replies with a fixed text (an FAQ answer), per language; the
// router's Replies.Default language is the fallback.
func Answer(byLanguage map[string]string) Action { return Action{answer: byLanguage} }

// Handle hands the message to h, a flow runner for instance.
func Handle(h chat.Handler) Action { return Action{handler: h} }

// Human queues the conversation for staff in queue at priority (at least
// what the screen found).
func Human(queue string, p Priority) Action { return Action{human: true, queue: queue, priority: p} }

// Route is one routing rule: the first route whose condition matches wins.
type Route struct {
	Name string // for logs and Decision.Rules: "route/<name>"
	When Condition
	Then Action
}

// Signal is something a classifier found: a category and a priority, with
// a model or rule id and a confidence, never the text.
type Signal struct {
	Category   Category
	Priority   Priority
	RuleID     string
	Confidence float64
}

// Classifier is an optional detector (an NLU or LLM service). It runs
// after consent, on people whose purposes allow it, and can only raise a
// message's priority, never lower what the lexicon found. A failure or
// timeout fails up: the message goes to a person at Elevated.
type Classifier interface {
	Classify(ctx context.Context, m *chat.Message) ([]Signal, error)
}

// RouterConfig configures a Router.
type RouterConfig struct {
	Routes  []Route
	Queue   *Queue  // required
	Replies Replies // required: as for the screen

	Classifier        Classifier
	ClassifierTimeout time.Duration // default 2 s
	MinConfidence     float64       // classifier signals below it are ignored; default 0.5

	Contacts storage.Contacts // optional: for Field conditions
	// BotWhileQueued lets routes answer a person whose conversation is
	// queued for staff (not urgent). By default their messages go to
	// staff.
	BotWhileQueued bool
	OnCall         string        // as for the screen
	SafetyRepeat   time.Duration // as for the screen
	Language       func(ctx context.Context, m *chat.Message) string
	Logger         *slog.Logger
	Observe        Observer
}

// Router sends each message, after consent, to the right place: ordered,
// deterministic routes to an FAQ answer, a handler (a flow) or the human
// queue. Messages the screen sent to a person, and messages in
// conversations already with staff, go to the queue; a message no route
// takes goes to the queue too, so every message gets a response path.
type Router struct {
	desk
	routes        []Route
	classifier    Classifier
	timeout       time.Duration
	minConfidence float64
	contacts      storage.Contacts
	botWhileQueue bool
}

// NewRouter checks cfg and returns a Router.
func NewRouter(cfg RouterConfig) (*Router, error) {
	if cfg.Queue == nil {
		return nil, errors.New("triage: new router: queue is nil")
	}
	if err := cfg.Replies.validate(); err != nil {
		return nil, fmt.Errorf("triage: new router: %w", err)
	}
	for i, r := range cfg.Routes {
		n := 0
		for _, set := range []bool{r.Then.answer != nil, r.Then.handler != nil, r.Then.human} {
			if set {
				n++
			}
		}
		switch {
		case r.When == nil:
			return nil, fmt.Errorf("triage: new router: routes[%d] (%s) has no condition", i, r.Name)
		case n != 1:
			return nil, fmt.Errorf("triage: new router: routes[%d] (%s) needs exactly one action: Answer, Handle or Human", i, r.Name)
		case r.Then.answer != nil && strings.TrimSpace(r.Then.answer[cfg.Replies.Default]) == "":
			return nil, fmt.Errorf("triage: new router: routes[%d] (%s) answer has no text in the default language %q", i, r.Name, cfg.Replies.Default)
		case r.Then.human && !r.Then.priority.Valid():
			return nil, fmt.Errorf("triage: new router: routes[%d] (%s) priority %d is not a priority", i, r.Name, r.Then.priority)
		}
	}
	rt := &Router{
		desk: desk{queue: cfg.Queue, replies: cfg.Replies, onCall: cfg.OnCall, repeat: cfg.SafetyRepeat,
			language: cfg.Language, logger: cfg.Logger, observe: cfg.Observe},
		routes:        slices.Clone(cfg.Routes),
		classifier:    cfg.Classifier,
		timeout:       cfg.ClassifierTimeout,
		minConfidence: cfg.MinConfidence,
		contacts:      cfg.Contacts,
		botWhileQueue: cfg.BotWhileQueued,
	}
	if rt.onCall == "" {
		rt.onCall = "oncall"
	}
	if rt.repeat == 0 {
		rt.repeat = time.Hour
	}
	if rt.timeout == 0 {
		rt.timeout = 2 * time.Second
	}
	if rt.minConfidence == 0 {
		rt.minConfidence = 0.5
	}
	if rt.logger == nil {
		rt.logger = slog.New(slog.DiscardHandler)
	}
	return rt, nil
}

// Middleware is the router as a chat.Middleware; next is not called (the
// router decides where every message goes), so it is usually last.
func (rt *Router) Middleware(chat.Handler) chat.Handler { return rt }

// Handle implements chat.Handler.
func (rt *Router) Handle(ctx context.Context, r chat.Replier, m *chat.Message) error {
	d, _ := DecisionFrom(ctx)
	if d.SuspendBot {
		d.Path = PathWithStaff
		rt.finish(ctx, m, d)
		return nil
	}
	d = rt.classify(ctx, m, d)
	if d.Priority >= Urgent {
		return rt.urgent(ctx, r, m, d)
	}
	if d.HumanRequired {
		return rt.human(ctx, r, m, d, d.Queue)
	}
	if !rt.botWhileQueue {
		active, err := rt.queue.activeTicket(ctx, refOf(m))
		switch {
		case err == nil:
			d.Priority = max(d.Priority, Priority(active.Priority))
			return rt.human(ctx, r, m, d, active.Queue)
		case !errors.Is(err, storage.ErrNotFound):
			return fmt.Errorf("triage: route message %s: %w", redact.MessageID(m.ID), err)
		}
	}
	in := &Input{Message: m, Key: textnorm.Key(m.Text), Contact: rt.contactLoader(ctx, m)}
	for _, route := range rt.routes {
		ok, err := route.When(ctx, in)
		if err != nil {
			return fmt.Errorf("triage: route %s for message %s: %w", route.Name, redact.MessageID(m.ID), err)
		}
		if !ok {
			continue
		}
		d.Rules = append(d.Rules, "route/"+route.Name)
		switch a := route.Then; {
		case a.answer != nil:
			text := rt.replies.pick(a.answer, rt.lang(ctx, m, d))
			if _, err := r.Reply(ctx, chat.Text{Body: text}); err != nil {
				return fmt.Errorf("triage: answer message %s: %w", redact.MessageID(m.ID), err)
			}
			d.Path = PathAnswer
			rt.finish(ctx, m, d)
			return nil
		case a.handler != nil:
			d.Path = PathHandler
			if err := a.handler.Handle(WithDecision(ctx, d), r, m); err != nil {
				return err
			}
			rt.finish(ctx, m, d)
			return nil
		default:
			d.Priority = max(d.Priority, a.priority)
			if d.Category == "" {
				d.Category = HumanRequest
			}
			return rt.human(ctx, r, m, d, a.queue)
		}
	}
	// No route took it: a person will.
	d.Rules = append(d.Rules, "route/none")
	return rt.human(ctx, r, m, d, QueueGeneral)
}

// classify asks the classifier, if any, and raises the decision with what
// it finds. It never lowers; a failure fails up to Elevated.
func (rt *Router) classify(ctx context.Context, m *chat.Message, d Decision) Decision {
	if rt.classifier == nil {
		return d
	}
	cctx, cancel := context.WithTimeout(ctx, rt.timeout)
	defer cancel()
	signals, err := rt.classifier.Classify(cctx, m)
	if err != nil {
		rt.logger.LogAttrs(ctx, slog.LevelWarn, "classifier failed; sending to a person", slog.String("message", redact.MessageID(m.ID)), slog.Any("error", err))
		if d.Priority < Elevated {
			d.Priority, d.Category, d.Queue = Elevated, DetectorFailure, QueueGeneral
		}
		d.Rules = append(d.Rules, "classifier/failed")
		d.HumanRequired = true
		return d
	}
	for _, s := range signals {
		if s.Confidence < rt.minConfidence || !s.Priority.Valid() {
			continue
		}
		d.Rules = append(d.Rules, "classifier/"+s.RuleID)
		if s.Priority > d.Priority {
			d.Priority, d.Category, d.Queue = s.Priority, s.Category, categories[s.Category].queue
		}
	}
	d.HumanRequired = d.HumanRequired || d.Priority >= Elevated
	return d
}

func (rt *Router) contactLoader(ctx context.Context, m *chat.Message) func() (storage.Contact, error) {
	var (
		c      storage.Contact
		err    error
		loaded bool
	)
	return func() (storage.Contact, error) {
		if rt.contacts == nil {
			return storage.Contact{}, storage.ErrNotFound
		}
		if !loaded {
			c, err = rt.contacts.Get(ctx, refOf(m))
			loaded = true
		}
		return c, err
	}
}
