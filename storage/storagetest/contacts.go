package storagetest

import (
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage"
)

var contactTests = []test{
	{"TouchCreates", contactTouchCreates},
	{"TouchMovesLastInboundForwardOnly", contactTouchForward},
	{"TouchKeepsWithinSlack", contactTouchSlack},
	{"ChannelsAreSeparate", contactChannelsSeparate},
	{"NotFound", contactNotFound},
	{"UpdateComparesVersion", contactUpdate},
	{"RecordsAreCopies", contactCopies},
	{"Validates", contactValidates},
	{"ListInCreationOrder", contactList},
}

func contactTouchCreates(t *testing.T, st storage.Store) {
	cs := st.Contacts()
	c := of(cs.Touch(t.Context(), ref(1), t0)).must(t)
	if c.ID == "" {
		t.Fatal("touch assigned no id")
	}
	eq(t, c.Ref, ref(1), "ref")
	eq(t, c.Version, int64(1), "version")
	sameTime(t, c.LastInboundAt, t0, "last inbound")
	sameTime(t, c.CreatedAt, t0, "created")
	got := of(cs.Get(t.Context(), ref(1))).must(t)
	eq(t, got.ID, c.ID, "id by ref")
	eq(t, got.Ref, ref(1), "ref by ref")
	byID := of(cs.GetByID(t.Context(), c.ID)).must(t)
	eq(t, byID.Ref, ref(1), "ref by id")
	sameTime(t, byID.LastInboundAt, t0, "last inbound by id")
	again := of(cs.Touch(t.Context(), ref(1), t0)).must(t)
	eq(t, again.ID, c.ID, "id of a second touch")
	// A second message in the same instant changes nothing.
	eq(t, again.Version, c.Version, "version after a touch at the same time")
	sameTime(t, again.UpdatedAt, c.UpdatedAt, "updated after a touch at the same time")
}

func contactTouchForward(t *testing.T, st storage.Store) {
	cs := st.Contacts()
	c := of(cs.Touch(t.Context(), ref(1), t0)).must(t)
	later := of(cs.Touch(t.Context(), ref(1), at(time.Hour))).must(t)
	sameTime(t, later.LastInboundAt, at(time.Hour), "last inbound after a later touch")
	if later.Version <= c.Version {
		t.Fatalf("version %d after a write; was %d", later.Version, c.Version)
	}
	earlier := of(cs.Touch(t.Context(), ref(1), at(time.Minute))).must(t)
	sameTime(t, earlier.LastInboundAt, at(time.Hour), "last inbound after an earlier touch")
	eq(t, earlier.Version, later.Version, "version after an earlier touch")
	sameTime(t, earlier.CreatedAt, t0, "created")
	got := of(cs.Get(t.Context(), ref(1))).must(t)
	sameTime(t, got.LastInboundAt, at(time.Hour), "stored last inbound")
}

// contactTouchSlack: a touch soon after the last may leave the stored time
// behind, but never by TouchSlack or more, and never ahead of the message.
func contactTouchSlack(t *testing.T, st storage.Store) {
	cs := st.Contacts()
	ctx := t.Context()
	first := of(cs.Touch(ctx, ref(1), t0)).must(t)
	soon := at(10 * time.Second)
	for _, c := range []storage.Contact{of(cs.Touch(ctx, ref(1), soon)).must(t), of(cs.Get(ctx, ref(1))).must(t)} {
		if got := c.LastInboundAt; got.Before(t0) || got.After(soon) || !got.After(soon.Add(-storage.TouchSlack)) {
			t.Fatalf("last inbound %v after touches at %v and %v; want within %v before the second", got, t0, soon, storage.TouchSlack)
		}
		eq(t, c.ID, first.ID, "contact id")
	}
	late := soon.Add(storage.TouchSlack)
	c := of(cs.Touch(ctx, ref(1), late)).must(t)
	sameTime(t, c.LastInboundAt, late, "last inbound a slack after")
	sameTime(t, of(cs.Get(ctx, ref(1))).must(t).LastInboundAt, late, "stored last inbound a slack after")
	if c.Version <= first.Version {
		t.Fatalf("version %d after a write; was %d", c.Version, first.Version)
	}
}

func contactChannelsSeparate(t *testing.T, st storage.Store) {
	cs := st.Contacts()
	wa := storage.ContactRef{Channel: "whatsapp", Identifier: "15550001111"}
	tg := storage.ContactRef{Channel: "telegram", Identifier: "15550001111"}
	a := of(cs.Touch(t.Context(), wa, t0)).must(t)
	b := of(cs.Touch(t.Context(), tg, t0)).must(t)
	if a.ID == b.ID {
		t.Fatal("one identifier on two channels gave one contact")
	}
	eq(t, of(cs.Get(t.Context(), tg)).must(t).ID, b.ID, "id on the second channel")
}

func contactNotFound(t *testing.T, st storage.Store) {
	cs := st.Contacts()
	_, err := cs.Get(t.Context(), ref(1))
	is(t, err, storage.ErrNotFound)
	_, err = cs.GetByID(t.Context(), "no-such-contact")
	is(t, err, storage.ErrNotFound)
	_, err = cs.Update(t.Context(), storage.Contact{ID: "no-such-contact", Ref: ref(1), Version: 1}, t0)
	is(t, err, storage.ErrNotFound)
}

func contactUpdate(t *testing.T, st storage.Store) {
	cs := st.Contacts()
	c := of(cs.Touch(t.Context(), ref(1), t0)).must(t)
	c.Name = "Amal"
	c.Language = "ar"
	c.Fields = map[string]string{"city": "Amman", "household": "4"}
	u := of(cs.Update(t.Context(), c, at(time.Minute))).must(t)
	eq(t, u.Version, c.Version+1, "version")
	eq(t, u.Name, "Amal", "name")
	eq(t, u.Language, "ar", "language")
	sameMap(t, u.Fields, c.Fields, "fields")
	sameTime(t, u.UpdatedAt, at(time.Minute), "updated")
	sameTime(t, u.LastInboundAt, t0, "last inbound")
	got := of(cs.GetByID(t.Context(), c.ID)).must(t)
	eq(t, got.Name, "Amal", "stored name")
	sameMap(t, got.Fields, c.Fields, "stored fields")
	eq(t, got.Version, u.Version, "stored version")

	c.Name = "stale"
	_, err := cs.Update(t.Context(), c, at(2*time.Minute))
	is(t, err, storage.ErrConflict)
	eq(t, of(cs.Get(t.Context(), ref(1))).must(t).Name, "Amal", "name after a lost update")

	// A touch is a write: an update holding the version before it loses.
	of(cs.Touch(t.Context(), ref(1), at(time.Hour))).must(t)
	u.Name = "also stale"
	_, err = cs.Update(t.Context(), u, at(time.Hour))
	is(t, err, storage.ErrConflict)
}

func contactCopies(t *testing.T, st storage.Store) {
	cs := st.Contacts()
	c := of(cs.Touch(t.Context(), ref(1), t0)).must(t)
	fields := map[string]string{"city": "Amman"}
	c.Fields = fields
	u := of(cs.Update(t.Context(), c, t0)).must(t)
	fields["city"] = "changed by the caller"
	u.Fields["city"] = "changed through the result"
	got := of(cs.Get(t.Context(), ref(1))).must(t)
	eq(t, got.Fields["city"], "Amman", "stored field")
	got.Fields["city"] = "changed through a read"
	eq(t, of(cs.GetByID(t.Context(), c.ID)).must(t).Fields["city"], "Amman", "stored field after a read was changed")
}

func contactValidates(t *testing.T, st storage.Store) {
	cs := st.Contacts()
	for _, r := range []storage.ContactRef{{Channel: "whatsapp"}, {Identifier: "15550000001"}, {}} {
		_, err := cs.Touch(t.Context(), r, t0)
		invalid(t, err)
		_, err = cs.Get(t.Context(), r)
		invalid(t, err)
	}
	_, err := cs.GetByID(t.Context(), "")
	invalid(t, err)
	eq(t, len(collect(t, cs.List(t.Context()))), 0, "contacts after rejected touches")
}

func contactList(t *testing.T, st storage.Store) {
	cs := st.Contacts()
	var ids []string
	for i := range 5 {
		ids = append(ids, of(cs.Touch(t.Context(), ref(5-i), at(time.Duration(i)*time.Second))).must(t).ID)
	}
	var got []string
	for _, c := range collect(t, cs.List(t.Context())) {
		got = append(got, c.ID)
	}
	sameSlice(t, got, ids, "ids in creation order")
	n := 0
	for _, err := range cs.List(t.Context()) {
		ok(t, err)
		n++
		if n == 2 {
			break
		}
	}
	eq(t, n, 2, "contacts seen before stopping")
}
