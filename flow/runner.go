package flow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
)

// Handoff puts a person in the human queue. triage.Queue, or any queue of
// the host's, satisfies it through a small adapter; flow knows nothing
// else of it. Priority is 0 routine, 1 elevated, 2 urgent, 3 critical;
// reason is a label from the playbook, never message text.
type Handoff interface {
	Handoff(ctx context.Context, to chat.Address, priority int, reason string) error
}

// HandoffStatus is an optional ability of a Handoff, found by type
// assertion: Active reports whether staff own the person's conversation now
// (their case is open). While it does, the Runner answers nothing, so the
// bot does not talk over staff; the host has stored the message for them.
type HandoffStatus interface {
	Active(ctx context.Context, to chat.Address) (bool, error)
}

// HandoffFunc adapts a function to Handoff.
type HandoffFunc func(ctx context.Context, to chat.Address, priority int, reason string) error

// Handoff calls f.
func (f HandoffFunc) Handoff(ctx context.Context, to chat.Address, priority int, reason string) error {
	return f(ctx, to, priority, reason)
}

// MediaResolver turns a playbook's media file into a message a channel can
// send, e.g. by uploading it once and returning its media id. The default
// sends files that have a URL (an https path, or a playbook media_base) and
// skips the others with a log line.
type MediaResolver func(ctx context.Context, ev MediaEvent) (chat.Media, error)

// Runner is the chat.Handler that runs playbooks: for each message it loads
// the person's session, steps the engine, saves the session with
// compare-and-swap (stepping again if another writer won), then saves
// fields, hands off and replies. If any of that fails, the session is put
// back as it was and the error returned, so that the runtime's retry runs
// the step again instead of losing it. If the process stops before it can
// put the session back, the saved session still holds where the person was
// (Session.Redo), and the runtime's redelivery of the message is stepped
// again from there. Effects are thus carried out at least once: a redelivery
// may send again replies that went out before the stop.
type Runner struct {
	engine   *Engine
	sessions storage.Sessions
	contacts storage.Contacts
	handoff  Handoff
	media    MediaResolver
	now      func() time.Time
	log      *slog.Logger
	ttl      time.Duration
	entry    string
	limits   Limits
}

var _ chat.Handler = (*Runner)(nil)

// Option configures a Runner.
type Option func(*Runner) error

// WithClock sets the clock (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(r *Runner) error {
		if now == nil {
			return errors.New("flow: WithClock: nil clock")
		}
		r.now = now
		return nil
	}
}

// WithHandoff sets where handoff nodes send people. Without it, a playbook
// that hands off makes Handle fail: a person asking for staff is never
// silently dropped.
func WithHandoff(h Handoff) Option {
	return func(r *Runner) error {
		if h == nil {
			return errors.New("flow: WithHandoff: nil handoff")
		}
		r.handoff = h
		return nil
	}
}

// WithMedia sets how media files are sent.
func WithMedia(m MediaResolver) Option {
	return func(r *Runner) error {
		if m == nil {
			return errors.New("flow: WithMedia: nil resolver")
		}
		r.media = m
		return nil
	}
}

// WithLogger sets the logger (default: discard). Log lines carry playbook
// and node ids, never message text or numbers.
func WithLogger(l *slog.Logger) Option {
	return func(r *Runner) error {
		if l == nil {
			return errors.New("flow: WithLogger: nil logger")
		}
		r.log = l
		return nil
	}
}

// WithSessionTTL sets how long an idle session lives (default 7 days).
func WithSessionTTL(d time.Duration) Option {
	return func(r *Runner) error {
		if d <= 0 {
			return fmt.Errorf("flow: WithSessionTTL: %v is not positive", d)
		}
		r.ttl = d
		return nil
	}
}

// WithEntry sets the playbook a person without a session starts (default:
// the library's first).
func WithEntry(id string) Option {
	return func(r *Runner) error {
		r.entry = id
		return nil
	}
}

// WithLimits sets the engine's limits.
func WithLimits(l Limits) Option {
	return func(r *Runner) error {
		if l.Steps < 0 {
			return fmt.Errorf("flow: WithLimits: steps %d is negative", l.Steps)
		}
		r.limits = l
		return nil
	}
}

// NewRunner returns a Runner over the playbooks of lib. sessions is
// required; contacts may be nil (then the playbooks see no contact fields
// and fields they save are not kept).
func NewRunner(lib *Library, sessions storage.Sessions, contacts storage.Contacts, opts ...Option) (*Runner, error) {
	if lib == nil {
		return nil, errors.New("flow: new runner: nil library")
	}
	if sessions == nil {
		return nil, errors.New("flow: new runner: nil sessions store")
	}
	r := &Runner{
		sessions: sessions,
		contacts: contacts,
		now:      time.Now,
		log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		ttl:      7 * 24 * time.Hour,
	}
	for _, o := range opts {
		if err := o(r); err != nil {
			return nil, err
		}
	}
	if r.entry != "" && lib.Get(r.entry) == nil {
		return nil, fmt.Errorf("flow: WithEntry: %w: %q", ErrUnknownPlaybook, r.entry)
	}
	if r.media == nil {
		r.media = r.defaultMedia
	}
	if steps := r.limits.Steps; steps > 0 && steps < defaultMaxStepNodes {
		// The library was checked against the default; a smaller limit
		// would fail every message entering a longer run.
		if n, pb, from := lib.longestRun(); n > steps {
			return nil, fmt.Errorf("flow: WithLimits: steps is %d, but playbook %q version %d has a run of %d nodes without a question from %q (through start nodes, if any); every message entering it would fail",
				steps, pb.ID, pb.Version, n, from)
		}
	}
	r.engine = NewEngine(lib, r.limits)
	return r, nil
}

// Engine returns the runner's engine.
func (r *Runner) Engine() *Engine { return r.engine }

// Handle implements chat.Handler.
func (r *Runner) Handle(ctx context.Context, rep chat.Replier, m *chat.Message) error {
	if m == nil {
		return nil
	}
	return r.handle(ctx, rep, m.From, InputFrom(m), "")
}

// Playbook returns a chat.Handler that runs the playbook id: a person
// already in it goes on where they are; anyone else starts it. A router
// sends people to a playbook through it.
func (r *Runner) Playbook(id string) chat.Handler {
	return chat.HandlerFunc(func(ctx context.Context, rep chat.Replier, m *chat.Message) error {
		if m == nil {
			return nil
		}
		return r.handle(ctx, rep, m.From, InputFrom(m), id)
	})
}

// Start starts the playbook id for the person rep answers, whatever they
// were doing, e.g. a feedback survey when their case closes.
func (r *Runner) Start(ctx context.Context, rep chat.Replier, id string) error {
	if r.engine.lib.Get(id) == nil {
		return fmt.Errorf("flow: start: %w: %q", ErrUnknownPlaybook, id)
	}
	return r.handle(ctx, rep, rep.Address(), Input{}, "!"+id)
}

const maxCASAttempts = 5

// handle runs one step. force is "" (go on), a playbook id (go on if in
// it, start it otherwise) or "!id" (start it in any case).
func (r *Runner) handle(ctx context.Context, rep chat.Replier, from chat.Address, in Input, force string) error {
	ref := storage.ContactRef{Channel: from.Channel, Identifier: from.Contact}
	if err := ref.Validate(); err != nil {
		return fmt.Errorf("flow: handle: %w", err)
	}
	if hs, ok := r.handoff.(HandoffStatus); ok && (force == "" || force[0] != '!') {
		active, err := hs.Active(ctx, from)
		if err != nil {
			return fmt.Errorf("flow: handoff status: %w", err)
		}
		if active {
			return nil
		}
	}
	now := r.now()
	contact, err := r.contact(ctx, ref, now)
	if err != nil {
		return err
	}
	env := Env{Now: now, Language: contact.Language, Fields: fieldsOf(contact), Entry: r.entry}
	var (
		res    Result
		prev   storage.Session
		stored storage.Session
		found  bool
	)
	for attempt := 1; ; attempt++ {
		prev, err = r.sessions.Get(ctx, ref, now)
		found = err == nil
		var s Session
		switch {
		case errors.Is(err, storage.ErrNotFound):
			prev = storage.Session{Contact: ref}
		case err != nil:
			return fmt.Errorf("flow: load session: %w", err)
		default:
			if err := s.UnmarshalBinary(prev.Data); err != nil {
				r.log.WarnContext(ctx, "flow: stored session unreadable; starting over", slog.String("contact", ref.String()), slog.Any("err", err))
				s = Session{}
			}
		}
		if s.Redo != nil {
			if in.ID != "" && clipBytes(in.ID, maxIDBytes) == s.LastID {
				// The message whose step was saved comes again: its
				// effects may never have been carried out (the process
				// stopped after the save). Step it again from where the
				// person was before.
				r.log.InfoContext(ctx, "flow: stepping a redelivered message again; its effects were not known to be done",
					slog.String("playbook", s.Playbook))
				s = *s.Redo
			} else {
				s.Redo = nil // this message's delivery means the last step was done
			}
		}
		// The session as it was before this step, kept in the one saved
		// until the step's effects are known to be done (see Session.Redo).
		before := s
		stepEnv := env
		switch {
		case force == "":
		case force[0] == '!':
			s, stepEnv.Entry = Session{LastID: s.LastID}, force[1:]
		case s.Playbook != force || s.Ended:
			s, stepEnv.Entry = Session{LastID: s.LastID}, force
		}
		res, err = r.engine.Step(s, stepEnv, in)
		if err != nil {
			r.log.ErrorContext(ctx, "flow: step failed", slog.String("playbook", s.Playbook), slog.String("node", s.Node), slog.Any("err", err))
			return fmt.Errorf("flow: step: %w", err)
		}
		res.Session.Redo = nil
		if len(res.Events) > 0 {
			res.Session.Redo = &before
		}
		data, err := res.Session.MarshalBinary()
		if err != nil {
			return fmt.Errorf("flow: encode session: %w", err)
		}
		stored, err = r.sessions.Put(ctx, storage.Session{Contact: ref, Data: data, Version: prev.Version, ExpiresAt: now.Add(r.ttl)}, now)
		if err == nil {
			break
		}
		if !errors.Is(err, storage.ErrConflict) || attempt >= maxCASAttempts {
			return fmt.Errorf("flow: save session: %w", err)
		}
	}
	if err := r.apply(ctx, rep, from, ref, res.Events, now); err != nil {
		r.restore(ctx, ref, prev, found, stored, now)
		return err
	}
	return nil
}

// restore puts the session back as it was before a step whose effects
// failed, so that the retried message is stepped again.
func (r *Runner) restore(ctx context.Context, ref storage.ContactRef, prev storage.Session, found bool, stored storage.Session, now time.Time) {
	var err error
	if found {
		_, err = r.sessions.Put(ctx, storage.Session{Contact: ref, Data: prev.Data, Version: stored.Version, ExpiresAt: prev.ExpiresAt}, now)
	} else {
		// There was none: the session this step saved goes, but only if it
		// is still the one stored (a delete would also take a session
		// another message of the person saved since). A session already
		// expired reads as none.
		var empty []byte
		if empty, err = (Session{}).MarshalBinary(); err == nil {
			_, err = r.sessions.Put(ctx, storage.Session{Contact: ref, Data: empty, Version: stored.Version, ExpiresAt: now.Add(-time.Nanosecond)}, now)
		}
	}
	if errors.Is(err, storage.ErrConflict) {
		return // changed since: what is stored now is newer than this step
	}
	if err != nil {
		r.log.WarnContext(ctx, "flow: could not put the session back after a failure", slog.String("contact", ref.String()), slog.Any("err", err))
	}
}

func (r *Runner) contact(ctx context.Context, ref storage.ContactRef, now time.Time) (storage.Contact, error) {
	if r.contacts == nil {
		return storage.Contact{Ref: ref}, nil
	}
	if c, ok := chat.ContactFrom(ctx, ref); ok {
		return c, nil // recorded by the Server for this very message
	}
	c, err := r.contacts.Get(ctx, ref)
	if errors.Is(err, storage.ErrNotFound) {
		c, err = r.contacts.Touch(ctx, ref, now)
	}
	if err != nil {
		return storage.Contact{}, fmt.Errorf("flow: load contact: %w", err)
	}
	return c, nil
}

func fieldsOf(c storage.Contact) map[string]string {
	if c.Name == "" || c.Fields["name"] != "" {
		return c.Fields
	}
	f := make(map[string]string, len(c.Fields)+1)
	for k, v := range c.Fields {
		f[k] = v
	}
	f["name"] = c.Name
	return f
}

// apply carries out the events of a step: fields first, then the handoff,
// then the replies in order.
func (r *Runner) apply(ctx context.Context, rep chat.Replier, to chat.Address, ref storage.ContactRef, events []Event, now time.Time) error {
	var fields []FieldEvent
	for _, ev := range events {
		if f, ok := ev.(FieldEvent); ok {
			fields = append(fields, f)
		}
	}
	if len(fields) > 0 && r.contacts != nil {
		if err := r.saveFields(ctx, ref, fields, now); err != nil {
			return err
		}
	}
	for _, ev := range events {
		if h, ok := ev.(HandoffEvent); ok {
			if r.handoff == nil {
				return fmt.Errorf("flow: handoff at node %q: no Handoff configured (use WithHandoff)", h.Node)
			}
			if err := r.handoff.Handoff(ctx, to, h.Priority, h.Reason); err != nil {
				return fmt.Errorf("flow: handoff at node %q: %w", h.Node, err)
			}
		}
	}
	for _, ev := range events {
		switch ev := ev.(type) {
		case MessageEvent:
			sctx := chat.WithIntent(ctx, chat.Intent{Purpose: ev.Purpose})
			if _, err := rep.Reply(sctx, ev.Message); err != nil {
				return fmt.Errorf("flow: reply at node %q: %w", ev.Node, err)
			}
		case MediaEvent:
			m, err := r.media(ctx, ev)
			if err != nil {
				return fmt.Errorf("flow: media at node %q: %w", ev.Node, err)
			}
			if m.Kind == "" {
				continue
			}
			sctx := chat.WithIntent(ctx, chat.Intent{Purpose: ev.Purpose})
			if _, err := rep.Reply(sctx, m); err != nil {
				return fmt.Errorf("flow: reply media at node %q: %w", ev.Node, err)
			}
		}
	}
	return nil
}

func (r *Runner) saveFields(ctx context.Context, ref storage.ContactRef, fields []FieldEvent, now time.Time) error {
	for attempt := 1; ; attempt++ {
		c, err := r.contacts.Get(ctx, ref)
		if err != nil {
			return fmt.Errorf("flow: save fields: %w", err)
		}
		next := make(map[string]string, len(c.Fields)+len(fields))
		for k, v := range c.Fields {
			next[k] = v
		}
		for _, f := range fields {
			if f.Field == "language" {
				c.Language = f.Value
				continue
			}
			next[f.Field] = f.Value
		}
		c.Fields = next
		_, err = r.contacts.Update(ctx, c, now)
		if err == nil {
			return nil
		}
		if !errors.Is(err, storage.ErrConflict) || attempt >= maxCASAttempts {
			return fmt.Errorf("flow: save fields: %w", err)
		}
	}
}

func (r *Runner) defaultMedia(ctx context.Context, ev MediaEvent) (chat.Media, error) {
	if ev.URL == "" {
		r.log.WarnContext(ctx, "flow: media file has no URL; set media_base or WithMedia", slog.String("node", ev.Node), slog.String("path", ev.Path))
		return chat.Media{}, nil
	}
	m := chat.Media{Kind: ev.Kind, URL: ev.URL}
	if ev.Kind == chat.MediaDocument {
		m.Filename = path.Base(ev.Path)
	}
	return m, nil
}
