package flow_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/flow"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/memory"
)

var person = chat.Address{Channel: chat.ChannelWhatsApp, Line: "106540352242922", Contact: "16505551234"}

var ref = storage.ContactRef{Channel: person.Channel, Identifier: person.Contact}

// phone records what the line sends to the person.
type phone struct {
	mu      sync.Mutex
	sent    []chat.Outgoing
	intents []chat.Intent
	fail    error
}

func (p *phone) replier() chat.Replier {
	return chat.ReplierFunc(person, func(ctx context.Context, m chat.Outgoing) (chat.SendResult, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.fail != nil {
			return chat.SendResult{}, p.fail
		}
		if err := m.Validate(); err != nil {
			return chat.SendResult{}, err
		}
		p.sent = append(p.sent, m)
		p.intents = append(p.intents, chat.IntentFrom(ctx))
		return chat.SendResult{MessageID: fmt.Sprintf("wamid.out%d", len(p.sent))}, nil
	})
}

// bodies returns the text of what was sent since the last call.
func (p *phone) bodies() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, m := range p.sent {
		switch m := m.(type) {
		case chat.Text:
			out = append(out, m.Body)
		case chat.Choices:
			out = append(out, m.Body)
		case chat.Media:
			out = append(out, string(m.Kind)+" "+m.URL)
		}
	}
	p.sent = nil
	return out
}

type handoffCall struct {
	to       chat.Address
	priority int
	reason   string
}

type queue struct {
	mu    sync.Mutex
	calls []handoffCall
	fail  error
}

func (q *queue) Handoff(_ context.Context, to chat.Address, priority int, reason string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fail != nil {
		return q.fail
	}
	q.calls = append(q.calls, handoffCall{to, priority, reason})
	return nil
}

type fixture struct {
	store  *memory.Store
	runner *flow.Runner
	phone  *phone
	queue  *queue
	now    time.Time
	seq    int
}

func newFixture(t *testing.T, sessions storage.Sessions, opts ...flow.Option) *fixture {
	t.Helper()
	f := &fixture{store: memory.New(), phone: &phone{}, queue: &queue{}, now: time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)} // Monday 10:00 in Guayaquil
	if sessions == nil {
		sessions = f.store.Sessions()
	}
	opts = append([]flow.Option{flow.WithClock(func() time.Time { return f.now }), flow.WithHandoff(f.queue)}, opts...)
	r, err := flow.NewRunner(kindsLibrary(t), sessions, f.store.Contacts(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	f.runner = r
	return f
}

func (f *fixture) send(t *testing.T, m chat.Message) error {
	t.Helper()
	f.seq++
	if m.ID == "" {
		m.ID = fmt.Sprintf("wamid.in%d", f.seq)
	}
	m.From, m.Time = person, f.now
	return f.runner.Handle(t.Context(), f.phone.replier(), &m)
}

func (f *fixture) say(t *testing.T, s string) []string {
	t.Helper()
	if err := f.send(t, chat.Message{Kind: chat.KindText, Text: s}); err != nil {
		t.Fatal(err)
	}
	return f.phone.bodies()
}

func (f *fixture) tap(t *testing.T, id, title string) []string {
	t.Helper()
	if err := f.send(t, chat.Message{Kind: chat.KindChoice, Choice: id, Text: title}); err != nil {
		t.Fatal(err)
	}
	return f.phone.bodies()
}

func equal(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("sent %q\nwant %q", got, want)
	}
}

func TestRunnerConversation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ctx := t.Context()
	c, err := f.store.Contacts().Touch(ctx, ref, f.now)
	if err != nil {
		t.Fatal(err)
	}
	c.Name, c.Fields = "Amal", map[string]string{"city": "Quito"}
	if _, err := f.store.Contacts().Update(ctx, c, f.now); err != nil {
		t.Fatal(err)
	}

	equal(t, f.say(t, "hello"), "Hello Amal!", "What would you like?")
	equal(t, f.say(t, "no idea"), "Sorry, I did not understand. Please tap one of the options, or type its number.\n\nWhat would you like?")
	equal(t, f.tap(t, "menu:name", "Tell my name"), "What should we call you?")
	equal(t, f.say(t, "Ami"), "Thanks Ami, see you in Quito.", "Thank you, Ami.")

	got, err := f.store.Contacts().Get(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if got.Fields["nickname"] != "Ami" || got.Fields["greeted"] != "yes" || got.Fields["city"] != "Quito" {
		t.Fatalf("fields = %v", got.Fields)
	}
	s, err := f.store.Sessions().Get(ctx, ref, f.now)
	if err != nil {
		t.Fatal(err)
	}
	var sess flow.Session
	if err := sess.UnmarshalBinary(s.Data); err != nil || !sess.Ended {
		t.Fatalf("session = %+v, %v", sess, err)
	}
	if !s.ExpiresAt.Equal(f.now.Add(7 * 24 * time.Hour)) {
		t.Errorf("expires at %v", s.ExpiresAt)
	}
	// The next message starts again.
	equal(t, f.say(t, "hi again"), "Hello Amal!", "What would you like?")
}

func TestRunnerHandoffAndPurpose(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.say(t, "hello")
	f.tap(t, "menu:staff", "Talk to staff")
	if len(f.queue.calls) != 1 || f.queue.calls[0] != (handoffCall{person, 1, "asked-for-staff"}) {
		t.Fatalf("handoffs = %+v", f.queue.calls)
	}
	// The survey's messages carry the feedback purpose, for the consent guard.
	f.say(t, "hello")
	equal(t, f.say(t, "3"), "How was it?")
	if in := f.phone.intents[len(f.phone.intents)-1]; in.Purpose != chat.PurposeFeedback {
		t.Fatalf("purpose = %q", in.Purpose)
	}
	if in := f.phone.intents[0]; in.Purpose != chat.PurposeCore {
		t.Fatalf("purpose = %q", in.Purpose)
	}
}

func TestRunnerLanguageFromContactAndSavedLanguage(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	c, _ := f.store.Contacts().Touch(t.Context(), ref, f.now)
	c.Language = "es"
	if _, err := f.store.Contacts().Update(t.Context(), c, f.now); err != nil {
		t.Fatal(err)
	}
	equal(t, f.say(t, "hola"), "¡Hola amigo!", "¿Qué desea?")
	equal(t, f.say(t, "atrás"), "¿Qué desea?")
}

// conflicting loses the first n Puts, as if another replica wrote first.
type conflicting struct {
	storage.Sessions
	mu   sync.Mutex
	left int
	puts int
}

func (c *conflicting) Put(ctx context.Context, s storage.Session, now time.Time) (storage.Session, error) {
	c.mu.Lock()
	c.puts++
	lose := c.left > 0
	c.left--
	c.mu.Unlock()
	if lose {
		return storage.Session{}, fmt.Errorf("test: %w", storage.ErrConflict)
	}
	return c.Sessions.Put(ctx, s, now)
}

func TestRunnerRetriesOnConflict(t *testing.T) {
	t.Parallel()
	store := memory.New()
	sessions := &conflicting{Sessions: store.Sessions(), left: 2}
	f := newFixture(t, sessions)
	equal(t, f.say(t, "hello"), "Hello friend!", "What would you like?")
	if sessions.puts != 3 {
		t.Fatalf("puts = %d, want 3 (two conflicts, then success)", sessions.puts)
	}

	sessions.left = 100
	err := f.send(t, chat.Message{Kind: chat.KindText, Text: "1"})
	if !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("got %v, want ErrConflict after the attempts run out", err)
	}
	if got := f.phone.bodies(); len(got) != 0 {
		t.Fatalf("sent %q although the session was never saved", got)
	}
}

func TestRunnerPutsSessionBackWhenSendingFails(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.say(t, "hello")
	f.phone.fail = errors.New("channel down")
	msg := chat.Message{ID: "wamid.retry", Kind: chat.KindText, Text: "1"}
	if err := f.send(t, msg); err == nil {
		t.Fatal("Handle returned nil although the reply failed")
	}
	// The runtime delivers the message again: it is stepped again, as new.
	f.phone.fail = nil
	if err := f.send(t, msg); err != nil {
		t.Fatal(err)
	}
	equal(t, f.phone.bodies(), "What should we call you?")
}

func TestRunnerHandoffFailureIsNotLost(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.say(t, "hello")
	f.queue.fail = errors.New("queue down")
	msg := chat.Message{ID: "wamid.staff", Kind: chat.KindChoice, Choice: "menu:staff"}
	if err := f.send(t, msg); err == nil {
		t.Fatal("Handle returned nil although the handoff failed")
	}
	f.queue.fail = nil
	if err := f.send(t, msg); err != nil {
		t.Fatal(err)
	}
	if len(f.queue.calls) != 1 {
		t.Fatalf("handoffs = %d, want 1 after the retry", len(f.queue.calls))
	}
}

func TestRunnerWithoutHandoffFailsClosed(t *testing.T) {
	t.Parallel()
	store := memory.New()
	r, err := flow.NewRunner(kindsLibrary(t), store.Sessions(), store.Contacts(), flow.WithClock(func() time.Time { return start }))
	if err != nil {
		t.Fatal(err)
	}
	p := &phone{}
	_ = r.Handle(t.Context(), p.replier(), &chat.Message{ID: "a", From: person, Kind: chat.KindText, Text: "hi"})
	err = r.Handle(t.Context(), p.replier(), &chat.Message{ID: "b", From: person, Kind: chat.KindChoice, Choice: "menu:staff"})
	if err == nil || !strings.Contains(err.Error(), "WithHandoff") {
		t.Fatalf("got %v", err)
	}
}

func TestRunnerPlaybookAndStart(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	survey := f.runner.Playbook("other")
	p := f.phone
	if err := survey.Handle(t.Context(), p.replier(), &chat.Message{ID: "x1", From: person, Kind: chat.KindText, Text: "feedback"}); err != nil {
		t.Fatal(err)
	}
	equal(t, p.bodies(), "How was it?")
	// Already in it: the message is an answer.
	if err := survey.Handle(t.Context(), p.replier(), &chat.Message{ID: "x2", From: person, Kind: chat.KindText, Text: "good"}); err != nil {
		t.Fatal(err)
	}
	equal(t, p.bodies(), "Thanks for your feedback.")

	// Started again: the rating is saved on the contact, so the survey
	// branches on it.
	if err := f.runner.Start(t.Context(), p.replier(), "other"); err != nil {
		t.Fatal(err)
	}
	equal(t, p.bodies(), "You have already rated us. Thank you!")
	if err := f.runner.Start(t.Context(), p.replier(), "nope"); !errors.Is(err, flow.ErrUnknownPlaybook) {
		t.Fatalf("got %v", err)
	}
}

func TestRunnerCorruptSessionStartsOver(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	if _, err := f.store.Sessions().Put(t.Context(), storage.Session{Contact: ref, Data: []byte("garbage")}, f.now); err != nil {
		t.Fatal(err)
	}
	equal(t, f.say(t, "hello"), "Hello friend!", "What would you like?")
}

func TestNewRunnerOptions(t *testing.T) {
	t.Parallel()
	store := memory.New()
	lib := kindsLibrary(t)
	bad := []struct {
		name string
		call func() (*flow.Runner, error)
	}{
		{"nil library", func() (*flow.Runner, error) { return flow.NewRunner(nil, store.Sessions(), nil) }},
		{"nil sessions", func() (*flow.Runner, error) { return flow.NewRunner(lib, nil, nil) }},
		{"nil clock", func() (*flow.Runner, error) { return flow.NewRunner(lib, store.Sessions(), nil, flow.WithClock(nil)) }},
		{"zero ttl", func() (*flow.Runner, error) {
			return flow.NewRunner(lib, store.Sessions(), nil, flow.WithSessionTTL(0))
		}},
		{"unknown entry", func() (*flow.Runner, error) {
			return flow.NewRunner(lib, store.Sessions(), nil, flow.WithEntry("nope"))
		}},
	}
	for _, tt := range bad {
		if _, err := tt.call(); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	if _, err := flow.NewRunner(lib, store.Sessions(), nil); err != nil {
		t.Fatalf("defaults: %v", err)
	}
}

// staffed is a queue that knows whether staff own the conversation.
type staffed struct {
	queue
	active bool
}

func (s *staffed) Active(context.Context, chat.Address) (bool, error) { return s.active, nil }

func TestRunnerStaysSilentWhileStaffOwnTheConversation(t *testing.T) {
	t.Parallel()
	q := &staffed{}
	f := newFixture(t, nil, flow.WithHandoff(q))
	f.say(t, "hello")
	f.tap(t, "menu:staff", "Talk to staff")
	if len(q.calls) != 1 {
		t.Fatalf("handoffs = %d", len(q.calls))
	}
	q.active = true
	equal(t, f.say(t, "my question for staff"))
	q.active = false // the case is closed: the bot answers again
	equal(t, f.say(t, "hello"), "Hello friend!", "What would you like?")
}

func TestRunnerLogsNoPhoneNumbers(t *testing.T) {
	t.Parallel()
	var buf strings.Builder
	logger := slog.New(slog.NewJSONHandler(&syncWriter{w: &buf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f := newFixture(t, nil, flow.WithLogger(logger))
	if _, err := f.store.Sessions().Put(t.Context(), storage.Session{Contact: ref, Data: []byte("garbage")}, f.now); err != nil {
		t.Fatal(err)
	}
	f.say(t, "hello")
	if !strings.Contains(buf.String(), "unreadable") {
		t.Fatalf("expected a warning, got %q", buf.String())
	}
	if strings.Contains(buf.String(), "6505551234") {
		t.Fatalf("a log line holds the phone number: %s", buf.String())
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
