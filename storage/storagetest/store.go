package storagetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage"
)

var storeTests = []test{
	{"Ping", storePing},
	{"EraseRemovesContent", storeErase},
	{"EraseUnknownOrInvalid", storeEraseUnknown},
	{"EraseIfIdle", storeEraseIfIdle},
	{"ClosedStoreFails", storeClosed},
	{"CancelledContext", storeCancelled},
}

func storePing(t *testing.T, st storage.Store) {
	ok(t, st.Ping(t.Context()))
}

// storeErase fills every aggregate for two contacts, erases one, and checks
// what is left of each against the rules of storage.Store.Erase.
func storeErase(t *testing.T, st storage.Store) {
	ctx := t.Context()
	gone, kept := ref(1), ref(2)

	// Inbox: for the erased contact, one item leased, one waiting behind it,
	// one dead-lettered in its own partition run; for the other, one pending.
	goneP, keptP := storage.PartitionOf(gone), storage.PartitionOf(kept)
	put(t, st, t0, item("g-dead", goneP))
	dead := claim(t, st, "w1", 1, t0)
	ok(t, st.Inbox().DeadLetter(ctx, "w1", dead[0].Seq, "x"))
	put(t, st, t0, item("g-leased", goneP), item("g-pending", goneP), item("k-pending", keptP))
	leased := claim(t, st, "w1", 1, t0)
	eq(t, leased[0].Key, "g-leased", "leased key")

	var contactIDs [2]string
	var ticketIDs [2]string
	for i, r := range []storage.ContactRef{gone, kept} {
		c := of(st.Contacts().Touch(ctx, r, t0)).must(t)
		c.Name = "Name"
		c.Fields = map[string]string{"city": "Amman"}
		of(st.Contacts().Update(ctx, c, t0)).must(t)
		contactIDs[i] = c.ID
		of(st.Sessions().Put(ctx, storage.Session{Contact: r, Data: []byte("state")}, t0)).must(t)
		ok(t, st.Messages().Record(ctx, message("in-"+r.Identifier, r, storage.Inbound, t0)))
		ok(t, st.Messages().Record(ctx, message("out-"+r.Identifier, r, storage.Outbound, t0)))
		evID := "consent-" + r.Identifier
		ok(t, st.Consent().Append(ctx, consentEvent(evID, r, "granted", t0), "", consentState(r, evID, "granted", t0)))
		tk, _ := of2(st.Tickets().Open(ctx, ticket(r, "general", 1, at(time.Hour)), t0)).must(t)
		tk.Notes = []storage.TicketNote{{At: t0, Author: "staff-1", Text: "note"}}
		of(st.Tickets().Update(ctx, tk, t0)).must(t)
		ticketIDs[i] = tk.ID
	}
	ok(t, st.Broadcasts().Create(ctx, broadcast("b1")))
	ok(t, st.Broadcasts().AddRecipients(ctx, "b1", []storage.Recipient{
		{Seq: 1, Contact: gone, Params: []byte("p1")},
		{Seq: 2, Contact: kept, Params: []byte("p2")},
		{Seq: 3, Contact: gone, Params: []byte("p3"), State: storage.RecipientSent, MessageID: "wamid.b1.3"},
	}))
	subject := of(st.Consent().State(ctx, gone)).must(t).Subject

	ok(t, st.Erase(ctx, gone))

	// Contacts, sessions, messages: gone.
	_, err := st.Contacts().Get(ctx, gone)
	is(t, err, storage.ErrNotFound)
	_, err = st.Contacts().GetByID(ctx, contactIDs[0])
	is(t, err, storage.ErrNotFound)
	for _, c := range collect(t, st.Contacts().List(ctx)) {
		if c.ID == contactIDs[0] {
			t.Fatal("the erased contact is still listed")
		}
	}
	_, err = st.Sessions().Get(ctx, gone, t0)
	is(t, err, storage.ErrNotFound)
	_, err = st.Messages().Get(ctx, "in-"+gone.Identifier)
	is(t, err, storage.ErrNotFound)
	_, err = st.Messages().Get(ctx, "out-"+gone.Identifier)
	is(t, err, storage.ErrNotFound)
	eq(t, len(of(st.Messages().History(ctx, gone, 0)).must(t)), 0, "history")

	// Inbox: nothing of the partition is claimed or listed again.
	is(t, st.Inbox().Ack(ctx, "w1", leased[0].Seq), storage.ErrLeaseLost)
	for _, d := range of(st.Inbox().DeadLetters(ctx, 0)).must(t) {
		if d.Partition == goneP {
			t.Fatal("an erased contact's dead letter is still listed")
		}
	}
	sameSlice(t, keys(claim(t, st, "w2", 10, at(time.Hour))), []string{"k-pending"}, "claimable after erase")
	stats := of(st.Inbox().Stats(ctx)).must(t)
	eq(t, stats.Pending+stats.Dead, 0, "pending and dead after erase")
	eq(t, stats.Leased, 1, "leased after erase")

	// Tickets: kept as records, without contact or notes, closed.
	tk := of(st.Tickets().Get(ctx, ticketIDs[0])).must(t)
	eq(t, tk.Contact, storage.ContactRef{}, "ticket contact")
	eq(t, len(tk.Notes), 0, "ticket notes")
	eq(t, tk.State, storage.TicketClosed, "ticket state")
	_, err = st.Tickets().Active(ctx, gone)
	is(t, err, storage.ErrNotFound)
	eq(t, of(st.Tickets().ClaimNext(ctx, "s1", nil, t0)).must(t).ID, ticketIDs[1], "the only claimable ticket")

	// Broadcast recipients: kept without contact or params; queued ones
	// skipped.
	rs := of(st.Broadcasts().Recipients(ctx, "b1", "", 0, 0)).must(t)
	eq(t, len(rs), 3, "recipients")
	eq(t, rs[0].Contact, storage.ContactRef{}, "recipient 1 contact")
	eq(t, len(rs[0].Params), 0, "recipient 1 params")
	eq(t, rs[0].State, storage.RecipientSkipped, "recipient 1 state")
	eq(t, rs[0].Reason, "erased", "recipient 1 reason")
	eq(t, rs[2].Contact, storage.ContactRef{}, "recipient 3 contact")
	eq(t, len(rs[2].Params), 0, "recipient 3 params")
	eq(t, rs[2].State, storage.RecipientSent, "recipient 3 state")
	// A message id can encode the number: it goes, yet the recipient's
	// statuses still find it, and a later one keeps it without the id.
	eq(t, rs[2].MessageID, "", "recipient 3 message id")
	byMsg := of(st.Broadcasts().ByMessage(ctx, "wamid.b1.3")).must(t)
	eq(t, byMsg.Seq, int64(3), "recipient 3 found by its message")
	eq(t, byMsg.MessageID, "", "recipient 3 message id, found by it")
	delivered := byMsg
	delivered.State, delivered.MessageID = storage.RecipientDelivered, "wamid.b1.3"
	ok(t, st.Broadcasts().Transition(ctx, delivered, storage.RecipientSent))
	byMsg = of(st.Broadcasts().ByMessage(ctx, "wamid.b1.3")).must(t)
	eq(t, byMsg.State, storage.RecipientDelivered, "recipient 3 state after a status")
	eq(t, byMsg.MessageID, "", "recipient 3 message id after a status")

	// Consent: a tombstone.
	cs := of(st.Consent().State(ctx, gone)).must(t)
	eq(t, cs.Erased, true, "erased")
	eq(t, cs.Contact, storage.ContactRef{}, "tombstone contact")
	eq(t, cs.Subject, subject, "tombstone subject")
	eq(t, cs.LastEvent, "consent-"+gone.Identifier, "tombstone last event")
	eq(t, cs.Purposes["service"].State, "granted", "tombstone purpose state")
	hist := of(st.Consent().History(ctx, gone)).must(t)
	eq(t, len(hist), 1, "tombstone events")
	eq(t, hist[0].Contact, storage.ContactRef{}, "tombstone event contact")
	eq(t, hist[0].Type, "granted", "tombstone event type")
	// The tombstone can still move on, found by its subject.
	cs.Prompts = 1
	ok(t, st.Consent().SaveState(ctx, cs.LastEvent, cs))
	eq(t, of(st.Consent().State(ctx, gone)).must(t).Prompts, 1, "prompts saved on the tombstone")
	// An event recorded after the erasure (the erasure's own, first) names
	// nobody either.
	erased := consentEvent("erased-"+gone.Identifier, gone, "erased", t0)
	next := cs
	next.LastEvent = erased.ID
	ok(t, st.Consent().Append(ctx, erased, cs.LastEvent, next))
	hist = of(st.Consent().History(ctx, gone)).must(t)
	eq(t, len(hist), 2, "tombstone events after the erasure's own")
	eq(t, hist[1].ID, erased.ID, "the erasure's event")
	eq(t, hist[1].Contact, storage.ContactRef{}, "the erasure's event contact")
	cs = of(st.Consent().State(ctx, gone)).must(t)
	eq(t, cs.Erased, true, "erased after the erasure's event")
	eq(t, cs.Contact, storage.ContactRef{}, "tombstone contact after the erasure's event")

	// The other contact keeps everything.
	c := of(st.Contacts().Get(ctx, kept)).must(t)
	eq(t, c.Name, "Name", "other contact's name")
	sameBytes(t, of(st.Sessions().Get(ctx, kept, t0)).must(t).Data, []byte("state"), "other contact's session")
	eq(t, len(of(st.Messages().History(ctx, kept, 0)).must(t)), 2, "other contact's history")
	eq(t, len(of(st.Tickets().Get(ctx, ticketIDs[1])).must(t).Notes), 1, "other contact's notes")
	sameBytes(t, rs[1].Params, []byte("p2"), "other recipient's params")
	eq(t, rs[1].State, storage.RecipientQueued, "other recipient's state")
	eq(t, of(st.Consent().State(ctx, kept)).must(t).Erased, false, "other contact erased")

	// The person may come back: a new contact starts.
	fresh := of(st.Contacts().Touch(ctx, gone, at(time.Hour))).must(t)
	eq(t, fresh.Name, "", "name of the returning contact")
}

// storeEraseIfIdle: a store that is an IdleEraser erases a contact only
// while at most allow of their inbox items are still to be handled, the
// leased one included, and leaves everything as it was otherwise.
func storeEraseIfIdle(t *testing.T, st storage.Store) {
	e, isIdle := st.(storage.IdleEraser)
	if !isIdle {
		t.Skip("the store is not a storage.IdleEraser")
	}
	ctx := t.Context()
	who := ref(1)
	part := storage.PartitionOf(who)
	of(st.Contacts().Touch(ctx, who, t0)).must(t)
	put(t, st, t0, item("i1", part), item("i2", part), item("o1", storage.PartitionOf(ref(2))))
	cs := claim(t, st, "w1", 1, t0)
	sameSlice(t, keys(cs), []string{"i1"}, "claim")

	eq(t, of(e.EraseIfIdle(ctx, who, 1)).must(t), false, "erased with two items to handle, one allowed")
	eq(t, of(st.Contacts().Get(ctx, who)).must(t).Ref, who, "contact kept")
	eq(t, of(st.Inbox().Pending(ctx, part)).must(t), 2, "items kept")

	ok(t, st.Inbox().Ack(ctx, "w1", cs[0].Seq))
	eq(t, of(e.EraseIfIdle(ctx, who, 0)).must(t), false, "erased with one item to handle, none allowed")
	eq(t, of(st.Contacts().Get(ctx, who)).must(t).Ref, who, "contact kept")
	cs = claim(t, st, "w1", 2, t0)
	eq(t, len(cs), 2, "claimed, both partitions")
	eq(t, of(e.EraseIfIdle(ctx, who, 1)).must(t), true, "erased with the one item being handled")
	_, err := st.Contacts().Get(ctx, who)
	is(t, err, storage.ErrNotFound)
	eq(t, of(st.Inbox().Pending(ctx, part)).must(t), 0, "the contact's items after the erasure")
	eq(t, of(st.Inbox().Pending(ctx, storage.PartitionOf(ref(2)))).must(t), 1, "another contact's items")

	_, err = e.EraseIfIdle(ctx, who, -1)
	invalid(t, err)
}

func storeEraseUnknown(t *testing.T, st storage.Store) {
	ok(t, st.Erase(t.Context(), ref(1)))
	invalid(t, st.Erase(t.Context(), storage.ContactRef{Channel: "whatsapp"}))
}

func storeClosed(t *testing.T, st storage.Store) {
	ctx := t.Context()
	of(st.Contacts().Touch(ctx, ref(1), t0)).must(t)
	ok(t, st.Close())
	checks := map[string]error{"ping": st.Ping(ctx), "erase": st.Erase(ctx, ref(1))}
	_, checks["inbox put"] = st.Inbox().Put(ctx, []storage.InboxItem{item("a", "p")}, t0)
	_, checks["inbox claim"] = st.Inbox().Claim(ctx, "w", 1, time.Minute, t0)
	checks["inbox ack"] = st.Inbox().Ack(ctx, "w", 1)
	_, checks["inbox stats"] = st.Inbox().Stats(ctx)
	_, checks["contacts touch"] = st.Contacts().Touch(ctx, ref(1), t0)
	_, checks["contacts get"] = st.Contacts().Get(ctx, ref(1))
	for _, err := range st.Contacts().List(ctx) {
		checks["contacts list"] = err
		break
	}
	_, checks["consent state"] = st.Consent().State(ctx, ref(1))
	checks["consent append"] = st.Consent().Append(ctx, consentEvent("e", ref(1), "granted", t0), "", consentState(ref(1), "e", "granted", t0))
	for _, err := range st.Consent().List(ctx) {
		checks["consent list"] = err
		break
	}
	_, checks["sessions get"] = st.Sessions().Get(ctx, ref(1), t0)
	_, checks["sessions put"] = st.Sessions().Put(ctx, storage.Session{Contact: ref(1)}, t0)
	checks["messages record"] = st.Messages().Record(ctx, message("m", ref(1), storage.Inbound, t0))
	_, checks["tickets open"], _ = func() (storage.Ticket, error, bool) {
		tk, created, err := st.Tickets().Open(ctx, ticket(ref(1), "general", 0, t0), t0)
		return tk, err, created
	}()
	_, checks["tickets claim"] = st.Tickets().ClaimNext(ctx, "s", nil, t0)
	_, checks["broadcasts get"] = st.Broadcasts().Get(ctx, "b")
	checks["audit append"] = st.Audit().Append(ctx, storage.AuditEntry{Actor: "a", Action: "b", At: t0})
	_, checks["staff list"] = st.Staff().List(ctx)
	for name, err := range checks {
		if !errors.Is(err, storage.ErrClosed) {
			t.Errorf("%s after Close: error = %v; want ErrClosed", name, err)
		}
	}
	_ = st.Close() // a second Close must not panic
}

func storeCancelled(t *testing.T, st storage.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := st.Contacts().Touch(ctx, ref(1), t0); err == nil {
		t.Fatal("touch with a cancelled context succeeded")
	}
	if _, err := st.Inbox().Put(ctx, []storage.InboxItem{item("a", "p")}, t0); err == nil {
		t.Fatal("put with a cancelled context succeeded")
	}
	_, err := st.Contacts().Get(t.Context(), ref(1))
	is(t, err, storage.ErrNotFound)
}
