package storagetest

import (
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage"
)

var auditTests = []test{
	{"AppendThenList", auditAppendList},
	{"Validates", auditValidates},
}

func auditAppendList(t *testing.T, st storage.Store) {
	au := st.Audit()
	ok(t, au.Append(t.Context(), storage.AuditEntry{At: at(2 * time.Minute), Actor: "staff-1", Action: "contact.revealed", Target: "c1"}))
	detail := map[string]string{"from": "2", "to": "1"}
	ok(t, au.Append(t.Context(), storage.AuditEntry{ID: "a-given", At: t0, Actor: "staff-2", Action: "ticket.priority_lowered", Target: "t1", Detail: detail}))
	ok(t, au.Append(t.Context(), storage.AuditEntry{At: at(time.Minute), Actor: "system", Action: "ticket.escalated", Target: "t1"}))
	detail["from"] = "changed by the caller"
	is(t, au.Append(t.Context(), storage.AuditEntry{ID: "a-given", At: t0, Actor: "staff-2", Action: "again"}), storage.ErrConflict)

	all := of(au.List(t.Context(), time.Time{}, 0)).must(t)
	var actions []string
	for _, e := range all {
		actions = append(actions, e.Action)
		if e.ID == "" {
			t.Fatalf("entry %q has no id", e.Action)
		}
	}
	sameSlice(t, actions, []string{"ticket.priority_lowered", "ticket.escalated", "contact.revealed"}, "actions, oldest first")
	eq(t, all[0].ID, "a-given", "given id")
	eq(t, all[0].Actor, "staff-2", "actor")
	eq(t, all[0].Target, "t1", "target")
	sameTime(t, all[0].At, t0, "at")
	sameMap(t, all[0].Detail, map[string]string{"from": "2", "to": "1"}, "detail")
	if all[1].ID == all[2].ID {
		t.Fatal("two entries share an assigned id")
	}
	all[0].Detail["to"] = "changed through a read"

	since := of(au.List(t.Context(), at(time.Minute), 0)).must(t)
	eq(t, len(since), 2, "entries since one minute")
	eq(t, since[0].Action, "ticket.escalated", "first since one minute")
	limited := of(au.List(t.Context(), time.Time{}, 1)).must(t)
	eq(t, len(limited), 1, "entries with limit 1")
	sameMap(t, limited[0].Detail, map[string]string{"from": "2", "to": "1"}, "stored detail")
}

func auditValidates(t *testing.T, st storage.Store) {
	au := st.Audit()
	invalid(t, au.Append(t.Context(), storage.AuditEntry{At: t0, Action: "x"}))
	invalid(t, au.Append(t.Context(), storage.AuditEntry{At: t0, Actor: "staff-1"}))
	_, err := au.List(t.Context(), time.Time{}, -1)
	invalid(t, err)
	eq(t, len(of(au.List(t.Context(), time.Time{}, 0)).must(t)), 0, "entries after rejected appends")
}
