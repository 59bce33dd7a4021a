package consent_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/consent"
	"github.com/impactchat/impactchat/storage"
)

// oracle decides from the raw ledger, independently of the service's
// projection, whether purpose p may be served at now.
func oracle(h []storage.ConsentEvent, ns *consent.Notices, p chat.Purpose, now time.Time) bool {
	lang := ""
	for _, e := range h {
		if e.Language != "" {
			lang = e.Language
		}
	}
	ok := func(p chat.Purpose) bool {
		var last *storage.ConsentEvent
		for i := range h {
			e := &h[i]
			switch consent.EventType(e.Type) {
			case consent.EventErasureRequested, consent.EventErased:
				last = e // these touch every purpose
			case consent.EventGranted, consent.EventReconfirmed, consent.EventDeclined, consent.EventWithdrawn,
				consent.EventReconsentRequired, consent.EventExpired:
				if slices.Contains(e.Purposes, string(p)) {
					last = e
				}
			}
		}
		if last == nil {
			return false
		}
		t := consent.EventType(last.Type)
		if t != consent.EventGranted && t != consent.EventReconfirmed {
			return false
		}
		n := ns.Get(lang)
		if last.Notice < n.MaterialSince {
			return false
		}
		if terms, found := ns.Get(last.Language).Terms(p); found && terms.ConsentTTL > 0 && !now.Before(last.OccurredAt.Add(terms.ConsentTTL)) {
			return false
		}
		return true
	}
	if !ok(chat.PurposeCore) {
		return false
	}
	return p == chat.PurposeCore || ok(p)
}

// TestPropertyNoSendWithoutConsent drives random sequences of messages,
// button presses, control words in every language, notice changes, clock
// jumps, proactive sends, erasures and sweeps, and checks at every send that
// reaches the channel that it is either one of the exempt kinds or allowed by
// the ledger; that nothing reaches the flows without consent; and that
// nothing of a person who never agreed is in storage.
func TestPropertyNoSendWithoutConsent(t *testing.T) {
	t.Parallel()
	seeds := 60
	if testing.Short() {
		seeds = 15
	}
	for seed := range seeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Parallel()
			runProperty(t, uint64(seed))
		})
	}
}

func runProperty(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	e := newEnv(t)
	ctx := t.Context()
	people := []chat.Address{addr("15550000001"), addr("15550000002"), addr("15550000003")}
	var texts []string
	kw := consent.DefaultKeywords()
	for _, l := range kw.Languages() {
		for _, a := range []consent.Action{consent.ActionWithdraw, consent.ActionErase, consent.ActionExport, consent.ActionReceipt, consent.ActionAccept, consent.ActionDecline, consent.ActionAudio, consent.ActionLanguage} {
			texts = append(texts, kw.Words(l, a)...)
		}
	}
	texts = append(texts, "hello", "where is the office", "مرحبا", "stop please", "yes i agree", "", "  STOP  ", "Delete!")
	taps := []string{consent.ChoiceAccept, consent.ChoiceDecline, consent.ChoiceAudio, "consent.grant.followup",
		"consent.refuse.followup", "consent.grant.feedback", "consent.grant.core", "menu.offices"}
	purposes := []chat.Purpose{chat.PurposeCore, chat.PurposeFollowUp, chat.PurposeFeedback, chat.PurposeResearch}
	published := false
	var step string

	e.channel.check = func(ctx context.Context, s sent) {
		switch s.Intent.Exemption {
		case chat.ExemptNotice:
			switch m := s.M.(type) {
			case chat.Choices:
			case chat.Media:
				if m.Kind != chat.MediaAudio {
					t.Errorf("%s: notice exemption on %s media", step, m.Kind)
				}
			default:
				t.Errorf("%s: notice exemption on a %s message", step, s.M.Type())
			}
			return
		case chat.ExemptConfirmation, chat.ExemptDecline, chat.ExemptSafety:
			return
		}
		h, err := e.store.Consent().History(ctx, refOf(s.To))
		if err != nil {
			t.Fatal(err)
		}
		if !oracle(h, e.notices, s.Intent.Purpose, e.clock.Now()) {
			t.Errorf("%s: a %s message for purpose %s reached the channel without consent", step, s.M.Type(), s.Intent.Purpose)
		}
	}
	e.onHandle = func(m *chat.Message) {
		h, err := e.store.Consent().History(ctx, refOf(m.From))
		if err != nil {
			t.Fatal(err)
		}
		if !oracle(h, e.notices, chat.PurposeCore, e.clock.Now()) {
			t.Errorf("%s: a message reached the flows without consent", step)
		}
	}

	for i := range 80 {
		who := people[rng.IntN(len(people))]
		var err error
		switch r := rng.IntN(100); {
		case r < 35:
			w := texts[rng.IntN(len(texts))]
			step = fmt.Sprintf("step %d: %s writes %q", i, who.Contact, w)
			err = e.text(who, w)
		case r < 60:
			c := taps[rng.IntN(len(taps))]
			step = fmt.Sprintf("step %d: %s taps %s", i, who.Contact, c)
			err = e.tap(who, c)
		case r < 63:
			step = fmt.Sprintf("step %d: %s sends a voice note", i, who.Contact)
			err = e.deliver(&chat.Message{From: who, Kind: chat.KindAudio, Attachment: &chat.Attachment{ID: "media1", Voice: true}})
		case r < 78:
			p := purposes[rng.IntN(len(purposes))]
			in := chat.Intent{Purpose: p}
			if rng.IntN(10) == 0 {
				in.Exemption = "made_up" // an unknown exemption must not open the door
			}
			step = fmt.Sprintf("step %d: the line sends %s (%q) to %s", i, p, in.Exemption, who.Contact)
			_, err = e.svc.Guard(e.channel).Send(chat.WithIntent(ctx, in), who, chat.Text{Body: "news"})
			if err != nil && !errors.Is(err, consent.ErrNotPermitted) {
				t.Fatalf("%s: %v", step, err)
			}
			err = nil
		case r < 80:
			step = fmt.Sprintf("step %d: a safety message to %s", i, who.Contact)
			_, err = e.svc.Guard(e.channel).Send(chat.WithIntent(ctx, chat.Intent{Exemption: chat.ExemptSafety}), who, chat.Text{Body: "call 112"})
		case r < 88:
			d := time.Duration(rng.IntN(30)) * time.Hour
			step = fmt.Sprintf("step %d: %s pass", i, d)
			e.clock.Advance(d)
		case r < 91:
			if !published {
				step = fmt.Sprintf("step %d: material notice published", i)
				e.setNotices(loadNotices(t, "testdata/notices-v2"))
				published = true
			}
		case r < 94:
			step = fmt.Sprintf("step %d: sweep", i)
			_, err = e.svc.Sweep(ctx)
		case r < 97:
			step = fmt.Sprintf("step %d: an urgent case for %s", i, who.Contact)
			_, _, err = e.store.Tickets().Open(ctx, storage.Ticket{Contact: refOf(who), Queue: "protection", Priority: 2 + rng.IntN(2), State: storage.TicketOpen}, e.clock.Now())
		default:
			step = fmt.Sprintf("step %d: staff erase %s", i, who.Contact)
			_, err = e.svc.Erase(ctx, refOf(who), consent.Request{Actor: consent.StaffActor("dpo"), Method: "staff:email"})
		}
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	for _, who := range people {
		ref := refOf(who)
		h, err := e.svc.History(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Verify(ctx, ref); err != nil {
			t.Errorf("%s: %v", who.Contact, err)
		}
		everGranted := slices.ContainsFunc(h, func(ev storage.ConsentEvent) bool {
			return (ev.Type == string(consent.EventGranted) || ev.Type == string(consent.EventReconfirmed)) && slices.Contains(ev.Purposes, "core")
		})
		if everGranted {
			continue
		}
		if _, err := e.store.Contacts().Get(ctx, ref); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("%s never agreed but has a contact record (%v)", who.Contact, err)
		}
		if msgs, _ := e.store.Messages().History(ctx, ref, 100); len(msgs) > 0 {
			t.Errorf("%s never agreed but %d messages are stored", who.Contact, len(msgs))
		}
		if _, err := e.store.Sessions().Get(ctx, ref, e.clock.Now()); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("%s never agreed but has a session (%v)", who.Contact, err)
		}
		for _, ev := range h {
			if ev.Type == string(consent.EventDeclined) && ev.Evidence != "" {
				t.Errorf("%s: a decline keeps evidence %q; only the minimum may be kept", who.Contact, ev.Evidence)
			}
		}
	}
}
