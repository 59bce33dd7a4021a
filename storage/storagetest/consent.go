package storagetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage"
)

var consentTests = []test{
	{"AppendThenState", consentAppendState},
	{"AppendComparesLastEvent", consentAppendCAS},
	{"EventIDsAreUnique", consentEventIDs},
	{"StateNotFound", consentNotFound},
	{"AppendValidates", consentAppendValidates},
	{"SaveState", consentSaveState},
	{"SubjectIsStableAndDistinct", consentSubject},
	{"ListEveryState", consentList},
	{"Forget", consentForget},
	{"RecordsAreCopies", consentCopies},
}

func consentEvent(id string, r storage.ContactRef, typ string, when time.Time) storage.ConsentEvent {
	return storage.ConsentEvent{
		ID:         id,
		Contact:    r,
		Type:       typ,
		Purposes:   []string{"service", "followup"},
		Notice:     "notice-v3",
		Hash:       "5f2b0c",
		Language:   "ar",
		Method:     "whatsapp:button:accept",
		Evidence:   "wamid.button.1",
		Actor:      "user",
		Basis:      "consent",
		Reason:     "",
		ReviewAt:   when.Add(24 * time.Hour),
		OccurredAt: when,
		RecordedAt: when.Add(time.Second),
		PrevHash:   "",
		EventHash:  "hash-" + id,
	}
}

func consentState(r storage.ContactRef, last string, state string, when time.Time) storage.ConsentState {
	return storage.ConsentState{
		Contact: r,
		Purposes: map[string]storage.PurposeState{
			"service":  {State: state, Basis: "consent", Since: when},
			"followup": {State: state, Basis: "consent", Since: when, ExpiresAt: when.Add(365 * 24 * time.Hour)},
		},
		Notice:    "notice-v3",
		Hash:      "5f2b0c",
		Language:  "ar",
		LastEvent: last,
		UpdatedAt: when,
	}
}

func samePurposes(t testing.TB, got, want map[string]storage.PurposeState, what string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d purposes; want %d", what, len(got), len(want))
	}
	for k, w := range want {
		g, found := got[k]
		if !found {
			t.Fatalf("%s: purpose %q missing", what, k)
		}
		if g.State != w.State || g.Basis != w.Basis || !g.Since.Equal(w.Since) || !g.ExpiresAt.Equal(w.ExpiresAt) {
			t.Fatalf("%s: purpose %q = %+v; want %+v", what, k, g, w)
		}
	}
}

func sameEvent(t testing.TB, got, want storage.ConsentEvent, what string) {
	t.Helper()
	eq(t, got.ID, want.ID, what+" id")
	eq(t, got.Contact, want.Contact, what+" contact")
	eq(t, got.Type, want.Type, what+" type")
	sameSlice(t, got.Purposes, want.Purposes, what+" purposes")
	eq(t, got.Notice, want.Notice, what+" notice")
	eq(t, got.Hash, want.Hash, what+" hash")
	eq(t, got.Language, want.Language, what+" language")
	eq(t, got.Method, want.Method, what+" method")
	eq(t, got.Evidence, want.Evidence, what+" evidence")
	eq(t, got.Actor, want.Actor, what+" actor")
	eq(t, got.Basis, want.Basis, what+" basis")
	eq(t, got.Reason, want.Reason, what+" reason")
	sameTime(t, got.ReviewAt, want.ReviewAt, what+" review at")
	sameTime(t, got.OccurredAt, want.OccurredAt, what+" occurred at")
	sameTime(t, got.RecordedAt, want.RecordedAt, what+" recorded at")
	eq(t, got.PrevHash, want.PrevHash, what+" prev hash")
	eq(t, got.EventHash, want.EventHash, what+" event hash")
}

func consentAppendState(t *testing.T, st storage.Store) {
	cl := st.Consent()
	e := consentEvent("ev1", ref(1), "granted", t0)
	next := consentState(ref(1), "ev1", "granted", t0)
	next.Prompts = 1
	next.PromptAt = at(-time.Minute)
	ok(t, cl.Append(t.Context(), e, "", next))
	got := of(cl.State(t.Context(), ref(1))).must(t)
	eq(t, got.Contact, ref(1), "contact")
	eq(t, got.LastEvent, "ev1", "last event")
	eq(t, got.Notice, "notice-v3", "notice")
	eq(t, got.Hash, "5f2b0c", "hash")
	eq(t, got.Language, "ar", "language")
	eq(t, got.Prompts, 1, "prompts")
	sameTime(t, got.PromptAt, at(-time.Minute), "prompt at")
	sameTime(t, got.UpdatedAt, t0, "updated")
	eq(t, got.Hold, false, "hold")
	eq(t, got.Erased, false, "erased")
	if got.Subject == "" {
		t.Fatal("state has no subject")
	}
	samePurposes(t, got.Purposes, next.Purposes, "purposes")
	hist := of(cl.History(t.Context(), ref(1))).must(t)
	eq(t, len(hist), 1, "events")
	sameEvent(t, hist[0], e, "event")

	e2 := consentEvent("ev2", ref(1), "withdrawn", at(time.Hour))
	e2.PrevHash = e.EventHash
	e2.Actor = "staff:7"
	e2.Reason = "asked by phone"
	next2 := consentState(ref(1), "ev2", "withdrawn", at(time.Hour))
	next2.Hold = true
	ok(t, cl.Append(t.Context(), e2, "ev1", next2))
	got = of(cl.State(t.Context(), ref(1))).must(t)
	eq(t, got.LastEvent, "ev2", "last event after the second append")
	eq(t, got.Hold, true, "hold")
	samePurposes(t, got.Purposes, next2.Purposes, "purposes after the second append")
	hist = of(cl.History(t.Context(), ref(1))).must(t)
	eq(t, len(hist), 2, "events after the second append")
	sameEvent(t, hist[0], e, "first event")
	sameEvent(t, hist[1], e2, "second event")
}

func consentAppendCAS(t *testing.T, st storage.Store) {
	cl := st.Consent()
	ok(t, cl.Append(t.Context(), consentEvent("ev1", ref(1), "granted", t0), "", consentState(ref(1), "ev1", "granted", t0)))
	err := cl.Append(t.Context(), consentEvent("ev2", ref(1), "withdrawn", t0), "", consentState(ref(1), "ev2", "withdrawn", t0))
	is(t, err, storage.ErrConflict)
	err = cl.Append(t.Context(), consentEvent("ev2", ref(1), "withdrawn", t0), "ev0", consentState(ref(1), "ev2", "withdrawn", t0))
	is(t, err, storage.ErrConflict)
	eq(t, len(of(cl.History(t.Context(), ref(1))).must(t)), 1, "events after lost appends")
	eq(t, of(cl.State(t.Context(), ref(1))).must(t).Purposes["service"].State, "granted", "state after lost appends")
	// A contact with no events has the empty last event.
	err = cl.Append(t.Context(), consentEvent("ev3", ref(2), "granted", t0), "ev1", consentState(ref(2), "ev3", "granted", t0))
	is(t, err, storage.ErrConflict)
	_, err = cl.State(t.Context(), ref(2))
	is(t, err, storage.ErrNotFound)
}

func consentEventIDs(t *testing.T, st storage.Store) {
	cl := st.Consent()
	ok(t, cl.Append(t.Context(), consentEvent("ev1", ref(1), "granted", t0), "", consentState(ref(1), "ev1", "granted", t0)))
	err := cl.Append(t.Context(), consentEvent("ev1", ref(2), "granted", t0), "", consentState(ref(2), "ev1", "granted", t0))
	is(t, err, storage.ErrConflict)
	err = cl.Append(t.Context(), consentEvent("ev1", ref(1), "granted", t0), "ev1", consentState(ref(1), "ev1", "granted", t0))
	is(t, err, storage.ErrConflict)
	_, err = cl.State(t.Context(), ref(2))
	is(t, err, storage.ErrNotFound)
}

func consentNotFound(t *testing.T, st storage.Store) {
	cl := st.Consent()
	_, err := cl.State(t.Context(), ref(1))
	is(t, err, storage.ErrNotFound)
	eq(t, len(of(cl.History(t.Context(), ref(1))).must(t)), 0, "events of an unknown contact")
}

func consentAppendValidates(t *testing.T, st storage.Store) {
	cl := st.Consent()
	e := consentEvent("ev1", ref(1), "granted", t0)
	invalid(t, cl.Append(t.Context(), e, "", consentState(ref(1), "other", "granted", t0)))
	noID := e
	noID.ID = ""
	invalid(t, cl.Append(t.Context(), noID, "", consentState(ref(1), "", "granted", t0)))
	noContact := e
	noContact.Contact = storage.ContactRef{Channel: "whatsapp"}
	invalid(t, cl.Append(t.Context(), noContact, "", consentState(storage.ContactRef{Channel: "whatsapp"}, "ev1", "granted", t0)))
	_, err := cl.State(t.Context(), storage.ContactRef{})
	invalid(t, err)
	_, err = cl.History(t.Context(), storage.ContactRef{})
	invalid(t, err)
	invalid(t, cl.Forget(t.Context(), ""))
	_, err = cl.State(t.Context(), ref(1))
	is(t, err, storage.ErrNotFound)
}

func consentSaveState(t *testing.T, st storage.Store) {
	cl := st.Consent()
	// Before any answer: the notice was sent once.
	pre := storage.ConsentState{Contact: ref(1), Prompts: 1, PromptAt: t0, UpdatedAt: t0}
	ok(t, cl.SaveState(t.Context(), "", pre))
	got := of(cl.State(t.Context(), ref(1))).must(t)
	eq(t, got.Prompts, 1, "prompts")
	sameTime(t, got.PromptAt, t0, "prompt at")
	eq(t, got.LastEvent, "", "last event")
	eq(t, len(of(cl.History(t.Context(), ref(1))).must(t)), 0, "events after a save")

	ok(t, cl.Append(t.Context(), consentEvent("ev1", ref(1), "granted", at(time.Minute)), "", consentState(ref(1), "ev1", "granted", at(time.Minute))))
	is(t, cl.SaveState(t.Context(), "", pre), storage.ErrConflict)
	next := of(cl.State(t.Context(), ref(1))).must(t)
	next.Prompts = 0
	next.Language = "fa"
	invalid(t, cl.SaveState(t.Context(), "ev1", storage.ConsentState{Contact: ref(1), LastEvent: "ev9"}))
	ok(t, cl.SaveState(t.Context(), "ev1", next))
	got = of(cl.State(t.Context(), ref(1))).must(t)
	eq(t, got.Language, "fa", "language after save")
	eq(t, got.LastEvent, "ev1", "last event after save")
	samePurposes(t, got.Purposes, next.Purposes, "purposes after save")
	eq(t, len(of(cl.History(t.Context(), ref(1))).must(t)), 1, "events after save")
	invalid(t, cl.SaveState(t.Context(), "", storage.ConsentState{Contact: storage.ContactRef{Channel: "whatsapp"}}))
}

func consentSubject(t *testing.T, st storage.Store) {
	cl := st.Consent()
	ok(t, cl.Append(t.Context(), consentEvent("ev1", ref(1), "granted", t0), "", consentState(ref(1), "ev1", "granted", t0)))
	ok(t, cl.Append(t.Context(), consentEvent("ev2", ref(2), "granted", t0), "", consentState(ref(2), "ev2", "granted", t0)))
	s1 := of(cl.State(t.Context(), ref(1))).must(t).Subject
	s2 := of(cl.State(t.Context(), ref(2))).must(t).Subject
	if s1 == s2 {
		t.Fatal("two contacts share a subject")
	}
	for _, s := range []string{s1, s2} {
		if s == ref(1).Identifier || s == ref(2).Identifier || s == storage.PartitionOf(ref(1)) || s == storage.PartitionOf(ref(2)) {
			t.Fatal("the subject is the raw identifier")
		}
	}
	ok(t, cl.Append(t.Context(), consentEvent("ev3", ref(1), "withdrawn", t0), "ev1", consentState(ref(1), "ev3", "withdrawn", t0)))
	eq(t, of(cl.State(t.Context(), ref(1))).must(t).Subject, s1, "subject after another append")
}

func consentList(t *testing.T, st storage.Store) {
	cl := st.Consent()
	want := map[string]bool{}
	for i := range 4 {
		id := fmt.Sprintf("ev%d", i)
		ok(t, cl.Append(t.Context(), consentEvent(id, ref(i), "granted", t0), "", consentState(ref(i), id, "granted", t0)))
		want[id] = true
	}
	ok(t, cl.SaveState(t.Context(), "", storage.ConsentState{Contact: ref(9), Prompts: 2}))
	want[""] = true
	got := map[string]bool{}
	for _, s := range collect(t, cl.List(t.Context())) {
		got[s.LastEvent] = true
		if s.Subject == "" {
			t.Fatal("listed state has no subject")
		}
	}
	sameMap(t, got, want, "listed states by last event")
}

func consentForget(t *testing.T, st storage.Store) {
	cl := st.Consent()
	ok(t, cl.Append(t.Context(), consentEvent("ev1", ref(1), "declined", t0), "", consentState(ref(1), "ev1", "declined", t0)))
	ok(t, cl.Append(t.Context(), consentEvent("ev2", ref(2), "granted", t0), "", consentState(ref(2), "ev2", "granted", t0)))
	subject := of(cl.State(t.Context(), ref(1))).must(t).Subject
	ok(t, cl.Forget(t.Context(), subject))
	_, err := cl.State(t.Context(), ref(1))
	is(t, err, storage.ErrNotFound)
	eq(t, len(of(cl.History(t.Context(), ref(1))).must(t)), 0, "events after forget")
	eq(t, len(collect(t, cl.List(t.Context()))), 1, "states after forget")
	ok(t, cl.Forget(t.Context(), subject))
	eq(t, of(cl.State(t.Context(), ref(2))).must(t).LastEvent, "ev2", "other contact's state")
	// A forgotten contact starts again from nothing.
	ok(t, cl.Append(t.Context(), consentEvent("ev3", ref(1), "granted", t0), "", consentState(ref(1), "ev3", "granted", t0)))
}

func consentCopies(t *testing.T, st storage.Store) {
	cl := st.Consent()
	e := consentEvent("ev1", ref(1), "granted", t0)
	next := consentState(ref(1), "ev1", "granted", t0)
	ok(t, cl.Append(t.Context(), e, "", next))
	e.Purposes[0] = "changed"
	next.Purposes["service"] = storage.PurposeState{State: "changed"}
	got := of(cl.State(t.Context(), ref(1))).must(t)
	eq(t, got.Purposes["service"].State, "granted", "stored purpose state")
	got.Purposes["service"] = storage.PurposeState{State: "changed through a read"}
	eq(t, of(cl.State(t.Context(), ref(1))).must(t).Purposes["service"].State, "granted", "stored purpose state after a read was changed")
	hist := of(cl.History(t.Context(), ref(1))).must(t)
	eq(t, hist[0].Purposes[0], "service", "stored event purpose")
	hist[0].Purposes[0] = "changed through a read"
	eq(t, of(cl.History(t.Context(), ref(1))).must(t)[0].Purposes[0], "service", "stored event purpose after a read was changed")
}
