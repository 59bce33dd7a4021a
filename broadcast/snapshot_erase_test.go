package broadcast_test

import (
	"context"
	"crypto/rand"
	"path/filepath"
	"testing"
	"time"

	"github.com/impactchat/impactchat/broadcast"
	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/keyring"
	"github.com/impactchat/impactchat/storage/memory"
	"github.com/impactchat/impactchat/storage/postgres/postgrestest"
	"github.com/impactchat/impactchat/storage/sqlite"
)

// A person erased while a campaign's snapshot is taken (after their
// eligibility was read, before the snapshot stores its recipients, which
// for a line of 60,000 people is a long window) is stored as Erase leaves a
// recipient: skipped, without their number or parameters. They used to be
// stored whole, under a fresh data key, readable for the campaign's life.
func checkSnapshotRacingErasure(t *testing.T, st storage.Store) {
	ctx := t.Context()
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	seed(t, ctx, st, 2, at, true, allConsent(at))
	base := broadcast.ConsentEligibility{Log: st.Consent()}
	elig := broadcast.EligibilityFunc(func(ctx context.Context, to storage.ContactRef, p chat.Purpose, now time.Time) (bool, string, error) {
		if to == ref(1) {
			// Person 0's DELETE is handled now, after the snapshot
			// checked them.
			if err := st.Erase(ctx, ref(0)); err != nil {
				return false, "", err
			}
		}
		return base.Eligible(ctx, to, p, now)
	})
	r := newRunner(t, st, &recorder{}, broadcast.WithEligibility(elig))
	spec := alertSpec()
	spec.Template.Body = []chat.Param{{Value: ""}}
	spec.ParamFields = []string{"city"}
	c, err := r.Start(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := st.Broadcasts().Recipients(ctx, c.ID, "", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 {
		t.Fatalf("%d recipients; want 2", len(rs))
	}
	for _, rec := range rs {
		if rec.Contact == ref(0) || (rec.Contact == storage.ContactRef{} && (rec.State != storage.RecipientSkipped || rec.Params != nil)) {
			t.Errorf("recipient %d after person 0 was erased: %+v", rec.Seq, rec)
		}
	}
}

func TestSnapshotRacingErasureMemory(t *testing.T) {
	t.Parallel()
	checkSnapshotRacingErasure(t, memory.New())
}

func TestSnapshotRacingErasureSQLite(t *testing.T) {
	t.Parallel()
	secret := make([]byte, 32)
	rand.Read(secret)
	ring, err := keyring.New(secret)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "line.db"), sqlite.WithKeyring(ring))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	checkSnapshotRacingErasure(t, st)
}

func TestSnapshotRacingErasurePostgres(t *testing.T) {
	t.Parallel()
	checkSnapshotRacingErasure(t, postgrestest.Open(t))
}
