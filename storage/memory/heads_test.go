package memory

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage"
)

// wantClaim is the rule Claim keeps, computed the slow way: the claimable
// heads of every queue, oldest first, at most max.
func wantClaim(d *inboxData, max int, now time.Time) []int64 {
	var heads []*inboxRec
	for _, q := range d.queues {
		if q[0].claimable(now) {
			heads = append(heads, q[0])
		}
	}
	slices.SortFunc(heads, func(a, b *inboxRec) int { return cmp.Compare(a.order, b.order) })
	heads = heads[:min(len(heads), max)]
	seqs := make([]int64, len(heads))
	for i, r := range heads {
		seqs[i] = r.seq
	}
	return seqs
}

// checkHeaps verifies that each queue's head, and only it, is in one heap,
// at the index it records.
func checkHeaps(t *testing.T, d *inboxData) {
	t.Helper()
	in := 0
	for p, q := range d.queues {
		for i, r := range q {
			if i == 0 && (r.heap == nil || r.heap.recs[r.hi] != r) {
				t.Fatalf("head of %s is not in a heap", p)
			}
			if i > 0 && r.heap != nil {
				t.Fatalf("item %d of %s is in a heap", i, p)
			}
		}
		in++
	}
	if got := d.ready.len() + d.waiting.len(); got != in {
		t.Fatalf("heaps hold %d heads; there are %d queues", got, in)
	}
}

// TestClaimMatchesSortedHeads drives the inbox with random puts, claims
// (with a clock that sometimes goes back), acks, nacks, extensions,
// dead-letters, requeues and erasures, and checks every Claim against the
// rule computed by sorting all heads.
func TestClaimMatchesSortedHeads(t *testing.T) {
	t.Parallel()
	for seed := range uint64(20) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			rng := rand.New(rand.NewPCG(seed, 7))
			s := New()
			defer s.Close()
			in := s.Inbox()
			t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
			now := t0
			n := 0
			var held []storage.Claimed
			for range 2000 {
				switch op := rng.IntN(10); {
				case op < 3:
					items := make([]storage.InboxItem, 1+rng.IntN(4))
					for i := range items {
						n++
						items[i] = storage.InboxItem{Key: fmt.Sprintf("k%d", n), Partition: fmt.Sprintf("p%d", rng.IntN(12)), At: now}
					}
					if _, err := in.Put(ctx, items, now); err != nil {
						t.Fatal(err)
					}
				case op < 5:
					now = now.Add(time.Duration(rng.IntN(90)-20) * time.Second)
					max := 1 + rng.IntN(5)
					want := wantClaim(&s.inbox, max, now)
					cs, err := in.Claim(ctx, "w", max, time.Minute, now)
					if err != nil {
						t.Fatal(err)
					}
					got := make([]int64, len(cs))
					for i, c := range cs {
						got[i] = c.Seq
					}
					if !slices.Equal(got, want) {
						t.Fatalf("claim at %v: got %v, want %v", now.Sub(t0), got, want)
					}
					held = append(held, cs...)
				case len(held) > 0:
					i := rng.IntN(len(held))
					c := held[i]
					held = slices.Delete(held, i, i+1)
					var err error
					switch op {
					case 5, 6:
						err = in.Ack(ctx, "w", c.Seq)
					case 7:
						err = in.Nack(ctx, "w", c.Seq, now.Add(time.Duration(rng.IntN(60)-10)*time.Second), "retry")
					case 8:
						err = in.Extend(ctx, "w", c.Seq, time.Duration(1+rng.IntN(120))*time.Second, now)
						held = append(held, c)
					default:
						if err = in.DeadLetter(ctx, "w", c.Seq, "dead"); err == nil && rng.IntN(2) == 0 {
							err = in.Requeue(ctx, c.Seq)
						}
					}
					if err != nil && !isLeaseLost(err) {
						t.Fatal(err)
					}
				default:
					s.mu.Lock()
					s.inbox.erase(fmt.Sprintf("p%d", rng.IntN(12)))
					s.mu.Unlock()
				}
				checkHeaps(t, &s.inbox)
			}
		})
	}
}

func isLeaseLost(err error) bool { return errors.Is(err, storage.ErrLeaseLost) }
