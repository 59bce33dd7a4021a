package consent_test

import (
	"errors"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/consent"
	"github.com/impactchat/impactchat/storage"
)

// A person who declined (so that only a ledger naming nobody is left) and
// then asks for a copy of what is kept is told that staff will contact
// them. The request must reach staff with a way to reach the person (G9:
// requests are tasks visible to staff), and nothing may drop it before it is
// answered: not the Gate's clean-up when they write again, not Sweep. Once
// it is answered, Sweep forgets them as it forgets anyone who declined.
// Before, the request was kept on the nameless ledger: OpenRequests skipped
// it, and Sweep forgot the ledger while the contact record stayed.
func TestDeclinedPersonsRequestForACopyReachesStaff(t *testing.T) {
	for name, newE := range map[string]func(t *testing.T) *env{
		"memory": func(t *testing.T) *env { return newEnv(t) },
		"sqlite": func(t *testing.T) *env { e, _, _ := newSQLiteEnv(t); return e },
	} {
		t.Run(name, func(t *testing.T) {
			e := newE(t)
			ctx := t.Context()
			who := addr("4915123456789")
			ref := refOf(who)
			declineThenAskForACopy(t, e, who)

			open := func() []consent.RightsRequest {
				t.Helper()
				reqs, err := e.svc.OpenRequests(ctx)
				if err != nil {
					t.Fatal(err)
				}
				return reqs
			}
			reqs := open()
			if len(reqs) != 1 || reqs[0].Type != consent.EventExportRequested || reqs[0].Contact != ref {
				t.Fatalf("open requests = %+v; want the copy asked for, with the person to reach", reqs)
			}

			// They write again: the Gate does not drop what answering needs.
			e.clock.Advance(time.Hour)
			e.written(t, who, "hello?")
			if reqs := open(); len(reqs) != 1 || reqs[0].Contact != ref {
				t.Fatalf("after another message: %+v", reqs)
			}
			// Past the retention of a decline, Sweep keeps an open request.
			e.clock.Advance(100 * 24 * time.Hour)
			if rep, err := e.svc.Sweep(ctx); err != nil || rep.Forgotten != 0 {
				t.Fatalf("sweep with the request open: %+v, %v", rep, err)
			}
			if reqs := open(); len(reqs) != 1 {
				t.Fatalf("after the sweep: %+v", reqs)
			}

			// Staff answer it; the retention then runs from the answer.
			if _, err := e.svc.Export(ctx, ref, consent.Request{Actor: consent.StaffActor("dpo")}); err != nil {
				t.Fatal(err)
			}
			if reqs := open(); len(reqs) != 0 {
				t.Fatalf("after the export: %+v", reqs)
			}
			e.clock.Advance(100 * 24 * time.Hour)
			if rep, err := e.svc.Sweep(ctx); err != nil || rep.Forgotten != 1 {
				t.Fatalf("sweep after the answer: %+v, %v; want the person forgotten", rep, err)
			}
			if _, found, err := e.svc.State(ctx, ref); err != nil || found {
				t.Fatalf("ledger after the sweep: found %v, %v", found, err)
			}
			if _, err := e.store.Contacts().Get(ctx, ref); !errors.Is(err, storage.ErrNotFound) {
				t.Fatalf("contact record after the sweep: %v; want none", err)
			}
		})
	}
}

// A person who agreed, then had everything erased (DELETE), later asks for a
// copy (MY DATA). The request names them on the ledger again so that staff
// can reach them; once staff answer it, the ledger names nobody again. (It
// kept the number for good: Sweep does not look at erased people.)
func TestErasedPersonsAnsweredCopyRequestLeavesNoName(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	who := addr("4915123456789")
	ref := refOf(who)
	e.written(t, who, "hello")
	e.tapped(t, who, consent.ChoiceAccept)
	e.written(t, who, "DELETE")
	if st, found, err := e.svc.State(ctx, ref); err != nil || !found || !st.Erased {
		t.Fatalf("not erased: %+v %v %v", st, found, err)
	}

	e.clock.Advance(time.Hour)
	e.written(t, who, "MY DATA")
	if _, err := e.svc.Export(ctx, ref, consent.Request{Actor: consent.StaffActor("dpo")}); err != nil {
		t.Fatal(err)
	}
	if reqs, err := e.svc.OpenRequests(ctx); err != nil || len(reqs) != 0 {
		t.Fatalf("open requests after the answer: %+v %v", reqs, err)
	}
	e.clock.Advance(365 * 24 * time.Hour)
	if _, err := e.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	for st, err := range e.store.Consent().List(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if st.Contact.Identifier != "" || !st.Erased {
			t.Errorf("after their copy request was answered, the erased person's ledger names them: erased=%v identifier=%q core=%q",
				st.Erased, st.Contact.Identifier, st.Purposes["core"].State)
		}
	}
}

// A person declines, asks for a copy (MY DATA), then asks for erasure
// (DELETE) before staff answer. The erasure ends the request for a copy:
// nothing is left to copy, nobody is named to send it to. Had it stayed
// open, it would have kept a later decline from dropping what the runtime
// kept (their contact record), and Sweep forgets a nameless ledger without
// dropping it: the record would stay for good.
func TestErasureEndsARequestForACopy(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	who := addr("4915123456789")
	ref := refOf(who)
	declineThenAskForACopy(t, e, who)
	e.clock.Advance(time.Hour)
	e.written(t, who, "DELETE")
	if st, found, err := e.svc.State(ctx, ref); err != nil || !found || !st.Erased {
		t.Fatalf("not erased: %+v %v %v", st, found, err)
	}
	if reqs, err := e.svc.OpenRequests(ctx); err != nil || len(reqs) != 0 {
		t.Fatalf("open requests after the erasure: %+v %v (none can be answered: nobody is named)", reqs, err)
	}

	// Weeks later they write again and decline again.
	e.clock.Advance(30 * 24 * time.Hour)
	e.written(t, who, "hello")
	e.tapped(t, who, consent.ChoiceDecline)
	if _, err := e.store.Contacts().Get(ctx, ref); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("after declining again, the contact record the runtime kept is still there: %v", err)
	}
	e.clock.Advance(365 * 24 * time.Hour)
	if _, err := e.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Contacts().Get(ctx, ref); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("a year later, after Sweep, the declined person's contact record is still kept: %v", err)
	}
}

// declineThenAskForACopy: the person writes, declines the notice, and an
// hour later writes MY DATA.
func declineThenAskForACopy(t *testing.T, e *env, who chat.Address) {
	t.Helper()
	e.written(t, who, "hello")
	e.tapped(t, who, consent.ChoiceDecline)
	e.clock.Advance(time.Hour)
	e.written(t, who, "MY DATA")
}
