package chat_test

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/memory"
)

// replicaTrial is one random scenario: people write in order, deliveries
// (batches mixing people) reach one of two replicas, or both at once, and
// some are delivered again later; both replicas drain the same inbox.
type replicaTrial struct {
	seed       uint64
	deliverers [][]string          // people per delivering goroutine
	streams    map[string][]string // person -> message ids in the order written
	batches    [][][]chat.Event    // per deliverer, the deliveries in order
	targets    [][]int             // per deliverer and delivery: 0 or 1 (one replica), 2 (both at once)
	repeats    [][]int             // per deliverer and delivery: index of an earlier delivery to send again, or -1
	workers    [2]int              // per replica
	batch      [2]int              // claim batch per replica
	total      int
	people     []string
	eventTimes time.Time
}

func newReplicaTrial(seed uint64) *replicaTrial {
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	tr := &replicaTrial{seed: seed, streams: map[string][]string{}, eventTimes: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	nPeople := 2 + rng.IntN(7)
	for p := range nPeople {
		c := contactN(int(seed%1000)*10 + p)
		tr.people = append(tr.people, c)
		for i := range 3 + rng.IntN(12) {
			tr.streams[c] = append(tr.streams[c], fmt.Sprintf("wamid.%d.%s.%d", seed, c, i))
			tr.total++
		}
	}
	nDeliverers := 1 + rng.IntN(3)
	tr.deliverers = make([][]string, nDeliverers)
	for i, c := range tr.people {
		d := i % nDeliverers
		tr.deliverers[d] = append(tr.deliverers[d], c)
	}
	for _, people := range tr.deliverers {
		// Interleave this deliverer's people at random, keeping each
		// person's order, then cut into deliveries of 1 to 5 events.
		next := map[string]int{}
		var seq []chat.Event
		for {
			var open []string
			for _, c := range people {
				if next[c] < len(tr.streams[c]) {
					open = append(open, c)
				}
			}
			if len(open) == 0 {
				break
			}
			c := open[rng.IntN(len(open))]
			seq = append(seq, textEvent(c, tr.streams[c][next[c]], "hello", tr.eventTimes))
			next[c]++
		}
		var bs [][]chat.Event
		var tg, rp []int
		for len(seq) > 0 {
			n := min(len(seq), 1+rng.IntN(5))
			bs = append(bs, seq[:n])
			seq = seq[n:]
			tg = append(tg, rng.IntN(3))
			r := -1
			if len(bs) > 1 && rng.IntN(4) == 0 {
				r = rng.IntN(len(bs) - 1)
			}
			rp = append(rp, r)
		}
		tr.batches = append(tr.batches, bs)
		tr.targets = append(tr.targets, tg)
		tr.repeats = append(tr.repeats, rp)
	}
	for i := range 2 {
		tr.workers[i] = 1 + rng.IntN(6)
		tr.batch[i] = 1 + rng.IntN(tr.workers[i])
	}
	return tr
}

// orderChecker is the handler of both replicas: it fails the trial when one
// person's messages overlap, come out of order, or come twice.
type orderChecker struct {
	mu       sync.Mutex
	busy     map[string]string
	next     map[string]int
	streams  map[string][]string
	problems []string
	handled  int
	done     chan struct{}
	total    int
}

func (o *orderChecker) Handle(ctx context.Context, _ chat.Replier, m *chat.Message) error {
	c := m.From.Contact
	o.mu.Lock()
	if other, ok := o.busy[c]; ok {
		o.problems = append(o.problems, fmt.Sprintf("%s handled while %s of the same person was", m.ID, other))
	}
	o.busy[c] = m.ID
	o.mu.Unlock()

	// A short pause that differs per message, so that replicas interleave.
	h := fnv.New32a()
	h.Write([]byte(m.ID))
	time.Sleep(time.Duration(h.Sum32()%1500) * time.Microsecond)

	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.busy, c)
	want := ""
	if i := o.next[c]; i < len(o.streams[c]) {
		want = o.streams[c][i]
	}
	if m.ID != want {
		o.problems = append(o.problems, fmt.Sprintf("handled %s, want %q next for that person", m.ID, want))
		return nil
	}
	o.next[c]++
	o.handled++
	if o.handled == o.total {
		close(o.done)
	}
	return nil
}

// runReplicaTrial runs one trial on two replicas, each with its own view of
// one shared store (a and b may be the same value).
func runReplicaTrial(t *testing.T, tr *replicaTrial, a, b storage.Store) {
	t.Helper()
	check := &orderChecker{busy: map[string]string{}, next: map[string]int{}, streams: tr.streams,
		done: make(chan struct{}), total: tr.total}
	var servers [2]*chat.Server
	for i, st := range []storage.Store{a, b} {
		srv, err := chat.NewServer(st, check, chat.WithOwner(fmt.Sprintf("replica-%d-%d", tr.seed, i)),
			chat.WithWorkers(tr.workers[i]), chat.WithClaimBatch(tr.batch[i]),
			chat.WithPollInterval(5*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		servers[i] = srv
	}
	stops := [2]func() error{runServer(t, servers[0]), runServer(t, servers[1])}

	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for d := range tr.batches {
		wg.Go(func() {
			for i, batch := range tr.batches[d] {
				deliver := func(b []chat.Event, target int) {
					if target < 2 {
						if err := servers[target].Accept(ctx, b); err != nil {
							errs <- err
						}
						return
					}
					var both sync.WaitGroup
					for _, srv := range servers {
						both.Go(func() {
							if err := srv.Accept(ctx, b); err != nil {
								errs <- err
							}
						})
					}
					both.Wait()
				}
				deliver(batch, tr.targets[d][i])
				if r := tr.repeats[d][i]; r >= 0 {
					deliver(tr.batches[d][r], (tr.targets[d][i]+1)%3)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("seed %d: Accept: %v", tr.seed, err)
	}
	select {
	case <-check.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("seed %d: handled %d of %d events in 30s", tr.seed, check.handled, tr.total)
	}
	for i, stop := range stops {
		if err := stop(); err != nil {
			t.Errorf("seed %d: replica %d: Run = %v", tr.seed, i, err)
		}
	}
	check.mu.Lock()
	defer check.mu.Unlock()
	if len(check.problems) > 0 {
		t.Errorf("seed %d (workers %v, batches %v): %d problems, first: %s", tr.seed, tr.workers, tr.batch,
			len(check.problems), check.problems[0])
	}
	for _, c := range tr.people {
		if got, want := check.next[c], len(tr.streams[c]); got != want {
			t.Errorf("seed %d: person %s: %d of %d messages handled", tr.seed, c, got, want)
		}
	}
	st, err := a.Inbox().Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Pending+st.Leased+st.Dead != 0 {
		t.Errorf("seed %d: inbox not drained: %+v", tr.seed, st)
	}
}

// Two replicas draining one inbox: no event is handled twice, and each
// person's messages are handled one at a time, in the order written, over
// random interleavings of deliveries, duplicates and replicas.
func TestReplicasShareOneInboxMemory(t *testing.T) {
	t.Parallel()
	seeds := make([]uint64, 0, 25)
	base := uint64(time.Now().UnixNano())
	for i := range uint64(25) {
		seeds = append(seeds, base+i)
	}
	slices.Sort(seeds)
	for _, seed := range seeds {
		tr := newReplicaTrial(seed)
		store := memory.New()
		runReplicaTrial(t, tr, store, store)
		if t.Failed() {
			t.Logf("reproduce with seed %d", seed)
			return
		}
	}
}
