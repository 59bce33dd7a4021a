package broadcast_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/impactchat/impactchat/broadcast"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/memory"
)

// flakyOutcomes is a store whose broadcasts refuse the first write of an
// outcome matching fail, once each.
type flakyOutcomes struct {
	storage.Store
	bs *flakyBroadcasts
}

func (s flakyOutcomes) Broadcasts() storage.Broadcasts { return s.bs }

type flakyBroadcasts struct {
	storage.Broadcasts
	fail   func(r storage.Recipient, from storage.RecipientState) bool
	always bool // fail every matching write, not once per recipient

	mu     sync.Mutex
	failed map[int64]bool
}

func (b *flakyBroadcasts) Transition(ctx context.Context, r storage.Recipient, from storage.RecipientState) error {
	b.mu.Lock()
	hit := (b.always || !b.failed[r.Seq]) && b.fail(r, from)
	if hit {
		b.failed[r.Seq] = true
	}
	b.mu.Unlock()
	if hit {
		return errors.New("disk I/O error")
	}
	return b.Broadcasts.Transition(ctx, r, from)
}

func withFlakyOutcomes(st storage.Store, fail func(storage.Recipient, storage.RecipientState) bool) flakyOutcomes {
	return flakyOutcomes{Store: st, bs: &flakyBroadcasts{Broadcasts: st.Broadcasts(), fail: fail, failed: map[int64]bool{}}}
}

// A campaign is done only when every recipient has an outcome: one whose
// outcome could not be written is settled first, never left in sending or
// queued in a campaign that will not run again.
func TestDoneCampaignLeavesNoRecipientUnsettled(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		fail     func(storage.Recipient, storage.RecipientState) bool
		withdraw bool // the second recipient withdraws before the run
		sends    int
		want     func(broadcast.Progress) bool
	}{
		{
			// The message went out but its id could not be written: it is
			// reported as unknown and never sent again.
			name: "sent, not recorded",
			fail: func(r storage.Recipient, from storage.RecipientState) bool {
				return r.Seq == 2 && from == storage.RecipientSending && r.State == storage.RecipientSent
			},
			sends: 3,
			want: func(p broadcast.Progress) bool {
				return p.Sent == 2 && p.Unknown == 1 && p.Unknowns["unrecorded"] == 1
			},
		},
		{
			// A skip that could not be written is taken again.
			name: "skip not recorded",
			fail: func(r storage.Recipient, from storage.RecipientState) bool {
				return r.Seq == 2 && from == storage.RecipientQueued && r.State == storage.RecipientSkipped
			},
			withdraw: true,
			sends:    2,
			want: func(p broadcast.Progress) bool {
				return p.Sent == 2 && p.Skipped == 1 && p.Skips["withdrawn"] == 1
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			mem := memory.New()
			now := time.Now()
			seed(t, ctx, mem, 3, now, false, allConsent(now))
			st := withFlakyOutcomes(mem, tc.fail)
			snd := &recorder{}
			r := newRunner(t, st, snd, broadcast.WithThroughput(1000))
			c, err := r.Start(ctx, alertSpec())
			if err != nil {
				t.Fatal(err)
			}
			rs, err := mem.Broadcasts().Recipients(ctx, c.ID, "", 0, 0)
			if err != nil || len(rs) != 3 {
				t.Fatalf("recipients %d, %v", len(rs), err)
			}
			if tc.withdraw {
				withdrawRef(t, ctx, mem, rs[1].Contact, now)
			}
			p, err := r.Run(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if p.State != broadcast.StateDone || p.Sending != 0 || p.Queued != 0 || !tc.want(p) {
				t.Fatalf("progress %+v", p)
			}
			if snd.n != tc.sends {
				t.Fatalf("%d sends", snd.n)
			}
		})
	}
}

// A campaign whose outcomes cannot be written at all stays running, with
// an error that says so, rather than done with recipients never settled.
func TestCampaignStaysRunningWhileOutcomesCannotBeWritten(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	mem := memory.New()
	now := time.Now()
	seed(t, ctx, mem, 2, now, false, allConsent(now))
	st := withFlakyOutcomes(mem, nil)
	st.bs.fail = func(r storage.Recipient, from storage.RecipientState) bool {
		return r.State == storage.RecipientSkipped
	}
	r := newRunner(t, st, &recorder{}, broadcast.WithThroughput(1000))
	c, err := r.Start(ctx, alertSpec())
	if err != nil {
		t.Fatal(err)
	}
	withdrawRef(t, ctx, mem, ref(0), now)
	// The write of the skip fails once: a rescan takes it again.
	p, err := r.Run(ctx, c.ID)
	if err != nil || p.State != broadcast.StateDone || p.Skipped != 1 || p.Sent != 1 {
		t.Fatalf("progress %+v, %v", p, err)
	}

	// Now a store that never records a skip.
	mem2 := memory.New()
	seed(t, ctx, mem2, 2, now, false, allConsent(now))
	st2 := withFlakyOutcomes(mem2, nil)
	st2.bs.always = true
	st2.bs.fail = func(r storage.Recipient, from storage.RecipientState) bool {
		return r.State == storage.RecipientSkipped
	}
	r2 := newRunner(t, st2, &recorder{}, broadcast.WithThroughput(1000))
	c2, err := r2.Start(ctx, alertSpec())
	if err != nil {
		t.Fatal(err)
	}
	withdrawRef(t, ctx, mem2, ref(0), now)
	p, err = r2.Run(ctx, c2.ID)
	if err == nil || p.State != broadcast.StateRunning || p.Queued != 1 {
		t.Fatalf("progress %+v, %v; want running with one queued and an error", p, err)
	}
	t.Log(err)
}

// withdrawRef records that the person at c withdrew every purpose.
func withdrawRef(t *testing.T, ctx context.Context, st storage.Store, c storage.ContactRef, at time.Time) {
	t.Helper()
	for i := range 1000 {
		if ref(i) == c {
			if err := withdraw(ctx, st, i, at); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no test person at %v", c)
}
