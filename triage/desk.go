package triage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/internal/redact"
	"github.com/impactchat/impactchat/storage"
)

// Replies are the texts the screen and the router send on their own, per
// language (BCP 47 tags as in lexicon files). Safety must be given in the
// Default language: it is what a person in danger reads first, so it names
// the local emergency numbers and the protection hotline.
type Replies struct {
	Default string // the language used when the person's is unknown or missing here
	// Safety acknowledges an urgent message: a person has been alerted,
	// and what to do in immediate danger.
	Safety map[string]string
	// Queued tells the person a staff member will read their message.
	Queued map[string]string
	// OutOfHours says the line is closed and when to expect an answer:
	// "{due}" is replaced by that time. It should carry the emergency
	// information too.
	OutOfHours map[string]string
}

func (r Replies) validate() error {
	if r.Default == "" {
		return errors.New("replies: default language is empty")
	}
	for name, m := range map[string]map[string]string{"safety": r.Safety, "queued": r.Queued, "out_of_hours": r.OutOfHours} {
		if strings.TrimSpace(m[r.Default]) == "" {
			return fmt.Errorf("replies: %s text for the default language %q is empty", name, r.Default)
		}
	}
	return nil
}

func (r Replies) pick(m map[string]string, lang string) string {
	if t := m[lang]; t != "" {
		return t
	}
	if base, _, ok := strings.Cut(lang, "-"); ok {
		if t := m[base]; t != "" {
			return t
		}
	}
	return m[r.Default]
}

// Path is the response path a message took: every inbound message gets
// exactly one.
type Path string

// The response paths.
const (
	PathSafety     Path = "safety_ack"       // urgent: safety acknowledgement sent, staff alerted
	PathQueued     Path = "queued_ack"       // queued for staff, acknowledgement sent
	PathOutOfHours Path = "out_of_hours_ack" // queued for staff, out-of-hours acknowledgement sent
	PathWithStaff  Path = "with_staff"       // the conversation is already with staff and was acknowledged
	PathAnswer     Path = "answer"           // the router answered
	PathHandler    Path = "handler"          // the router handed the message to a handler (a flow)
	PathNext       Path = "next"             // the screen handed the message on (to consent)
)

// Decision is what triage concluded about a message. The screen puts it in
// the context it hands on; DecisionFrom reads it.
type Decision struct {
	Priority Priority
	Category Category // of the strongest signal; empty when none
	Language string   // of the strongest lexicon signal; empty when none
	Queue    string   // where the strongest signal sends the conversation
	Rules    []string // ids of the matched rules and signals, never text
	// Control is set when the whole message is a control word (STOP,
	// DELETE…), which consent acts on.
	Control bool
	// HumanRequired: the message goes to a person (priority Elevated or
	// more).
	HumanRequired bool
	// SuspendBot: the conversation is urgent; the bot says nothing but the
	// safety acknowledgement until staff resolve it.
	SuspendBot bool
	Ticket     string // the ticket id when queued
	Path       Path
}

type decisionKey struct{}

// WithDecision returns ctx carrying d.
func WithDecision(ctx context.Context, d Decision) context.Context {
	return context.WithValue(ctx, decisionKey{}, d)
}

// DecisionFrom returns the decision the screen made for the message being
// handled, if any.
func DecisionFrom(ctx context.Context) (Decision, bool) {
	d, ok := ctx.Value(decisionKey{}).(Decision)
	return d, ok
}

// Observer hears the response path of every message that triage finishes
// with, once per message. It is for metrics and tests; it gets ids and
// priorities, and must not log the message text.
type Observer func(ctx context.Context, m *chat.Message, d Decision)

// desk is what the screen and the router share: the queue, the replies,
// and how urgent cases are handled.
type desk struct {
	queue    *Queue
	replies  Replies
	onCall   string
	repeat   time.Duration
	language func(ctx context.Context, m *chat.Message) string
	logger   *slog.Logger
	observe  Observer
}

func refOf(m *chat.Message) storage.ContactRef {
	return storage.ContactRef{Channel: m.From.Channel, Identifier: m.From.Contact}
}

func (d *desk) lang(ctx context.Context, m *chat.Message, dec Decision) string {
	if dec.Language != "" && dec.Language != "any" {
		return dec.Language
	}
	if d.language != nil {
		if l := d.language(ctx, m); l != "" {
			return l
		}
	}
	return d.replies.Default
}

func (d *desk) finish(ctx context.Context, m *chat.Message, dec Decision) {
	d.logger.LogAttrs(ctx, slog.LevelInfo, "triage", slog.String("message", redact.MessageID(m.ID)), slog.String("path", string(dec.Path)),
		slog.String("priority", dec.Priority.String()), slog.String("category", string(dec.Category)), slog.String("ticket", dec.Ticket))
	if d.observe != nil {
		d.observe(ctx, m, dec)
	}
}

// urgent handles an urgent or critical message: the conversation is queued
// (or raised) at its priority, on-call is paged when the line is closed or
// the case is critical, and the person gets the safety acknowledgement,
// sent as an exempt safety message so that no consent state can block it.
func (d *desk) urgent(ctx context.Context, r chat.Replier, m *chat.Message, dec Decision) error {
	dec.HumanRequired, dec.SuspendBot = true, true
	it, change, err := d.queue.Enqueue(ctx, Request{Contact: refOf(m), Priority: dec.Priority, Category: dec.Category, Queue: dec.Queue})
	if err != nil {
		// Without a ticket the person must still hear where to get help;
		// the error makes the runtime retry the ticket.
		_ = d.sendSafety(ctx, r, m, dec)
		return fmt.Errorf("triage: urgent message %s: %w", redact.MessageID(m.ID), err)
	}
	dec.Ticket = it.Ticket.ID
	if change != Unchanged && (dec.Priority >= Critical || !d.queue.schedule.Open(d.queue.now())) {
		if err := d.page(ctx, it); err != nil {
			// Retrying the message would not page again (the ticket is
			// raised already); the escalation chain notifies on-call next.
			d.logger.LogAttrs(ctx, slog.LevelError, "page failed", slog.String("ticket", it.Ticket.ID), slog.Any("error", err))
		}
	}
	return d.safetyOrSilent(ctx, r, m, dec, it, change != Unchanged)
}

// pageRetries are the waits before the page is tried again when it fails:
// a pager gateway that hiccups must not leave on-call unaware of an urgent
// case until the escalation chain's next step.
var pageRetries = []time.Duration{200 * time.Millisecond, time.Second, 3 * time.Second}

// page pages on-call about it, trying again after each of pageRetries.
func (d *desk) page(ctx context.Context, it Item) error {
	err := d.queue.Page(ctx, it, d.onCall)
	for _, wait := range pageRetries {
		if err == nil {
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
		err = d.queue.Page(ctx, it, d.onCall)
	}
	return err
}

// safetyOrSilent sends the safety acknowledgement when the ticket has just
// been opened or raised, was never acknowledged, or has waited unclaimed
// longer than the repeat interval since the last one; otherwise the
// message joins the conversation staff already have.
func (d *desk) safetyOrSilent(ctx context.Context, r chat.Replier, m *chat.Message, dec Decision, it Item, fresh bool) error {
	t := it.Ticket
	now := d.queue.now()
	send := fresh || t.AckedAt.IsZero() || t.State == storage.TicketOpen && now.Sub(t.AckedAt) >= d.repeat
	if !send {
		dec.Path = PathWithStaff
		d.finish(ctx, m, dec)
		return nil
	}
	if err := d.sendSafety(ctx, r, m, dec); err != nil {
		return err
	}
	if _, err := d.queue.markAcked(ctx, t); err != nil {
		d.logger.LogAttrs(ctx, slog.LevelError, "recording the acknowledgement failed", slog.String("ticket", t.ID), slog.Any("error", err))
	}
	dec.Path = PathSafety
	d.finish(ctx, m, dec)
	return nil
}

func (d *desk) sendSafety(ctx context.Context, r chat.Replier, m *chat.Message, dec Decision) error {
	text := d.replies.pick(d.replies.Safety, d.lang(ctx, m, dec))
	sctx := chat.WithIntent(ctx, chat.Intent{Exemption: chat.ExemptSafety})
	if _, err := r.Reply(sctx, chat.Text{Body: text}); err != nil {
		return fmt.Errorf("triage: safety acknowledgement for message %s: %w", redact.MessageID(m.ID), err)
	}
	return nil
}

// human queues the conversation for staff at dec.Priority (at least
// routine) and acknowledges it as Queue.Acknowledge decides; at Urgent or
// above it is an urgent case (see urgent).
func (d *desk) human(ctx context.Context, r chat.Replier, m *chat.Message, dec Decision, queue string) error {
	if dec.Priority >= Urgent {
		// A route that hands the person to staff as urgent is an urgent
		// case like one the screen finds: on-call is paged as for those.
		dec.Queue = queue
		return d.urgent(ctx, r, m, dec)
	}
	dec.HumanRequired = true
	it, _, err := d.queue.Enqueue(ctx, Request{Contact: refOf(m), Priority: dec.Priority, Category: dec.Category, Queue: queue})
	if err != nil {
		return fmt.Errorf("triage: queue message %s: %w", redact.MessageID(m.ID), err)
	}
	dec.Ticket = it.Ticket.ID
	if it.Priority >= Urgent {
		// The conversation is urgent already: only the safety message.
		dec.Priority, dec.SuspendBot = it.Priority, true
		return d.safetyOrSilent(ctx, r, m, dec, it, false)
	}
	kind, due, _, err := d.queue.Acknowledge(ctx, it)
	if err != nil {
		return fmt.Errorf("triage: queue message %s: %w", redact.MessageID(m.ID), err)
	}
	lang := d.lang(ctx, m, dec)
	var text string
	switch kind {
	case AckNone:
		dec.Path = PathWithStaff
		d.finish(ctx, m, dec)
		return nil
	case AckQueued:
		text, dec.Path = d.replies.pick(d.replies.Queued, lang), PathQueued
	case AckOutOfHours:
		text, dec.Path = d.replies.pick(d.replies.OutOfHours, lang), PathOutOfHours
		text = strings.ReplaceAll(text, "{due}", d.formatDue(due))
	}
	if _, err := r.Reply(ctx, chat.Text{Body: text}); err != nil {
		return fmt.Errorf("triage: acknowledge message %s: %w", redact.MessageID(m.ID), err)
	}
	d.finish(ctx, m, dec)
	return nil
}

// formatDue writes a due time in the line's time zone, in a form that
// reads the same in every language.
func (d *desk) formatDue(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if b, ok := d.queue.schedule.(*BusinessHours); ok {
		t = t.In(b.Location())
	}
	return t.Format("2006-01-02 15:04")
}

// markAcked records that the person was just acknowledged.
func (q *Queue) markAcked(ctx context.Context, t storage.Ticket) (storage.Ticket, error) {
	for range 8 {
		now := q.now()
		t.AckedAt = now
		ticketsChanging(ctx)
		u, err := q.tickets.Update(ctx, t, now)
		if err == nil {
			return u, nil
		}
		if !errors.Is(err, storage.ErrConflict) {
			return t, err
		}
		if t, err = q.tickets.Get(ctx, t.ID); err != nil {
			return t, err
		}
	}
	return t, storage.ErrConflict
}

// ContactLanguage returns a Language function for ScreenConfig and
// RouterConfig that reads the language the person chose
// (storage.Contact.Language).
func ContactLanguage(contacts storage.Contacts) func(ctx context.Context, m *chat.Message) string {
	return func(ctx context.Context, m *chat.Message) string {
		if contacts == nil {
			return ""
		}
		c, err := contacts.Get(ctx, refOf(m))
		if err != nil {
			return ""
		}
		return c.Language
	}
}
