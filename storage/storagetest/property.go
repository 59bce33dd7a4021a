package storagetest

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage"
)

var propertyTests = []test{
	{"ClaimNextServesTheMostUrgent", propertyClaimNext},
	{"DeliveryNeverRegresses", propertyDelivery},
}

// urgency is the order of Tickets.ClaimNext: priority descending, DueAt
// ascending with zero last, Arrival ascending.
func urgency(a, b storage.Ticket) int {
	if c := cmp.Compare(b.Priority, a.Priority); c != 0 {
		return c
	}
	if a.DueAt.IsZero() != b.DueAt.IsZero() {
		if a.DueAt.IsZero() {
			return 1
		}
		return -1
	}
	if c := a.DueAt.Compare(b.DueAt); c != 0 {
		return c
	}
	return cmp.Compare(a.Arrival, b.Arrival)
}

// propertyClaimNext opens, claims and closes tickets at random against a
// model of the queue: every ClaimNext gives the ticket the model says is the
// most urgent, and never one of lower priority than an open ticket of the
// same queues.
func propertyClaimNext(t *testing.T, st storage.Store) {
	rng := rand.New(rand.NewPCG(5, 2026))
	ts := st.Tickets()
	queues := []string{"protection", "general", "fraud"}
	model := map[string]storage.Ticket{}
	now := t0
	for step := range 200 {
		now = now.Add(time.Second)
		switch op := rng.IntN(100); {
		case op < 50:
			var due time.Time
			if k := rng.IntN(6); k > 0 {
				due = t0.Add(time.Duration(k) * time.Hour)
			}
			in := ticket(ref(rng.IntN(40)), queues[rng.IntN(len(queues))], rng.IntN(4), due)
			tk, created := of2(ts.Open(t.Context(), in, now)).must(t)
			if created {
				model[tk.ID] = tk
			} else if _, known := model[tk.ID]; !known {
				t.Fatalf("step %d: open returned ticket %s the model does not know", step, tk.ID)
			}
		case op < 85:
			var want []string
			if n := rng.IntN(3); n > 0 {
				for _, i := range rng.Perm(len(queues))[:n] {
					want = append(want, queues[i])
				}
			}
			var best *storage.Ticket
			for _, m := range model {
				if m.State != storage.TicketOpen || (len(want) > 0 && !contains(want, m.Queue)) {
					continue
				}
				if best == nil || urgency(m, *best) < 0 {
					best = &m
				}
			}
			got, err := ts.ClaimNext(t.Context(), "staff", want, now)
			if best == nil {
				if !errors.Is(err, storage.ErrNotFound) {
					t.Fatalf("step %d: claim in %v with nothing open: %v, %v; want ErrNotFound", step, want, got.ID, err)
				}
				continue
			}
			ok(t, err)
			for _, m := range model {
				if m.State == storage.TicketOpen && (len(want) == 0 || contains(want, m.Queue)) && m.Priority > got.Priority {
					t.Fatalf("step %d: claimed priority %d while %s of priority %d is open", step, got.Priority, m.ID, m.Priority)
				}
			}
			if got.ID != best.ID {
				t.Fatalf("step %d: claimed %s (priority %d, due %v, arrival %d); want %s (priority %d, due %v, arrival %d)",
					step, got.ID, got.Priority, got.DueAt, got.Arrival, best.ID, best.Priority, best.DueAt, best.Arrival)
			}
			model[got.ID] = got
		default:
			for id, m := range model {
				if m.State != storage.TicketClaimed {
					continue
				}
				m.State = storage.TicketClosed
				model[id] = of(ts.Update(t.Context(), m, now)).must(t)
				break
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// propertyDelivery applies random status sequences and checks each outcome
// against Delivery.Supersedes: the stored state only ever moves forward.
func propertyDelivery(t *testing.T, st storage.Store) {
	states := []storage.Delivery{storage.DeliverySent, storage.DeliveryDelivered, storage.DeliveryRead, storage.DeliveryPlayed, storage.DeliveryFailed}
	for _, a := range append(states, storage.DeliveryNone) {
		if a.Supersedes(a) {
			t.Fatalf("%q supersedes itself", a)
		}
		for _, b := range states {
			if a.Supersedes(b) && b.Supersedes(a) {
				t.Fatalf("%q and %q supersede each other", a, b)
			}
		}
	}
	rng := rand.New(rand.NewPCG(7, 2026))
	ms := st.Messages()
	for m := range 16 {
		id := fmt.Sprintf("wamid.p%d", m)
		ok(t, ms.Record(t.Context(), message(id, ref(m), storage.Outbound, t0)))
		cur := storage.DeliveryNone
		for step := range 10 {
			d := states[rng.IntN(len(states))]
			code := 0
			if d == storage.DeliveryFailed {
				code = 131000 + rng.IntN(100)
			}
			moved := of(ms.UpdateStatus(t.Context(), id, d, at(time.Duration(step)*time.Second), code)).must(t)
			want := d.Supersedes(cur)
			if moved != want {
				t.Fatalf("%s step %d: %q after %q moved = %v; want %v", id, step, d, cur, moved, want)
			}
			if want {
				cur = d
			}
			got := of(ms.Get(t.Context(), id)).must(t)
			if got.Status != cur {
				t.Fatalf("%s step %d: stored status %q; want %q", id, step, got.Status, cur)
			}
		}
	}
}
