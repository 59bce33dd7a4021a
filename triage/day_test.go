package triage_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/triage"
)

// consentStub stands for the consent gate between the screen and the
// router: it confirms STOP, sends the notice to people who have not
// consented, and lets the rest through.
type consentStub struct {
	consented map[string]bool
	record    func(m *chat.Message, path string)
}

func (c *consentStub) Middleware(next chat.Handler) chat.Handler {
	return chat.HandlerFunc(func(ctx context.Context, r chat.Replier, m *chat.Message) error {
		switch {
		case strings.EqualFold(strings.TrimSpace(m.Text), "stop"):
			c.record(m, "withdrawal_confirmation")
			_, err := r.Reply(chat.WithIntent(ctx, chat.Intent{Exemption: chat.ExemptConfirmation}), chat.Text{Body: "You will get no more messages. Write START to come back."})
			return err
		case !c.consented[m.From.Contact]:
			c.record(m, "notice")
			_, err := r.Reply(chat.WithIntent(ctx, chat.Intent{Exemption: chat.ExemptNotice}), chat.Text{Body: "Before we start: what we collect and why…"})
			return err
		}
		return next.Handle(ctx, r, m)
	})
}

// TestScriptedDay runs a day and a weekend of a line in Quito (staff
// weekdays 9 to 5) through screen, consent and router: in and out of
// hours, urgent and routine, text and voice. Every inbound message must
// get exactly one response path, urgent ones the safety message (exempt
// from consent) whatever the person's consent, and on-call is paged for
// the critical case and for the urgent case out of hours only.
func TestScriptedDay(t *testing.T) {
	t.Parallel()
	loc := quitoHours(t).Location()
	f := newFixture(t, time.Date(2026, 11, 20, 9, 0, 0, 0, loc))
	ctx := t.Context()

	var mu sync.Mutex
	paths := map[string][]string{}
	record := func(m *chat.Message, p string) {
		mu.Lock()
		defer mu.Unlock()
		paths[m.ID] = append(paths[m.ID], p)
	}
	observe := func(_ context.Context, m *chat.Message, d triage.Decision) { record(m, string(d.Path)) }

	screen, err := triage.NewScreen(triage.ScreenConfig{Lexicon: seeds(t), Queue: f.queue, Replies: testReplies, Observe: observe})
	if err != nil {
		t.Fatal(err)
	}
	router, err := triage.NewRouter(triage.RouterConfig{
		Queue: f.queue, Replies: testReplies, Observe: observe,
		Routes: []triage.Route{
			{Name: "office", When: triage.Keyword("office"), Then: triage.Answer(map[string]string{"en": "Our office is at Av. Amazonas 123."})},
			{Name: "menu", When: triage.Command("menu"), Then: triage.Handle(&flowStub{})},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	consent := &consentStub{consented: map[string]bool{}, record: record}
	for _, who := range []string{"A", "B", "C", "D", "E", "G", "H"} {
		consent.consented[person(who).Contact] = true
	}
	line := chat.Chain(router, screen.Middleware, consent.Middleware)

	type step struct {
		at   string // local time in Quito
		who  string
		kind chat.Kind
		text string
		want string // the response path
	}
	script := []step{
		{"Fri 09:30", "A", chat.KindText, "Where is the office?", "answer"},
		{"Fri 09:40", "B", chat.KindAudio, "", "queued_ack"},
		{"Fri 09:45", "B", chat.KindText, "hello?", "with_staff"},
		{"Fri 10:00", "C", chat.KindText, "my husband beats me", "safety_ack"},
		{"Fri 10:05", "C", chat.KindText, "please hurry", "with_staff"},
		{"Fri 11:00", "F", chat.KindText, "hi", "notice"},
		{"Fri 11:05", "F", chat.KindText, "I want to kill myself", "safety_ack"},
		{"Fri 12:00", "G", chat.KindText, "STOP", "withdrawal_confirmation"},
		{"Fri 12:10", "G", chat.KindText, "stop, he is hitting me", "safety_ack"},
		{"Fri 16:30", "H", chat.KindText, "HELP", "queued_ack"},
		{"Fri 18:30", "E", chat.KindText, "menu", "handler"},
		{"Fri 18:35", "E", chat.KindText, "I want to talk to a person", "out_of_hours_ack"},
		{"Sat 10:00", "E", chat.KindText, "anyone there?", "with_staff"},
		{"Sat 21:00", "D", chat.KindText, "they took my passport", "safety_ack"},
		{"Sat 21:10", "D", chat.KindAudio, "", "with_staff"},
		{"Sun 08:00", "A", chat.KindImage, "", "out_of_hours_ack"},
		{"Mon 09:30", "A", chat.KindText, "?", "with_staff"},
		{"Mon 09:40", "H", chat.KindText, "where is the office", "with_staff"},
	}
	days := map[string]int{"Fri": 20, "Sat": 21, "Sun": 22, "Mon": 23}
	replies := map[string][]sent{}
	for i, s := range script {
		var h, mi int
		fmt.Sscanf(s.at[4:], "%d:%d", &h, &mi)
		f.clock.Set(time.Date(2026, 11, days[s.at[:3]], h, mi, 0, 0, loc))
		if _, err := f.queue.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		m := &chat.Message{ID: fmt.Sprintf("wamid.day%02d", i), From: person(s.who), Time: f.clock.Now(), Kind: s.kind, Text: s.text}
		if s.kind.HasMedia() {
			m.Attachment = &chat.Attachment{ID: "m", Voice: s.kind == chat.KindAudio}
		}
		if err := line.Handle(ctx, f.phone.replier(m.From), m); err != nil {
			t.Fatalf("%s %s: %v", s.at, s.who, err)
		}
		replies[m.ID] = f.phone.take()
		got := paths[m.ID]
		if len(got) != 1 {
			t.Errorf("%s %s %q: %d response paths %v, want exactly one", s.at, s.who, s.text, len(got), got)
			continue
		}
		if got[0] != s.want {
			t.Errorf("%s %s %q: path %s, want %s", s.at, s.who, s.text, got[0], s.want)
		}
		// A path that answers sends exactly one message; with_staff sends
		// none, because the person was acknowledged in this period.
		wantReplies := 1
		if s.want == "with_staff" {
			wantReplies = 0
		}
		if n := len(replies[m.ID]); n != wantReplies {
			t.Errorf("%s %s: %d replies, want %d", s.at, s.who, n, wantReplies)
		}
		if s.want == "safety_ack" && replies[m.ID][0].Intent.Exemption != chat.ExemptSafety {
			t.Errorf("%s %s: the safety message was not sent as exempt", s.at, s.who)
		}
		if s.want == "out_of_hours_ack" && !strings.Contains(replies[m.ID][0].Body, "2026-11-23") {
			t.Errorf("%s %s: out-of-hours reply %q does not say Monday's answer time", s.at, s.who, replies[m.ID][0].Body)
		}
	}

	// Pages: the critical case (in hours) and the urgent one out of hours.
	var pages []string
	for _, e := range f.notes.take() {
		if e.Kind == triage.EventPage {
			pages = append(pages, e.Priority.String())
		}
	}
	if strings.Join(pages, ",") != "critical,urgent" {
		t.Errorf("pages %v, want the critical case and the urgent one out of hours", pages)
	}

	// Monday morning: staff pull the queue and get the most urgent first.
	var order []string
	for {
		it, err := f.queue.Next(ctx, "officer-1")
		if err != nil {
			break
		}
		order = append(order, it.Priority.String())
	}
	want := "critical,urgent,urgent,urgent,elevated,elevated,elevated,elevated"
	if got := strings.Join(order, ","); got != want {
		t.Errorf("Monday's queue order %s, want %s", got, want)
	}
}
