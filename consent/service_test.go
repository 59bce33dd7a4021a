package consent_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/consent"
	"github.com/impactchat/impactchat/storage"
)

// agree walks a person through the notice to consent.
func (e *env) agree(who chat.Address) {
	e.t.Helper()
	if err := e.text(who, "hello"); err != nil {
		e.t.Fatal(err)
	}
	if err := e.tap(who, consent.ChoiceAccept); err != nil {
		e.t.Fatal(err)
	}
	e.channel.take()
}

func (e *env) send(who chat.Address, in chat.Intent) error {
	_, err := e.svc.Guard(e.channel).Send(chat.WithIntent(context.Background(), in), who, chat.Text{Body: "news"})
	return err
}

func TestGuardRefusal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	who := addr("15550001234")
	err := e.send(who, chat.Intent{Purpose: chat.PurposeFollowUp, Staff: "s7"})
	var r *consent.Refusal
	if !errors.As(err, &r) || !errors.Is(err, consent.ErrNotPermitted) {
		t.Fatalf("err = %v, want a *Refusal matching ErrNotPermitted", err)
	}
	if r.Purpose != chat.PurposeFollowUp || r.State != consent.StateUnknown || r.Type != "text" {
		t.Fatalf("refusal = %+v", r)
	}
	if strings.Contains(err.Error(), "1234") {
		t.Fatalf("the refusal names the person: %v", err)
	}
	if got := e.channel.take(); len(got) != 0 {
		t.Fatalf("%d messages reached the channel", len(got))
	}
	audit, err := e.store.Audit().List(t.Context(), time.Time{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 1 || audit[0].Action != "consent.send_refused" || audit[0].Actor != "staff:s7" || audit[0].Detail["purpose"] != "followup" {
		t.Fatalf("audit = %+v", audit)
	}
	for _, v := range audit[0].Detail {
		if strings.Contains(v, "news") || strings.Contains(v, "1234") {
			t.Fatalf("the audit entry holds content: %+v", audit[0])
		}
	}
	// the exempt kinds pass for anyone
	for _, x := range []chat.Exemption{chat.ExemptNotice, chat.ExemptConfirmation, chat.ExemptDecline, chat.ExemptSafety} {
		if err := e.send(who, chat.Intent{Exemption: x}); err != nil {
			t.Errorf("%s: %v", x, err)
		}
	}
	if err := e.send(who, chat.Intent{Exemption: "urgent_marketing"}); !errors.Is(err, consent.ErrNotPermitted) {
		t.Errorf("an unknown exemption passed: %v", err)
	}
	h, _ := e.svc.History(t.Context(), refOf(who))
	if len(h) != 1 || h[0].Type != string(consent.EventVitalInterest) || h[0].Basis != string(consent.BasisVitalInterest) {
		t.Fatalf("the safety message is not recorded under vital interest: %+v", h)
	}
}

func TestOptionalPurposesNeverGateCore(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	who := addr("15550002222")
	e.agree(who)
	if err := e.tap(who, "consent.refuse.followup"); err != nil {
		t.Fatal(err)
	}
	if err := e.send(who, chat.Intent{Purpose: chat.PurposeCore}); err != nil {
		t.Fatalf("core after refusing follow-ups: %v", err)
	}
	if err := e.send(who, chat.Intent{Purpose: chat.PurposeFollowUp}); !errors.Is(err, consent.ErrNotPermitted) {
		t.Fatalf("follow-up after refusing it: %v", err)
	}
	// partial withdrawal through the API leaves the core service alone
	if err := e.tap(who, "consent.grant.feedback"); err != nil {
		t.Fatal(err)
	}
	if err := e.send(who, chat.Intent{Purpose: chat.PurposeFeedback}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Withdraw(t.Context(), refOf(who), consent.Request{Purposes: []chat.Purpose{chat.PurposeFeedback}}); err != nil {
		t.Fatal(err)
	}
	if err := e.send(who, chat.Intent{Purpose: chat.PurposeFeedback}); !errors.Is(err, consent.ErrNotPermitted) {
		t.Fatalf("feedback after withdrawing it: %v", err)
	}
	if err := e.send(who, chat.Intent{Purpose: chat.PurposeCore}); err != nil {
		t.Fatalf("core after withdrawing feedback: %v", err)
	}
	if _, err := e.store.Sessions().Get(t.Context(), refOf(who), e.clock.Now()); err != nil {
		t.Fatalf("a partial withdrawal ended the session: %v", err)
	}
}

func TestWithdrawCancelsBeforeTheNextSend(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	who := addr("15550003333")
	e.agree(who)
	if err := e.text(who, "question"); err != nil {
		t.Fatal(err)
	}
	e.channel.take()
	if err := e.text(who, "UNSUBSCRIBE"); err != nil {
		t.Fatal(err)
	}
	got := e.channel.take()
	if len(got) != 1 || got[0].Intent.Exemption != chat.ExemptConfirmation {
		t.Fatalf("want exactly one confirmation, got %d messages", len(got))
	}
	if len(e.canceled) != 1 || e.canceled[0] != refOf(who) {
		t.Fatalf("pending sends not cancelled: %v", e.canceled)
	}
	if _, err := e.store.Sessions().Get(t.Context(), refOf(who), e.clock.Now()); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("session survives a withdrawal: %v", err)
	}
	for _, p := range []chat.Purpose{chat.PurposeCore, chat.PurposeFollowUp} {
		if err := e.send(who, chat.Intent{Purpose: p}); !errors.Is(err, consent.ErrNotPermitted) {
			t.Fatalf("%s after STOP: %v", p, err)
		}
	}
}

func TestDeclineKeepsTheMinimum(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	who := addr("15550004444")
	if err := e.deliver(&chat.Message{From: who, Kind: chat.KindText, Text: "I was beaten, my name is Amal", ProfileName: "Amal"}); err != nil {
		t.Fatal(err)
	}
	if err := e.tap(who, consent.ChoiceDecline); err != nil {
		t.Fatal(err)
	}
	got := e.channel.take()
	if len(got) != 2 || got[1].Intent.Exemption != chat.ExemptDecline {
		t.Fatalf("want the notice then the decline answer, got %d", len(got))
	}
	if len(e.handled) != 0 {
		t.Fatalf("the flows saw %v", e.handled)
	}
	h, _ := e.svc.History(t.Context(), refOf(who))
	for _, ev := range h {
		b, _ := json.Marshal(ev)
		if strings.Contains(string(b), "Amal") || strings.Contains(string(b), "beaten") {
			t.Fatalf("the ledger holds content: %s", b)
		}
	}
	// after the retention period, even the minimum goes
	e.clock.Advance(91 * 24 * time.Hour)
	rep, err := e.svc.Sweep(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Forgotten != 1 {
		t.Fatalf("sweep = %+v", rep)
	}
	if _, found, _ := e.svc.State(t.Context(), refOf(who)); found {
		t.Fatal("the declined record survives its retention")
	}
}

func TestExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	who := addr("15550005555")
	e.agree(who)
	if err := e.tap(who, "consent.grant.followup"); err != nil {
		t.Fatal(err)
	}
	if err := e.send(who, chat.Intent{Purpose: chat.PurposeFollowUp}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(181 * 24 * time.Hour) // follow-up consent lasts 180 days
	var r *consent.Refusal
	if err := e.send(who, chat.Intent{Purpose: chat.PurposeFollowUp}); !errors.As(err, &r) || r.State != consent.StateExpired {
		t.Fatalf("after its time limit: %v", err)
	}
	if err := e.send(who, chat.Intent{Purpose: chat.PurposeCore}); err != nil {
		t.Fatalf("core has no time limit: %v", err)
	}
	rep, err := e.svc.Sweep(t.Context())
	if err != nil || rep.Expired != 1 {
		t.Fatalf("sweep = %+v, %v", rep, err)
	}
	st, _, _ := e.svc.State(t.Context(), refOf(who))
	if st.Purposes["followup"].State != string(consent.StateExpired) {
		t.Fatalf("state = %+v", st.Purposes)
	}
}

func TestHoldAndRelease(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	who := addr("15550006666")
	ref := refOf(who)
	e.agree(who)
	if err := e.text(who, "question"); err != nil {
		t.Fatal(err)
	}
	tk, _, err := e.store.Tickets().Open(ctx, storage.Ticket{Contact: ref, Queue: "protection", Priority: 3, State: storage.TicketOpen}, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.svc.Erase(ctx, ref, consent.Request{Actor: consent.StaffActor("dpo"), Method: "staff:letter"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Erased || res.Hold == nil || res.Hold.Actor != consent.ActorSystem || !res.Hold.ReviewAt.Equal(e.clock.Now().Add(30*24*time.Hour)) ||
		!strings.Contains(res.Hold.Reason, "priority 3") || strings.Contains(res.Hold.Reason, tk.ID) {
		// The reason outlives the erasure on the ledger: it names no ticket.
		t.Fatalf("erase = %+v %+v", res, res.Hold)
	}
	if _, err := e.store.Contacts().Get(ctx, ref); err != nil {
		t.Fatalf("a held erasure removed data: %v", err)
	}
	// releasing while the case is still open keeps it held
	if res, err = e.svc.ReleaseHold(ctx, ref, consent.StaffActor("dpo"), "reviewed"); err != nil || res.Erased {
		t.Fatalf("release with the case open: %+v %v", res, err)
	}
	tk.State = storage.TicketClosed
	if _, err := e.store.Tickets().Update(ctx, tk, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if res, err = e.svc.ReleaseHold(ctx, ref, consent.StaffActor("dpo"), "case closed"); err != nil || !res.Erased {
		t.Fatalf("release = %+v %v", res, err)
	}
	if _, err := e.store.Contacts().Get(ctx, ref); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("contact after erasure: %v", err)
	}
	if err := e.svc.Verify(ctx, ref); err != nil {
		t.Fatal(err)
	}
	// staff holds need a reason, an actor and a future review date
	if err := e.svc.PlaceHold(ctx, ref, consent.Hold{Reason: "legal claim", Actor: "staff:dpo"}); err == nil {
		t.Fatal("a hold without a review date was accepted")
	}
	if err := e.svc.PlaceHold(ctx, ref, consent.Hold{Reason: "legal claim", Actor: "staff:dpo", ReviewAt: e.clock.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
}

func TestExportAndReceipts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, consent.WithController(consent.Controller{Name: "Example Help Line", Contact: "Data protection team", Email: "dpo@example.org", Jurisdiction: "GR", Service: "WhatsApp help line"}))
	ctx := t.Context()
	who := addr("15550007777")
	ref := refOf(who)
	e.agree(who)
	if err := e.text(who, "Where is the office?"); err != nil {
		t.Fatal(err)
	}
	tk, _, err := e.store.Tickets().Open(ctx, storage.Ticket{Contact: ref, Queue: "general", Priority: 0, State: storage.TicketOpen}, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	tk.Notes = []storage.TicketNote{{At: e.clock.Now(), Author: "s1", Text: "spoke with her brother"}}
	if _, err := e.store.Tickets().Update(ctx, tk, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	e.channel.take()
	if err := e.text(who, "my data"); err != nil {
		t.Fatal(err)
	}
	got := e.channel.take()
	if len(got) != 1 || strings.Contains(render(got[0]), "Where is the office") {
		t.Fatalf("the export went into the chat: %v", got)
	}
	x, err := e.svc.Export(ctx, ref, consent.Request{Actor: consent.StaffActor("dpo"), Method: "staff:console"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(x)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Where is the office?", "spoke with her brother", `"identifier":"15550007777"`, `"type":"granted"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the export lacks %s", want)
		}
	}
	if len(x.Review) != 1 || !strings.Contains(x.Review[0], "tickets[0].notes") {
		t.Errorf("review = %v", x.Review)
	}
	if !strings.Contains(x.Summary, "we hold 2 messages and 1 conversations") {
		t.Errorf("summary = %q", x.Summary)
	}
	if v := x.LogValue().String(); strings.Contains(v, "15550007777") {
		t.Errorf("an export logs the number: %s", v)
	}

	r, err := e.svc.Receipt(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := json.MarshalIndent(r, "", "  ")
	st, _, _ := e.svc.State(ctx, ref)
	if r.Version != "KI-CR-v1.1.0" || r.PIIPrincipalID != st.Subject || r.PIIPrincipalID == "" || r.PolicyURL != "https://help.example.org/privacy/en" ||
		!r.Sensitive || r.CollectionMethod != "whatsapp:button:consent.accept" || r.NoticeHash != e.notices.Get("en").Hash {
		t.Errorf("receipt:\n%s", rb)
	}
	if strings.Contains(string(rb), "15550007777") {
		t.Errorf("the receipt names the number:\n%s", rb)
	}
	if len(r.Services) != 1 || len(r.Services[0].Purposes) != 1 || !r.Services[0].Purposes[0].PrimaryPurpose || !r.Services[0].Purposes[0].ThirdPartyDisclosure {
		t.Errorf("purposes:\n%s", rb)
	}
	if err := e.text(who, "STOP"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Receipt(ctx, ref); !errors.Is(err, consent.ErrNoGrant) {
		t.Errorf("receipt after STOP: %v", err)
	}
}

func TestExportSink(t *testing.T) {
	t.Parallel()
	var got []*consent.Export
	e := newEnv(t, consent.WithExportSink(func(_ context.Context, x *consent.Export) error {
		got = append(got, x)
		return nil
	}))
	who := addr("15550008888")
	e.agree(who)
	if err := e.text(who, "MIS DATOS"); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Identifier != "15550008888" {
		t.Fatalf("sink got %d exports", len(got))
	}
	h, _ := e.svc.History(t.Context(), refOf(who))
	last := h[len(h)-1]
	if last.Type != string(consent.EventExported) || h[len(h)-2].Type != string(consent.EventExportRequested) {
		t.Fatalf("ledger ends with %s, %s", h[len(h)-2].Type, last.Type)
	}
}

func TestLanguageChoice(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.setNotices(loadNotices(t, "../examples/notices"))
	tests := []struct {
		name  string
		steps []string
		want  string // language of the last notice
	}{
		{"latin text gets the default", []string{"hello"}, "en"},
		{"arabic script", []string{"السلام عليكم"}, "ar"},
		{"a control word's language", []string{"BORRAR"}, "es"},
		{"asking for a language", []string{"hello", "Français"}, "fr"},
		{"answers stay in the notice's language", []string{"مرحبا", "yes"}, "ar"},
	}
	for i, tt := range tests {
		who := addr("1555009000" + string(rune('0'+i)))
		var batch []sent
		for _, s := range tt.steps {
			if err := e.text(who, s); err != nil {
				t.Fatal(err)
			}
			batch = e.channel.take()
		}
		n := e.notices.Get(tt.want)
		found := false
		for _, m := range batch {
			switch m := m.M.(type) {
			case chat.Choices:
				found = found || strings.Contains(m.Body, n.PolicyURL)
			case chat.Text:
				found = found || m.Body == n.Texts.Accepted || m.Body == n.Texts.Erased
			}
		}
		if !found {
			t.Errorf("%s: no message in %s among %d", tt.name, tt.want, len(batch))
		}
	}
}

func TestAudioNotice(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	who := addr("15550009999")
	if err := e.text(who, "hello"); err != nil {
		t.Fatal(err)
	}
	if err := e.text(who, "listen"); err != nil {
		t.Fatal(err)
	}
	got := e.channel.take()
	if len(got) != 3 {
		t.Fatalf("want notice, audio, choices; got %d", len(got))
	}
	if m, ok := got[1].M.(chat.Media); !ok || m.Kind != chat.MediaAudio || got[1].Intent.Exemption != chat.ExemptNotice {
		t.Fatalf("second message = %s", render(got[1]))
	}
	// "yes" typed answers the notice like the button
	if err := e.text(who, "yes"); err != nil {
		t.Fatal(err)
	}
	if err := e.send(who, chat.Intent{}); err != nil {
		t.Fatalf("after typing yes: %v", err)
	}
	// typed yes/no after consent belong to the flows, not to consent
	if err := e.text(who, "no"); err != nil {
		t.Fatal(err)
	}
	if e.handled[len(e.handled)-1] != "no" {
		t.Fatalf("flows saw %v", e.handled)
	}
}

func TestAcceptNeedsTheNotice(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	who := addr("15550001010")
	// a person whose first message is "yes" has not seen the notice yet
	if err := e.text(who, "yes"); err != nil {
		t.Fatal(err)
	}
	if err := e.send(who, chat.Intent{}); !errors.Is(err, consent.ErrNotPermitted) {
		t.Fatalf("consent without a notice: %v", err)
	}
	// a tap on a notice that has since changed is not consent to the new one
	e.setNotices(loadNotices(t, "testdata/notices-v2"))
	if err := e.tap(who, consent.ChoiceAccept); err != nil {
		t.Fatal(err)
	}
	if err := e.send(who, chat.Intent{}); !errors.Is(err, consent.ErrNotPermitted) {
		t.Fatalf("consent to a notice not shown: %v", err)
	}
	got := e.channel.take()
	if c, ok := got[len(got)-1].M.(chat.Choices); !ok || !strings.Contains(c.Body, "partner organisations") {
		t.Fatal("the new notice was not shown")
	}
}

func TestOpenRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	a, b := addr("15550003001"), addr("15550003002")
	e.agree(a)
	e.agree(b)
	if err := e.text(a, "my data"); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour)
	if _, _, err := e.store.Tickets().Open(ctx, storage.Ticket{Contact: refOf(b), Queue: "protection", Priority: 2, State: storage.TicketOpen}, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := e.text(b, "delete"); err != nil {
		t.Fatal(err)
	}
	reqs, err := e.svc.OpenRequests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 2 || reqs[0].Type != consent.EventExportRequested || reqs[0].Contact != refOf(a) ||
		!reqs[0].DueAt.Equal(t0.AddDate(0, 1, 0)) || reqs[1].Type != consent.EventErasureRequested || !reqs[1].Held {
		t.Fatalf("requests = %+v", reqs)
	}
	if err := e.svc.ExtendRequest(ctx, reqs[1], consent.StaffActor("dpo"), "case file review with the protection unit"); err != nil {
		t.Fatal(err)
	}
	if reqs, _ = e.svc.OpenRequests(ctx); !reqs[1].Extended || !reqs[1].DueAt.Equal(reqs[1].RequestedAt.AddDate(0, 3, 0)) {
		t.Fatalf("after extending: %+v", reqs[1])
	}
	if err := e.svc.ExtendRequest(ctx, reqs[1], consent.StaffActor("dpo"), "again"); err == nil {
		t.Fatal("a second extension was accepted")
	}
	e.clock.Advance(32 * 24 * time.Hour)
	if err := e.svc.ExtendRequest(ctx, reqs[0], consent.StaffActor("dpo"), "late"); err == nil {
		t.Fatal("an extension after the first month was accepted")
	}
	if _, err := e.svc.Export(ctx, refOf(a), consent.Request{Actor: consent.StaffActor("dpo")}); err != nil {
		t.Fatal(err)
	}
	if reqs, _ = e.svc.OpenRequests(ctx); len(reqs) != 1 || reqs[0].Type != consent.EventErasureRequested {
		t.Fatalf("after the export: %+v", reqs)
	}
}

func TestObjectAndRestrict(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	a, b := addr("15550004001"), addr("15550004002")
	e.agree(a)
	e.agree(b)
	if err := e.svc.Object(ctx, refOf(a), consent.Request{Actor: consent.StaffActor("s1"), Method: "staff:phone"}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Restrict(ctx, refOf(b), consent.Request{Purposes: []chat.Purpose{chat.PurposeCore}}); err != nil {
		t.Fatal(err)
	}
	var r *consent.Refusal
	if err := e.send(a, chat.Intent{}); !errors.As(err, &r) || r.State != consent.StateObjected {
		t.Fatalf("after an objection: %v", err)
	}
	if err := e.send(b, chat.Intent{}); !errors.As(err, &r) || r.State != consent.StateRestricted {
		t.Fatalf("after a restriction: %v", err)
	}
	if len(e.canceled) != 2 {
		t.Fatalf("pending sends cancelled for %d people", len(e.canceled))
	}
}

func TestButtonsActByID(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	who := addr("15550005001")
	e.agree(who)
	// a flow's button whose title happens to be a control word
	if err := e.deliver(&chat.Message{From: who, Kind: chat.KindChoice, Choice: "appointment.cancel", Text: "Delete"}); err != nil {
		t.Fatal(err)
	}
	if err := e.send(who, chat.Intent{}); err != nil {
		t.Fatalf("a button titled Delete erased or withdrew: %v", err)
	}
	if e.handled[len(e.handled)-1] != "appointment.cancel" {
		t.Fatalf("flows saw %v", e.handled)
	}
	// the consent ids do act
	if err := e.tap(who, consent.ChoiceWithdraw); err != nil {
		t.Fatal(err)
	}
	if err := e.send(who, chat.Intent{}); !errors.Is(err, consent.ErrNotPermitted) {
		t.Fatalf("after the withdraw button: %v", err)
	}
}

func TestSweepKeepsEvidenceOfPastConsent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	who := addr("15550005002")
	e.agree(who)
	e.setNotices(loadNotices(t, "testdata/notices-v2"))
	if err := e.text(who, "hello"); err != nil {
		t.Fatal(err)
	}
	if err := e.tap(who, consent.ChoiceDecline); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Contacts().Get(ctx, refOf(who)); err != nil {
		t.Fatalf("declining a changed notice erased the person: %v", err)
	}
	e.clock.Advance(365 * 24 * time.Hour)
	rep, err := e.svc.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Forgotten != 0 {
		t.Fatalf("the ledger of someone who once agreed was forgotten: %+v", rep)
	}
	if _, found, _ := e.svc.State(ctx, refOf(who)); !found {
		t.Fatal("state gone")
	}
}

func TestYesAfterStopShowsTheNoticeFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	who := addr("15550006001")
	e.agree(who)
	if err := e.text(who, "STOP"); err != nil {
		t.Fatal(err)
	}
	e.channel.take()
	if err := e.text(who, "yes"); err != nil {
		t.Fatal(err)
	}
	if err := e.send(who, chat.Intent{}); !errors.Is(err, consent.ErrNotPermitted) {
		t.Fatalf("yes after STOP consented without a fresh notice: %v", err)
	}
	got := e.channel.take()
	if len(got) != 1 || got[0].Intent.Exemption != chat.ExemptNotice {
		t.Fatalf("want the notice, got %d messages", len(got))
	}
	if err := e.text(who, "yes"); err != nil {
		t.Fatal(err)
	}
	if err := e.send(who, chat.Intent{}); err != nil {
		t.Fatalf("yes to the fresh notice: %v", err)
	}
	// changing one's mind right after declining needs no second notice
	other := addr("15550006002")
	if err := e.text(other, "hello"); err != nil {
		t.Fatal(err)
	}
	if err := e.tap(other, consent.ChoiceDecline); err != nil {
		t.Fatal(err)
	}
	if err := e.tap(other, consent.ChoiceAccept); err != nil {
		t.Fatal(err)
	}
	if err := e.send(other, chat.Intent{}); err != nil {
		t.Fatalf("accept after decline: %v", err)
	}
}
