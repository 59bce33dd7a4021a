package storagetest

import (
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage"
)

var concurrencyTests = []test{
	{"InboxWorkersExactlyOnceInOrder", concurrentInbox},
	{"InboxOneClaimOfOneItem", concurrentInboxClaim},
	{"InboxOnePutOfOneKey", concurrentInboxPut},
	{"TicketsClaimNextOnce", concurrentClaimNext},
	{"TicketsOpenOnePerContact", concurrentOpen},
	{"ContactsTouchOnce", concurrentTouch},
	{"CompareAndSwapOneWinner", concurrentCAS},
}

const (
	workers = 8
	racers  = 8
)

// race runs f(0..n-1) in n goroutines released at once and returns the
// errors by index.
func race(n int, f func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// oneWinner checks that exactly one error is nil and the others match
// lost.
func oneWinner(t testing.TB, errs []error, lost error, what string) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("%s: racers %d and %d both won", what, winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, lost):
			t.Fatalf("%s: racer %d: error = %v; want %v", what, i, err, lost)
		}
	}
	if winner < 0 {
		t.Fatalf("%s: nobody won", what)
	}
	return winner
}

// concurrentInbox has producers putting (each batch twice) while workers
// claim and ack: every event is handled exactly once, one partition's events
// never overlap and come in the order put.
func concurrentInbox(t *testing.T, st storage.Store) {
	const (
		partitions = 8
		perPart    = 40
		producers  = 4
		batch      = 10
		total      = partitions * perPart
	)
	ctx := t.Context()
	in := st.Inbox()
	var (
		mu        sync.Mutex
		next      = make(map[string]int)  // next index expected per partition
		inflight  = make(map[string]bool) // partitions being handled
		handled   atomic.Int64
		produced  atomic.Bool
		stop      atomic.Bool
		failures  []string
		wg        sync.WaitGroup
		producing sync.WaitGroup
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		failures = append(failures, fmt.Sprintf(format, args...))
		mu.Unlock()
		stop.Store(true)
	}
	for p := range producers {
		producing.Go(func() {
			for start := 0; start < perPart && !stop.Load(); start += batch {
				var items []storage.InboxItem
				for part := p; part < partitions; part += producers {
					for i := start; i < start+batch; i++ {
						key := fmt.Sprintf("p%02d/%03d", part, i)
						items = append(items, storage.InboxItem{Key: key, Partition: fmt.Sprintf("p%02d", part), Payload: []byte(key), At: t0})
					}
				}
				for round := range 2 {
					res, err := in.Put(ctx, items, t0)
					if err != nil {
						fail("put: %v", err)
						return
					}
					for i, fresh := range res.Fresh {
						if fresh != (round == 0) {
							fail("put round %d: fresh[%d] = %v", round, i, fresh)
							return
						}
					}
				}
			}
		})
	}
	go func() { producing.Wait(); produced.Store(true) }()

	for w := range workers {
		owner := fmt.Sprintf("worker-%d", w)
		wg.Go(func() {
			idle := 0
			for !stop.Load() && handled.Load() < total {
				cs, err := in.Claim(ctx, owner, 8, time.Hour, t0)
				if err != nil {
					fail("claim: %v", err)
					return
				}
				if len(cs) == 0 {
					// Back off while others hold the partitions, so that idle
					// workers do not crowd a single-writer database.
					if idle++; idle > 2000 {
						fail("%s found nothing to claim 2000 times running with %d of %d handled", owner, handled.Load(), total)
						return
					}
					time.Sleep(time.Millisecond << min(idle, 5))
					continue
				}
				idle = 0
				// Take the whole batch first: two items of one partition in
				// one batch, or in two workers' hands at once, is a failure.
				mu.Lock()
				for _, c := range cs {
					part, idx, found := strings.Cut(c.Key, "/")
					n, _ := strconv.Atoi(idx)
					var problem string
					switch {
					case !found || part != c.Partition || string(c.Payload) != c.Key:
						problem = fmt.Sprintf("claimed item %q in partition %q with payload %q", c.Key, c.Partition, c.Payload)
					case inflight[part]:
						problem = fmt.Sprintf("partition %s handed out twice at once (%s)", part, c.Key)
					case next[part] != n:
						problem = fmt.Sprintf("partition %s: got event %d, want %d", part, n, next[part])
					}
					if problem != "" {
						failures = append(failures, problem)
						mu.Unlock()
						stop.Store(true)
						return
					}
					inflight[part] = true
					next[part] = n + 1
				}
				mu.Unlock()
				runtime.Gosched() // the handling
				for _, c := range cs {
					mu.Lock()
					inflight[c.Partition] = false
					mu.Unlock()
					handled.Add(1)
					if err := in.Ack(ctx, owner, c.Seq); err != nil {
						fail("ack %s: %v", c.Key, err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	stop.Store(true)
	producing.Wait()
	for _, f := range failures {
		t.Error(f)
	}
	if t.Failed() {
		return
	}
	eq(t, handled.Load(), int64(total), "events handled")
	for p := range partitions {
		eq(t, next[fmt.Sprintf("p%02d", p)], perPart, fmt.Sprintf("events handled in p%02d", p))
	}
	stats := of(in.Stats(ctx)).must(t)
	eq(t, stats, storage.InboxStats{Done: total}, "stats")
}

func concurrentInboxClaim(t *testing.T, st storage.Store) {
	put(t, st, t0, item("only", "p"))
	got := make([]int, racers)
	errs := race(racers, func(i int) error {
		cs, err := st.Inbox().Claim(t.Context(), fmt.Sprintf("w%d", i), 1, time.Minute, t0)
		got[i] = len(cs)
		return err
	})
	n := 0
	for i, err := range errs {
		ok(t, err)
		n += got[i]
	}
	eq(t, n, 1, "claims of one item")
}

func concurrentInboxPut(t *testing.T, st storage.Store) {
	fresh := make([]bool, racers)
	errs := race(racers, func(i int) error {
		res, err := st.Inbox().Put(t.Context(), []storage.InboxItem{item("same", "p")}, t0)
		if err == nil {
			fresh[i] = res.Fresh[0]
		}
		return err
	})
	n := 0
	for i, err := range errs {
		ok(t, err)
		if fresh[i] {
			n++
		}
	}
	eq(t, n, 1, "fresh puts of one key")
	eq(t, of(st.Inbox().Stats(t.Context())).must(t).Pending, 1, "pending")
}

func concurrentClaimNext(t *testing.T, st storage.Store) {
	const tickets = 60
	for i := range tickets {
		of2(st.Tickets().Open(t.Context(), ticket(ref(i), "general", i%4, at(time.Duration(i%7)*time.Minute)), t0)).must(t)
	}
	var mu sync.Mutex
	seen := make(map[string]string)
	errs := race(workers, func(w int) error {
		assignee := fmt.Sprintf("staff-%d", w)
		for {
			tk, err := st.Tickets().ClaimNext(t.Context(), assignee, nil, t0)
			if errors.Is(err, storage.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			if tk.Assignee != assignee {
				return fmt.Errorf("ticket %s claimed for %s came back assigned to %s", tk.ID, assignee, tk.Assignee)
			}
			mu.Lock()
			prev, dup := seen[tk.ID]
			seen[tk.ID] = assignee
			mu.Unlock()
			if dup {
				return fmt.Errorf("ticket %s claimed by %s and %s", tk.ID, prev, assignee)
			}
		}
	})
	for _, err := range errs {
		ok(t, err)
	}
	eq(t, len(seen), tickets, "tickets claimed")
	for id, who := range seen {
		eq(t, of(st.Tickets().Get(t.Context(), id)).must(t).Assignee, who, "stored assignee of "+id)
	}
}

func concurrentOpen(t *testing.T, st storage.Store) {
	ids := make([]string, racers)
	created := make([]bool, racers)
	errs := race(racers, func(i int) error {
		tk, c, err := st.Tickets().Open(t.Context(), ticket(ref(1), "general", i%4, at(time.Hour)), t0)
		ids[i], created[i] = tk.ID, c
		return err
	})
	n := 0
	for i, err := range errs {
		ok(t, err)
		eq(t, ids[i], ids[0], "ticket id")
		if created[i] {
			n++
		}
	}
	eq(t, n, 1, "tickets created")
}

func concurrentTouch(t *testing.T, st storage.Store) {
	ids := make([]string, racers)
	errs := race(racers, func(i int) error {
		// Two slacks apart: every racer's time is one a store must store
		// when it is the latest (see storage.TouchSlack).
		c, err := st.Contacts().Touch(t.Context(), ref(1), at(time.Duration(i)*2*storage.TouchSlack))
		ids[i] = c.ID
		return err
	})
	for i, err := range errs {
		ok(t, err)
		eq(t, ids[i], ids[0], "contact id")
	}
	eq(t, len(collect(t, st.Contacts().List(t.Context()))), 1, "contacts")
	sameTime(t, of(st.Contacts().Get(t.Context(), ref(1))).must(t).LastInboundAt, at(time.Duration(racers-1)*2*storage.TouchSlack), "last inbound")
}

func concurrentCAS(t *testing.T, st storage.Store) {
	ctx := t.Context()
	t.Run("Sessions", func(t *testing.T) {
		s := of(st.Sessions().Put(ctx, storage.Session{Contact: ref(1), Data: []byte("base")}, t0)).must(t)
		errs := race(racers, func(i int) error {
			_, err := st.Sessions().Put(ctx, storage.Session{Contact: ref(1), Data: []byte(strconv.Itoa(i)), Version: s.Version}, t0)
			return err
		})
		w := oneWinner(t, errs, storage.ErrConflict, "session put")
		sameBytes(t, of(st.Sessions().Get(ctx, ref(1), t0)).must(t).Data, []byte(strconv.Itoa(w)), "winner's data")
	})
	t.Run("SessionsFirstPut", func(t *testing.T) {
		errs := race(racers, func(i int) error {
			_, err := st.Sessions().Put(ctx, storage.Session{Contact: ref(2), Data: []byte(strconv.Itoa(i))}, t0)
			return err
		})
		oneWinner(t, errs, storage.ErrConflict, "first session put")
	})
	t.Run("Contacts", func(t *testing.T) {
		c := of(st.Contacts().Touch(ctx, ref(1), t0)).must(t)
		errs := race(racers, func(i int) error {
			c := c
			c.Name = strconv.Itoa(i)
			_, err := st.Contacts().Update(ctx, c, t0)
			return err
		})
		w := oneWinner(t, errs, storage.ErrConflict, "contact update")
		eq(t, of(st.Contacts().Get(ctx, ref(1))).must(t).Name, strconv.Itoa(w), "winner's name")
	})
	t.Run("Tickets", func(t *testing.T) {
		tk, _ := of2(st.Tickets().Open(ctx, ticket(ref(1), "general", 0, at(time.Hour)), t0)).must(t)
		errs := race(racers, func(i int) error {
			tk := tk
			tk.Priority = i
			_, err := st.Tickets().Update(ctx, tk, t0)
			return err
		})
		w := oneWinner(t, errs, storage.ErrConflict, "ticket update")
		eq(t, of(st.Tickets().Get(ctx, tk.ID)).must(t).Priority, w, "winner's priority")
	})
	t.Run("Consent", func(t *testing.T) {
		errs := race(racers, func(i int) error {
			id := fmt.Sprintf("race-%d", i)
			return st.Consent().Append(ctx, consentEvent(id, ref(1), "granted", t0), "", consentState(ref(1), id, "granted", t0))
		})
		w := oneWinner(t, errs, storage.ErrConflict, "consent append")
		eq(t, of(st.Consent().State(ctx, ref(1))).must(t).LastEvent, fmt.Sprintf("race-%d", w), "winner's event")
		eq(t, len(of(st.Consent().History(ctx, ref(1))).must(t)), 1, "events")
	})
	t.Run("Broadcasts", func(t *testing.T) {
		ok(t, st.Broadcasts().Create(ctx, broadcast("b1")))
		ok(t, st.Broadcasts().AddRecipients(ctx, "b1", recipients(1, 1)))
		r := of(st.Broadcasts().Recipients(ctx, "b1", "", 0, 0)).must(t)[0]
		errs := race(racers, func(i int) error {
			r := r
			r.State = storage.RecipientSending
			r.Attempts = i
			return st.Broadcasts().Transition(ctx, r, storage.RecipientQueued)
		})
		w := oneWinner(t, errs, storage.ErrConflict, "recipient transition")
		eq(t, of(st.Broadcasts().Recipients(ctx, "b1", "", 0, 0)).must(t)[0].Attempts, w, "winner's attempts")
		b := of(st.Broadcasts().Get(ctx, "b1")).must(t)
		errs = race(racers, func(i int) error {
			b := b
			b.Name = strconv.Itoa(i)
			_, err := st.Broadcasts().Update(ctx, b)
			return err
		})
		oneWinner(t, errs, storage.ErrConflict, "broadcast update")
	})
	t.Run("Staff", func(t *testing.T) {
		errs := race(racers, func(i int) error {
			_, err := st.Staff().Create(ctx, account("same-login"))
			return err
		})
		oneWinner(t, errs, storage.ErrConflict, "staff create")
	})
	t.Run("Messages", func(t *testing.T) {
		errs := race(racers, func(i int) error {
			return st.Messages().Record(ctx, message("wamid.race", ref(i), storage.Inbound, t0))
		})
		oneWinner(t, errs, storage.ErrConflict, "message record")
	})
}
