package broadcast_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/impactchat/impactchat/broadcast"
	"github.com/impactchat/impactchat/storage/memory"
)

// Meta counts the distinct people reached outside their window in a MOVING
// 24 hours. A person reached at T0 and reached again at T0+12h is still
// counted at T0+24h+1m (the second message is inside the last 24 hours).
// With a limit of one, nobody else may then be reached until T0+36h.
// (The runner's daily count kept only the first time it counted a person,
// so at T0+24h it forgot them and let a new one through: two distinct
// people in the moving 24 hours on a tier of one.)
func TestDailyLimitCountsTheLatestReach(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		st := memory.New()
		start := time.Now()
		// Two people, both last heard from two days ago: outside their window.
		seed(t, ctx, st, 2, start.Add(-48*time.Hour), false, allConsent(start))
		snd := &recorder{}
		r := newRunner(t, st, snd, broadcast.WithDailyLimit(1))

		listTo := func(i int) broadcast.Spec {
			s := alertSpec()
			s.Segment.List = []broadcast.Target{{Contact: ref(i)}}
			return s
		}
		run := func(ctx context.Context, s broadcast.Spec) {
			t.Helper()
			c, err := r.Start(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = r.Run(ctx, c.ID)
		}

		// T0: morning alert to person 0.
		run(ctx, listTo(0))
		// T0+12h: evening follow-up to person 0 again (takes no new place).
		time.Sleep(12 * time.Hour)
		run(ctx, listTo(0))
		if snd.count(phone(0)) != 2 {
			t.Fatalf("setup: person 0 got %d messages, want 2", snd.count(phone(0)))
		}
		// T0+24h+1m: a campaign to person 1. Person 0 was reached 12h ago,
		// so the moving 24 hours already holds one person: the send must
		// wait (until T0+36h). Give it an hour.
		time.Sleep(12*time.Hour + time.Minute)
		hour, cancel := context.WithTimeout(ctx, time.Hour)
		defer cancel()
		run(hour, listTo(1))
		if n := snd.count(phone(1)); n != 0 {
			t.Errorf("person 1 was messaged at T0+24h01m although person 0 was reached at T0+12h: " +
				"2 distinct people outside their window in the last 24 hours on a daily limit of 1")
		}
	})
}
