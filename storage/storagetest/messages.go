package storagetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage"
)

var messageTests = []test{
	{"RecordThenGet", messageRecordGet},
	{"RecordExistingIsConflict", messageDuplicate},
	{"Validates", messageValidates},
	{"StatusNeverRegresses", messageStatus},
	{"StatusOfUnknownMessage", messageStatusUnknown},
	{"HistoryLastOldestFirst", messageHistory},
}

func message(id string, r storage.ContactRef, dir storage.Direction, when time.Time) storage.MessageRecord {
	return storage.MessageRecord{ID: id, Contact: r, Direction: dir, Kind: "text", Body: "body of " + id, At: when}
}

func messageRecordGet(t *testing.T, st storage.Store) {
	ms := st.Messages()
	m := storage.MessageRecord{
		ID: "wamid.out.1", Contact: ref(1), Direction: storage.Outbound, Kind: "template",
		Body: "مرحبا، كيف يمكننا مساعدتك؟", Purpose: "service", Staff: "staff-3",
		Status: storage.DeliverySent, StatusAt: at(time.Second), ErrorCode: 0, At: t0,
	}
	ok(t, ms.Record(t.Context(), m))
	got := of(ms.Get(t.Context(), m.ID)).must(t)
	eq(t, got.ID, m.ID, "id")
	eq(t, got.Contact, m.Contact, "contact")
	eq(t, got.Direction, m.Direction, "direction")
	eq(t, got.Kind, m.Kind, "kind")
	eq(t, got.Body, m.Body, "body")
	eq(t, got.Purpose, m.Purpose, "purpose")
	eq(t, got.Staff, m.Staff, "staff")
	eq(t, got.Status, m.Status, "status")
	sameTime(t, got.StatusAt, m.StatusAt, "status at")
	sameTime(t, got.At, m.At, "at")
	_, err := ms.Get(t.Context(), "wamid.none")
	is(t, err, storage.ErrNotFound)
}

func messageDuplicate(t *testing.T, st storage.Store) {
	ms := st.Messages()
	ok(t, ms.Record(t.Context(), message("wamid.1", ref(1), storage.Inbound, t0)))
	other := message("wamid.1", ref(2), storage.Outbound, at(time.Minute))
	other.Body = "another body"
	is(t, ms.Record(t.Context(), other), storage.ErrConflict)
	got := of(ms.Get(t.Context(), "wamid.1")).must(t)
	eq(t, got.Body, "body of wamid.1", "body after a conflicting record")
	eq(t, got.Contact, ref(1), "contact after a conflicting record")
}

func messageValidates(t *testing.T, st storage.Store) {
	ms := st.Messages()
	invalid(t, ms.Record(t.Context(), message("", ref(1), storage.Inbound, t0)))
	invalid(t, ms.Record(t.Context(), message("wamid.1", storage.ContactRef{Channel: "whatsapp"}, storage.Inbound, t0)))
	invalid(t, ms.Record(t.Context(), message("wamid.1", ref(1), "sideways", t0)))
	_, err := ms.Get(t.Context(), "")
	invalid(t, err)
	_, err = ms.History(t.Context(), ref(1), -1)
	invalid(t, err)
	_, err = ms.History(t.Context(), storage.ContactRef{}, 10)
	invalid(t, err)
	ok(t, ms.Record(t.Context(), message("wamid.1", ref(1), storage.Outbound, t0)))
	_, err = ms.UpdateStatus(t.Context(), "wamid.1", storage.DeliveryNone, t0, 0)
	invalid(t, err)
	_, err = ms.UpdateStatus(t.Context(), "wamid.1", "exploded", t0, 0)
	invalid(t, err)
	_, err = ms.UpdateStatus(t.Context(), "", storage.DeliverySent, t0, 0)
	invalid(t, err)
	_, err = ms.Get(t.Context(), "wamid.2")
	is(t, err, storage.ErrNotFound)
}

func messageStatus(t *testing.T, st storage.Store) {
	ms := st.Messages()
	ok(t, ms.Record(t.Context(), message("wamid.1", ref(1), storage.Outbound, t0)))
	steps := []struct {
		d    storage.Delivery
		code int
		want bool
		now  storage.Delivery
	}{
		{storage.DeliveryDelivered, 0, true, storage.DeliveryDelivered},
		{storage.DeliverySent, 0, false, storage.DeliveryDelivered},
		{storage.DeliveryRead, 0, true, storage.DeliveryRead},
		{storage.DeliveryDelivered, 0, false, storage.DeliveryRead},
		{storage.DeliveryFailed, 131047, false, storage.DeliveryRead},
		{storage.DeliveryPlayed, 0, true, storage.DeliveryPlayed},
		{storage.DeliveryRead, 0, false, storage.DeliveryPlayed},
	}
	for i, s := range steps {
		when := at(time.Duration(i+1) * time.Second)
		moved := of(ms.UpdateStatus(t.Context(), "wamid.1", s.d, when, s.code)).must(t)
		eq(t, moved, s.want, fmt.Sprintf("step %d (%s) moved", i, s.d))
		got := of(ms.Get(t.Context(), "wamid.1")).must(t)
		eq(t, got.Status, s.now, fmt.Sprintf("status after step %d (%s)", i, s.d))
		if s.want {
			sameTime(t, got.StatusAt, when, fmt.Sprintf("status at after step %d", i))
		}
	}

	ok(t, ms.Record(t.Context(), message("wamid.2", ref(1), storage.Outbound, t0)))
	eq(t, of(ms.UpdateStatus(t.Context(), "wamid.2", storage.DeliverySent, at(time.Second), 0)).must(t), true, "sent")
	eq(t, of(ms.UpdateStatus(t.Context(), "wamid.2", storage.DeliveryFailed, at(2*time.Second), 131026)).must(t), true, "failed after sent")
	got := of(ms.Get(t.Context(), "wamid.2")).must(t)
	eq(t, got.Status, storage.DeliveryFailed, "status")
	eq(t, got.ErrorCode, 131026, "error code")
	sameTime(t, got.StatusAt, at(2*time.Second), "status at")
	eq(t, of(ms.UpdateStatus(t.Context(), "wamid.2", storage.DeliveryDelivered, at(3*time.Second), 0)).must(t), false, "delivered after failed")
	eq(t, of(ms.UpdateStatus(t.Context(), "wamid.2", storage.DeliveryRead, at(3*time.Second), 0)).must(t), false, "read after failed")
	eq(t, of(ms.Get(t.Context(), "wamid.2")).must(t).Status, storage.DeliveryFailed, "status stays failed")
}

func messageStatusUnknown(t *testing.T, st storage.Store) {
	_, err := st.Messages().UpdateStatus(t.Context(), "wamid.none", storage.DeliveryRead, t0, 0)
	is(t, err, storage.ErrNotFound)
}

func messageHistory(t *testing.T, st storage.Store) {
	ms := st.Messages()
	// Recorded out of order: history goes by At.
	for _, i := range []int{2, 0, 4, 1, 3} {
		dir := storage.Inbound
		if i%2 == 1 {
			dir = storage.Outbound
		}
		ok(t, ms.Record(t.Context(), message(fmt.Sprintf("m%d", i), ref(1), dir, at(time.Duration(i)*time.Minute))))
	}
	ok(t, ms.Record(t.Context(), message("other", ref(2), storage.Inbound, at(time.Minute))))
	ids := func(ms []storage.MessageRecord) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	sameSlice(t, ids(of(ms.History(t.Context(), ref(1), 3)).must(t)), []string{"m2", "m3", "m4"}, "last three")
	sameSlice(t, ids(of(ms.History(t.Context(), ref(1), 0)).must(t)), []string{"m0", "m1", "m2", "m3", "m4"}, "all")
	sameSlice(t, ids(of(ms.History(t.Context(), ref(1), 10)).must(t)), []string{"m0", "m1", "m2", "m3", "m4"}, "limit above the count")
	sameSlice(t, ids(of(ms.History(t.Context(), ref(2), 10)).must(t)), []string{"other"}, "other contact")
	eq(t, len(of(ms.History(t.Context(), ref(3), 10)).must(t)), 0, "unknown contact")
}
