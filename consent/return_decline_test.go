package consent_test

import (
	"errors"
	"testing"
	"time"

	"github.com/impactchat/impactchat/consent"
	"github.com/impactchat/impactchat/storage"
)

// A person erased with DELETE comes back months later, gets the notice and
// declines. chat.Server touched their contact record (sealed identifier,
// last-inbound time) before the Gate ran, as it does for every message. A
// person who declines must leave only the ledger's minimum (C7, G2):
// dropResidue removes the record, and the grant from before the erasure,
// whose data is gone, does not stop it.
func TestReturningErasedPersonDeclinesLeavesNoContact(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	who := addr("4915123456789")
	ref := refOf(who)
	e.written(t, who, "hello")
	e.tapped(t, who, consent.ChoiceAccept)
	e.written(t, who, "DELETE")
	e.clock.Advance(60 * 24 * time.Hour)
	e.written(t, who, "hello again")
	e.tapped(t, who, consent.ChoiceDecline)
	e.clock.Advance(200 * 24 * time.Hour)
	if _, err := e.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Contacts().Get(ctx, ref); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("a person who declined (after an earlier erasure) keeps a contact record 200 days later: %v", err)
	}
}
