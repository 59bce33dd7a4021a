package storagetest

import (
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage"
)

var sessionTests = []test{
	{"PutThenGet", sessionPutGet},
	{"PutComparesVersion", sessionCAS},
	{"Expiry", sessionExpiry},
	{"Delete", sessionDelete},
	{"DataIsCopied", sessionCopies},
	{"Validates", sessionValidates},
}

func sessionPutGet(t *testing.T, st storage.Store) {
	ss := st.Sessions()
	_, err := ss.Get(t.Context(), ref(1), t0)
	is(t, err, storage.ErrNotFound)
	s := of(ss.Put(t.Context(), storage.Session{Contact: ref(1), Data: []byte(`{"node":"ask_city"}`)}, t0)).must(t)
	eq(t, s.Version, int64(1), "version after the first put")
	sameTime(t, s.UpdatedAt, t0, "updated")
	sameBytes(t, s.Data, []byte(`{"node":"ask_city"}`), "data")
	got := of(ss.Get(t.Context(), ref(1), t0)).must(t)
	eq(t, got.Contact, ref(1), "contact")
	eq(t, got.Version, int64(1), "stored version")
	sameBytes(t, got.Data, s.Data, "stored data")
	sameTime(t, got.UpdatedAt, t0, "stored updated")
	if !got.ExpiresAt.IsZero() {
		t.Fatalf("expires at %v; want zero", got.ExpiresAt)
	}
	_, err = ss.Get(t.Context(), ref(2), t0)
	is(t, err, storage.ErrNotFound)
}

func sessionCAS(t *testing.T, st storage.Store) {
	ss := st.Sessions()
	s := of(ss.Put(t.Context(), storage.Session{Contact: ref(1), Data: []byte("one")}, t0)).must(t)
	_, err := ss.Put(t.Context(), storage.Session{Contact: ref(1), Data: []byte("again from scratch")}, t0)
	is(t, err, storage.ErrConflict)
	s.Data = []byte("two")
	s2 := of(ss.Put(t.Context(), s, at(time.Second))).must(t)
	eq(t, s2.Version, int64(2), "version after the second put")
	s.Data = []byte("stale")
	_, err = ss.Put(t.Context(), s, at(2*time.Second))
	is(t, err, storage.ErrConflict)
	got := of(ss.Get(t.Context(), ref(1), at(2*time.Second))).must(t)
	sameBytes(t, got.Data, []byte("two"), "data after a lost put")
	sameTime(t, got.UpdatedAt, at(time.Second), "updated")
}

func sessionExpiry(t *testing.T, st storage.Store) {
	ss := st.Sessions()
	s := of(ss.Put(t.Context(), storage.Session{Contact: ref(1), Data: []byte("x"), ExpiresAt: at(time.Hour)}, t0)).must(t)
	sameTime(t, s.ExpiresAt, at(time.Hour), "expires")
	got := of(ss.Get(t.Context(), ref(1), at(30*time.Minute))).must(t)
	sameTime(t, got.ExpiresAt, at(time.Hour), "stored expires")
	_, err := ss.Get(t.Context(), ref(1), at(2*time.Hour))
	is(t, err, storage.ErrNotFound)
	// An expired session counts as none: its version no longer holds.
	s.Data = []byte("late step")
	_, err = ss.Put(t.Context(), s, at(2*time.Hour))
	is(t, err, storage.ErrConflict)
	fresh := of(ss.Put(t.Context(), storage.Session{Contact: ref(1), Data: []byte("new")}, at(2*time.Hour))).must(t)
	got = of(ss.Get(t.Context(), ref(1), at(3*time.Hour))).must(t)
	sameBytes(t, got.Data, []byte("new"), "data of the new session")
	eq(t, got.Version, fresh.Version, "version of the new session")
}

func sessionDelete(t *testing.T, st storage.Store) {
	ss := st.Sessions()
	of(ss.Put(t.Context(), storage.Session{Contact: ref(1), Data: []byte("x")}, t0)).must(t)
	of(ss.Put(t.Context(), storage.Session{Contact: ref(2), Data: []byte("y")}, t0)).must(t)
	ok(t, ss.Delete(t.Context(), ref(1)))
	_, err := ss.Get(t.Context(), ref(1), t0)
	is(t, err, storage.ErrNotFound)
	ok(t, ss.Delete(t.Context(), ref(1)))
	ok(t, ss.Delete(t.Context(), ref(3)))
	of(ss.Put(t.Context(), storage.Session{Contact: ref(1), Data: []byte("again")}, t0)).must(t)
	sameBytes(t, of(ss.Get(t.Context(), ref(2), t0)).must(t).Data, []byte("y"), "other contact's session")
}

func sessionCopies(t *testing.T, st storage.Store) {
	ss := st.Sessions()
	data := []byte("original")
	s := of(ss.Put(t.Context(), storage.Session{Contact: ref(1), Data: data}, t0)).must(t)
	data[0] = 'X'
	s.Data[1] = 'X'
	got := of(ss.Get(t.Context(), ref(1), t0)).must(t)
	sameBytes(t, got.Data, []byte("original"), "stored data")
	got.Data[2] = 'X'
	sameBytes(t, of(ss.Get(t.Context(), ref(1), t0)).must(t).Data, []byte("original"), "stored data after a read was changed")
}

func sessionValidates(t *testing.T, st storage.Store) {
	ss := st.Sessions()
	_, err := ss.Put(t.Context(), storage.Session{Contact: storage.ContactRef{Channel: "whatsapp"}, Data: []byte("x")}, t0)
	invalid(t, err)
	_, err = ss.Put(t.Context(), storage.Session{Contact: ref(1), Data: []byte("x"), Version: -1}, t0)
	invalid(t, err)
	_, err = ss.Get(t.Context(), storage.ContactRef{}, t0)
	invalid(t, err)
	invalid(t, ss.Delete(t.Context(), storage.ContactRef{Identifier: "1"}))
	_, err = ss.Get(t.Context(), ref(1), t0)
	is(t, err, storage.ErrNotFound)
}
