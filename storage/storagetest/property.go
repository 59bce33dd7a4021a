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
	{"InboxLeasesHeadsInOrder", propertyInboxOrder},
}

// propertyInboxOrder puts, leases (by Claim, and by PutClaim when the
// inbox has it), acks, retries and dead-letters items of a few partitions
// at random against a model of the queues: every lease, however made, is
// exactly what the model says (the oldest free heads, one item per
// partition), and nothing else is leased.
func propertyInboxOrder(t *testing.T, st storage.Store) {
	rng := rand.New(rand.NewPCG(11, 2026))
	in := st.Inbox()
	pc, _ := in.(storage.PutClaimer)
	ctx := t.Context()
	type rec struct {
		key, part string
		seq       int64
		leased    bool
	}
	var active []*rec // the model: items neither acked nor dead, in put order
	seen := map[string]bool{}
	head := func(part string) *rec {
		for _, r := range active {
			if r.part == part {
				return r
			}
		}
		return nil
	}
	// free lists the heads a claim may take, oldest first.
	free := func() []*rec {
		var out []*rec
		named := map[string]bool{}
		for _, r := range active {
			if !named[r.part] && !r.leased {
				out = append(out, r)
			}
			named[r.part] = true
		}
		return out
	}
	nextKey := 0
	leasedAtPut, capped := 0, 0 // how often the walk tried what it checks
	for step := range 600 {
		switch op := rng.IntN(100); {
		case op < 30: // a put, leasing when it can and the coin says so
			var items []storage.InboxItem
			for range 1 + rng.IntN(3) {
				key := fmt.Sprintf("k%d", nextKey)
				if nextKey > 0 && rng.IntN(5) == 0 {
					key = fmt.Sprintf("k%d", rng.IntN(nextKey)) // a delivery that comes again
				} else {
					nextKey++
				}
				items = append(items, storage.InboxItem{Key: key, Partition: fmt.Sprintf("p%d", rng.IntN(8)), Payload: []byte(key), At: t0})
			}
			max := 0
			if pc != nil && rng.IntN(2) == 0 {
				max = rng.IntN(4)
			}
			// What the model expects.
			var wantLeased []string
			named := map[string]bool{}
			leads := 0
			fresh := map[string]bool{}
			for _, it := range items {
				free := !named[it.Partition] && head(it.Partition) == nil
				lead := leads < max && free
				if free && max > 0 && leads >= max {
					capped++
				}
				named[it.Partition] = true
				if lead {
					leads++
				}
				if !seen[it.Key] && !fresh[it.Key] {
					fresh[it.Key] = true
					if lead {
						wantLeased = append(wantLeased, it.Key)
					}
				}
			}
			var res storage.PutResult
			var got []storage.Claimed
			var err error
			if max > 0 {
				res, got, err = pc.PutClaim(ctx, items, t0, "w", max, time.Hour)
			} else {
				res, err = in.Put(ctx, items, t0)
			}
			ok(t, err)
			if fmt.Sprint(keys(got)) != fmt.Sprint(wantLeased) && !(len(got) == 0 && len(wantLeased) == 0) {
				t.Fatalf("step %d: put of %v with max %d leased %v; want %v", step, items, max, keys(got), wantLeased)
			}
			leasedAtPut += len(got)
			bySeq := map[string]int64{}
			for _, c := range got {
				bySeq[c.Key] = c.Seq
			}
			for i, it := range items {
				if res.Fresh[i] != (fresh[it.Key] && !seen[it.Key]) {
					t.Fatalf("step %d: item %s fresh = %v", step, it.Key, res.Fresh[i])
				}
				if res.Fresh[i] {
					seen[it.Key] = true
					_, leased := bySeq[it.Key]
					active = append(active, &rec{key: it.Key, part: it.Partition, seq: bySeq[it.Key], leased: leased})
				}
			}
		case op < 60: // a claim
			max := 1 + rng.IntN(3)
			want := free()
			if len(want) > max {
				want = want[:max]
			}
			got := claim(t, st, "w", max, t0)
			var wantKeys []string
			for _, r := range want {
				wantKeys = append(wantKeys, r.key)
			}
			if fmt.Sprint(keys(got)) != fmt.Sprint(wantKeys) && !(len(got) == 0 && len(wantKeys) == 0) {
				t.Fatalf("step %d: claim of %d took %v; want %v", step, max, keys(got), wantKeys)
			}
			for i, c := range got {
				want[i].leased, want[i].seq = true, c.Seq
			}
		default: // the end of up to three leased items: ack, retry now, or dead-letter
			for range 1 + rng.IntN(3) {
				var held []int
				for i, r := range active {
					if r.leased {
						held = append(held, i)
					}
				}
				if len(held) == 0 {
					break
				}
				i := held[rng.IntN(len(held))]
				r := active[i]
				switch k := rng.IntN(5); {
				case k < 3:
					ok(t, in.Ack(ctx, "w", r.seq))
					active = append(active[:i], active[i+1:]...)
				case k < 4:
					ok(t, in.Nack(ctx, "w", r.seq, t0, "again"))
					r.leased = false
				default:
					ok(t, in.DeadLetter(ctx, "w", r.seq, "set aside"))
					active = append(active[:i], active[i+1:]...)
				}
			}
		}
	}
	t.Logf("leased at put %d; leads past max %d", leasedAtPut, capped)
	if pc != nil && (leasedAtPut == 0 || capped == 0) {
		t.Fatalf("the walk never leased at put (%d) or never passed max (%d): it checks too little", leasedAtPut, capped)
	}
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
