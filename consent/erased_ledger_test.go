package consent_test

import (
	"database/sql"
	"testing"

	"github.com/impactchat/impactchat/storage"
)

// After an erasure (DELETE) the store holds nothing that names the person:
// the events stay with an empty Contact (storage.Store.Erase), the "erased"
// event the Service appends after the store's erasure included, and no data
// key is made for the erased person again.
func checkErasedLedgerNamesNobody(t *testing.T, e *env) {
	ctx := t.Context()
	who := addr("4915123456789")
	ref := refOf(who)
	if err := e.text(who, "hello"); err != nil {
		t.Fatal(err)
	}
	if err := e.tap(who, "consent.accept"); err != nil {
		t.Fatal(err)
	}
	if err := e.text(who, "DELETE"); err != nil {
		t.Fatal(err)
	}
	st, found, err := e.svc.State(ctx, ref)
	if err != nil || !found || !st.Erased {
		t.Fatalf("not erased: %+v %v %v", st, found, err)
	}
	h, err := e.store.Consent().History(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	for i, ev := range h {
		if ev.Contact != (storage.ContactRef{}) {
			t.Errorf("after erasure, event %d (%s) still names the person: %q", i, ev.Type, ev.Contact.Identifier)
		}
	}
}

func TestErasedLedgerNamesNobodyMemory(t *testing.T) {
	checkErasedLedgerNamesNobody(t, newEnv(t))
}

func TestErasedLedgerNamesNobodySQLite(t *testing.T) {
	e, _, path := newSQLiteEnv(t)
	checkErasedLedgerNamesNobody(t, e)
	// No data key for the erased person, and no sealed ref in the ledger.
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var deks, refs int
	if err := raw.QueryRow("SELECT COUNT(*) FROM dek").Scan(&deks); err != nil {
		t.Fatal(err)
	}
	if err := raw.QueryRow("SELECT COUNT(*) FROM consent_events WHERE ref IS NOT NULL").Scan(&refs); err != nil {
		t.Fatal(err)
	}
	if deks != 0 || refs != 0 {
		t.Errorf("after erasure of the only person: %d data keys, %d consent events with a sealed ref", deks, refs)
	}
}
