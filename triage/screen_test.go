package triage_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/triage"
)

// nextRecorder is the handler after the screen (consent, in a line); it
// records what reached it and with which decision.
type nextRecorder struct {
	mu        sync.Mutex
	decisions []triage.Decision
	ids       []string
}

func (n *nextRecorder) Handle(ctx context.Context, _ chat.Replier, m *chat.Message) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	d, _ := triage.DecisionFrom(ctx)
	n.decisions = append(n.decisions, d)
	n.ids = append(n.ids, m.ID)
	return nil
}

func (n *nextRecorder) take() []triage.Decision {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := n.decisions
	n.decisions, n.ids = nil, nil
	return out
}

type screenFixture struct {
	*fixture
	screen *triage.Screen
	next   *nextRecorder
	h      chat.Handler
	logs   *bytes.Buffer
}

func newScreenFixture(t testing.TB, start time.Time, opts ...func(*triage.ScreenConfig)) *screenFixture {
	t.Helper()
	f := newFixture(t, start)
	logs := &bytes.Buffer{}
	cfg := triage.ScreenConfig{
		Lexicon: seeds(t),
		Queue:   f.queue,
		Replies: testReplies,
		Buttons: map[string]triage.Category{"talk_to_staff": triage.HumanRequest},
		Logger:  slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, o := range opts {
		o(&cfg)
	}
	s, err := triage.NewScreen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	next := &nextRecorder{}
	return &screenFixture{fixture: f, screen: s, next: next, h: chat.Chain(next, s.Middleware), logs: logs}
}

var msgSeq atomic.Int64

func (sf *screenFixture) send(t testing.TB, from chat.Address, kind chat.Kind, text string) *chat.Message {
	t.Helper()
	m := &chat.Message{ID: fmt.Sprintf("wamid.%d", msgSeq.Add(1)), From: from, Time: sf.clock.Now(), Kind: kind, Text: text}
	if kind.HasMedia() {
		m.Attachment = &chat.Attachment{ID: "media-1", MIMEType: "audio/ogg", Voice: kind == chat.KindAudio}
	}
	if err := sf.h.Handle(t.Context(), sf.phone.replier(from), m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestUrgentBeatsOptOut(t *testing.T) {
	t.Parallel()
	sf := newScreenFixture(t, friday10)
	who := person("50")
	sf.send(t, who, chat.KindText, "STOP, he is hitting me")
	if got := sf.next.take(); len(got) != 0 {
		t.Fatalf("an urgent message went on to consent: %+v", got)
	}
	replies := sf.phone.take()
	if len(replies) != 1 || replies[0].Intent.Exemption != chat.ExemptSafety || !strings.Contains(replies[0].Body, "immediate danger") {
		t.Fatalf("replies %+v, want one safety acknowledgement sent as exempt", replies)
	}
	it, err := sf.queue.Active(t.Context(), ref(who))
	if err != nil || it.Priority != triage.Urgent || it.Ticket.Queue != triage.QueueProtection || it.Ticket.Category != string(triage.Violence) {
		t.Fatalf("ticket %+v %v", it, err)
	}
	// In hours, an urgent (not critical) case is for the staff on duty: no page.
	if ev := sf.notes.take(); len(ev) != 0 {
		t.Errorf("paged in hours for an urgent case: %+v", ev)
	}
}

func TestUrgentOutOfHoursPagesOnCall(t *testing.T) {
	t.Parallel()
	sf := newScreenFixture(t, time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)) // Friday 22:00 in Quito
	who := person("51")
	m := sf.send(t, who, chat.KindText, "زوجي يضربني كل يوم")
	replies := sf.phone.take()
	if len(replies) != 1 || !strings.Contains(replies[0].Body, "911") || !strings.Contains(replies[0].Body, "تم تنبيه") {
		t.Fatalf("replies %+v, want the Arabic safety message", replies)
	}
	ev := sf.notes.take()
	if len(ev) != 1 || ev[0].Kind != triage.EventPage || ev[0].Target != "oncall" || ev[0].Priority != triage.Urgent {
		t.Fatalf("events %+v, want one page to oncall", ev)
	}
	// Notifications and logs carry ids and priority, never text or numbers.
	for _, leak := range []string{"يضربني", who.Contact, m.Text} {
		if strings.Contains(strings.Join([]string{ev[0].TicketID, ev[0].Queue, string(ev[0].Category), ev[0].Target}, " "), leak) {
			t.Errorf("the page carries %q", leak)
		}
		if strings.Contains(sf.logs.String(), leak) {
			t.Errorf("the log carries %q:\n%s", leak, sf.logs.String())
		}
	}
}

func TestCriticalPagesEvenInHours(t *testing.T) {
	t.Parallel()
	sf := newScreenFixture(t, friday10)
	sf.send(t, person("52"), chat.KindText, "I want to kill myself tonight")
	if ev := sf.notes.take(); len(ev) != 1 || ev[0].Priority != triage.Critical {
		t.Fatalf("events %+v, want a critical page", ev)
	}
}

func TestSuspendedConversation(t *testing.T) {
	t.Parallel()
	sf := newScreenFixture(t, friday10)
	ctx := t.Context()
	who := person("53")
	sf.send(t, who, chat.KindText, "he took my passport")
	sf.phone.take()

	// A follow-up joins the conversation staff have: no bot, no repeat.
	sf.clock.Advance(5 * time.Minute)
	sf.send(t, who, chat.KindText, "where is the office?")
	if r := sf.phone.take(); len(r) != 0 {
		t.Errorf("bot spoke in a suspended conversation: %+v", r)
	}
	if d := sf.next.take(); len(d) != 0 {
		t.Errorf("follow-up went on: %+v", d)
	}
	// A control word still reaches consent, marked suspended.
	sf.send(t, who, chat.KindText, "STOP")
	d := sf.next.take()
	if len(d) != 1 || !d[0].SuspendBot || !d[0].Control {
		t.Fatalf("STOP in a suspended conversation: %+v", d)
	}
	// Unclaimed for over an hour: the next message gets the safety
	// message again.
	sf.clock.Advance(61 * time.Minute)
	sf.send(t, who, chat.KindText, "hello?")
	if r := sf.phone.take(); len(r) != 1 || r[0].Intent.Exemption != chat.ExemptSafety {
		t.Errorf("after an hour unclaimed: %+v", r)
	}
	// Nothing closes it but staff.
	it, err := sf.queue.Active(ctx, ref(who))
	if err != nil || it.Ticket.State == storage.TicketClosed {
		t.Fatalf("ticket %+v %v", it, err)
	}
	if _, err := sf.queue.Resolve(ctx, it.Ticket.ID, "officer-2", "referred"); err != nil {
		t.Fatal(err)
	}
	sf.send(t, who, chat.KindText, "thank you")
	if d := sf.next.take(); len(d) != 1 || d[0].SuspendBot {
		t.Errorf("after staff resolved it the bot should answer again: %+v", d)
	}
}

func TestUnreadableMediaAndHumanRequestsFailUp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		kind chat.Kind
		text string
		cat  triage.Category
	}{
		{"voice note", chat.KindAudio, "", triage.UnreadableMedia},
		{"image", chat.KindImage, "", triage.UnreadableMedia},
		{"document", chat.KindDocument, "", triage.UnreadableMedia},
		{"help", chat.KindText, "HELP", triage.HumanRequest},
		{"talk to a person", chat.KindText, "can I talk to a person please", triage.HumanRequest},
		{"fraud", chat.KindText, "a man asked me for money to get an appointment", triage.Fraud},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sf := newScreenFixture(t, friday10)
			who := person("60")
			sf.send(t, who, tc.kind, tc.text)
			d := sf.next.take()
			if len(d) != 1 || !d[0].HumanRequired || d[0].Priority != triage.Elevated || d[0].Category != tc.cat || d[0].Ticket == "" {
				t.Fatalf("decision %+v", d)
			}
			it, err := sf.queue.Active(t.Context(), ref(who))
			if err != nil || it.Priority < triage.Elevated {
				t.Fatalf("ticket %+v %v", it, err)
			}
		})
	}
}

func TestChoiceButtonRequestsAPerson(t *testing.T) {
	t.Parallel()
	sf := newScreenFixture(t, friday10)
	m := &chat.Message{ID: "wamid.btn", From: person("61"), Kind: chat.KindChoice, Choice: "talk_to_staff", Text: "Talk to staff"}
	d := sf.screen.Detect(m)
	if d.Priority != triage.Elevated || d.Category != triage.HumanRequest {
		t.Fatalf("button decision %+v", d)
	}
}

func TestRoutineGoesOnWithoutATicket(t *testing.T) {
	t.Parallel()
	sf := newScreenFixture(t, friday10)
	who := person("62")
	sf.send(t, who, chat.KindText, "I can't stop crying")
	d := sf.next.take()
	if len(d) != 1 || d[0].HumanRequired || d[0].Path != triage.PathNext {
		t.Fatalf("decision %+v", d)
	}
	if _, err := sf.queue.Active(t.Context(), ref(who)); err == nil {
		t.Error("a routine message opened a ticket")
	}
}

// FuzzScreenDetect feeds arbitrary text and kinds to the screen: it never
// panics, media the bot cannot read never stay routine, and a decision
// needs a person exactly when its priority is Elevated or more.
func FuzzScreenDetect(f *testing.F) {
	sf := newScreenFixture(f, friday10)
	for _, s := range []string{"stop he is hitting me", "ЅТОР", "والاغتصاب", "💊️", "I can't stop crying", "\xff\xfe"} {
		f.Add(s, uint8(0))
	}
	f.Add("", uint8(2))
	f.Add(`{"flow_token":"t","a":[{"b":"he hits me"}],"c":1}`, uint8(8))
	f.Add(`{"a":}}]`, uint8(8))
	kinds := []chat.Kind{chat.KindText, chat.KindChoice, chat.KindAudio, chat.KindImage, chat.KindDocument, chat.KindSticker, chat.KindReaction, chat.KindUnknown, chat.KindFlowReply}
	f.Fuzz(func(t *testing.T, text string, k uint8) {
		kind := kinds[int(k)%len(kinds)]
		d := sf.screen.Detect(&chat.Message{ID: "fuzz", From: person("99"), Kind: kind, Text: text, Choice: text, Data: json.RawMessage(text)})
		if d.HumanRequired != (d.Priority >= triage.Elevated) {
			t.Fatalf("decision %+v: HumanRequired disagrees with the priority", d)
		}
		if (kind == chat.KindAudio || kind == chat.KindImage || kind == chat.KindDocument || kind == chat.KindUnknown) && d.Priority < triage.Elevated {
			t.Fatalf("%s message stayed %s", kind, d.Priority)
		}
	})
}

func TestForgedOrganisationNameIsAnImpersonationReport(t *testing.T) {
	t.Parallel()
	f := newFixture(t, friday10)
	s, err := triage.NewScreen(triage.ScreenConfig{Lexicon: seeds(t), Queue: f.queue, Replies: testReplies, Protected: []string{"UNHCR", "ACNUR"}})
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string]triage.Category{
		"Message from UΝHCR: pay 50 USD to confirm your appointment": triage.Impersonation, // Greek Ν
		"АСNUR informa: su cita está confirmada":                     triage.Impersonation, // Cyrillic А and С
		"Where is the UNHCR office?":                                 "",
	} {
		d := s.Detect(&chat.Message{ID: "m", From: person("95"), Kind: chat.KindText, Text: text, Forwarded: true})
		if d.Category != want {
			t.Errorf("%q: category %q, want %q", text, d.Category, want)
		}
	}
	if _, err := triage.NewScreen(triage.ScreenConfig{Lexicon: seeds(t), Queue: f.queue, Replies: testReplies, Protected: []string{"مفوضية"}}); err == nil {
		t.Error("a protected name outside Latin letters was accepted")
	}
}

func TestUrgentRaisesAnOpenConversation(t *testing.T) {
	t.Parallel()
	sf := newScreenFixture(t, friday10)
	ctx := t.Context()
	who := person("63")
	sf.send(t, who, chat.KindAudio, "")
	before, err := sf.queue.Active(ctx, ref(who))
	if err != nil || before.Priority != triage.Elevated {
		t.Fatalf("voice note ticket %+v %v", before, err)
	}
	sf.next.take()
	sf.send(t, who, chat.KindText, "my husband beats me")
	after, _ := sf.queue.Active(ctx, ref(who))
	if after.Ticket.ID != before.Ticket.ID || after.Priority != triage.Urgent || after.Ticket.Queue != triage.QueueProtection {
		t.Fatalf("after the urgent message: %+v", after)
	}
	if r := sf.phone.take(); len(r) != 1 || r[0].Intent.Exemption != chat.ExemptSafety {
		t.Fatalf("replies %+v", r)
	}
	// Critical raises it again and pages, even in hours.
	sf.send(t, who, chat.KindText, "he says he will kill me, I want to end my life")
	after, _ = sf.queue.Active(ctx, ref(who))
	if after.Priority != triage.Critical {
		t.Fatalf("priority %v, want critical", after.Priority)
	}
	if ev := sf.notes.take(); len(ev) != 1 || ev[0].Kind != triage.EventPage || ev[0].Priority != triage.Critical {
		t.Fatalf("events %+v", ev)
	}
	if d := sf.next.take(); len(d) != 0 {
		t.Fatalf("urgent messages went on: %+v", d)
	}
}

// While a conversation is urgent, what ScreenConfig.Control names (consent's
// withdrawal, erasure and export requests) still goes on; anything else
// joins the conversation.
func TestControlGoesOnDuringUrgentConversation(t *testing.T) {
	t.Parallel()
	sf := newScreenFixture(t, friday10, func(c *triage.ScreenConfig) {
		c.Control = func(m *chat.Message) bool { return m.Text == "RETIRER" }
	})
	who := person("64")
	sf.send(t, who, chat.KindText, "my husband beats me")
	if d := sf.next.take(); len(d) != 0 {
		t.Fatalf("the urgent message went on: %+v", d)
	}
	sf.send(t, who, chat.KindText, "RETIRER")
	if d := sf.next.take(); len(d) != 1 || !d[0].SuspendBot {
		t.Fatalf("a control request in an urgent conversation: went on %+v; want once, with the bot suspended", d)
	}
	sf.send(t, who, chat.KindText, "are you there")
	if d := sf.next.take(); len(d) != 0 {
		t.Fatalf("an ordinary message in an urgent conversation went on: %+v", d)
	}
}

// brokenSource works once (for NewScreen) and then panics.
type brokenSource struct {
	lex   *triage.Lexicon
	calls atomic.Int32
}

func (b *brokenSource) Lexicon() *triage.Lexicon {
	if b.calls.Add(1) > 1 {
		panic("lexicon store is broken")
	}
	return b.lex
}

func TestDetectionFailureFailsUp(t *testing.T) {
	t.Parallel()
	f := newFixture(t, friday10)
	s, err := triage.NewScreen(triage.ScreenConfig{Lexicon: &brokenSource{lex: seeds(t)}, Queue: f.queue, Replies: testReplies})
	if err != nil {
		t.Fatal(err)
	}
	next := &nextRecorder{}
	who := person("64")
	if err := s.Middleware(next).Handle(t.Context(), f.phone.replier(who), &chat.Message{ID: "wamid.p", From: who, Kind: chat.KindText, Text: "hello"}); err != nil {
		t.Fatal(err)
	}
	d := next.take()
	if len(d) != 1 || d[0].Priority != triage.Elevated || d[0].Category != triage.DetectorFailure || d[0].Ticket == "" {
		t.Fatalf("decision %+v, want a detector failure at Elevated with a ticket", d)
	}
}

// The seed lists catch the common typed forms: Hindi with an anusvara where
// the list once had only the candrabindu, Spanish "me quiero suicidar" and
// "me quiero matar", and Hindi "he is beating me" in the progressive.
func TestSeedSelfHarmTypedForms(t *testing.T) {
	t.Parallel()
	sf := newScreenFixture(t, friday10)
	for text, cat := range map[string]triage.Category{
		"मरना चाहता हूं": triage.SelfHarm, "मरना चाहती हूँ": triage.SelfHarm,
		"me quiero suicidar": triage.SelfHarm, "quiero suicidarme": triage.SelfHarm,
		"me quiero matar": triage.SelfHarm, "me voy a matar": triage.SelfHarm,
		"वह मुझे मार रहा है": triage.Violence, "मुझे पीटता है": triage.Violence,
	} {
		d := sf.screen.Detect(&chat.Message{ID: "wamid.seed", From: person("65"), Kind: chat.KindText, Text: text})
		if d.Priority < triage.Urgent || d.Category != cat {
			t.Errorf("%q: %v %q; want urgent or higher, %s", text, d.Priority, d.Category, cat)
		}
	}
}

// Words joined by a zero-width space are still words, and the Ukrainian
// apostrophe ʼ matches an entry typed with ' (textnorm version 2).
func TestZeroWidthSpaceAndApostropheVariants(t *testing.T) {
	t.Parallel()
	sf := newScreenFixture(t, friday10)
	for _, text := range []string{"he\u200bhits\u200bme", "мене бʼє чоловік", "мене б’є чоловік"} {
		d := sf.screen.Detect(&chat.Message{ID: "wamid.zw", From: person("66"), Kind: chat.KindText, Text: text})
		if d.Priority < triage.Urgent || d.Category != triage.Violence {
			t.Errorf("%+q: %v %q; want urgent or higher, violence", text, d.Priority, d.Category)
		}
	}
}

// What a person types into a WhatsApp Flow form is screened like a
// message, field by field; control words in a field do not count, and
// the line's flow_token is not an answer.
func TestFormAnswersAreScreened(t *testing.T) {
	t.Parallel()
	sf := newScreenFixture(t, friday10)
	for _, c := range []struct {
		data   string
		urgent bool
	}{
		{`{"flow_token":"t1","name":"Amal","details":"my husband hits me every night"}`, true},
		{`{"answers":[{"q":"why","a":"he is hitting me"}],"n":3,"ok":true,"x":null}`, true},
		{`{"screen_0_details":"I need a lawyer","agree":true}`, false},
		{`{"a":"he hits","b":"me"}`, false}, // no phrase across two fields
		{`{"details":"STOP"}`, false},
		{`{"flow_token":"he hits me"}`, false},
		{`{"details":"he hits me"`, true}, // cut short: what came before the break still counts
	} {
		m := &chat.Message{ID: "wamid.form", From: person("67"), Kind: chat.KindFlowReply, Text: "Sent", Data: json.RawMessage(c.data)}
		d := sf.screen.Detect(m)
		if got := d.Priority >= triage.Urgent && d.Category == triage.Violence; got != c.urgent {
			t.Errorf("%s: %v %q; want urgent violence %v", c.data, d.Priority, d.Category, c.urgent)
		}
		if d.Control {
			t.Errorf("%s: a form field counted as a control word", c.data)
		}
	}
}
