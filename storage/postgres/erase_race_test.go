package postgres_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/postgres/postgrestest"
)

// TestEraseRacesWriters erases a contact while other replicas write for
// them: afterwards every row is either gone or readable, never sealed under
// a destroyed key.
func TestEraseRacesWriters(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	u := postgrestest.URL(t)
	a, b := postgrestest.OpenURL(t, u), postgrestest.OpenURL(t, u)
	ref := storage.ContactRef{Channel: "whatsapp", Identifier: "4915199999999"}
	for round := range 20 {
		var wg sync.WaitGroup
		wg.Go(func() {
			for i := range 3 {
				if err := a.Messages().Record(ctx, storage.MessageRecord{ID: fmt.Sprintf("m%d-%d", round, i), Contact: ref,
					Direction: storage.Inbound, Body: "hello", At: t0}); err != nil {
					t.Error(err)
				}
				if _, err := a.Contacts().Touch(ctx, ref, t0); err != nil {
					t.Error(err)
				}
			}
		})
		wg.Go(func() {
			if err := b.Erase(ctx, ref); err != nil {
				t.Error(err)
			}
		})
		wg.Wait()
		if _, err := a.Messages().History(ctx, ref, 0); err != nil {
			t.Fatalf("round %d: history: %v", round, err)
		}
		if _, err := a.Contacts().Get(ctx, ref); err != nil && !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("round %d: contact: %v", round, err)
		}
		var orphans int
		if err := a.DB().QueryRow(`SELECT
	(SELECT COUNT(*) FROM messages m WHERE NOT EXISTS (SELECT 1 FROM dek d WHERE d.subject = m.subject)) +
	(SELECT COUNT(*) FROM contacts c WHERE NOT EXISTS (SELECT 1 FROM dek d WHERE d.subject = c.subject))`).Scan(&orphans); err != nil {
			t.Fatal(err)
		}
		if orphans != 0 {
			t.Fatalf("round %d: %d rows sealed under a destroyed key", round, orphans)
		}
	}
}
