package broadcast_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/impactchat/impactchat/broadcast"
	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage/memory"
)

// stamps is a Sender that records when each send happened.
type stamps struct {
	mu sync.Mutex
	at []time.Time
}

func (s *stamps) Send(_ context.Context, to chat.Address, _ chat.Outgoing) (chat.SendResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.at = append(s.at, time.Now())
	return chat.SendResult{MessageID: "wamid." + to.Contact + "." + time.Now().String(), Time: time.Now()}, nil
}

// The runner paces a campaign at 80 % of the line's throughput (64 of 80
// messages a second). Two campaigns on the same line, run by the same Runner
// at once, share that pace: together they stay under Meta's 80 a second,
// with room left for replies.
func TestTwoCampaignsShareTheLine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		st := memory.New()
		now := time.Now()
		seed(t, ctx, st, 400, now, false, allConsent(now))
		snd := &stamps{}
		r := newRunner(t, st, snd) // DefaultThroughput 80, DefaultShare 0.8
		a, err := r.Start(ctx, alertSpec())
		if err != nil {
			t.Fatal(err)
		}
		spec := alertSpec()
		spec.Name = "second alert"
		b, err := r.Start(ctx, spec)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for _, id := range []string{a.ID, b.ID} {
			wg.Go(func() {
				if _, err := r.Run(ctx, id); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		snd.mu.Lock()
		defer snd.mu.Unlock()
		most := 0
		for i := range snd.at {
			n := 0
			for j := i; j < len(snd.at) && snd.at[j].Sub(snd.at[i]) < time.Second; j++ {
				n++
			}
			most = max(most, n)
		}
		if most > broadcast.DefaultThroughput {
			t.Errorf("%d sends in one second on one line; the runner's rate is %v and Meta's limit %d", most, r.Rate(), broadcast.DefaultThroughput)
		}
	})
}
