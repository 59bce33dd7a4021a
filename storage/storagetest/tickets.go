package storagetest

import (
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage"
)

var ticketTests = []test{
	{"OpenAssigns", ticketOpenAssigns},
	{"OpenReturnsTheActiveTicket", ticketOpenExisting},
	{"ClaimNextMostUrgentFirst", ticketClaimOrder},
	{"ClaimNextByQueue", ticketClaimQueues},
	{"UpdateComparesVersion", ticketUpdate},
	{"ReopenWhileAnotherIsActive", ticketReopen},
	{"ListFiltersAndOrders", ticketList},
	{"NotesAreCopied", ticketNotes},
	{"Validates", ticketValidates},
}

func ticket(r storage.ContactRef, queue string, priority int, due time.Time) storage.Ticket {
	return storage.Ticket{Contact: r, Queue: queue, Priority: priority, Category: "protection.violence", DueAt: due}
}

func ticketOpenAssigns(t *testing.T, st storage.Store) {
	ts := st.Tickets()
	tk, created := of2(ts.Open(t.Context(), ticket(ref(1), "protection", 3, at(15*time.Minute)), t0)).must(t)
	eq(t, created, true, "created")
	if tk.ID == "" {
		t.Fatal("open assigned no id")
	}
	if tk.Arrival == 0 {
		t.Fatal("open assigned no arrival")
	}
	eq(t, tk.State, storage.TicketOpen, "state")
	eq(t, tk.Version, int64(1), "version")
	sameTime(t, tk.OpenedAt, t0, "opened")
	got := of(ts.Get(t.Context(), tk.ID)).must(t)
	eq(t, got.Contact, ref(1), "contact")
	eq(t, got.Queue, "protection", "queue")
	eq(t, got.Priority, 3, "priority")
	eq(t, got.Category, "protection.violence", "category")
	eq(t, got.State, storage.TicketOpen, "stored state")
	eq(t, got.Arrival, tk.Arrival, "arrival")
	sameTime(t, got.DueAt, at(15*time.Minute), "due")
	eq(t, of(ts.Active(t.Context(), ref(1))).must(t).ID, tk.ID, "active")
	_, err := ts.Get(t.Context(), "no-such-ticket")
	is(t, err, storage.ErrNotFound)
	_, err = ts.Active(t.Context(), ref(2))
	is(t, err, storage.ErrNotFound)
	second, _ := of2(ts.Open(t.Context(), ticket(ref(2), "general", 0, at(time.Hour)), t0)).must(t)
	if second.Arrival <= tk.Arrival {
		t.Fatalf("arrival %d after %d: want increasing", second.Arrival, tk.Arrival)
	}
}

func ticketOpenExisting(t *testing.T, st storage.Store) {
	ts := st.Tickets()
	first, _ := of2(ts.Open(t.Context(), ticket(ref(1), "general", 0, at(time.Hour)), t0)).must(t)
	again, created := of2(ts.Open(t.Context(), ticket(ref(1), "protection", 3, at(time.Minute)), at(time.Minute))).must(t)
	eq(t, created, false, "created while one is open")
	eq(t, again.ID, first.ID, "id")
	eq(t, again.Priority, 0, "priority of the existing ticket")
	claimed := of(ts.ClaimNext(t.Context(), "staff-1", nil, at(2*time.Minute))).must(t)
	again, created = of2(ts.Open(t.Context(), ticket(ref(1), "general", 1, at(time.Hour)), at(3*time.Minute))).must(t)
	eq(t, created, false, "created while one is claimed")
	eq(t, again.ID, first.ID, "id while claimed")
	claimed.State = storage.TicketClosed
	of(ts.Update(t.Context(), claimed, at(4*time.Minute))).must(t)
	fresh, created := of2(ts.Open(t.Context(), ticket(ref(1), "general", 1, at(time.Hour)), at(5*time.Minute))).must(t)
	eq(t, created, true, "created after closing")
	if fresh.ID == first.ID {
		t.Fatal("a new ticket reused the closed ticket's id")
	}
}

func ticketClaimOrder(t *testing.T, st storage.Store) {
	ts := st.Tickets()
	open := func(i, priority int, due time.Time) string {
		tk, _ := of2(ts.Open(t.Context(), ticket(ref(i), "general", priority, due), t0)).must(t)
		return tk.ID
	}
	var none time.Time
	a := open(1, 1, at(2*time.Hour))
	b := open(2, 3, at(4*time.Hour))
	c := open(3, 1, at(time.Hour))
	d := open(4, 1, none) // no SLA: after every set due time of its priority
	e := open(5, 1, at(time.Hour))
	f := open(6, 0, at(time.Minute))
	g := open(7, 3, at(4*time.Hour))
	want := []string{b, g, c, e, a, d, f}
	var got []string
	for range want {
		tk := of(ts.ClaimNext(t.Context(), "staff-1", nil, at(time.Minute))).must(t)
		eq(t, tk.State, storage.TicketClaimed, "state")
		eq(t, tk.Assignee, "staff-1", "assignee")
		got = append(got, tk.ID)
		stored := of(ts.Get(t.Context(), tk.ID)).must(t)
		eq(t, stored.State, storage.TicketClaimed, "stored state")
		eq(t, stored.Assignee, "staff-1", "stored assignee")
		eq(t, stored.Version, tk.Version, "stored version")
	}
	sameSlice(t, got, want, "claim order")
	_, err := ts.ClaimNext(t.Context(), "staff-1", nil, at(time.Minute))
	is(t, err, storage.ErrNotFound)
}

func ticketClaimQueues(t *testing.T, st storage.Store) {
	ts := st.Tickets()
	p, _ := of2(ts.Open(t.Context(), ticket(ref(1), "protection", 3, at(time.Hour)), t0)).must(t)
	g, _ := of2(ts.Open(t.Context(), ticket(ref(2), "general", 0, at(time.Hour)), t0)).must(t)
	f, _ := of2(ts.Open(t.Context(), ticket(ref(3), "fraud", 1, at(time.Hour)), t0)).must(t)
	eq(t, of(ts.ClaimNext(t.Context(), "s1", []string{"general", "fraud"}, t0)).must(t).ID, f.ID, "first of general and fraud")
	eq(t, of(ts.ClaimNext(t.Context(), "s1", []string{"general", "fraud"}, t0)).must(t).ID, g.ID, "second of general and fraud")
	_, err := ts.ClaimNext(t.Context(), "s1", []string{"general", "fraud"}, t0)
	is(t, err, storage.ErrNotFound)
	_, err = ts.ClaimNext(t.Context(), "s1", []string{"nobody"}, t0)
	is(t, err, storage.ErrNotFound)
	eq(t, of(ts.ClaimNext(t.Context(), "s1", nil, t0)).must(t).ID, p.ID, "any queue")
}

func ticketUpdate(t *testing.T, st storage.Store) {
	ts := st.Tickets()
	tk, _ := of2(ts.Open(t.Context(), ticket(ref(1), "general", 0, at(time.Hour)), t0)).must(t)
	tk.Priority = 2
	tk.Escalated = 1
	tk.AckedAt = at(time.Minute)
	tk.DueAt = at(30 * time.Minute)
	u := of(ts.Update(t.Context(), tk, at(time.Minute))).must(t)
	eq(t, u.Version, tk.Version+1, "version")
	eq(t, u.Priority, 2, "priority")
	sameTime(t, u.UpdatedAt, at(time.Minute), "updated")
	got := of(ts.Get(t.Context(), tk.ID)).must(t)
	eq(t, got.Priority, 2, "stored priority")
	eq(t, got.Escalated, 1, "stored escalated")
	sameTime(t, got.AckedAt, at(time.Minute), "stored acked at")
	sameTime(t, got.DueAt, at(30*time.Minute), "stored due")
	eq(t, got.Arrival, tk.Arrival, "arrival")
	sameTime(t, got.OpenedAt, t0, "opened")

	tk.Priority = 3
	_, err := ts.Update(t.Context(), tk, at(2*time.Minute))
	is(t, err, storage.ErrConflict)
	eq(t, of(ts.Get(t.Context(), tk.ID)).must(t).Priority, 2, "priority after a lost update")

	u.State = storage.TicketClosed
	closed := of(ts.Update(t.Context(), u, at(3*time.Minute))).must(t)
	sameTime(t, closed.ClosedAt, at(3*time.Minute), "closed at")
	_, err = ts.Active(t.Context(), ref(1))
	is(t, err, storage.ErrNotFound)
	_, err = ts.ClaimNext(t.Context(), "s1", nil, at(3*time.Minute))
	is(t, err, storage.ErrNotFound)

	_, err = ts.Update(t.Context(), storage.Ticket{ID: "no-such-ticket", Contact: ref(1), State: storage.TicketOpen, Version: 1}, t0)
	is(t, err, storage.ErrNotFound)
}

func ticketReopen(t *testing.T, st storage.Store) {
	ts := st.Tickets()
	first, _ := of2(ts.Open(t.Context(), ticket(ref(1), "general", 0, at(time.Hour)), t0)).must(t)
	first.State = storage.TicketClosed
	first = of(ts.Update(t.Context(), first, at(time.Minute))).must(t)
	second, _ := of2(ts.Open(t.Context(), ticket(ref(1), "general", 0, at(time.Hour)), at(2*time.Minute))).must(t)
	first.State = storage.TicketOpen
	_, err := ts.Update(t.Context(), first, at(3*time.Minute))
	is(t, err, storage.ErrConflict)
	eq(t, of(ts.Active(t.Context(), ref(1))).must(t).ID, second.ID, "active")
	second.State = storage.TicketClosed
	of(ts.Update(t.Context(), second, at(4*time.Minute))).must(t)
	reopened := of(ts.Update(t.Context(), first, at(5*time.Minute))).must(t)
	eq(t, reopened.State, storage.TicketOpen, "reopened state")
	eq(t, of(ts.Active(t.Context(), ref(1))).must(t).ID, first.ID, "active after reopening")
}

func ticketList(t *testing.T, st storage.Store) {
	ts := st.Tickets()
	var ids []string
	for i, p := range []int{0, 2, 1, 2} {
		queue := "general"
		if i%2 == 1 {
			queue = "protection"
		}
		tk, _ := of2(ts.Open(t.Context(), ticket(ref(i), queue, p, at(time.Duration(i+1)*time.Hour)), t0)).must(t)
		ids = append(ids, tk.ID)
	}
	claimed := of(ts.ClaimNext(t.Context(), "s1", nil, t0)).must(t) // ids[1]
	eq(t, claimed.ID, ids[1], "claimed")
	listIDs := func(f storage.TicketFilter) []string {
		var out []string
		for _, tk := range of(ts.List(t.Context(), f)).must(t) {
			out = append(out, tk.ID)
		}
		return out
	}
	sameSlice(t, listIDs(storage.TicketFilter{}), []string{ids[1], ids[3], ids[2], ids[0]}, "all, most urgent first")
	sameSlice(t, listIDs(storage.TicketFilter{States: []storage.TicketState{storage.TicketOpen}}), []string{ids[3], ids[2], ids[0]}, "open")
	sameSlice(t, listIDs(storage.TicketFilter{Queues: []string{"general"}}), []string{ids[2], ids[0]}, "general")
	r := ref(3)
	sameSlice(t, listIDs(storage.TicketFilter{Contact: &r}), []string{ids[3]}, "one contact")
	sameSlice(t, listIDs(storage.TicketFilter{Limit: 2}), []string{ids[1], ids[3]}, "limit 2")
	sameSlice(t, listIDs(storage.TicketFilter{States: []storage.TicketState{storage.TicketClosed}}), nil, "closed")
	_, err := ts.List(t.Context(), storage.TicketFilter{Limit: -1})
	invalid(t, err)
}

func ticketNotes(t *testing.T, st storage.Store) {
	ts := st.Tickets()
	tk, _ := of2(ts.Open(t.Context(), ticket(ref(1), "general", 0, at(time.Hour)), t0)).must(t)
	notes := []storage.TicketNote{{At: at(time.Minute), Author: "staff-1", Text: "called back, no answer"}}
	tk.Notes = notes
	u := of(ts.Update(t.Context(), tk, at(time.Minute))).must(t)
	notes[0].Text = "changed by the caller"
	u.Notes[0].Text = "changed through the result"
	got := of(ts.Get(t.Context(), tk.ID)).must(t)
	if len(got.Notes) != 1 {
		t.Fatalf("%d notes; want 1", len(got.Notes))
	}
	eq(t, got.Notes[0].Text, "called back, no answer", "note text")
	eq(t, got.Notes[0].Author, "staff-1", "note author")
	sameTime(t, got.Notes[0].At, at(time.Minute), "note at")
}

func ticketValidates(t *testing.T, st storage.Store) {
	ts := st.Tickets()
	_, _, err := ts.Open(t.Context(), ticket(storage.ContactRef{Channel: "whatsapp"}, "general", 0, t0), t0)
	invalid(t, err)
	bad := ticket(ref(1), "general", 0, t0)
	bad.State = storage.TicketClosed
	_, _, err = ts.Open(t.Context(), bad, t0)
	invalid(t, err)
	_, err = ts.ClaimNext(t.Context(), "", nil, t0)
	invalid(t, err)
	_, err = ts.Get(t.Context(), "")
	invalid(t, err)
	_, err = ts.Active(t.Context(), storage.ContactRef{})
	invalid(t, err)
	tk, _ := of2(ts.Open(t.Context(), ticket(ref(1), "general", 0, t0), t0)).must(t)
	tk.State = "lost"
	_, err = ts.Update(t.Context(), tk, t0)
	invalid(t, err)
	eq(t, len(of(ts.List(t.Context(), storage.TicketFilter{})).must(t)), 1, "tickets after rejected calls")
}
