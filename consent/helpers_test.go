package consent_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/consent"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/memory"
)

var t0 = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// counter hands out ids with a prefix: p1, p2...
type counter struct {
	mu     sync.Mutex
	prefix string
	n      int
}

func (c *counter) Next() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return c.prefix + strconv.Itoa(c.n)
}

// sent is one message that reached the channel.
type sent struct {
	To     chat.Address
	M      chat.Outgoing
	Intent chat.Intent
	ID     string
}

// recorder is the channel at the end of the sender chain: it records what
// reaches it.
type recorder struct {
	mu   sync.Mutex
	ids  counter
	sent []sent
	// check runs on every send that reaches the channel, before recording.
	check func(ctx context.Context, s sent)
}

func (r *recorder) Send(ctx context.Context, to chat.Address, m chat.Outgoing) (chat.SendResult, error) {
	if err := m.Validate(); err != nil {
		return chat.SendResult{}, err
	}
	s := sent{To: to, M: m, Intent: chat.IntentFrom(ctx), ID: "wamid.out" + r.ids.Next()}
	if r.check != nil {
		r.check(ctx, s)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, s)
	return chat.SendResult{MessageID: s.ID}, nil
}

func (r *recorder) take() []sent {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.sent
	r.sent = nil
	return out
}

// env is a line: the memory store, the consent service, a guarded channel,
// and behind the Gate a stand-in for the flows that stores what it gets and
// answers.
type env struct {
	t        testing.TB
	clock    *clock
	ids      *counter
	in       *counter
	store    storage.Store
	svc      *consent.Service
	channel  *recorder
	handled  []string // texts the next handler saw
	opts     []consent.Option
	notices  *consent.Notices
	handler  chat.Handler
	canceled []storage.ContactRef
	// onHandle runs for every message that reaches the flows behind the Gate.
	onHandle func(m *chat.Message)
}

func loadNotices(t testing.TB, dir string) *consent.Notices {
	t.Helper()
	ns, err := consent.LoadNotices(dir, "en")
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

func newEnv(t testing.TB, opts ...consent.Option) *env {
	t.Helper()
	e := &env{
		t:       t,
		clock:   &clock{t: t0},
		ids:     &counter{prefix: "ev"},
		in:      &counter{prefix: "wamid.in"},
		channel: &recorder{},
		opts:    opts,
	}
	e.store = memory.New(memory.WithClock(e.clock.Now))
	e.setNotices(loadNotices(t, "testdata/notices"))
	return e
}

// touch records a message from ref now, as chat.Server does before the
// handlers run.
func (e *env) touch(t testing.TB, ref storage.ContactRef) {
	t.Helper()
	if _, err := e.store.Contacts().Touch(t.Context(), ref, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
}

// written has the person write text as the runtime delivers it: their
// contact touched first, as chat.Server does before the handlers.
func (e *env) written(t testing.TB, who chat.Address, text string) {
	t.Helper()
	e.touch(t, refOf(who))
	if err := e.text(who, text); err != nil {
		t.Fatal(err)
	}
}

// tapped is written for a button.
func (e *env) tapped(t testing.TB, who chat.Address, choice string) {
	t.Helper()
	e.touch(t, refOf(who))
	if err := e.tap(who, choice); err != nil {
		t.Fatal(err)
	}
}

// newEnvOn is newEnv on another store, opened with the env's clock.
func newEnvOn(t testing.TB, open func(now func() time.Time) storage.Store, opts ...consent.Option) *env {
	t.Helper()
	e := newEnv(t, opts...)
	e.store = open(e.clock.Now)
	e.setNotices(e.notices)
	return e
}

// setNotices publishes a new set of notices, as a restart with edited files
// would.
func (e *env) setNotices(ns *consent.Notices) {
	e.t.Helper()
	e.notices = ns
	opts := append([]consent.Option{
		consent.WithClock(e.clock.Now), consent.WithIDs(e.ids.Next),
		consent.WithCanceller(consent.CancellerFunc(func(_ context.Context, ref storage.ContactRef) error {
			e.canceled = append(e.canceled, ref)
			return nil
		})),
	}, e.opts...)
	svc, err := consent.New(e.store, ns, opts...)
	if err != nil {
		e.t.Fatal(err)
	}
	e.svc = svc
	flows := chat.HandlerFunc(func(ctx context.Context, r chat.Replier, m *chat.Message) error {
		ref := storage.ContactRef{Channel: m.From.Channel, Identifier: m.From.Contact}
		body := m.Text
		if m.Kind == chat.KindChoice {
			body = m.Choice
		}
		e.handled = append(e.handled, body)
		if e.onHandle != nil {
			e.onHandle(m)
		}
		if _, err := e.store.Contacts().Touch(ctx, ref, m.Time); err != nil {
			return err
		}
		if err := e.store.Messages().Record(ctx, storage.MessageRecord{ID: m.ID, Contact: ref, Direction: storage.Inbound, Kind: string(m.Kind), Body: body, At: m.Time}); err != nil {
			return err
		}
		if _, err := e.store.Sessions().Put(ctx, storage.Session{Contact: ref, Data: []byte("flow:" + body)}, m.Time); err != nil && !errors.Is(err, storage.ErrConflict) {
			return err
		}
		_, err := r.Reply(ctx, chat.Text{Body: "answer to: " + body})
		return err
	})
	e.handler = chat.Chain(flows, svc.Gate)
}

func addr(contact string) chat.Address {
	return chat.Address{Channel: chat.ChannelWhatsApp, Line: "106540352242922", Contact: contact}
}

func refOf(a chat.Address) storage.ContactRef {
	return storage.ContactRef{Channel: a.Channel, Identifier: a.Contact}
}

// deliver hands one inbound message to the chain, as the runtime would.
func (e *env) deliver(m *chat.Message) error {
	if m.ID == "" {
		m.ID = e.in.Next()
	}
	if m.Time.IsZero() {
		m.Time = e.clock.Now()
	}
	r := chat.SenderReplier(e.svc.Guard(e.channel), m.From)
	return e.handler.Handle(context.Background(), r, m)
}

func (e *env) text(to chat.Address, s string) error {
	return e.deliver(&chat.Message{From: to, Kind: chat.KindText, Text: s})
}

func (e *env) tap(to chat.Address, choice string) error {
	return e.deliver(&chat.Message{From: to, Kind: chat.KindChoice, Choice: choice})
}

// render prints a sent message for transcripts.
func render(s sent) string {
	var b strings.Builder
	kind := string(s.Intent.Purpose)
	if s.Intent.Exemption != chat.ExemptNone {
		kind = "exempt:" + string(s.Intent.Exemption)
	}
	fmt.Fprintf(&b, "< [%s] %s\n", kind, s.M.Type())
	switch m := s.M.(type) {
	case chat.Text:
		for _, l := range strings.Split(m.Body, "\n") {
			fmt.Fprintf(&b, "  | %s\n", l)
		}
	case chat.Choices:
		if m.Header != "" {
			fmt.Fprintf(&b, "  # %s\n", m.Header)
		}
		for _, l := range strings.Split(m.Body, "\n") {
			fmt.Fprintf(&b, "  | %s\n", l)
		}
		if m.Footer != "" {
			fmt.Fprintf(&b, "  _ %s\n", m.Footer)
		}
		for _, o := range m.Options {
			fmt.Fprintf(&b, "  [%s] %s\n", o.ID, o.Title)
		}
	case chat.Media:
		fmt.Fprintf(&b, "  %s %s%s\n", m.Kind, m.ID, m.URL)
	default:
		fmt.Fprintf(&b, "  %+v\n", m)
	}
	return b.String()
}

// stateLine summarises a person's consent state for transcripts.
func (e *env) stateLine(to chat.Address) string {
	st, found, err := e.svc.State(context.Background(), refOf(to))
	if err != nil {
		e.t.Fatal(err)
	}
	if !found {
		return "= (no record)"
	}
	var ps []string
	for _, p := range []string{"core", "followup", "feedback"} {
		if s, ok := st.Purposes[p]; ok {
			ps = append(ps, p+"="+s.State)
		}
	}
	extra := ""
	if st.Hold {
		extra += " hold"
	}
	if st.Erased {
		extra += " erased"
	}
	return fmt.Sprintf("= %s notice=%s/%s prompts=%d%s", strings.Join(ps, " "), st.Language, st.Notice, st.Prompts, extra)
}
