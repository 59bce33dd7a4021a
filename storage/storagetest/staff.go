package storagetest

import (
	"testing"

	"github.com/impactchat/impactchat/storage"
)

var staffTests = []test{
	{"CreateThenFind", staffCreate},
	{"UpdateComparesVersion", staffUpdate},
	{"ListByLogin", staffList},
	{"Validates", staffValidates},
}

func account(login string) storage.StaffAccount {
	return storage.StaffAccount{Login: login, Name: "Name of " + login, PasswordHash: []byte("$2a$10$hash-of-" + login), Roles: []string{"agent"}}
}

func staffCreate(t *testing.T, st storage.Store) {
	ss := st.Staff()
	a := of(ss.Create(t.Context(), account("nour"))).must(t)
	if a.ID == "" {
		t.Fatal("create assigned no id")
	}
	eq(t, a.Version, int64(1), "version")
	got := of(ss.ByLogin(t.Context(), "nour")).must(t)
	eq(t, got.ID, a.ID, "id by login")
	eq(t, got.Name, "Name of nour", "name")
	sameBytes(t, got.PasswordHash, []byte("$2a$10$hash-of-nour"), "password hash")
	sameSlice(t, got.Roles, []string{"agent"}, "roles")
	eq(t, of(ss.Get(t.Context(), a.ID)).must(t).Login, "nour", "login by id")
	_, err := ss.Create(t.Context(), account("nour"))
	is(t, err, storage.ErrConflict)
	_, err = ss.ByLogin(t.Context(), "sami")
	is(t, err, storage.ErrNotFound)
	_, err = ss.Get(t.Context(), "no-such-account")
	is(t, err, storage.ErrNotFound)
	got.Roles[0] = "changed through a read"
	sameSlice(t, of(ss.Get(t.Context(), a.ID)).must(t).Roles, []string{"agent"}, "stored roles")
}

func staffUpdate(t *testing.T, st storage.Store) {
	ss := st.Staff()
	a := of(ss.Create(t.Context(), account("nour"))).must(t)
	of(ss.Create(t.Context(), account("sami"))).must(t)
	a.Roles = []string{"agent", "supervisor"}
	a.Disabled = true
	u := of(ss.Update(t.Context(), a)).must(t)
	eq(t, u.Version, a.Version+1, "version")
	got := of(ss.ByLogin(t.Context(), "nour")).must(t)
	sameSlice(t, got.Roles, []string{"agent", "supervisor"}, "roles")
	eq(t, got.Disabled, true, "disabled")
	_, err := ss.Update(t.Context(), a)
	is(t, err, storage.ErrConflict)
	u.Login = "sami"
	_, err = ss.Update(t.Context(), u)
	is(t, err, storage.ErrConflict)
	u.Login = "nour.h"
	renamed := of(ss.Update(t.Context(), u)).must(t)
	eq(t, renamed.Login, "nour.h", "new login")
	eq(t, of(ss.ByLogin(t.Context(), "nour.h")).must(t).ID, a.ID, "id by new login")
	_, err = ss.ByLogin(t.Context(), "nour")
	is(t, err, storage.ErrNotFound)
	_, err = ss.Update(t.Context(), storage.StaffAccount{ID: "no-such-account", Login: "x", Version: 1})
	is(t, err, storage.ErrNotFound)
}

func staffList(t *testing.T, st storage.Store) {
	ss := st.Staff()
	for _, l := range []string{"sami", "amal", "nour"} {
		of(ss.Create(t.Context(), account(l))).must(t)
	}
	var logins []string
	for _, a := range of(ss.List(t.Context())).must(t) {
		logins = append(logins, a.Login)
	}
	sameSlice(t, logins, []string{"amal", "nour", "sami"}, "logins")
}

func staffValidates(t *testing.T, st storage.Store) {
	ss := st.Staff()
	_, err := ss.Create(t.Context(), storage.StaffAccount{Name: "no login"})
	invalid(t, err)
	_, err = ss.ByLogin(t.Context(), "")
	invalid(t, err)
	_, err = ss.Get(t.Context(), "")
	invalid(t, err)
	eq(t, len(of(ss.List(t.Context())).must(t)), 0, "accounts after a rejected create")
}
