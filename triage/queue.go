package triage

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/impactchat/impactchat/storage"
)

// SLA is the first-response commitment for one priority.
type SLA struct {
	// FirstResponse is how long until a person on staff must have the
	// conversation.
	FirstResponse time.Duration
	// BusinessClock measures FirstResponse and the escalation steps in
	// open hours of the queue's Schedule; false means around the clock.
	BusinessClock bool
	// Escalation lists who to notify while the ticket waits unclaimed,
	// in order of After.
	Escalation []Step
}

// Step is one escalation: After this long unclaimed, notify Notify (a
// target id the Notifier resolves: "supervisor", "oncall"...).
type Step struct {
	After  time.Duration
	Notify string
}

// DefaultSLA is a policy for a line that answers within one working day
// and has an on-call rota: critical within 15 minutes and urgent within an
// hour around the clock; elevated within 4 and routine within 8 open hours.
func DefaultSLA() map[Priority]SLA {
	return map[Priority]SLA{
		Critical: {FirstResponse: 15 * time.Minute, Escalation: []Step{{5 * time.Minute, "supervisor"}, {15 * time.Minute, "oncall"}}},
		Urgent:   {FirstResponse: time.Hour, Escalation: []Step{{15 * time.Minute, "supervisor"}, {time.Hour, "oncall"}}},
		Elevated: {FirstResponse: 4 * time.Hour, BusinessClock: true},
		Routine:  {FirstResponse: 8 * time.Hour, BusinessClock: true},
	}
}

// EventKind says what a queue event is.
type EventKind string

// The queue events.
const (
	EventPage       EventKind = "page"       // an urgent case needs on-call now
	EventEscalation EventKind = "escalation" // a step of the escalation chain fired
	EventBreach     EventKind = "sla_breach" // the first-response time passed unclaimed
)

// Event is what staff are told. It carries ids and the priority only,
// never message text, names or phone numbers, because notifications travel
// over email, SMS and pagers.
type Event struct {
	Kind     EventKind
	TicketID string
	Priority Priority
	Queue    string
	Category Category
	Target   string // who to tell: "oncall", "supervisor"...
	Step     int    // index of the escalation step, from 0
	At       time.Time
	Due      time.Time // the ticket's first-response due time
}

// LogValue implements slog.LogValuer.
func (e Event) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("kind", string(e.Kind)), slog.String("ticket", e.TicketID),
		slog.String("priority", e.Priority.String()), slog.String("queue", e.Queue),
		slog.String("target", e.Target), slog.Int("step", e.Step))
}

// Notifier tells staff about events (pages, escalations, breaches).
type Notifier interface {
	Notify(ctx context.Context, e Event) error
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, e Event) error

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, e Event) error { return f(ctx, e) }

// Errors of the queue.
var (
	// ErrEmpty: no ticket is waiting in the queues asked for.
	ErrEmpty = errors.New("triage: queue is empty")
	// ErrStaffRequired: the action needs a named staff member.
	ErrStaffRequired = errors.New("triage: a named staff member is required")
	// ErrNotClaimant: the ticket is claimed by someone else.
	ErrNotClaimant = errors.New("triage: ticket is claimed by another staff member")
	// ErrAuditRequired: lowering priority is audited, and no audit log was
	// configured.
	ErrAuditRequired = errors.New("triage: lowering priority needs an audit log")
)

// Queue is the human queue over storage.Tickets: one conversation per
// contact, served priority first (critical, urgent, elevated, routine),
// then by first-response due time, then by arrival. Staff pull Next rather
// than browse, so an urgent case can never sit behind routine ones.
//
// Priority is sticky: signals only raise it, and only a named staff member
// may lower it, which is audited.
type Queue struct {
	tickets  storage.Tickets
	audit    storage.Audit
	contacts storage.Contacts
	schedule Schedule
	sla      map[Priority]SLA
	notifier Notifier
	now      func() time.Time
	logger   *slog.Logger
	breachTo string
	aging    bool
}

// QueueOption configures a Queue.
type QueueOption func(*Queue) error

// WithAudit records claims, resolutions and priority changes. Without it,
// Lower refuses to work.
func WithAudit(a storage.Audit) QueueOption {
	return func(q *Queue) error {
		if a == nil {
			return errors.New("audit is nil")
		}
		q.audit = a
		return nil
	}
}

// WithContacts lets the queue show when each person's 24-hour window
// closes (from storage.Contact.LastInboundAt).
func WithContacts(c storage.Contacts) QueueOption {
	return func(q *Queue) error {
		if c == nil {
			return errors.New("contacts is nil")
		}
		q.contacts = c
		return nil
	}
}

// WithSchedule sets the business hours. The default is AlwaysOpen.
func WithSchedule(s Schedule) QueueOption {
	return func(q *Queue) error {
		if s == nil {
			return errors.New("schedule is nil")
		}
		q.schedule = s
		return nil
	}
}

// WithSLA replaces the SLA of one priority.
func WithSLA(p Priority, s SLA) QueueOption {
	return func(q *Queue) error {
		if !p.Valid() {
			return fmt.Errorf("sla priority %d is not a priority", p)
		}
		if s.FirstResponse <= 0 {
			return fmt.Errorf("sla %s first response %v must be positive", p, s.FirstResponse)
		}
		if p >= Urgent && s.BusinessClock {
			return fmt.Errorf("sla %s must run around the clock, not on business hours", p)
		}
		for i, st := range s.Escalation {
			if st.After < 0 || st.Notify == "" {
				return fmt.Errorf("sla %s escalation[%d] needs a non-negative after and a notify target", p, i)
			}
		}
		s.Escalation = slices.Clone(s.Escalation)
		slices.SortStableFunc(s.Escalation, func(a, b Step) int { return cmp.Compare(a.After, b.After) })
		q.sla[p] = s
		return nil
	}
}

// WithNotifier sets who hears pages, escalations and breaches.
func WithNotifier(n Notifier) QueueOption {
	return func(q *Queue) error {
		if n == nil {
			return errors.New("notifier is nil")
		}
		q.notifier = n
		return nil
	}
}

// WithClock sets the clock. The default is time.Now.
func WithClock(now func() time.Time) QueueOption {
	return func(q *Queue) error {
		if now == nil {
			return errors.New("clock is nil")
		}
		q.now = now
		return nil
	}
}

// WithLogger sets the logger; it hears ids and priorities only.
func WithLogger(l *slog.Logger) QueueOption {
	return func(q *Queue) error {
		if l == nil {
			return errors.New("logger is nil")
		}
		q.logger = l
		return nil
	}
}

// WithBreachTarget sets who hears SLA breaches. The default is
// "supervisor".
func WithBreachTarget(target string) QueueOption {
	return func(q *Queue) error {
		if target == "" {
			return errors.New("breach target is empty")
		}
		q.breachTo = target
		return nil
	}
}

// WithoutAging keeps routine tickets routine after their SLA passes. By
// default Tick ages them to Elevated, so that nothing starves.
func WithoutAging() QueueOption {
	return func(q *Queue) error {
		q.aging = false
		return nil
	}
}

// NewQueue returns a queue over tickets.
func NewQueue(tickets storage.Tickets, opts ...QueueOption) (*Queue, error) {
	if tickets == nil {
		return nil, errors.New("triage: new queue: tickets is nil")
	}
	q := &Queue{
		tickets:  tickets,
		schedule: AlwaysOpen{},
		sla:      DefaultSLA(),
		now:      time.Now,
		logger:   slog.New(slog.DiscardHandler),
		breachTo: "supervisor",
		aging:    true,
	}
	for _, o := range opts {
		if err := o(q); err != nil {
			return nil, fmt.Errorf("triage: new queue: %w", err)
		}
	}
	return q, nil
}

// Schedule returns the queue's business hours.
func (q *Queue) Schedule() Schedule { return q.schedule }

// Item is a ticket as staff see it.
type Item struct {
	Ticket   storage.Ticket
	Priority Priority
	// WindowClosesAt is when the person's 24-hour window closes: after it,
	// only an approved template can reach them. Zero when unknown.
	WindowClosesAt time.Time
	// Breached reports an open ticket past its first-response due time.
	Breached bool
}

// WindowOpen reports whether free-form replies can still reach the person
// at now.
func (it Item) WindowOpen(now time.Time) bool {
	return !it.WindowClosesAt.IsZero() && now.Before(it.WindowClosesAt)
}

// Window is how long free-form replies can still reach the person.
const Window = 24 * time.Hour

func (q *Queue) item(ctx context.Context, t storage.Ticket) Item {
	it := Item{Ticket: t, Priority: Priority(t.Priority)}
	it.Breached = t.State == storage.TicketOpen && !t.DueAt.IsZero() && q.now().After(t.DueAt)
	if q.contacts != nil && t.Contact.Identifier != "" {
		if c, err := q.contacts.Get(ctx, t.Contact); err == nil && !c.LastInboundAt.IsZero() {
			it.WindowClosesAt = c.LastInboundAt.Add(Window)
		}
	}
	return it
}

// due returns the first-response due time of a ticket of priority p that
// starts waiting at t.
func (q *Queue) due(p Priority, t time.Time) time.Time {
	s, ok := q.sla[p]
	if !ok {
		return time.Time{}
	}
	if s.BusinessClock {
		return q.schedule.Add(t, s.FirstResponse)
	}
	return t.Add(s.FirstResponse)
}

// Request asks for a person on staff to take a conversation.
type Request struct {
	Contact  storage.ContactRef
	Priority Priority
	Category Category
	Queue    string // empty: the category's default queue, else "general"
}

// Change says what Enqueue did.
type Change int

// The changes.
const (
	Unchanged Change = iota // the conversation was already queued at this priority or higher
	Opened                  // a new ticket
	Raised                  // the conversation's priority went up
)

// Enqueue puts the contact's conversation in the queue, or raises its
// priority when it is already there. It never lowers a priority.
func (q *Queue) Enqueue(ctx context.Context, r Request) (Item, Change, error) {
	if err := r.Contact.Validate(); err != nil {
		return Item{}, Unchanged, fmt.Errorf("triage: enqueue: %w", err)
	}
	if !r.Priority.Valid() {
		return Item{}, Unchanged, fmt.Errorf("triage: enqueue: priority %d is not a priority", r.Priority)
	}
	if r.Queue == "" {
		r.Queue = categories[r.Category].queue
	}
	if r.Queue == "" {
		r.Queue = QueueGeneral
	}
	now := q.now()
	ticketsChanging(ctx)
	t, created, err := q.tickets.Open(ctx, storage.Ticket{
		Contact:  r.Contact,
		Queue:    r.Queue,
		Priority: int(r.Priority),
		Category: string(r.Category),
		State:    storage.TicketOpen,
		DueAt:    q.due(r.Priority, now),
	}, now)
	if err != nil {
		return Item{}, Unchanged, fmt.Errorf("triage: enqueue: %w", err)
	}
	if created {
		q.logger.LogAttrs(ctx, slog.LevelInfo, "ticket opened", slog.String("ticket", t.ID), slog.String("priority", r.Priority.String()), slog.String("category", string(r.Category)))
		return q.item(ctx, t), Opened, nil
	}
	t, raised, err := q.raise(ctx, t, r.Priority, r.Category, r.Queue, "system", "")
	if err != nil {
		return Item{}, Unchanged, fmt.Errorf("triage: enqueue: %w", err)
	}
	if raised {
		return q.item(ctx, t), Raised, nil
	}
	return q.item(ctx, t), Unchanged, nil
}

// raise lifts t to p (with category and queue) if p is higher, retrying on
// concurrent updates.
func (q *Queue) raise(ctx context.Context, t storage.Ticket, p Priority, c Category, queue, actor, reason string) (storage.Ticket, bool, error) {
	for range 8 {
		if Priority(t.Priority) >= p {
			return t, false, nil
		}
		now := q.now()
		from := t.Priority
		t.Priority = int(p)
		if c != "" {
			t.Category = string(c)
		}
		if queue != "" {
			t.Queue = queue
		}
		if d := q.due(p, now); t.DueAt.IsZero() || d.Before(t.DueAt) {
			t.DueAt = d
		}
		t.Escalated = 0
		ticketsChanging(ctx)
		u, err := q.tickets.Update(ctx, t, now)
		if err == nil {
			q.logger.LogAttrs(ctx, slog.LevelInfo, "ticket raised", slog.String("ticket", t.ID), slog.String("from", Priority(from).String()), slog.String("to", p.String()))
			detail := map[string]string{"from": Priority(from).String(), "to": p.String(), "category": string(c)}
			if reason != "" {
				detail["reason"] = reason
			}
			q.auditf(ctx, actor, "ticket.priority_raised", t.ID, detail)
			return u, true, nil
		}
		if !errors.Is(err, storage.ErrConflict) {
			return t, false, err
		}
		if t, err = q.tickets.Get(ctx, t.ID); err != nil {
			return t, false, err
		}
	}
	return t, false, fmt.Errorf("ticket %s: %w", t.ID, storage.ErrConflict)
}

// Raise lifts the ticket's priority to p; a lower or equal p changes
// nothing. Classifiers, later messages and staff may all raise; the audit
// log names the system (see RaiseBy for a staff member).
func (q *Queue) Raise(ctx context.Context, id string, p Priority, c Category) (Item, error) {
	return q.RaiseBy(ctx, id, p, c, "system", "")
}

// MaxReason bounds, in bytes, the reason staff give for changing a
// priority, which the append-only audit log keeps.
const MaxReason = 200

// RaiseBy is Raise done by actor (a staff member's id) for reason, which the
// audit log records (at most MaxReason bytes).
func (q *Queue) RaiseBy(ctx context.Context, id string, p Priority, c Category, actor, reason string) (Item, error) {
	if actor == "" {
		return Item{}, errors.New("triage: raise: the actor is empty")
	}
	if !p.Valid() {
		return Item{}, fmt.Errorf("triage: raise: priority %d is not a priority", p)
	}
	if len(reason) > MaxReason {
		return Item{}, fmt.Errorf("triage: raise: reason is %d bytes; at most %d are allowed", len(reason), MaxReason)
	}
	t, err := q.tickets.Get(ctx, id)
	if err != nil {
		return Item{}, fmt.Errorf("triage: raise: %w", err)
	}
	queue := ""
	if info, ok := categories[c]; ok && p >= Urgent {
		queue = info.queue
	}
	t, _, err = q.raise(ctx, t, p, c, queue, actor, reason)
	if err != nil {
		return Item{}, fmt.Errorf("triage: raise: %w", err)
	}
	return q.item(ctx, t), nil
}

// Lower sets a lower priority. Only a named staff member may, with a
// reason, and the change is written to the audit log before it takes
// effect: without an audit log Lower fails. The ticket's due time follows
// the new priority; when its chain had begun, the new chain's steps whose
// time has come count as taken.
func (q *Queue) Lower(ctx context.Context, id string, p Priority, staff, reason string) (Item, error) {
	switch {
	case staff == "":
		return Item{}, fmt.Errorf("triage: lower: %w", ErrStaffRequired)
	case reason == "":
		return Item{}, errors.New("triage: lower: reason is empty; say why the priority goes down")
	case len(reason) > MaxReason:
		return Item{}, fmt.Errorf("triage: lower: reason is %d bytes; at most %d are allowed", len(reason), MaxReason)
	case !p.Valid():
		return Item{}, fmt.Errorf("triage: lower: priority %d is not a priority", p)
	case q.audit == nil:
		return Item{}, fmt.Errorf("triage: lower: %w", ErrAuditRequired)
	}
	for range 8 {
		t, err := q.tickets.Get(ctx, id)
		if err != nil {
			return Item{}, fmt.Errorf("triage: lower: %w", err)
		}
		if Priority(t.Priority) <= p {
			return q.item(ctx, t), nil
		}
		now := q.now()
		from := Priority(t.Priority)
		if err := q.audit.Append(ctx, storage.AuditEntry{
			At: now, Actor: staff, Action: "ticket.priority_lowered", Target: id,
			Detail: map[string]string{"from": from.String(), "to": p.String(), "reason": reason},
		}); err != nil {
			return Item{}, fmt.Errorf("triage: lower: audit: %w", err)
		}
		t.Priority = int(p)
		t.DueAt = q.due(p, t.OpenedAt)
		if t.Escalated > 0 {
			// Staff were told of this ticket already: the steps of the
			// lower priority whose time has come count as taken, as when a
			// ticket ages, instead of telling them again at once.
			t.Escalated = q.stepsDue(t, now)
		}
		ticketsChanging(ctx)
		u, err := q.tickets.Update(ctx, t, now)
		if err == nil {
			return q.item(ctx, u), nil
		}
		if !errors.Is(err, storage.ErrConflict) {
			return Item{}, fmt.Errorf("triage: lower: %w", err)
		}
	}
	return Item{}, fmt.Errorf("triage: lower: %w", storage.ErrConflict)
}

// Next gives staff the most urgent ticket waiting in queues (all when
// none are named) and claims it for them: highest priority, then earliest
// due, then earliest arrival. ErrEmpty when nothing waits.
func (q *Queue) Next(ctx context.Context, staff string, queues ...string) (Item, error) {
	if staff == "" {
		return Item{}, fmt.Errorf("triage: next: %w", ErrStaffRequired)
	}
	t, err := q.tickets.ClaimNext(ctx, staff, queues, q.now())
	if errors.Is(err, storage.ErrNotFound) {
		return Item{}, fmt.Errorf("triage: next: %w", ErrEmpty)
	}
	if err != nil {
		return Item{}, fmt.Errorf("triage: next: %w", err)
	}
	q.auditf(ctx, staff, "ticket.claimed", t.ID, map[string]string{"priority": Priority(t.Priority).String()})
	return q.item(ctx, t), nil
}

// Release puts a claimed ticket back in the queue.
func (q *Queue) Release(ctx context.Context, id, staff string) (Item, error) {
	return q.transition(ctx, "release", id, staff, "ticket.released", func(t *storage.Ticket) error {
		if t.State != storage.TicketClaimed {
			return fmt.Errorf("ticket %s is %s, not claimed", id, t.State)
		}
		if t.Assignee != staff {
			return ErrNotClaimant
		}
		t.State = storage.TicketOpen
		t.Assignee = ""
		return nil
	}, nil)
}

// Resolve closes a ticket. Only a named staff member may: urgent cases are
// never closed, archived or timed out by the bot. outcome is a short code
// ("referred", "answered"), not free text about the person.
func (q *Queue) Resolve(ctx context.Context, id, staff, outcome string) (Item, error) {
	if len(outcome) > 80 {
		return Item{}, fmt.Errorf("triage: resolve: outcome is %d bytes; at most 80 are allowed", len(outcome))
	}
	return q.transition(ctx, "resolve", id, staff, "ticket.resolved", func(t *storage.Ticket) error {
		if t.State == storage.TicketClosed {
			return fmt.Errorf("ticket %s is already closed", id)
		}
		t.State = storage.TicketClosed
		return nil
	}, map[string]string{"outcome": outcome})
}

func (q *Queue) transition(ctx context.Context, op, id, staff, action string, change func(*storage.Ticket) error, detail map[string]string) (Item, error) {
	if staff == "" {
		return Item{}, fmt.Errorf("triage: %s: %w", op, ErrStaffRequired)
	}
	for range 8 {
		t, err := q.tickets.Get(ctx, id)
		if err != nil {
			return Item{}, fmt.Errorf("triage: %s: %w", op, err)
		}
		if err := change(&t); err != nil {
			return Item{}, fmt.Errorf("triage: %s: %w", op, err)
		}
		ticketsChanging(ctx)
		u, err := q.tickets.Update(ctx, t, q.now())
		if err == nil {
			q.auditf(ctx, staff, action, id, detail)
			return q.item(ctx, u), nil
		}
		if !errors.Is(err, storage.ErrConflict) {
			return Item{}, fmt.Errorf("triage: %s: %w", op, err)
		}
	}
	return Item{}, fmt.Errorf("triage: %s: %w", op, storage.ErrConflict)
}

// auditf appends to the audit log when there is one; a failure is logged,
// because the action it records has already happened.
func (q *Queue) auditf(ctx context.Context, actor, action, target string, detail map[string]string) {
	if q.audit == nil {
		return
	}
	if err := q.audit.Append(ctx, storage.AuditEntry{At: q.now(), Actor: actor, Action: action, Target: target, Detail: detail}); err != nil {
		q.logger.LogAttrs(ctx, slog.LevelError, "audit append failed", slog.String("action", action), slog.String("ticket", target), slog.Any("error", err))
	}
}

// Get returns one ticket.
func (q *Queue) Get(ctx context.Context, id string) (Item, error) {
	t, err := q.tickets.Get(ctx, id)
	if err != nil {
		return Item{}, fmt.Errorf("triage: get: %w", err)
	}
	return q.item(ctx, t), nil
}

// Active returns the contact's ticket that is not closed; ErrNotFound from
// storage when there is none.
func (q *Queue) Active(ctx context.Context, ref storage.ContactRef) (Item, error) {
	t, err := q.activeTicket(ctx, ref)
	if err != nil {
		return Item{}, fmt.Errorf("triage: active: %w", err)
	}
	return q.item(ctx, t), nil
}

// List returns the tickets matching f, most urgent first, for supervisors'
// views (breached tickets and closing windows show in each Item).
func (q *Queue) List(ctx context.Context, f storage.TicketFilter) ([]Item, error) {
	ts, err := q.tickets.List(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("triage: list: %w", err)
	}
	out := make([]Item, len(ts))
	for i, t := range ts {
		out[i] = q.item(ctx, t)
	}
	return out, nil
}

// Closing returns the tickets not closed whose person's 24-hour window
// closes within the next d (or has closed), soonest first, so staff answer
// them while a free-form reply can still reach the person; after that a
// template must re-open the conversation. It needs WithContacts.
func (q *Queue) Closing(ctx context.Context, d time.Duration) ([]Item, error) {
	if q.contacts == nil {
		return nil, errors.New("triage: closing: the queue has no contacts; use WithContacts")
	}
	all, err := q.List(ctx, storage.TicketFilter{States: []storage.TicketState{storage.TicketOpen, storage.TicketClaimed}})
	if err != nil {
		return nil, err
	}
	limit := q.now().Add(d)
	var out []Item
	for _, it := range all {
		if !it.WindowClosesAt.IsZero() && !it.WindowClosesAt.After(limit) {
			out = append(out, it)
		}
	}
	slices.SortStableFunc(out, func(a, b Item) int { return a.WindowClosesAt.Compare(b.WindowClosesAt) })
	return out, nil
}

// AckKind is the acknowledgement a conversation queued for staff gets.
type AckKind int

// The acknowledgements.
const (
	AckNone       AckKind = iota // already acknowledged in this period
	AckQueued                    // "a person will read your message", in hours
	AckOutOfHours                // "we are closed; expect an answer by …", once per closed period
)

// Acknowledge decides whether the person should now be told their
// conversation is with staff, and records that they were. In hours the
// acknowledgement is sent once per ticket; out of hours once per closed
// period, saying when to expect an answer (the returned due time).
// Urgent and critical tickets get the safety message instead, sent by the
// screen.
func (q *Queue) Acknowledge(ctx context.Context, it Item) (AckKind, time.Time, storage.Ticket, error) {
	t := it.Ticket
	for range 8 {
		now := q.now()
		open := q.schedule.Open(now)
		kind := AckNone
		switch {
		case t.AckedAt.IsZero():
			kind = AckQueued
			if !open {
				kind = AckOutOfHours
			}
		case !open && !q.schedule.NextOpen(t.AckedAt).After(now):
			// The schedule was open between the last acknowledgement and
			// now: this is a new closed period.
			kind = AckOutOfHours
		}
		if kind == AckNone {
			return AckNone, t.DueAt, t, nil
		}
		t.AckedAt = now
		ticketsChanging(ctx)
		u, err := q.tickets.Update(ctx, t, now)
		if err == nil {
			return kind, u.DueAt, u, nil
		}
		if !errors.Is(err, storage.ErrConflict) {
			return AckNone, time.Time{}, t, fmt.Errorf("triage: acknowledge: %w", err)
		}
		if t, err = q.tickets.Get(ctx, t.ID); err != nil {
			return AckNone, time.Time{}, t, fmt.Errorf("triage: acknowledge: %w", err)
		}
	}
	return AckNone, time.Time{}, t, fmt.Errorf("triage: acknowledge: %w", storage.ErrConflict)
}

// notify sends e to the notifier, if any, and logs the outcome by id.
func (q *Queue) notify(ctx context.Context, e Event) error {
	q.logger.LogAttrs(ctx, slog.LevelWarn, "triage event", slog.Any("event", e))
	if q.notifier == nil {
		return nil
	}
	if err := q.notifier.Notify(ctx, e); err != nil {
		return fmt.Errorf("triage: notify %s for ticket %s: %w", e.Kind, e.TicketID, err)
	}
	return nil
}

// Page tells on-call target about an urgent ticket now.
func (q *Queue) Page(ctx context.Context, it Item, target string) error {
	return q.notify(ctx, Event{Kind: EventPage, TicketID: it.Ticket.ID, Priority: it.Priority, Queue: it.Ticket.Queue,
		Category: Category(it.Ticket.Category), Target: target, At: q.now(), Due: it.Ticket.DueAt})
}

// Tick runs the escalation chains: for every ticket waiting unclaimed, it
// fires the steps whose time has come and the SLA breach when the due time
// has passed, each once, and returns the events. A routine ticket past its
// due time ages to Elevated (see WithoutAging). Call it every minute or so
// (several replicas may; a step is recorded before it is reported, so it
// fires once, and taken back when its notification fails, so that the
// next tick sends it again). A claimed ticket does not escalate.
func (q *Queue) Tick(ctx context.Context) ([]Event, error) {
	ts, err := q.tickets.List(ctx, storage.TicketFilter{States: []storage.TicketState{storage.TicketOpen}})
	if err != nil {
		return nil, fmt.Errorf("triage: tick: %w", err)
	}
	now := q.now()
	var events []Event
	var errs []error
	for _, t := range ts {
		steps := q.steps(t)
		i := t.Escalated
		var fired []Event
		for ; i < len(steps) && !now.Before(steps[i].at); i++ {
			fired = append(fired, Event{Kind: steps[i].kind, TicketID: t.ID, Priority: Priority(t.Priority), Queue: t.Queue,
				Category: Category(t.Category), Target: steps[i].target, Step: i, At: now, Due: t.DueAt})
		}
		if len(fired) == 0 {
			continue
		}
		t.Escalated = i
		aged := false
		if q.aging && Priority(t.Priority) == Routine && !t.DueAt.IsZero() && !now.Before(t.DueAt) {
			// Anti-starvation: a routine conversation past its SLA ages to
			// Elevated, never higher, so it is not left behind newer routine
			// ones. Steps of the new priority already due count as taken.
			t.Priority, aged = int(Elevated), true
			t.Escalated = q.stepsDue(t, now)
		}
		ticketsChanging(ctx)
		saved, err := q.tickets.Update(ctx, t, now)
		if err != nil {
			if !errors.Is(err, storage.ErrConflict) {
				errs = append(errs, err)
			}
			continue // someone else moved it; the next tick sees the new state
		}
		if aged {
			q.auditf(ctx, "system", "ticket.aged", t.ID, map[string]string{"from": Routine.String(), "to": Elevated.String()})
		}
		failed := -1
		for _, e := range fired {
			if e.Kind == EventBreach {
				q.auditf(ctx, "system", "ticket.sla_breached", t.ID, map[string]string{"priority": e.Priority.String()})
			}
			if err := q.notify(ctx, e); err != nil {
				errs = append(errs, err)
				if failed < 0 {
					failed = e.Step
					if aged {
						// The steps fired were the routine chain's; the
						// ticket now follows the elevated one, whose
						// steps already due were counted as taken. Take
						// back its step like the one that failed (the
						// breach, at the same due time), or all of them.
						failed = 0
						for j, st := range q.steps(saved) {
							if st.kind == e.Kind && st.target == e.Target && !now.Before(st.at) {
								failed = j
								break
							}
						}
					}
				}
			}
			events = append(events, e)
		}
		if failed >= 0 && failed < saved.Escalated {
			// A step nobody heard of is taken back, so that the next tick
			// notifies again: a duplicate beats a case nobody knows of.
			saved.Escalated = failed
			ticketsChanging(ctx)
			if _, err := q.tickets.Update(ctx, saved, now); err != nil && !errors.Is(err, storage.ErrConflict) {
				errs = append(errs, err)
			}
		}
	}
	return events, errors.Join(errs...)
}

type step struct {
	at     time.Time
	kind   EventKind
	target string
}

// stepsDue counts the steps of t's priority whose time has come by now.
func (q *Queue) stepsDue(t storage.Ticket, now time.Time) int {
	n := 0
	for _, st := range q.steps(t) {
		if !now.Before(st.at) {
			n++
		}
	}
	return n
}

// steps lists the timed steps of t's priority, the breach among them.
func (q *Queue) steps(t storage.Ticket) []step {
	p := Priority(t.Priority)
	s, ok := q.sla[p]
	if !ok {
		return nil
	}
	var start time.Time
	if s.BusinessClock {
		start = t.OpenedAt
	} else {
		start = t.DueAt.Add(-s.FirstResponse)
	}
	at := func(d time.Duration) time.Time {
		if s.BusinessClock {
			return q.schedule.Add(start, d)
		}
		return start.Add(d)
	}
	out := make([]step, 0, len(s.Escalation)+1)
	for _, e := range s.Escalation {
		out = append(out, step{at: at(e.After), kind: EventEscalation, target: e.Notify})
	}
	if !t.DueAt.IsZero() {
		out = append(out, step{at: t.DueAt, kind: EventBreach, target: q.breachTo})
	}
	slices.SortStableFunc(out, func(a, b step) int { return a.at.Compare(b.at) })
	return out
}

// String helps tests and logs.
func (c Change) String() string {
	switch c {
	case Opened:
		return "opened"
	case Raised:
		return "raised"
	case Unchanged:
		return "unchanged"
	}
	return "change(" + strconv.Itoa(int(c)) + ")"
}
