package storagetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage"
)

var broadcastTests = []test{
	{"CreateThenGet", broadcastCreateGet},
	{"UpdateComparesVersion", broadcastUpdate},
	{"RecipientsPageInSeqOrder", broadcastRecipients},
	{"AddRecipientsIsAtomic", broadcastAddAtomic},
	{"TransitionComparesState", broadcastTransition},
	{"Validates", broadcastValidates},
}

func broadcast(id string) storage.Broadcast {
	return storage.Broadcast{ID: id, Name: "vaccination reminder", State: "draft", Spec: []byte(`{"template":"reminder_v2"}`), CreatedAt: t0, UpdatedAt: t0}
}

func recipients(from, n int) []storage.Recipient {
	var out []storage.Recipient
	for i := from; i < from+n; i++ {
		out = append(out, storage.Recipient{Seq: int64(i), Contact: ref(i), Params: []byte(fmt.Sprintf(`["name %d"]`, i)), State: storage.RecipientQueued})
	}
	return out
}

func seqs(rs []storage.Recipient) []int64 {
	var out []int64
	for _, r := range rs {
		out = append(out, r.Seq)
	}
	return out
}

func broadcastCreateGet(t *testing.T, st storage.Store) {
	bs := st.Broadcasts()
	ok(t, bs.Create(t.Context(), broadcast("b1")))
	got := of(bs.Get(t.Context(), "b1")).must(t)
	eq(t, got.Name, "vaccination reminder", "name")
	eq(t, got.State, "draft", "state")
	sameBytes(t, got.Spec, broadcast("b1").Spec, "spec")
	eq(t, got.Version, int64(1), "version")
	sameTime(t, got.CreatedAt, t0, "created")
	is(t, bs.Create(t.Context(), broadcast("b1")), storage.ErrConflict)
	_, err := bs.Get(t.Context(), "b2")
	is(t, err, storage.ErrNotFound)
}

func broadcastUpdate(t *testing.T, st storage.Store) {
	bs := st.Broadcasts()
	ok(t, bs.Create(t.Context(), broadcast("b1")))
	b := of(bs.Get(t.Context(), "b1")).must(t)
	b.State = "running"
	u := of(bs.Update(t.Context(), b)).must(t)
	eq(t, u.Version, b.Version+1, "version")
	eq(t, of(bs.Get(t.Context(), "b1")).must(t).State, "running", "stored state")
	b.State = "cancelled"
	_, err := bs.Update(t.Context(), b)
	is(t, err, storage.ErrConflict)
	eq(t, of(bs.Get(t.Context(), "b1")).must(t).State, "running", "state after a lost update")
	_, err = bs.Update(t.Context(), storage.Broadcast{ID: "b2", Version: 1})
	is(t, err, storage.ErrNotFound)
}

func broadcastRecipients(t *testing.T, st storage.Store) {
	bs := st.Broadcasts()
	ok(t, bs.Create(t.Context(), broadcast("b1")))
	ok(t, bs.Create(t.Context(), broadcast("b2")))
	ok(t, bs.AddRecipients(t.Context(), "b1", recipients(1, 5)))
	ok(t, bs.AddRecipients(t.Context(), "b1", recipients(6, 3)))
	ok(t, bs.AddRecipients(t.Context(), "b2", recipients(1, 2)))
	all := of(bs.Recipients(t.Context(), "b1", "", 0, 0)).must(t)
	sameSlice(t, seqs(all), []int64{1, 2, 3, 4, 5, 6, 7, 8}, "all")
	eq(t, all[2].Broadcast, "b1", "broadcast")
	eq(t, all[2].Contact, ref(3), "contact")
	sameBytes(t, all[2].Params, []byte(`["name 3"]`), "params")
	eq(t, all[2].State, storage.RecipientQueued, "state")
	sameSlice(t, seqs(of(bs.Recipients(t.Context(), "b1", "", 3, 2)).must(t)), []int64{4, 5}, "page after 3")
	sameSlice(t, seqs(of(bs.Recipients(t.Context(), "b1", "", 8, 2)).must(t)), nil, "page after the last")

	r := all[3]
	r.State = storage.RecipientSkipped
	r.Reason = "no_consent"
	ok(t, bs.Transition(t.Context(), r, storage.RecipientQueued))
	sameSlice(t, seqs(of(bs.Recipients(t.Context(), "b1", storage.RecipientQueued, 2, 3)).must(t)), []int64{3, 5, 6}, "queued after 2")
	skipped := of(bs.Recipients(t.Context(), "b1", storage.RecipientSkipped, 0, 0)).must(t)
	sameSlice(t, seqs(skipped), []int64{4}, "skipped")
	eq(t, skipped[0].Reason, "no_consent", "reason")
	sameMap(t, of(bs.Counts(t.Context(), "b1")).must(t), map[storage.RecipientState]int{storage.RecipientQueued: 7, storage.RecipientSkipped: 1}, "counts")
	sameMap(t, of(bs.Counts(t.Context(), "b2")).must(t), map[storage.RecipientState]int{storage.RecipientQueued: 2}, "counts of b2")
	_, err := bs.Recipients(t.Context(), "b3", "", 0, 0)
	is(t, err, storage.ErrNotFound)
	_, err = bs.Counts(t.Context(), "b3")
	is(t, err, storage.ErrNotFound)
	is(t, bs.AddRecipients(t.Context(), "b3", recipients(1, 1)), storage.ErrNotFound)
}

func broadcastAddAtomic(t *testing.T, st storage.Store) {
	bs := st.Broadcasts()
	ok(t, bs.Create(t.Context(), broadcast("b1")))
	ok(t, bs.AddRecipients(t.Context(), "b1", recipients(1, 3)))
	is(t, bs.AddRecipients(t.Context(), "b1", recipients(3, 3)), storage.ErrConflict)
	batch := append(recipients(10, 2), recipients(10, 1)...)
	is(t, bs.AddRecipients(t.Context(), "b1", batch), storage.ErrConflict)
	sameSlice(t, seqs(of(bs.Recipients(t.Context(), "b1", "", 0, 0)).must(t)), []int64{1, 2, 3}, "recipients after rejected batches")
	bad := recipients(20, 2)
	bad[1].Seq = 0
	invalid(t, bs.AddRecipients(t.Context(), "b1", bad))
	bad = recipients(20, 2)
	bad[1].Contact = storage.ContactRef{Channel: "whatsapp"}
	invalid(t, bs.AddRecipients(t.Context(), "b1", bad))
	sameSlice(t, seqs(of(bs.Recipients(t.Context(), "b1", "", 0, 0)).must(t)), []int64{1, 2, 3}, "recipients after invalid batches")
}

func broadcastTransition(t *testing.T, st storage.Store) {
	bs := st.Broadcasts()
	ok(t, bs.Create(t.Context(), broadcast("b1")))
	ok(t, bs.AddRecipients(t.Context(), "b1", recipients(1, 2)))
	r := of(bs.Recipients(t.Context(), "b1", "", 0, 1)).must(t)[0]
	r.State = storage.RecipientSending
	r.Attempts = 1
	r.UpdatedAt = at(time.Second)
	ok(t, bs.Transition(t.Context(), r, storage.RecipientQueued))
	is(t, bs.Transition(t.Context(), r, storage.RecipientQueued), storage.ErrConflict)
	r.State = storage.RecipientSent
	r.MessageID = "wamid.b1.1"
	r.UpdatedAt = at(2 * time.Second)
	ok(t, bs.Transition(t.Context(), r, storage.RecipientSending))
	got := of(bs.ByMessage(t.Context(), "wamid.b1.1")).must(t)
	eq(t, got.Broadcast, "b1", "broadcast")
	eq(t, got.Seq, int64(1), "seq")
	eq(t, got.State, storage.RecipientSent, "state")
	eq(t, got.Attempts, 1, "attempts")
	eq(t, got.Contact, ref(1), "contact")
	sameBytes(t, got.Params, []byte(`["name 1"]`), "params")
	sameTime(t, got.UpdatedAt, at(2*time.Second), "updated")
	r.State = storage.RecipientDelivered
	ok(t, bs.Transition(t.Context(), r, storage.RecipientSent))
	eq(t, of(bs.ByMessage(t.Context(), "wamid.b1.1")).must(t).State, storage.RecipientDelivered, "state by message")
	_, err := bs.ByMessage(t.Context(), "wamid.none")
	is(t, err, storage.ErrNotFound)
	missing := r
	missing.Seq = 99
	is(t, bs.Transition(t.Context(), missing, storage.RecipientQueued), storage.ErrNotFound)
	sameMap(t, of(bs.Counts(t.Context(), "b1")).must(t), map[storage.RecipientState]int{storage.RecipientQueued: 1, storage.RecipientDelivered: 1}, "counts")
}

func broadcastValidates(t *testing.T, st storage.Store) {
	bs := st.Broadcasts()
	invalid(t, bs.Create(t.Context(), storage.Broadcast{Name: "no id"}))
	ok(t, bs.Create(t.Context(), broadcast("b1")))
	_, err := bs.Recipients(t.Context(), "b1", "", 0, -1)
	invalid(t, err)
	_, err = bs.ByMessage(t.Context(), "")
	invalid(t, err)
	_, err = bs.Get(t.Context(), "")
	invalid(t, err)
}
