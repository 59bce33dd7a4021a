package consent_test

import (
	"errors"
	"testing"
	"time"

	"github.com/impactchat/impactchat/consent"
	"github.com/impactchat/impactchat/storage"
)

// A person declines (dropResidue erases what the runtime kept, which turns
// the consent state into a tombstone with Erased set and no Contact), then
// writes once more. chat.Server touches their contact record again before
// the Gate runs; the Gate, silent within the prompt window, drops it again.
// Otherwise Sweep, which finds the tombstone without a Contact, would forget
// the ledger and leave the contact record (sealed identifier, last inbound
// time) for good (C7/G2: declined users leave only the minimum).
func TestDeclinedThenWritesLeavesNoContact(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	who := addr("4915123456789")
	ref := refOf(who)
	e.written(t, who, "hello")
	e.tapped(t, who, consent.ChoiceDecline)
	if _, err := e.store.Contacts().Get(ctx, ref); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("decline left the contact: %v", err)
	}
	e.clock.Advance(time.Hour)
	e.written(t, who, "ok thanks")
	e.clock.Advance(100 * 24 * time.Hour)
	rep, err := e.svc.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, found, _ := e.svc.State(ctx, ref); found {
		t.Fatalf("ledger not forgotten: %+v", rep)
	}
	if _, err := e.store.Contacts().Get(ctx, ref); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the ledger of a person who declined was forgotten (%+v) but their contact record stays: %v", rep, err)
	}
}
