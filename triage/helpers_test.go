package triage_test

import (
	"context"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // the tests use Quito and Athens wherever they run

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/memory"
	"github.com/impactchat/impactchat/triage"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// sent is one reply the line sent, with the intent it carried.
type sent struct {
	To     chat.Address
	Body   string
	Intent chat.Intent
}

// phone records replies.
type phone struct {
	mu   sync.Mutex
	sent []sent
}

func (p *phone) replier(to chat.Address) chat.Replier {
	return chat.ReplierFunc(to, func(ctx context.Context, m chat.Outgoing) (chat.SendResult, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		body := ""
		if t, ok := m.(chat.Text); ok {
			body = t.Body
		}
		p.sent = append(p.sent, sent{To: to, Body: body, Intent: chat.IntentFrom(ctx)})
		return chat.SendResult{MessageID: "out"}, nil
	})
}

func (p *phone) take() []sent {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.sent
	p.sent = nil
	return out
}

// notes records notifications.
type notes struct {
	mu     sync.Mutex
	events []triage.Event
}

func (n *notes) Notify(_ context.Context, e triage.Event) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.events = append(n.events, e)
	return nil
}

func (n *notes) take() []triage.Event {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := n.events
	n.events = nil
	return out
}

var testReplies = triage.Replies{
	Default: "en",
	Safety: map[string]string{
		"en": "A staff member has been alerted. If you are in immediate danger call 911 or the protection hotline 1800-000.",
		"ar": "تم تنبيه أحد الموظفين. إذا كنت في خطر فوري اتصل بالرقم 911.",
	},
	Queued:     map[string]string{"en": "A staff member will read your message; this can take up to 1 working day."},
	OutOfHours: map[string]string{"en": "We are closed. A staff member will answer by {due}. In an emergency call 911."},
}

// Quito: Monday to Friday, 9 to 5, closed on 25 December.
func quitoHours(t testing.TB) *triage.BusinessHours {
	t.Helper()
	loc, err := time.LoadLocation("America/Guayaquil")
	if err != nil {
		t.Skipf("time zone data unavailable: %v", err)
	}
	b, err := triage.NewBusinessHours(loc, triage.Weekdays, "09:00", "17:00", "2026-12-25")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type fixture struct {
	store *memory.Store
	clock *clock
	notes *notes
	phone *phone
	queue *triage.Queue
}

func newFixture(t testing.TB, start time.Time, opts ...triage.QueueOption) *fixture {
	t.Helper()
	f := &fixture{store: memory.New(), clock: newClock(start), notes: &notes{}, phone: &phone{}}
	all := append([]triage.QueueOption{
		triage.WithClock(f.clock.Now), triage.WithAudit(f.store.Audit()), triage.WithContacts(f.store.Contacts()),
		triage.WithNotifier(f.notes), triage.WithSchedule(quitoHours(t)),
	}, opts...)
	q, err := triage.NewQueue(f.store.Tickets(), all...)
	if err != nil {
		t.Fatal(err)
	}
	f.queue = q
	return f
}

func person(n string) chat.Address {
	return chat.Address{Channel: chat.ChannelWhatsApp, Line: "106540352242922", Contact: "5939" + n}
}

func ref(a chat.Address) storage.ContactRef {
	return storage.ContactRef{Channel: a.Channel, Identifier: a.Contact}
}
